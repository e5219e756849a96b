"""cost-quality: does every variant carry its plants, and does the scenario hold?

What every exercise shares (the key's types, determinism, each wrong approach losing
exactly its questions, the personas' bounds, the rubric, the notebook's structure, no
key value in the bundle, the solution matching the key) is checked for it by the
contract suite, test_every_exercise.py; this file checks what cost-quality plants and
states. Its modules are imported by path, the way evalround loads them; answers are
scored with evalround's own scoring, so "loses its points" means what it means at
grading time.
"""

import re
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest

from contract import EXERCISES, SEEDS, keyed_public, notebook, persona_points, persona_totals
from contract import variant as contract_variant
from helpers import load_module

ROOT = Path(__file__).resolve().parents[2]
SLUG = "cost-quality"
FOLDER = ROOT / "exercises" / SLUG
DEFAULT_DATA = ROOT / "data" / SLUG
SEGMENTS = ("freelancer", "small_business", "mid_market", "enterprise", "accounting_firm",
            "nonprofit")
WORKFLOWS = ("bank_reconciliation", "expense_categorization", "invoice_chasing",
             "tax_question", "month_end_report")


def _load(name: str, module_name: str) -> ModuleType:
    return load_module(FOLDER / f"{name}.py", module_name)


generator = _load("generator", "cost_quality_generator")
answers = _load("answers", "cost_quality_answers")
MANIFEST = EXERCISES[SLUG].manifest
FIELDS = {f.name: f for f in MANIFEST.answer_fields}
QUESTION_OF = {f.name: q.id for q in MANIFEST.auto_questions for f in q.answers}
AUTO_MAX = sum(q.points for q in MANIFEST.auto_questions)
JUDGEMENT = {q.id for q in MANIFEST.judgement_questions}


def variant(seed: int) -> tuple[dict[str, Any], dict[str, bytes]]:
    return contract_variant(SLUG, seed)


def keyed(seed: int) -> tuple[dict[str, Any], dict[str, pd.DataFrame], dict[str, Any]]:
    return keyed_public(SLUG, seed)


def _notebook() -> Any:
    return notebook(SLUG)


# ---------------------------------------------------------------------------------------


def test_manifest_sizes_and_parameters() -> None:
    """Half the points autograded, a 60-90 minute budget, the judgement questions q7 and
    q8, the three public parameters, and every set answer sorted without repeats?"""
    public, _, key = keyed(0)
    for name, spec in FIELDS.items():
        if spec.type == "list[str]":
            assert key[name] == sorted(set(key[name])), name
    assert set(public) == {"budget_ms", "cascade_margin_pts", "router_cost_cap"}
    points = {q.kind: 0.0 for q in MANIFEST.questions}
    for q in MANIFEST.questions:
        points[q.kind] += q.points
    assert points["auto"] == points["written"] == 15
    assert 60 <= MANIFEST.time_budget_minutes <= 90
    assert {"q7", "q8"} == JUDGEMENT


@pytest.mark.parametrize("seed", SEEDS)
def test_every_wrong_approach_answers_only_its_questions(seed: int) -> None:
    """Does each wrong approach set answers of the questions it names only?"""
    public, frames, _ = keyed(seed)
    for name, wrong in answers.WRONG_APPROACHES.items():
        given = wrong.fn(frames, public)
        assert {QUESTION_OF[f] for f in given} == set(wrong.loses), name


