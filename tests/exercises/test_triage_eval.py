"""triage-eval: does every variant carry its plant, and does the key catch the mistakes?

The exercise folder has a dash in its name, so its modules are imported by path, the
way evalround loads them (without registering them in sys.modules).
"""

import io
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

from helpers import load_module

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "exercises" / "triage-eval"
DEFAULT_DATA = ROOT / "data" / "triage-eval"
DEFAULT_SEED = 20261123
SEEDS = range(30)
QUEUES = ("billing", "technical", "account_access", "shipping", "returns", "fraud", "general")


def _load(name: str, module_name: str) -> ModuleType:
    return load_module(FOLDER / f"{name}.py", module_name)


generator = _load("generator", "triage_eval_generator")
answers = _load("answers", "triage_eval_answers")
MANIFEST = yaml.safe_load((FOLDER / "exercise.yaml").read_text(encoding="utf-8"))
FIELDS: dict[str, dict[str, Any]] = {
    name: spec | {"question": q["id"]}
    for q in MANIFEST["questions"]
    for name, spec in q.get("answers", {}).items()
}


def _files(frames: dict[str, pd.DataFrame]) -> dict[str, bytes]:
    """The bytes a candidate receives (as evalround writes them)."""
    return {
        name: frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
        for name, frame in sorted(frames.items())
    }


@cache
def variant(seed: int) -> tuple[dict[str, Any], dict[str, bytes]]:
    rng = np.random.default_rng(seed)
    params = generator.sample_parameters(rng)
    return params, _files(generator.generate(rng, params))


def _frames(files: dict[str, bytes]) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(io.BytesIO(data)) for name, data in files.items()}


@cache
def keyed(seed: int) -> tuple[dict[str, Any], dict[str, pd.DataFrame], dict[str, Any]]:
    params, files = variant(seed)
    frames = _frames(files)
    return params["public"], frames, answers.reference(frames, params["public"])


def _f1(expected: Any, given: Any) -> float:
    want, got = set(expected), set(given)
    if not want and not got:
        return 1.0
    hits = len(want & got)
    return 0.0 if hits == 0 else 2 * hits / (len(want) + len(got))


def _wrong(field: str, expected: Any, given: Any) -> bool:
    spec = FIELDS[field]
    if spec["type"] == "list[str]":
        return _f1(expected, given) < 1.0
    if spec["type"] == "str":
        return str(given).strip().lower() != str(expected).strip().lower()
    return abs(float(given) - float(expected)) > float(spec.get("tolerance", 0.0)) + 1e-12


