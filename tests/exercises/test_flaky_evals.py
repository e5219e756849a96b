"""flaky-evals: does every variant carry its plants, and does the notebook state them?

What every exercise shares (the key's types, determinism, each wrong approach losing
exactly its questions, the personas' bounds, the rubric, the notebook's structure, no
key value in the bundle, the solution matching the key) is checked for it by the
contract suite, test_every_exercise.py; this file checks what flaky-evals plants and
states. Its modules are imported by path, the way evalround loads them.
"""

import math
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest

from contract import (
    EXERCISES,
    SEEDS,
    SOLUTION_SEED,
    default_key,
    notebook,
    persona_totals,
    public_text,
    solution_answers,
)
from contract import keyed as contract_keyed
from helpers import load_module

ROOT = Path(__file__).resolve().parents[2]
SLUG = "flaky-evals"
FOLDER = ROOT / "exercises" / SLUG
CATEGORIES = ("extraction", "sql", "summarization", "classification", "policy_qa",
              "translation", "refusal")


def _load(name: str, module_name: str) -> ModuleType:
    return load_module(FOLDER / f"{name}.py", module_name)


generator = _load("generator", "flaky_evals_generator")
answers = _load("answers", "flaky_evals_answers")
MANIFEST = EXERCISES[SLUG].manifest


def keyed(seed: int) -> tuple[dict[str, Any], dict[str, pd.DataFrame], dict[str, Any]]:
    return contract_keyed(SLUG, seed)


# ---------------------------------------------------------------------------------------


def test_public_parameters_are_k_and_the_half_width() -> None:
    """Are k and target_half_width the public parameters?"""
    params, _, _ = keyed(0)
    assert set(params["public"]) == {"k", "target_half_width"}


