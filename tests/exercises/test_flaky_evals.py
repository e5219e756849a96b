"""flaky-evals: does every variant carry its plant, and does the key catch the mistakes?

The exercise folder has a dash in its name, so its modules are imported by path, the
way evalround loads them (without registering them in sys.modules).
"""

import json
import math
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

from evalround.exercise import load_exercise
from evalround.scoring import score_answers
from evalround.variant import frames_to_files, read_data_file

from helpers import load_module

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "exercises" / "flaky-evals"
DEFAULT_DATA = ROOT / "data" / "flaky-evals"
DEFAULT_SEED = 20261123
SEEDS = range(30)
CATEGORIES = ("extraction", "sql", "summarization", "classification", "policy_qa",
              "translation", "refusal")


def _load(name: str, module_name: str) -> ModuleType:
    return load_module(FOLDER / f"{name}.py", module_name)


generator = _load("generator", "flaky_evals_generator")
answers = _load("answers", "flaky_evals_answers")
MANIFEST = yaml.safe_load((FOLDER / "exercise.yaml").read_text(encoding="utf-8"))
PARSED = load_exercise(FOLDER).manifest
FIELDS: dict[str, dict[str, Any]] = {
    name: spec | {"question": q["id"]}
    for q in MANIFEST["questions"]
    for name, spec in q.get("answers", {}).items()
}
PY_TYPES = {"float": float, "int": int, "str": str, "list[str]": list}


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
    return params, frames, answers.reference(frames, params["public"])


def _lost(key: dict[str, Any], given: dict[str, Any]) -> set[str]:
    """The questions that score below full marks, scored as evalround scores them."""
    scores = score_answers(PARSED, key, key | given)
    return {q for q, s in scores.items() if s.points < s.max_points}


def _points(key: dict[str, Any], given: dict[str, Any]) -> float:
    return sum(s.points for s in score_answers(PARSED, key, given).values())


# ---------------------------------------------------------------------------------------


def test_manifest_lists_exactly_the_reference_answers() -> None:
    """Does reference() return every manifest variable, as plain Python values?"""
    params, _, key = keyed(0)
    assert set(key) == set(FIELDS)
    for name, value in key.items():
        spec = FIELDS[name]
        assert type(value) is PY_TYPES[spec["type"]], name
        if "min" in spec:
            assert value >= spec["min"], name
        if "max" in spec:
            assert value <= spec["max"], name
        if "choices" in spec:
            assert value in spec["choices"], name
    assert set(params["public"]) == set(MANIFEST["parameters"]) == {"k", "target_half_width"}
    assert all(isinstance(i, str) for i in key["q1_never_agree_items"])


@pytest.mark.parametrize("seed", [0, 7])
def test_generation_is_deterministic(seed: int) -> None:
    """Does the same seed give the same parameters and the same CSV bytes?"""
    variant.cache_clear()
    first = variant(seed)
    rng = np.random.default_rng(seed)
    params = generator.sample_parameters(rng)
    again = frames_to_files(generator.generate(rng, params))
    assert json.dumps(first[0], sort_keys=True) == json.dumps(params, sort_keys=True)
    assert first[1] == again


def test_parameters_are_json_data() -> None:
    params, _ = variant(3)
    assert json.loads(json.dumps(params)) == params


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


@pytest.mark.parametrize("seed", SEEDS)
def test_every_wrong_approach_loses_exactly_its_questions(seed: int) -> None:
    """Does each known wrong approach lose the questions it names, and only those?"""
    params, frames, key = keyed(seed)
    for name, wrong in answers.WRONG_APPROACHES.items():
        given = wrong.fn(frames, params["public"])
        assert given and set(given) <= set(key), name
        assert _lost(key, given) == set(wrong.loses), f"seed {seed}: {name}"


def test_every_question_family_has_two_wrong_approaches() -> None:
    auto = [q["id"] for q in MANIFEST["questions"] if q["kind"] == "auto"]
    for qid in auto:
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


def test_keys_differ_across_variants() -> None:
    keys = [keyed(seed)[2] for seed in SEEDS]
    assert len({json.dumps(k, sort_keys=True) for k in keys}) == len(keys)
    assert {k["q5_significant"] for k in keys} == {"yes", "no"}
    assert len({k["q4_most_lenient_category"] for k in keys}) >= 3
    assert len({k["q3_items_needed"] for k in keys}) == len(keys)
    assert {k["q7_noisier_judge"] for k in keys} == {"old", "new"}
    assert len({tuple(k["q6_harness_items"]) for k in keys}) == len(keys)