def _live(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    t = frames["tickets.csv"]
    return t[t["cohort"] == "live"]


# ---------------------------------------------------------------------------------------


def test_manifest_lists_exactly_the_reference_answers() -> None:
    """Does reference() return every manifest variable, as plain Python values?"""
    public, _, key = keyed(0)
    assert set(key) == set(FIELDS)
    for name, value in key.items():
        if FIELDS[name]["type"] == "list[str]":
            assert type(value) is list and all(type(v) is str for v in value), name
            continue
        expected_type = str if FIELDS[name]["type"] == "str" else float
        assert type(value) is expected_type, name
        if "choices" in FIELDS[name]:
            assert value in FIELDS[name]["choices"], name
        spec = FIELDS[name]
        if "min" in spec:
            assert value >= spec["min"], name
        if "max" in spec:
            assert value <= spec["max"], name
    assert set(public) == set(MANIFEST["parameters"]) == {"min_slice_n"}


@pytest.mark.parametrize("seed", [0, 7])
def test_generation_is_deterministic(seed: int) -> None:
    """Does the same seed give the same parameters and the same CSV bytes?"""
    variant.cache_clear()
    first = variant(seed)
    rng = np.random.default_rng(seed)
    params = generator.sample_parameters(rng)
    again = _files(generator.generate(rng, params))
    assert json.dumps(first[0], sort_keys=True) == json.dumps(params, sort_keys=True)
    assert first[1] == again


def test_parameters_are_json_data() -> None:
    params, _ = variant(3)
    assert json.loads(json.dumps(params)) == params


@pytest.mark.parametrize("seed", SEEDS)
def test_every_wrong_approach_loses_its_questions(seed: int) -> None:
    """Does each known wrong approach miss at least one answer of each question it must lose?"""
    public, frames, key = keyed(seed)
    for name, wrong in answers.WRONG_APPROACHES.items():
        assert wrong.description, f"{name} has no description"
        given = wrong.fn(frames, public)
        assert given, name
        assert set(given) <= set(key), name
        lost = {FIELDS[f]["question"] for f, v in given.items() if _wrong(f, key[f], v)}
        assert set(wrong.loses) <= lost, f"seed {seed}: {name} does not lose {wrong.loses}"


@pytest.mark.parametrize("seed", SEEDS)
def test_planted_phenomena(seed: int) -> None:
    """Is every plant visible in the data the candidate gets?"""
    public, frames, key = keyed(seed)
    live = _live(frames)
    gold = frames["tickets.csv"][frames["tickets.csv"]["cohort"] == "gold"]
    min_n = public["min_slice_n"]
    table = answers.slice_table(live).set_index("slice")

    # The worst eligible slice is big enough, and a smaller decoy is worse still.
    assert table.loc[key["q2_worst_slice"], "n"] >= min_n
    small = table[table["n"] < min_n]
    assert (small["accuracy"] < key["q2_worst_slice_accuracy"]).any()
    assert key["q2_worst_slice_accuracy"] < 0.65

    # Gold reads well, live does not.
    assert key["q2_live_accuracy"] < key["q2_gold_accuracy"] - 0.03
    assert key["q2_gold_accuracy"] > 0.89

    # Calibration: overconfident live, calibrated gold.
    gold_ece = answers.ece(gold["confidence"], gold["predicted_queue"] == gold["gold_label"])
    assert key["q3_ece"] > gold_ece + 0.03

    # Cost: the optimum is a real threshold, and a flat cost matrix picks another one.
    assert key["q4_threshold"] > 0.0
    flat = answers.WRONG_APPROACHES["uniform_misroute_costs"].fn(frames, public)
    assert flat["q4_threshold"] != key["q4_threshold"]

    # The judge is lenient, and correcting for it lowers the pass rate.
    p_obs = float((frames["judge_only.csv"]["judge_verdict"] == "pass").mean())
    assert key["q5_tpr"] > 0.85 and key["q5_tnr"] < 0.75
    assert key["q5_corrected_pass_rate"] < p_obs

    # Annotators: some labels missing on one side, never both.
    missing_a, missing_b = live["annotator_a"].isna(), live["annotator_b"].isna()
    assert 0.0 < (missing_a | missing_b).mean() < 0.1
    assert not (missing_a & missing_b).any()


@pytest.mark.parametrize("seed", [0, 11, 23])
def test_data_looks_like_production(seed: int) -> None:
    """Languages incl. a non-Latin script, channels, rare fraud, skewed English, timestamps."""
    _, frames, _ = keyed(seed)
    tickets = frames["tickets.csv"]
    live = _live(frames)
    assert list(tickets.columns) == [
        "ticket_id", "created_at", "cohort", "language", "channel", "text",
        "annotator_a", "annotator_b", "gold_label", "predicted_queue", "confidence",
    ]
    assert tickets["ticket_id"].is_unique
    assert set(live["language"]) == {"en", "es", "de", "fr", "pt", "ja"}
    assert set(live["channel"]) == {"email", "chat", "web_form", "app"}
    shares = live["language"].value_counts(normalize=True)
    assert shares.idxmax() == "en" and shares["en"] > 0.4
    japanese = live[live["language"] == "ja"]["text"]
    assert japanese.str.contains(r"[\u3040-\u30ff\u4e00-\u9fff]").all()
    assert 0.02 < (live["gold_label"] == "fraud").mean() < 0.06
    assert live["text"].str.contains(answers.TEXTBOOK_INJECTION, case=False).any()
    assert 500 <= len(tickets) - len(live) <= 700 and 1800 <= len(live) <= 2500
    stamps = pd.to_datetime(live["created_at"])
    assert (stamps.max() - stamps.min()).days <= 21
    assert (stamps.dt.day_of_week < 5).mean() > 5 / 7  # fewer tickets at the weekend
    cost = frames["misroute_costs.csv"].set_index("true_queue").astype(float).to_numpy()
    fraud, general = (list(QUEUES).index(q) for q in ("fraud", "general"))
    assert (np.diag(cost) == 0).all()
    assert cost[fraud, general] > 10 * cost[general, fraud]


@pytest.mark.parametrize("seed", [0, 11, 23])
def test_text_reads_like_real_tickets(seed: int) -> None:
    """No exact repeats, no live ticket that copies a gold one, few recurring senders,
    and gold tickets as messy as live ones on the same channel."""
    _, frames, _ = keyed(seed)
    tickets = frames["tickets.csv"]
    gold = tickets[tickets["cohort"] == "gold"]
    live = _live(frames)
    assert tickets["text"].is_unique
    assert not live["text"].isin(set(gold["text"])).any()
    signed = live[live["channel"] == "email"]["text"].str.rsplit("\n", n=1).str[-1]
    signed = signed[~signed.str.startswith(("Sent from", "Get Outlook"))]
    assert signed.value_counts(normalize=True).iloc[0] < 0.03
    # Curating the labels did not clean the text: gold chat is as informal as live chat.
    for cohort in (gold, live):
        chat = cohort[cohort["channel"] == "chat"]["text"]
        assert (chat == chat.str.lower()).mean() > 0.1


@pytest.mark.parametrize("seed", SEEDS)
def test_confidence_has_no_pile_up_and_no_cliff(seed: int) -> None:
    """No confidence value below 1.0 holds a pile of tickets (no clip), and the fraud
    misroutes spread over a wide band rather than one narrow one."""
    _, frames, _ = keyed(seed)
    conf = frames["tickets.csv"]["confidence"]
    below_one = conf[conf < 1.0]
    assert below_one.value_counts(normalize=True).iloc[0] < 0.01
    assert conf.min() > 1 / 7
    assert (conf == 1.0).mean() < 0.03
    live = _live(frames)
    fraud_miss = live[(live["gold_label"] == "fraud") & (live["predicted_queue"] != "fraud")]
    spread = fraud_miss["confidence"].quantile([0.1, 0.9])
    assert spread.iloc[1] - spread.iloc[0] > 0.15


@pytest.mark.parametrize("seed", SEEDS)
def test_judge_data_agrees_with_the_tickets(seed: int) -> None:
    """The human pass rate on the judge's validation sample is the router's accuracy on
    routed live tickets, and the corrected judge-only rate lands near it too."""
    _, frames, key = keyed(seed)
    live = _live(frames)
    routed = live[live["confidence"] >= 0.5]
    accuracy = float((routed["predicted_queue"] == routed["gold_label"]).mean())
    validation = frames["judge_validation.csv"]
    human = float((validation["human_verdict"] == "pass").mean())
    assert abs(human - accuracy) < 0.06
    assert abs(key["q5_corrected_pass_rate"] - accuracy) < 0.1
    assert set(validation["language"]) <= set(live["language"])


def _planted_injections(seed: int) -> set[str]:
    """The ids of the tickets the generator wrote as injection attempts."""
    rng = np.random.default_rng(seed)
    params = generator.sample_parameters(rng)
    frame = generator._tickets_frame(rng, params)
    live = frame[(frame["cohort"] == "live") & (frame[generator.KIND_COLUMN] == "injection")]
    return set(live["ticket_id"])


@pytest.mark.parametrize("seed", SEEDS)
def test_judgement_questions_have_a_planted_truth_the_literal_reading_misses(seed: int) -> None:
    """Does the key find exactly what the generator planted, and does the obvious
    reading of each judgement question score at most a quarter of it?"""
    params, _ = variant(seed)
    public, frames, key = keyed(seed)
    hidden = params["hidden"]
    assert set(key["q6_injection_tickets"]) == _planted_injections(seed)
    assert key["q7_dump_language"] == hidden["dump_language"]
    assert key["q8_hold_back_language"] == hidden["fraud_language"]

    literal: dict[str, Any] = {}
    for name in answers.PERSONAS["literal"]:
        literal.update(answers.WRONG_APPROACHES[name].fn(frames, public))
    assert set(literal) == {"q6_injection_tickets", "q7_dump_language", "q8_hold_back_language"}
    assert 0.0 < _f1(key["q6_injection_tickets"], literal["q6_injection_tickets"]) <= 0.25
    assert literal["q7_dump_language"] != key["q7_dump_language"]
    assert literal["q8_hold_back_language"] != key["q8_hold_back_language"]

    # Without doubt: the planted language stands well clear of the runner-up.
    live = _live(frames)
    dump = answers.general_dump_rates(live).sort_values(ascending=False)
    assert dump.iloc[0] >= 2 * dump.iloc[1]
    cost = answers.planned_cost_by_language(frames).sort_values(ascending=False)
    assert cost.iloc[0] >= 1.3 * cost.iloc[1]
    # Every injection attempt addresses the software, and the look-alikes are there too.
    assert len(key["q6_injection_tickets"]) >= 12
    lookalikes = live["text"].str.contains("ignore my previous|ignoren mi correo|"
                                           "ignorieren sie meine", case=False)
    assert set(live.loc[lookalikes, "ticket_id"]) - set(key["q6_injection_tickets"])


def test_judgement_truths_vary_across_variants() -> None:
    keys = [keyed(seed)[2] for seed in SEEDS]
    assert len({tuple(k["q6_injection_tickets"]) for k in keys}) == len(keys)
    assert len({k["q7_dump_language"] for k in keys}) >= 4
    assert len({k["q8_hold_back_language"] for k in keys}) >= 4


def test_keys_differ_across_variants() -> None:
    keys = [keyed(seed)[2] for seed in SEEDS]
    assert len({json.dumps(k, sort_keys=True) for k in keys}) == len(keys)
    assert len({k["q2_worst_slice"] for k in keys}) > 5
    assert len({k["q4_threshold"] for k in keys}) > 1


def test_personas_rank_as_intended() -> None:
    """strong > misses_calibration > literal > aggregate_only > blank, on autograded
    points; literal stays at or below 60% of them, and every judgement question is
    worth together at least 40%."""
    auto = [q for q in MANIFEST["questions"] if q["kind"] == "auto"]
    total = sum(q["points"] for q in auto)
    assert sum(q["points"] for q in auto if q.get("judgement")) >= 0.4 * total
    assert len([q for q in auto if q.get("judgement")]) >= 3
    for seed in range(5):
        public, frames, key = keyed(seed)
        points = {}
        for persona, mistakes in answers.PERSONAS.items():
            given = dict(key)
            for name in mistakes:
                given.update(answers.WRONG_APPROACHES[name].fn(frames, public))
            points[persona] = _points(key, given)
        points["blank"] = _points(key, {})
        assert points["strong"] == total
        assert points["strong"] > points["misses_calibration"] > points["literal"]
        assert points["literal"] > points["aggregate_only"] > points["blank"] == 0.0
        assert points["literal"] <= 0.6 * total


def _points(key: dict[str, Any], given: dict[str, Any]) -> float:
    total = 0.0
    for q in MANIFEST["questions"]:
        names = list(q.get("answers", {}))
        if names:
            right = sum(
                (_f1(key[n], given[n]) if FIELDS[n]["type"] == "list[str]"
                 else float(not _wrong(n, key[n], given[n])))
                for n in names if n in given)
            total += q["points"] * right / len(names)
    return total


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


def test_notebook_structure() -> None:
    """nbgrader metadata on every cell, no outputs, no expected values, defaults match."""
    nb = _notebook()
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells]
    assert len(ids) == len(set(ids))
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and params[0].metadata["nbgrader"]["locked"]
    default_params, _ = variant(DEFAULT_SEED)
    assert f"min_slice_n = {default_params['public']['min_slice_n']}" in params[0].source
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    by_id = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells}
    for q in MANIFEST["questions"]:
        if q["kind"] == "auto":
            answer, test = by_id[f"{q['id']}_answer"], by_id[q["id"]]
            assert answer.metadata["nbgrader"]["solution"] and not answer.metadata[
                "nbgrader"]["locked"]
            for name in q["answers"]:
                assert f"\n{name} = None" in "\n" + answer.source
            assert test.metadata["nbgrader"]["points"] == q["points"] and test.source == ""
        else:
            cell = by_id[q["id"]]
            assert cell.cell_type == "markdown" and cell.metadata["nbgrader"]["grade"]
    text = "\n".join(c.source for c in nb.cells if "BEGIN SOLUTION" not in c.source)
    key = _default_key()
    for name, value in key.items():
        if isinstance(value, float) and not FIELDS[name].get("public_domain"):
            for digits in (3, 4):
                assert f"{value:.{digits}f}" not in text, name
    assert f'"{key["q2_worst_slice"]}"' not in text
    # Slice accuracies are often simple fractions (0.4, 0.45, 0.5): a bare short decimal
    # in the notebook text would trip the bundle leak check on some variant.
    shown = set(re.findall(r"(?<![\d.])\d\.\d{1,2}(?!\d)", text))
    assert shown <= SAFE_DECIMALS, shown - SAFE_DECIMALS


