"""cost-quality: does every variant carry its plants, and does the key catch the mistakes?

The exercise folder has a dash in its name, so its modules are imported by path, the
way evalround loads them. Answers are scored with evalround's own scoring, against the
manifest, so "loses its points" means what it means at grading time.
"""

import json
import re
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import nbformat
import numpy as np
import pandas as pd
import pytest
import yaml

from evalround.exercise import parse_manifest
from evalround.scoring import score_answers
from evalround.validation import leaked_values
from evalround.variant import frames_to_files, read_data_file

from helpers import load_module

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "exercises" / "cost-quality"
DEFAULT_DATA = ROOT / "data" / "cost-quality"
DEFAULT_SEED = 20261123
SEEDS = range(30)
SEGMENTS = ("freelancer", "small_business", "mid_market", "enterprise", "accounting_firm",
            "nonprofit")
WORKFLOWS = ("bank_reconciliation", "expense_categorization", "invoice_chasing",
             "tax_question", "month_end_report")


def _load(name: str, module_name: str) -> ModuleType:
    return load_module(FOLDER / f"{name}.py", module_name)


generator = _load("generator", "cost_quality_generator")
answers = _load("answers", "cost_quality_answers")
RAW_MANIFEST = yaml.safe_load((FOLDER / "exercise.yaml").read_text(encoding="utf-8"))
MANIFEST = parse_manifest(RAW_MANIFEST)
FIELDS = {f.name: f for f in MANIFEST.answer_fields}
QUESTION_OF = {f.name: q.id for q in MANIFEST.auto_questions for f in q.answers}
AUTO_MAX = sum(q.points for q in MANIFEST.auto_questions)
JUDGEMENT = {q.id for q in MANIFEST.judgement_questions}


@cache
def variant(seed: int) -> tuple[dict[str, Any], dict[str, bytes]]:
    rng = np.random.default_rng(seed)
    params = generator.sample_parameters(rng)
    return params, frames_to_files(generator.generate(rng, params))


def _frames(files: dict[str, bytes]) -> dict[str, pd.DataFrame]:
    return {name: read_data_file(name, data) for name, data in files.items()}


@cache
def keyed(seed: int) -> tuple[dict[str, Any], dict[str, pd.DataFrame], dict[str, Any]]:
    params, files = variant(seed)
    frames = _frames(files)
    return params["public"], frames, answers.reference(frames, params["public"])


def _points(key: dict[str, Any], given: dict[str, Any]) -> dict[str, float]:
    return {q: s.points for q, s in score_answers(MANIFEST, key, given).items()}


# ---------------------------------------------------------------------------------------


def test_manifest_lists_exactly_the_reference_answers() -> None:
    """Does reference() return every manifest variable, as plain Python values in range?"""
    public, _, key = keyed(0)
    assert set(key) == set(FIELDS)
    kinds = {"str": str, "int": int, "float": float, "list[str]": list}
    for name, value in key.items():
        spec = FIELDS[name]
        assert type(value) is kinds[spec.type], name
        if spec.type == "list[str]":
            assert all(type(v) is str for v in value) and value == sorted(set(value)), name
            continue
        if spec.min is not None:
            assert value >= spec.min, name
        if spec.max is not None:
            assert value <= spec.max, name
    assert set(public) == set(MANIFEST.parameters) == {"budget_ms", "cascade_margin_pts",
                                                       "router_cost_cap"}
    assert set(key["q3_top_segment"] for key in (keyed(s)[2] for s in SEEDS)) <= set(
        FIELDS["q3_top_segment"].choices)
    points = {q.kind: 0.0 for q in MANIFEST.questions}
    for q in MANIFEST.questions:
        points[q.kind] += q.points
    assert points["auto"] == points["written"] == 15
    assert 60 <= MANIFEST.time_budget_minutes <= 90
    # Judgement questions carry at least 40% of the autograded points.
    assert {"q7", "q8"} == JUDGEMENT
    assert sum(q.points for q in MANIFEST.judgement_questions) >= 0.4 * AUTO_MAX


@pytest.mark.parametrize("seed", [0, 7])
def test_generation_is_deterministic(seed: int) -> None:
    """Does the same seed give the same parameters and the same bytes?"""
    variant.cache_clear()
    first = variant(seed)
    rng = np.random.default_rng(seed)
    params = generator.sample_parameters(rng)
    again = frames_to_files(generator.generate(rng, params))
    assert json.dumps(first[0], sort_keys=True) == json.dumps(params, sort_keys=True)
    assert first[1] == again