def test_personas_rank_as_intended() -> None:
    """strong > misses_calibration > literal > aggregate_only > blank, on autograded points;
    does the literal reading stay at or below 60%, and below a quarter of each judgement
    question?"""
    auto = sum(q["points"] for q in MANIFEST["questions"] if q["kind"] == "auto")
    judged = [q for q in MANIFEST["questions"] if q.get("judgement")]
    assert len(judged) >= 2 and sum(q["points"] for q in judged) >= 0.4 * auto
    for seed in SEEDS:
        params, frames, key = keyed(seed)
        points, by_question = {}, {}
        for persona, mistakes in answers.PERSONAS.items():
            given = dict(key)
            for name in mistakes:
                given.update(answers.WRONG_APPROACHES[name].fn(frames, params["public"]))
            scores = score_answers(PARSED, key, given)
            points[persona] = sum(s.points for s in scores.values())
            by_question[persona] = {q: s.points for q, s in scores.items()}
        points["blank"] = _points(key, {})
        assert set(answers.PERSONAS) == {"strong", "literal", "misses_calibration",
                                         "aggregate_only"}
        assert points["strong"] == auto
        assert (points["strong"] > points["misses_calibration"] > points["literal"]
                > points["aggregate_only"] > points["blank"] == 0.0), seed
        assert points["literal"] <= 0.6 * auto, seed
        for persona in ("literal", "aggregate_only"):
            for q in judged:
                assert by_question[persona][q["id"]] <= 0.25 * q["points"], (seed, persona)
        assert auto - points["aggregate_only"] > 0.6 * auto


def test_every_wrong_approach_is_described() -> None:
    """Does every wrong approach say in one line what the candidate did?"""
    for name, wrong in answers.WRONG_APPROACHES.items():
        assert 10 < len(wrong.description) <= 100 and "\n" not in wrong.description, name


def test_rubric_placeholders_fill_from_the_key() -> None:
    rubric = yaml.safe_load((FOLDER / "rubric.yaml").read_text(encoding="utf-8"))
    _, _, key = keyed(0)
    for q in MANIFEST["questions"]:
        if q["kind"] != "written":
            continue
        items = rubric[q["id"]]
        assert 3 <= len(items) <= 5
        assert sum(i["points"] for i in items) == q["points"]
        for item in items:
            item["criterion"].format(**key)


# ---------------------------------------------------------------------------------------
# The notebook
# ---------------------------------------------------------------------------------------


def _notebook() -> nbformat.NotebookNode:
    return nbformat.read(FOLDER / "notebook.ipynb", as_version=4)


def _default_key() -> dict[str, Any]:
    """The key of the bundled default dataset, read from the committed files."""
    frames = {p.name: read_data_file(p.name, p.read_bytes())
              for p in sorted(DEFAULT_DATA.iterdir())}
    params, _ = variant(DEFAULT_SEED)
    key: dict[str, Any] = answers.reference(frames, params["public"])
    return key


# The bundle leak check matches a key value's 3-, 4- and 6-decimal forms, and for values
# below 0.01 only the 6-decimal form and repr: long decimals in the notebook must be tiny.
TINY = 0.01


def test_notebook_structure() -> None:
    """nbgrader metadata on every cell, no outputs, no expected values, defaults match."""
    nb = _notebook()
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells]
    assert len(ids) == len(set(ids))
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and params[0].metadata["nbgrader"]["locked"]
    default_params, _ = variant(DEFAULT_SEED)
    public = default_params["public"]
    assert f"k = {public['k']}\n" in params[0].source + "\n"
    assert f"target_half_width = {public['target_half_width']!r}" in params[0].source
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells}
    for q in MANIFEST["questions"]:
        if q["kind"] == "auto":
            answer, test = by_id[f"{q['id']}_answer"], by_id[q["id"]]
            assert answer.metadata["nbgrader"]["solution"]
            assert not answer.metadata["nbgrader"]["locked"]
            for name in q["answers"]:
                assert f"\n{name} = None" in "\n" + answer.source
            assert test.metadata["nbgrader"]["points"] == q["points"] and test.source == ""
        else:
            cell = by_id[q["id"]]
            assert cell.cell_type == "markdown" and cell.metadata["nbgrader"]["grade"]
            assert cell.metadata["nbgrader"]["points"] == q["points"]
    text = "\n".join(c.source for c in nb.cells if "BEGIN SOLUTION" not in c.source)
    key = _default_key()
    for name, value in key.items():
        if isinstance(value, float):
            for digits in (3, 4):
                assert f"{value:.{digits}f}" not in text, name
        elif isinstance(value, int):
            assert not re.search(rf"\b{value}\b", text), name
    long_decimals = re.findall(r"(?<![\d.])\d\.\d{3,}(?!\d)", text)
    assert all(float(x) < TINY for x in long_decimals), long_decimals
    # Three- and four-digit numbers could equal some variant's item count (Q3).
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


ANSWER_NAMES = list(FIELDS)


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
        f"k = {public['k']}\ntarget_half_width = {public['target_half_width']!r}"
    )
    nb.cells.append(nbformat.v4.new_code_cell(
        f"import json\nprint(json.dumps({{k: globals()[k] for k in {ANSWER_NAMES!r}}}))"
    ))
    NotebookClient(nb, timeout=60, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    for c in nb.cells:
        for out in c.get("outputs", []):
            assert out.output_type != "error"
            assert not (out.output_type == "stream" and out.name == "stderr"), out.text
    got = json.loads(nb.cells[-1].outputs[0].text)
    _, _, key = keyed(seed)
    assert _lost(key, got) == set()
    assert math.isclose(got["q3_standard_error"], key["q3_standard_error"], rel_tol=1e-9)