@pytest.mark.parametrize("seed", SEEDS)
def test_planted_phenomena(seed: int) -> None:
    """Is every plant visible in the data the candidate gets?"""
    params, _ = variant(seed)
    public, frames, key = keyed(seed)
    hidden = params["hidden"]
    tasks, calls, ev = frames["tasks.csv"], frames["usage_calls.csv"], frames["eval_paired.csv"]

    # Q1: premium costs several times more per task, on fewer calls per task; unresolved
    # tasks loop longer.
    ratio = key["q1_cost_per_1k_tasks_premium"] / key["q1_cost_per_1k_tasks_standard"]
    assert 2.5 < ratio < 9
    fan = calls.groupby("task_id").size().rename("calls").to_frame().join(
        tasks.set_index("task_id"))
    by_tier = fan.groupby("tier")["calls"].mean()
    assert by_tier["premium"] < 0.9 * by_tier["standard"]
    by_outcome = fan.groupby("resolved")["calls"].mean()
    assert by_outcome[False] > by_outcome[True] + 0.5

    # Q2: the cache saves money overall (Q8 is where it does not).
    assert 0.12 < key["q2_cache_hit_ratio"] < 0.9
    assert 0.05 < key["q2_savings_share"] < 0.8

    # Q3: a positive win whose significance follows the plant; both counts in 100..399.
    assert key["q3_accuracy_delta"] > 0
    assert 100 <= key["q3_standard_only_wins"] < key["q3_premium_only_wins"] <= 399
    significant = hidden["eval"]["significant"]
    assert (key["q3_p_value"] < 0.05) == significant
    assert key["q3_p_value"] >= 0.005
    assert key["q3_top_segment"] == hidden["eval"]["helped_segment"]
    table = answers.segment_table(ev).set_index("segment")
    assert table["premium"].idxmax() != key["q3_top_segment"]
    assert table["standard"].idxmin() != key["q3_top_segment"]
    delta = table["delta"].sort_values(ascending=False)
    assert delta.iloc[0] - delta.iloc[1] >= 0.03

    # Q4: standard alone is not within the margin, the cascade escalates a real share and
    # costs less than premium-only.
    margin = public["cascade_margin_pts"] / 100
    assert float(ev["standard_pass"].mean()) < float(ev["premium_pass"].mean()) - margin
    assert 0.3 <= key["q4_tau"] <= 0.9
    escalated = float((ev["standard_confidence"] < key["q4_tau"]).mean())
    assert escalated >= 0.03
    assert key["q4_cost_vs_premium"] < 1.0
    # ... and its answer is off the knife edge: flipping two eval items cannot move it.
    n = len(ev)
    target = float(ev["premium_pass"].mean()) - margin
    curve = answers.cascade_curve(ev)
    assert key["q4_cascade_accuracy"] - target >= 3 / n - 1e-12
    assert all(target - acc >= 3 / n - 1e-12 for tau, acc, _ in curve if tau < key["q4_tau"])

    # Q7: premium helps on one or two segments and hurts on others; the best router
    # within the cap is neither Q3's top segment alone nor premium everywhere, and it
    # is as accurate as premium-only on production traffic at a fraction of the cost.
    delta = table["delta"]
    assert (delta < -0.015).sum() >= 1
    assert key["q7_premium_segments"] != [key["q3_top_segment"]]
    assert 0 < len(key["q7_premium_segments"]) < len(SEGMENTS)
    assert key["q7_router_cost_vs_premium"] <= public["router_cost_cap"]
    weights = tasks["segment"].value_counts(normalize=True)
    premium_only = float((weights * table["premium"].reindex(weights.index)).sum())
    standard_only = float((weights * table["standard"].reindex(weights.index)).sum())
    assert key["q7_router_accuracy"] > standard_only + 0.005
    assert key["q7_router_accuracy"] > premium_only - 0.02

    # Q8: one or two workflows lose money on the cache, clearly; the others save.
    saving = answers.workflow_savings(frames)
    assert 1 <= len(key["q8_cache_off_workflows"]) <= 2
    assert set(key["q8_cache_off_workflows"]) == set(hidden["snapshot_first_workflows"])
    assert (saving.abs() > 0.03).all()

    # Q5: the second call adds most of a second at the median and much more at the tail.
    gap = key["q5_p50_two_calls_ms"] - key["q5_p50_one_call_ms"]
    assert 500 < gap < 1200
    tail_two = key["q5_p95_two_calls_ms"] - key["q5_p50_two_calls_ms"]
    tail_one = key["q5_p95_one_call_ms"] - key["q5_p50_one_call_ms"]
    assert tail_two > 1.2 * tail_one
    assert key["q5_over_budget_two_calls"] > key["q5_over_budget_one_call"]
    voice = frames["voice_turns.csv"]
    success = voice.groupby("arm")["success"].mean()
    assert success["two_calls"] > success["one_call"] + 0.03

    # Q6: production resolves less than the eval passes, so the eval rate is no proxy.
    resolved = tasks.groupby("tier")["resolved"].mean()
    assert resolved["standard"] < float(ev["standard_pass"].mean()) - 0.02
    assert resolved["premium"] < float(ev["premium_pass"].mean()) - 0.02


