"""triage-eval: does every variant carry its plants?

What every exercise shares (the key's types, determinism, each wrong approach losing
exactly its questions, the personas' bounds, the rubric, the notebook's structure, no
key value in the bundle, the solution matching the key) is checked for it by the
contract suite, test_every_exercise.py; this file checks what triage-eval plants. Its
modules are imported by path, the way evalround loads them.
"""

import re
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest

from contract import SEEDS, keyed_public, persona_totals, points, public_text, solution_answers
from contract import variant as contract_variant
from helpers import load_module

ROOT = Path(__file__).resolve().parents[2]
SLUG = "triage-eval"
FOLDER = ROOT / "exercises" / SLUG
QUEUES = ("billing", "technical", "account_access", "shipping", "returns", "fraud", "general")


def _load(name: str, module_name: str) -> ModuleType:
    return load_module(FOLDER / f"{name}.py", module_name)


generator = _load("generator", "triage_eval_generator")
answers = _load("answers", "triage_eval_answers")


def variant(seed: int) -> tuple[dict[str, Any], dict[str, bytes]]:
    return contract_variant(SLUG, seed)


def keyed(seed: int) -> tuple[dict[str, Any], dict[str, pd.DataFrame], dict[str, Any]]:
    return keyed_public(SLUG, seed)


def _f1(expected: Any, given: Any) -> float:
    want, got = set(expected), set(given)
    if not want and not got:
        return 1.0
    hits = len(want & got)
    return 0.0 if hits == 0 else 2 * hits / (len(want) + len(got))


def _live(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    t = frames["tickets.csv"]
    return t[t["cohort"] == "live"]


# ---------------------------------------------------------------------------------------


def test_public_parameters_are_the_slice_size() -> None:
    """Is min_slice_n the one public parameter (the rest of the plant stays hidden)?"""
    public, _, _ = keyed(0)
    assert set(public) == {"min_slice_n"}


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


def test_slices_and_thresholds_vary_across_variants() -> None:
    """Beyond every key being its own (the contract): is the worst slice one of many, and
    does the best review threshold move?"""
    keys = [keyed(seed)[2] for seed in SEEDS]
    assert len({k["q2_worst_slice"] for k in keys}) > 5
    assert len({k["q4_threshold"] for k in keys}) > 1


def test_personas_rank_as_intended() -> None:
    """strong > misses_calibration > literal > aggregate_only > blank, on autograded
    points, with three judgement questions or more (the contract checks the bounds)?"""
    from contract import EXERCISES

    assert len(EXERCISES[SLUG].manifest.judgement_questions) >= 3
    for seed in range(5):
        totals = persona_totals(SLUG, seed)
        assert totals["strong"] > totals["misses_calibration"] > totals["literal"]
        assert totals["literal"] > totals["aggregate_only"] > totals["blank"] == 0.0


# ---------------------------------------------------------------------------------------
# The notebook
# ---------------------------------------------------------------------------------------

# Decimals the notebook may show: none can be a key value (too low, or above 1, or with
# a trailing zero that the leak check's patterns never match).
SAFE_DECIMALS = {"0.00", "0.05", "0.10", "0.20", "0.50", "0.80", "0.90", "1.00", "1.08", "3.25",
                 "0.01", "1.5"}


def test_notebook_shows_only_safe_decimals() -> None:
    """Slice accuracies are often simple fractions (0.4, 0.45, 0.5): does the notebook
    show no bare short decimal that would trip the bundle leak check on some variant?"""
    shown = set(re.findall(r"(?<![\d.])\d\.\d{1,2}(?!\d)", public_text(SLUG)))
    assert shown <= SAFE_DECIMALS, shown - SAFE_DECIMALS


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 9])
def test_notebook_solution_matches_the_key_on_more_variants(seed: int, tmp_path: Path) -> None:
    """Run headless on two more variants (the contract runs one), does the notebook's
    solution take full marks against reference()?"""
    got = solution_answers(SLUG, seed, tmp_path)
    _, _, key = keyed(seed)
    assert sum(points(SLUG, key, got).values()) == sum(points(SLUG, key, key).values())