def test_generation_needs_few_redraws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Does a variant rarely need more than a couple of draws of its runs to show every
    plant (the cost of assigning a cohort follows the number of draws)?"""
    draws: list[int] = []
    checked = generator._planted_ok

    def counting(*args: Any, **kwargs: Any) -> bool:
        draws[-1] += 1
        return bool(checked(*args, **kwargs))

    monkeypatch.setattr(generator, "_planted_ok", counting)
    for seed in range(100, 120):
        draws.append(0)
        rng = np.random.default_rng(seed)
        generator.generate(rng, generator.sample_parameters(rng))
    assert sorted(draws)[len(draws) // 2] <= 3 and max(draws) <= 40, draws


def test_every_question_family_has_two_wrong_approaches() -> None:
    """Is every autograded question caught by two known wrong approaches or more?"""
    for qid in (q.id for q in MANIFEST.auto_questions):
        catching = [n for n, w in answers.WRONG_APPROACHES.items() if qid in w.loses]
        assert len(catching) >= 2, qid


@pytest.mark.parametrize("seed", SEEDS)
def test_planted_phenomena(seed: int) -> None:
    """Is every plant visible in the data the candidate gets, and the naive number off?"""
    params, frames, key = keyed(seed)
    hidden, public = params["hidden"], params["public"]
    runs = frames["runs.csv"]

    # Errored runs: a few, with no output and no verdict; every item keeps n >= k.
    errored = runs[runs["status"] != "ok"]
    assert 0.003 < len(errored) / len(runs) < 0.04
    assert errored[["output_hash", "verdict_old_judge", "verdict_new_judge"]].isna().all().all()
    ok = answers.completed(frames)
    assert ok[["output_hash", "verdict_old_judge", "verdict_new_judge"]].notna().all().all()
    for model in ("old", "new"):
        assert answers.counts(frames, model, "old")["n"].min() >= public["k"]

    # Each judge disagrees with itself on some repeated outputs, the noisy one far more.
    noise = {j: answers.judge_self_disagreement(frames, j) for j in ("old", "new")}
    quiet = "new" if hidden["noisy_judge"] == "old" else "old"
    assert noise[hidden["noisy_judge"]] > 2.5 * max(noise[quiet], 0.004)
    assert 0 < noise[quiet] < 0.02 < noise[hidden["noisy_judge"]] < 0.1

    # Flakiness: outputs vary more often than verdicts; the new model is flakier, so it
    # gains less on pass^k than on pass@1; some items never repeat an output.
    assert 0.05 < key["q1_flaky_share"] < 0.36
    assert abs(key["q1_multi_output_share"] - key["q1_flaky_share"]) > 0.002
    assert answers.flaky_share(answers.counts(frames, "new", "old")) > key["q1_flaky_share"]
    assert len(key["q1_never_agree_items"]) >= 3
    gain_1 = key["q2_pass1_new"] - key["q2_pass1_old"]
    gain_k = key["q2_passk_new"] - key["q2_passk_old"]
    assert gain_k < gain_1 - 0.002
    assert key["q2_passk_old"] < key["q2_pass1_old"]

    # The headline reads about +4; the split is planted, and the order matters.
    assert 0.03 <= key["q4_headline"] <= 0.052
    assert key["q4_model_effect"] + key["q4_judge_effect"] == pytest.approx(key["q4_headline"])
    assert key["q4_judge_effect"] >= 0.006
    if hidden["model_effect_real"]:
        assert key["q5_significant"] == "yes" and key["q4_model_effect"] > 0.02
    else:
        assert key["q5_significant"] == "no" and key["q4_judge_effect"] > key["q4_model_effect"]
    other = answers.WRONG_APPROACHES["judge_effect_on_old_model"].fn(frames, public)
    assert abs(other["q4_judge_effect"] - key["q4_judge_effect"]) > 0.003

    # One category where the new judge is far more lenient.
    by_category = answers.judge_effect_by_category(frames).sort_values(ascending=False)
    assert by_category.index[0] == key["q4_most_lenient_category"] == hidden["lenient_category"]
    assert by_category.iloc[0] > 1.5 * by_category.iloc[1]

    # Error bars: runs are not independent items.
    naive = answers.WRONG_APPROACHES["se_runs_independent"].fn(frames, public)
    assert naive["q3_standard_error"] < 0.75 * key["q3_standard_error"]
    assert naive["q3_items_needed"] < key["q3_items_needed"]


def _f1(given: list[str], truth: list[str]) -> float:
    hits = len(set(given) & set(truth))
    return 0.0 if hits == 0 else 2 * hits / (len(given) + len(truth))


@pytest.mark.parametrize("seed", SEEDS)
def test_harness_flakiness_is_planted_and_the_literal_set_is_wrong(seed: int) -> None:
    """Is each harness item's flakiness exactly its short-input runs failing, is every
    other flaky item sent one input throughout, and does "all flaky items" score low?"""
    params, frames, key = keyed(seed)
    public = params["public"]
    truth = key["q6_harness_items"]
    flaky = answers.flaky_items(answers.counts(frames, "old", "old"))
    assert 4 <= len(truth) <= 9 and set(truth) < set(flaky)
    ok = answers.completed(frames)
    for item_id, mine in ok[ok["model"] == "old"].groupby("item_id"):
        inputs = mine["input_tokens"]
        if str(item_id) not in truth:
            if str(item_id) in flaky:
                assert inputs.nunique() == 1, item_id
            continue
        # The attachment did not arrive on some runs: those, and only those, fail.
        short = inputs < inputs.max()
        assert (inputs.max() - inputs[short] > 500).all()
        assert (mine.loc[short, "verdict_old_judge"] == "fail").all()
        assert (mine.loc[~short, "verdict_old_judge"] == "pass").all()
        assert mine.loc[short, "output_hash"].nunique() == 1
    # A short input is a harness fault elsewhere too, but an item that fails anyway is
    # not flaky, so not in the set.
    varied = ok.groupby(["model", "item_id"])["input_tokens"].nunique()
    assert len(set(varied[varied > 1].index.get_level_values(1))) > len(truth)
    for name, most in (("harness_all_flaky_items", 0.16), ("harness_items_with_errors", 0.5)):
        given = answers.WRONG_APPROACHES[name].fn(frames, public)["q6_harness_items"]
        assert _f1(given, truth) <= most, name


@pytest.mark.parametrize("seed", SEEDS)
def test_noisier_judge_is_planted_and_counting_flaky_items_names_the_other(seed: int) -> None:
    """Is the noisier judge the planted one on each model's outputs, and does the judge
    with more flaky items (on either model) always name the other one?"""
    params, frames, key = keyed(seed)
    noisy = params["hidden"]["noisy_judge"]
    assert key["q7_noisier_judge"] == noisy
    quiet = "new" if noisy == "old" else "old"
    ok = answers.completed(frames)
    for model in ("old", "new"):
        mine = ok[ok["model"] == model].groupby("output_hash")
        share = {}
        for judge, col in answers.JUDGES.items():
            repeated = mine.size() >= 2
            share[judge] = float((repeated & (mine[col].nunique() > 1)).sum() / repeated.sum())
        assert share[noisy] > 2.5 * share[quiet], model
        flaky = {j: answers.flaky_share(answers.counts(frames, model, j)) for j in ("old", "new")}
        assert flaky[quiet] > flaky[noisy], model


@pytest.mark.parametrize("seed", [0, 11, 23])
def test_data_looks_like_production(seed: int) -> None:
    """Ids, several languages incl. a non-Latin script, ISO times, sweeps, a heavy tail."""
    params, frames, _ = keyed(seed)
    items, runs = frames["items.csv"], frames["runs.csv"]
    assert list(items.columns) == ["item_id", "category", "language", "source", "added_on",
                                   "prompt"]
    assert list(runs.columns) == [
        "run_id", "item_id", "model", "model_version", "run_index", "started_at", "status",
        "latency_ms", "input_tokens", "output_tokens", "output_hash", "verdict_old_judge",
        "verdict_new_judge",
    ]
    assert items["item_id"].is_unique and runs["run_id"].is_unique
    assert set(items["category"]) == set(CATEGORIES)
    assert set(items["language"]) == {"en", "de", "fr", "es", "ja"}
    assert items["language"].value_counts(normalize=True)["en"] > 0.4
    japanese = items.loc[items["language"] == "ja", "prompt"]
    assert japanese.str.contains(r"[\u3040-\u30ff\u4e00-\u9fff]").all()
    k_runs = int(runs["run_index"].max())
    assert k_runs in (8, 10)
    assert len(runs) == 2 * k_runs * len(items)
    assert set(runs["status"]) <= {"ok", "timeout", "rate_limited", "server_error"}
    stamps = pd.to_datetime(runs["started_at"], format="ISO8601")
    assert runs["started_at"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z").all()
    assert stamps.is_monotonic_increasing
    assert stamps[runs["model"] == "old"].max() < stamps[runs["model"] == "new"].min()
    latency = runs.loc[runs["status"] == "ok", "latency_ms"]
    assert latency.quantile(0.99) > 3 * latency.median()
    assert (runs.loc[runs["status"] == "timeout", "latency_ms"] == 60_000).all()
    assert runs["output_hash"].dropna().str.fullmatch(r"[0-9a-f]{16}").all()
    assert params["hidden"]["n_items"] == len(items)
    # No prompt twice: a duplicated prompt whose runs disagree would need explaining.
    assert items["prompt"].is_unique


def test_truths_vary_across_variants() -> None:
    """Beyond every key being its own (the contract): do significance and the noisier
    judge go both ways, the lenient category change, and the items needed and the harness
    items differ in every variant?"""
    keys = [keyed(seed)[2] for seed in SEEDS]
    assert {k["q5_significant"] for k in keys} == {"yes", "no"}
    assert len({k["q4_most_lenient_category"] for k in keys}) >= 3
    assert len({k["q3_items_needed"] for k in keys}) == len(keys)
    assert {k["q7_noisier_judge"] for k in keys} == {"old", "new"}
    assert len({tuple(k["q6_harness_items"]) for k in keys}) == len(keys)


def test_personas_rank_as_intended() -> None:
    """strong > misses_calibration > literal > aggregate_only > blank, on autograded points
    in every variant, and aggregate_only losing more than 60% (the contract checks the
    bounds)?"""
    assert set(answers.PERSONAS) == {"strong", "literal", "misses_calibration",
                                     "aggregate_only"}
    auto = sum(q.points for q in MANIFEST.auto_questions)
    for seed in SEEDS:
        t = persona_totals(SLUG, seed)
        assert (t["strong"] > t["misses_calibration"] > t["literal"]
                > t["aggregate_only"] > t["blank"] == 0.0), seed
        assert auto - t["aggregate_only"] > 0.6 * auto


# ---------------------------------------------------------------------------------------
# The notebook
# ---------------------------------------------------------------------------------------


def _notebook() -> Any:
    return notebook(SLUG)


# The bundle leak check matches a key value's 3-, 4- and 6-decimal forms, and for values
# below 0.01 only the 6-decimal form and repr: long decimals in the notebook must be tiny.
TINY = 0.01


def test_notebook_shows_no_count_and_no_long_decimal() -> None:
    """Beyond the bundle leak check (the contract): no whole number of the default key, no
    long decimal that is not tiny, and no three- or four-digit number (it could equal some
    variant's item count, Q3)?"""
    text = public_text(SLUG)
    for name, value in default_key(SLUG).items():
        if isinstance(value, int) and not isinstance(value, bool):
            assert not re.search(rf"\b{value}\b", text), name
    long_decimals = re.findall(r"(?<![\d.])\d\.\d{3,}(?!\d)", text)
    assert all(float(x) < TINY for x in long_decimals), long_decimals
    assert not re.findall(r"(?<![\w.])\d{3,4}(?![\w.])", text)


def test_notebook_states_the_definitions() -> None:
    """The notebook names every definition the key uses, so two careful candidates agree."""
    text = "\n".join(c.source for c in _notebook().cells if "BEGIN SOLUTION" not in c.source)
    for phrase in (
        "0 < c < n",  # the flaky rule
        "C(c, k) / C(n, k)",  # the unbiased pass^k estimator
        "ddof = 1",  # the standard error over per-item means
        "z = 1.96 exactly",  # the sample-size formula
        "rounded **up**",
        "the model\nfirst, then the judge",  # the attribution order
        "paired t-test over items",  # the test
        "Two-sided",
        "below 0.05",
        "Errored runs are dropped",
        "alphabetical order",
        "the judge changes\n  first, on the old model's outputs",  # the other order
        "whose flakiness comes from the **harness**",  # Q6: what, not how
        "more often gives one and the same output\ndifferent verdicts",  # Q7
    ):
        assert phrase in text, phrase
    assert answers.Z_95 == 1.96 and answers.ALPHA == 0.05


def test_explorer_helper_code_is_hidden_and_says_how_to_show_it() -> None:
    """Is the explorer's helper source collapsed by default, with a line saying how to
    show it just above?"""
    cells = _notebook().cells
    ids = [c.metadata["nbgrader"]["grade_id"] for c in cells]
    explore = cells[ids.index("explore")]
    assert explore.metadata["jupyter"] == {"source_hidden": True}
    assert "is hidden: click" in cells[ids.index("explore") - 1].source


def test_markdown_makes_no_list_or_emphasis_out_of_text() -> None:
    """Rendered, does every markdown cell have exactly the list items its source writes as
    items (no continuation line starting with "+", "-" or "*" turned into one), and no
    emphasis made of a formula's "*"?"""
    import mistune

    for cell in _notebook().cells:
        if cell.cell_type != "markdown":
            continue
        html = mistune.html(cell.source)
        items = re.findall(r"^\s*(?:- |\d+\. )", cell.source, flags=re.M)
        gid = cell.metadata["nbgrader"]["grade_id"]
        assert html.count("<li>") == len(items), gid
        for emphasis in re.findall(r"<em>(.*?)</em>", html, flags=re.S):
            # Deliberate emphasis is words; a formula's would hold digits or operators.
            assert re.fullmatch(r"[A-Za-z ,.#'-]+", emphasis), (gid, emphasis)


@pytest.mark.slow
def test_notebook_solution_computes_the_standard_error_exactly(tmp_path: Path) -> None:
    """Beyond full marks (the contract): does the notebook's solution compute the standard
    error to the key's own precision?"""
    got = solution_answers(SLUG, SOLUTION_SEED, tmp_path)
    key = keyed(SOLUTION_SEED)[2]
    assert math.isclose(got["q3_standard_error"], key["q3_standard_error"], rel_tol=1e-9)