def test_plants_vary_across_variants() -> None:
    """Significance, caching payoff and the voice verdict go both ways across variants."""
    keys = [keyed(seed)[2] for seed in SEEDS]
    significant = [k["q3_p_value"] < 0.05 for k in keys]
    assert 0.3 < np.mean(significant) < 0.85
    savings = [k["q2_savings_share"] for k in keys]
    assert max(savings) - min(savings) > 0.2
    two_better = [k["q5_good_turns_two_calls"] > k["q5_good_turns_one_call"] for k in keys]
    assert any(two_better) and not all(two_better)
    # The helped segment is never one of the two busiest (it must fit under the cap
    # with a second one), so four or more of the six.
    assert len({k["q3_top_segment"] for k in keys}) >= 4
    assert len({k["q4_tau"] for k in keys}) >= 4
    # The judgement truths vary: many different routers and cache-losing workflow sets.
    routers = {tuple(k["q7_premium_segments"]) for k in keys}
    assert len(routers) >= 10
    assert {len(r) for r in routers} == {2, 3}
    assert len({s for r in routers for s in r}) >= len(SEGMENTS) - 1
    losing = {tuple(k["q8_cache_off_workflows"]) for k in keys}
    assert len(losing) >= 6 and {w for r in losing for w in r} == set(WORKFLOWS)


@pytest.mark.parametrize("seed", [0, 11, 23])
def test_data_looks_like_production(seed: int) -> None:
    """Ids, ISO timestamps, disjoint token counters, retries, heavy tails, languages."""
    _, frames, _ = keyed(seed)
    tasks, calls = frames["tasks.csv"], frames["usage_calls.csv"]
    assert list(calls.columns) == [
        "request_id", "task_id", "created_at", "tier", "model", "http_status",
        "uncached_input_tokens", "cache_write_input_tokens", "cache_read_input_tokens",
        "output_tokens", "latency_ms", "stop_reason",
    ]
    assert calls["request_id"].is_unique and tasks["task_id"].is_unique
    assert set(calls["task_id"]) == set(tasks["task_id"])
    tier_of = tasks.set_index("task_id")["tier"]
    assert (calls["tier"].to_numpy() == tier_of.loc[calls["task_id"]].to_numpy()).all()
    counters = calls[["uncached_input_tokens", "cache_write_input_tokens",
                      "cache_read_input_tokens", "output_tokens"]]
    assert (counters >= 0).all().all()
    failed = calls["http_status"] != 200
    assert 0 < failed.mean() < 0.03 and (counters[failed] == 0).all().all()
    assert set(calls.loc[failed, "http_status"]) <= {429, 500, 529}
    per_task = calls.groupby("task_id").size()
    assert per_task.min() >= 1 and per_task.max() >= 12
    latency = calls.loc[~failed, "latency_ms"]
    assert latency.quantile(0.99) > 3 * latency.median()
    for frame, column in ((tasks, "created_at"), (calls, "created_at"),
                          (frames["voice_turns.csv"], "started_at")):
        assert frame[column].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z").all()
    stamps = pd.to_datetime(tasks["created_at"])
    assert (stamps.max() - stamps.min()).days <= 14
    assert (stamps.dt.day_of_week < 5).mean() > 5 / 7

    ev = frames["eval_paired.csv"]
    assert ev["item_id"].is_unique and set(ev["segment"]) == set(SEGMENTS)
    assert set(ev["language"]) == {"en", "es", "de", "fr", "pt"}
    assert ev.loc[ev["language"] != "en", "query"].str.contains(r"[^\x00-\x7f]").mean() > 0.3
    conf = ev["standard_confidence"]
    assert conf.between(0, 1, inclusive="neither").all()
    assert not np.isclose((conf * 20) % 1, 0).any()  # never on a grid value

    voice = frames["voice_turns.csv"]
    assert voice["turn_id"].is_unique
    assert (voice.groupby("session_id")["arm"].nunique() == 1).all()
    assert set(voice["tool_calls"]) == {0, 1, 2}
    assert len(set(voice["locale"])) >= 4
    prices = frames["prices.csv"].set_index("tier")
    assert (prices["cache_write_multiplier"] > 1).all()
    assert (prices["cache_read_multiplier"] < 1).all()
    assert (prices.loc["premium", "input_usd_per_mtok"]
            > 3 * prices.loc["standard", "input_usd_per_mtok"])


@pytest.mark.parametrize("seed", SEEDS)
def test_personas_rank_as_intended(seed: int) -> None:
    """Beyond the contract's bounds: does misses_calibration lose a fifth to a half of the
    autograded points, and aggregate_only more than 60%?"""
    assert set(answers.PERSONAS) == {"strong", "literal", "misses_calibration",
                                     "aggregate_only"}
    totals = persona_totals(SLUG, seed)
    assert 0.22 <= 1 - totals["misses_calibration"] / AUTO_MAX <= 0.5
    assert 1 - totals["aggregate_only"] / AUTO_MAX > 0.6
    assert persona_points(SLUG, seed)["strong"] == {q.id: q.points
                                                    for q in MANIFEST.auto_questions}