def test_parameters_are_json_data() -> None:
    """Do the parameters survive a JSON round trip (they are recorded with the variant)?"""
    params, _ = variant(3)
    assert json.loads(json.dumps(params)) == params


@pytest.mark.parametrize("seed", SEEDS)
def test_every_wrong_approach_loses_exactly_its_questions(seed: int) -> None:
    """Does each wrong approach lose every question it names, and only those?"""
    public, frames, key = keyed(seed)
    full = _points(key, key)
    assert sum(full.values()) == AUTO_MAX
    for name, wrong in answers.WRONG_APPROACHES.items():
        given = wrong.fn(frames, public)
        assert given and set(given) <= set(key), name
        assert {QUESTION_OF[f] for f in given} == set(wrong.loses), name
        scores = _points(key, key | given)
        lost = {q for q, p in scores.items() if p < full[q]}
        assert lost == set(wrong.loses), f"seed {seed}: {name} loses {lost}"


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


def test_keys_differ_across_variants() -> None:
    keys = [keyed(seed)[2] for seed in SEEDS]
    assert len({json.dumps(k, sort_keys=True) for k in keys}) == len(keys)
    for name in FIELDS:
        assert len({repr(k[name]) for k in keys}) > 1, name


@pytest.mark.parametrize("seed", SEEDS)
def test_personas_rank_as_intended(seed: int) -> None:
    """strong > literal and misses_calibration > aggregate_only > blank; does literal stay
    at or below 60% of the autograded points, and do literal and aggregate_only take at
    most a quarter of each judgement question?"""
    assert set(answers.PERSONAS) == {"strong", "literal", "misses_calibration",
                                     "aggregate_only"}
    public, frames, key = keyed(seed)
    points, by_question = {}, {}
    for persona, mistakes in answers.PERSONAS.items():
        given = dict(key)
        for name in mistakes:
            given.update(answers.WRONG_APPROACHES[name].fn(frames, public))
        by_question[persona] = _points(key, given)
        points[persona] = sum(by_question[persona].values())
    points["blank"] = sum(_points(key, {}).values())
    assert points["strong"] == AUTO_MAX
    assert points["literal"] <= 0.6 * AUTO_MAX
    assert 0.22 <= 1 - points["misses_calibration"] / AUTO_MAX <= 0.5
    assert 1 - points["aggregate_only"] / AUTO_MAX > 0.6
    assert points["aggregate_only"] > points["blank"] == 0.0
    for persona in ("literal", "aggregate_only"):
        for q in MANIFEST.judgement_questions:
            assert by_question[persona][q.id] <= 0.25 * q.points, (persona, q.id)
    # The literal persona computes every stated definition right.
    assert all(by_question["literal"][q.id] == q.points for q in MANIFEST.auto_questions
               if q.id not in JUDGEMENT)


def test_every_wrong_approach_is_described() -> None:
    """Does every wrong approach carry a one-line description for the hiring manager?"""
    for name, wrong in answers.WRONG_APPROACHES.items():
        assert 10 < len(wrong.description) <= 100 and "\n" not in wrong.description, name


def test_rubric_placeholders_fill_from_the_key() -> None:
    rubric = yaml.safe_load((FOLDER / "rubric.yaml").read_text(encoding="utf-8"))
    _, _, key = keyed(0)
    for q in MANIFEST.written_questions:
        items = rubric[q.id]
        assert 3 <= len(items) <= 5
        assert sum(i["points"] for i in items) == q.points
        for item in items:
            item["criterion"].format(**key)
    assert set(rubric) == {q.id for q in MANIFEST.written_questions}


# ---------------------------------------------------------------------------------------
# The notebook
# ---------------------------------------------------------------------------------------


def _notebook() -> nbformat.NotebookNode:
    return nbformat.read(FOLDER / "notebook.ipynb", as_version=4)


def _default_key() -> dict[str, Any]:
    frames = {p.name: read_data_file(p.name, p.read_bytes()) for p in DEFAULT_DATA.iterdir()}
    params, _ = variant(DEFAULT_SEED)
    key: dict[str, Any] = answers.reference(frames, params["public"])
    return key