def _default_key() -> dict[str, Any]:
    """The key of the bundled default dataset, read from the committed files."""
    frames = {p.name: pd.read_csv(p) for p in sorted(DEFAULT_DATA.iterdir())}
    params, _ = variant(DEFAULT_SEED)
    key: dict[str, Any] = answers.reference(frames, params["public"])
    return key


# Decimals the notebook may show: none can be a key value (too low, or above 1, or with
# a trailing zero that the leak check's patterns never match).
SAFE_DECIMALS = {"0.00", "0.05", "0.10", "0.20", "0.50", "0.80", "0.90", "1.00", "1.08", "3.25",
                 "0.01", "1.5"}
ANSWER_NAMES = list(FIELDS)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 4, 9])
def test_notebook_solution_matches_the_key(seed: int, tmp_path: Path) -> None:
    """Run the notebook headless on a variant; does its solution code match reference()?"""
    from nbclient import NotebookClient

    params, files = variant(seed)
    data = tmp_path / "data"
    data.mkdir()
    for name, content in files.items():
        (data / name).write_bytes(content)
    nb = _notebook()
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    cell.source = (
        f'variant_id = "seed-{seed}"\ndata_dir = {str(data)!r}\n'
        f"min_slice_n = {params['public']['min_slice_n']}"
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
    for name, expected in key.items():
        assert not _wrong(name, expected, got[name]), (name, expected, got[name])