# ---------------------------------------------------------------------------------------
# The notebook
# ---------------------------------------------------------------------------------------


def test_every_question_has_a_locked_doc_cell_naming_its_answers() -> None:
    """Is each autograded question stated in a locked q*_doc cell that names every answer
    variable it sets?"""
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in _notebook().cells}
    for q in MANIFEST.auto_questions:
        doc = by_id[f"{q.id}_doc"]
        assert doc.metadata["nbgrader"]["locked"], q.id
        for f in q.answers:
            assert f.name in doc.source, (q.id, f.name)


def test_notebook_states_the_definitions_the_key_uses() -> None:
    """The grid, the percentile method, the test, the pricing formula and the tie rules."""
    by_id = {c.metadata["nbgrader"]["grade_id"]: c.source for c in _notebook().cells}
    assert "cache_write_multiplier × cache_write_input_tokens" in by_id["q1_doc"]
    assert "cache_read_multiplier × cache_read_input_tokens" in by_id["q1_doc"]
    assert "per 1000 tasks" in by_id["q1_doc"]
    assert "Σ `cache_read_input_tokens`" in by_id["q2_doc"]
    assert "2 · P(X ≤ min(b, c))" in by_id["q3_doc"] and "Ties" in by_id["q3_doc"]
    assert "round(i * 0.05, 2)` for i = 1, 2, …, 20" in by_id["q4_doc"]
    assert tuple(round(i * 0.05, 2) for i in range(1, 21)) == answers.TAU_GRID
    assert "C_standard + escalated share(τ) × C_premium" in by_id["q4_doc"]
    assert "Ties: the lowest τ" in by_id["q4_doc"]
    assert 'method="linear"' in by_id["q5_doc"] and "> budget_ms" in by_id["q5_doc"]
    assert "**all** that tier's requests" in by_id["q6_doc"]
    assert "`router_cost_cap`" in by_id["q7_doc"] and "Ties:" in by_id["q7_doc"]
    assert "mix of\n  segments in `tasks.csv`" in by_id["q7_doc"]
    assert "`input_usd_per_mtok`" in by_id["q8_doc"] and "`[]`" in by_id["q8_doc"]


def test_nothing_in_the_notebook_looks_like_a_segment_or_a_count() -> None:
    """Beyond the bundle leak check (the contract): no quoted segment name, no whole number
    the size of a discordant count (100..399), no float with three or more decimals?"""
    nb = _notebook()
    text = "\n".join(c.source for c in nb.cells if "BEGIN SOLUTION" not in c.source)
    for segment in SEGMENTS:
        assert f'"{segment}"' not in text and f"'{segment}'" not in text
    integers = {int(n) for n in re.findall(r"(?<![\d.])\d+(?![\d.])", text)}
    assert not {n for n in integers if 100 <= n <= 399}
    assert not re.findall(r"\d\.\d{3,}", text)


# ---------------------------------------------------------------------------------------
# What the candidate sees: rendered markdown, explorers, plots, the scenario vs. the data
# ---------------------------------------------------------------------------------------

def test_the_cost_formula_is_one_text_block() -> None:
    """Is the cost formula one fenced text block, so that its "+" continuation lines stay
    a formula (the contract suite checks every notebook renders no list from a formula)?"""
    q1 = next(c.source for c in _notebook().cells
              if c.metadata["nbgrader"]["grade_id"] == "q1_doc")
    assert "```text\ncost (USD) = ( input_usd_per_mtok" in q1


def test_explorer_code_is_collapsed_with_a_line_saying_how_to_show_it() -> None:
    """Is the explorers' helper code hidden by default, with one visible line above it
    saying how to show it?"""
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in _notebook().cells}
    assert by_id["explore"].metadata["jupyter"] == {"source_hidden": True}
    assert "The explorers' code is collapsed: click the **⋯**" in by_id["explore_doc"].source
    hidden = [c for c in _notebook().cells if c.metadata.get("jupyter", {}).get("source_hidden")]
    assert hidden == [by_id["explore"]]  # answer cells and definitions stay visible