def test_notebook_structure() -> None:
    """nbgrader metadata on every cell, no outputs, defaults match, definitions stated."""
    nb = _notebook()
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells]
    assert len(ids) == len(set(ids))
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and params[0].metadata["nbgrader"]["locked"]
    default_params, _ = variant(DEFAULT_SEED)
    for name, value in default_params["public"].items():
        assert f"\n{name} = {value!r}" in "\n" + params[0].source
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells}
    for q in MANIFEST.questions:
        if q.kind == "auto":
            answer, test = by_id[f"{q.id}_answer"], by_id[q.id]
            assert answer.metadata["nbgrader"]["solution"]
            assert not answer.metadata["nbgrader"]["locked"]
            for f in q.answers:
                assert f"\n{f.name} = None" in "\n" + answer.source
                assert f"`{f.name}`" in by_id[f"{q.id}_doc"].source or f.name in by_id[
                    f"{q.id}_doc"].source
            assert test.metadata["nbgrader"]["points"] == q.points and test.source == ""
            assert by_id[f"{q.id}_doc"].metadata["nbgrader"]["locked"]
        else:
            cell = by_id[q.id]
            assert cell.cell_type == "markdown" and cell.metadata["nbgrader"]["grade"]
            assert cell.metadata["nbgrader"]["points"] == q.points


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


def test_nothing_in_the_notebook_gives_a_key_away() -> None:
    """No key value by the bundle leak check's rules (on the default data and on every
    test seed), no quoted segment name, no whole number the size of a discordant count
    (100..399), no float with three or more decimals."""
    nb = _notebook()
    text = "\n".join(c.source for c in nb.cells if "BEGIN SOLUTION" not in c.source)
    files = {"cost-quality/cost-quality.ipynb": text.encode()}
    for key in [_default_key(), *(keyed(seed)[2] for seed in SEEDS)]:
        assert leaked_values(MANIFEST.answer_fields, key, files) == []
    for segment in SEGMENTS:
        assert f'"{segment}"' not in text and f"'{segment}'" not in text
    integers = {int(n) for n in re.findall(r"(?<![\d.])\d+(?![\d.])", text)}
    assert not {n for n in integers if 100 <= n <= 399}
    assert not re.findall(r"\d\.\d{3,}", text)


@pytest.mark.slow
def test_notebook_solution_matches_the_key(tmp_path: Path) -> None:
    """Run the notebook headless on one variant; does its solution code match reference()?"""
    from nbclient import NotebookClient

    seed = 4
    params, files = variant(seed)
    data = tmp_path / "data"
    data.mkdir()
    for name, content in files.items():
        (data / name).write_bytes(content)
    nb = _notebook()
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    public = params["public"]
    cell.source = (
        f'variant_id = "seed-{seed}"\ndata_dir = {str(data)!r}\n'
        + "".join(f"{k} = {v!r}\n" for k, v in public.items())
    )
    names = list(FIELDS)
    nb.cells.append(nbformat.v4.new_code_cell(
        f"import json\nprint(json.dumps({{k: globals()[k] for k in {names!r}}}))"
    ))
    NotebookClient(nb, timeout=60, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    for c in nb.cells:
        for out in c.get("outputs", []):
            assert out.output_type != "error"
            assert not (out.output_type == "stream" and out.name == "stderr"), out.text
    got = json.loads(nb.cells[-1].outputs[0].text)
    _, _, key = keyed(seed)
    assert sum(_points(key, got).values()) == AUTO_MAX


# ---------------------------------------------------------------------------------------
# What the candidate sees: rendered markdown, explorers, plots, the scenario vs. the data
# ---------------------------------------------------------------------------------------

FORMULA_CHARS = set("×=+/<>Σ·*−")


def _outside_code_fences(source: str) -> list[str]:
    lines, fenced = [], False
    for line in source.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def test_markdown_renders_without_lists_or_emphasis_born_of_formulas() -> None:
    """Rendered as JupyterLab renders it (CommonMark), does every list item come from an
    intended "- " or "1. " bullet, and does no emphasis swallow a formula? A formula line
    starting with "+", "-" or "*" would become a list and lose its operators."""
    import mistune

    for cell in _notebook().cells:
        if cell.cell_type != "markdown":
            continue
        gid = cell.metadata["nbgrader"]["grade_id"]
        lines = _outside_code_fences(cell.source)
        assert not [ln for ln in lines if re.match(r"\s*[+*] ", ln)], gid
        bullets = [ln for ln in lines if re.match(r"\s*(- |\d+\. )", ln)]
        html = str(mistune.html(cell.source))
        assert html.count("<li>") == len(bullets), gid
        for item in re.findall(r"<li>(.*?)</li>", html, flags=re.S):
            assert not re.match(r"\s*[×=+*/)(]", item), (gid, item)
        for tag in ("em", "strong"):
            for inner in re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.S):
                text = re.sub(r"<code>.*?</code>", "", inner)
                assert not FORMULA_CHARS & set(text), (gid, inner)
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