def _overlapping_labels(fig: Any) -> list[tuple[str, str]]:
    """Pairs of visible tick labels on one axis whose drawn boxes intersect."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    pairs = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            labels = [t for t in axis.get_ticklabels(which="both")
                      if t.get_visible() and t.get_text().strip()]
            boxes = [t.get_window_extent(renderer) for t in labels]
            for i in range(len(labels)):
                for j in range(i + 1, len(labels)):
                    if boxes[i].overlaps(boxes[j]):
                        pairs.append((labels[i].get_text(), labels[j].get_text()))
    return pairs


def test_explorer_plots_have_no_overlapping_tick_labels(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Drawn at their notebook size, on the default data and on a variant with a heavy
    latency tail, do the explorers' plots (the log-scale latency plot above all) keep
    every tick label clear of its neighbours, at every budget and with log x or not?"""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_id = {c.metadata["nbgrader"]["grade_id"]: c.source for c in _notebook().cells}
    heavy = next(s for s in SEEDS if not variant(s)[0]["hidden"]["voice"]["light_tail"])
    _, files = variant(heavy)
    (tmp_path / "heavy").mkdir()
    for name, content in files.items():
        (tmp_path / "heavy" / name).write_bytes(content)
    monkeypatch.setattr(plt, "show", lambda *a, **k: None)
    for data_dir in (DEFAULT_DATA, tmp_path / "heavy"):
        namespace: dict[str, Any] = {"data_dir": str(data_dir), "budget_ms": 2500,
                                     "cascade_margin_pts": 0.5, "router_cost_cap": 0.5}
        exec(by_id["setup"], namespace)
        exec(by_id["explore"], namespace)
        plt.close("all")
        for budget in (500, 2500, 6000):
            for log_x in (True, False):
                namespace["explore_latency"](budget, log_x)
                assert _overlapping_labels(plt.gcf()) == [], (data_dir, budget, log_x)
                plt.close("all")
        for tau in (0.05, 0.5, 1.0):
            namespace["explore_cascade"](tau)
            assert _overlapping_labels(plt.gcf()) == [], (data_dir, tau)
            plt.close("all")


@pytest.mark.parametrize("seed", SEEDS)
def test_scenario_text_agrees_with_the_data(seed: int) -> None:
    """What the notebook says about the data holds in every variant: the second call
    fixes about a third of the failed turns, some turns need no tool call, the logs are a
    one-in-500 sample of well over a hundred thousand tasks a day (so the bill is real
    money), and no eval item is asked twice."""
    _, frames, key = keyed(seed)
    text = "\n".join(c.source for c in _notebook().cells)
    assert "about a third fewer turns" in text and "one task in 500" in text
    assert "greetings and goodbyes need none" in text
    voice = frames["voice_turns.csv"]
    failed = 1 - voice.groupby("arm")["success"].mean()
    assert 0.27 <= 1 - failed["two_calls"] / failed["one_call"] <= 0.39
    no_tool = float((voice["tool_calls"] == 0).mean())
    assert 0.08 < no_tool < 0.18
    tasks = frames["tasks.csv"]
    days = (pd.to_datetime(tasks["created_at"]).max()
            - pd.to_datetime(tasks["created_at"]).min()).total_seconds() / 86_400
    assert 500 * len(tasks) / days > 100_000
    share = tasks["tier"].value_counts(normalize=True)
    bill = 500 * (key["q1_cost_per_1k_tasks_standard"] * share["standard"]
                  + key["q1_cost_per_1k_tasks_premium"] * share["premium"]) * len(tasks) / 1000
    assert bill > 5_000  # USD for the two weeks, at the real volume
    ev = frames["eval_paired.csv"]
    assert ev["query"].is_unique
    # ... and what the cache does follows the TTL the price book states.
    calls = frames["usage_calls.csv"].copy()
    calls = calls[calls["http_status"] == 200]
    calls["t"] = pd.to_datetime(calls["created_at"])
    calls = calls.sort_values(["task_id", "t"])
    gap = calls.groupby("task_id")["t"].diff().dt.total_seconds()
    ttl = float(frames["prices.csv"]["cache_ttl_s"].iloc[0])
    follow = calls[gap.notna()]
    expired = gap[gap.notna()] > ttl + 60
    tasks_by_id = tasks.set_index("task_id")
    normal = ~follow["task_id"].map(tasks_by_id["workflow"]).isin(key["q8_cache_off_workflows"])
    beyond_prefix = follow["cache_read_input_tokens"] > 12_000
    assert not (expired & normal & beyond_prefix).any()
