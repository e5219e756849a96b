"""triage-eval: the answer key, and the wrong approaches it must catch.

Every definition here is the one the notebook states. ``reference`` gets the frames as
a candidate reads them (``pd.read_csv`` defaults), so a missing annotator label is NaN.
"""

# No `from __future__ import annotations`: the kit loads this file by path without
# registering it in sys.modules, and dataclasses then cannot resolve string annotations.
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

Frames = dict[str, pd.DataFrame]
Answers = dict[str, object]

ECE_BINS = 10
THRESHOLD_GRID = tuple(round(i * 0.05, 2) for i in range(20))
COST_TIE = 1e-12
PLANNED_THRESHOLD = 0.50  # the spec's threshold "for now"
LANGUAGES = ("de", "en", "es", "fr", "ja", "pt")

# Q6: what every prompt-injection attempt in the data contains (lower case). Each is
# addressed to the AI that routes the ticket; none occurs in an ordinary ticket.
INJECTION_MARKERS = (
    "previous instructions", "system note for the ai assistant", "[assistant:",
    "note to the classifier", "dear ai,", "to the bot sorting these", "### system override ###",
    "note to the automated triage", "forget your earlier rules, assistant", "ai triage model:",
    "ignora las instrucciones anteriores", "nota para el asistente de ia", "hola bot:",
    "ignoriere alle vorherigen anweisungen", "hinweis an die ki", "note pour l'assistant ia",
    "message pour le robot de tri", "ei robô, ignore as regras", "instrução para a ia",
    "aiへの指示",
)
# The textbook phrase a keyword search starts (and stops) with.
TEXTBOOK_INJECTION = r"ignore (?:all )?previous instructions"


@dataclass(frozen=True)
class WrongApproach:
    """A known mistake: ``fn`` returns only the answers it changes; ``loses`` the
    questions that must drop below full marks because of it."""

    fn: Callable[[Frames, dict[str, Any]], Answers]
    loses: tuple[str, ...]
    description: str = ""


# ---------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------


def _live(data: Frames) -> pd.DataFrame:
    t = data["tickets.csv"]
    return t[t["cohort"] == "live"]


def _gold(data: Frames) -> pd.DataFrame:
    t = data["tickets.csv"]
    return t[t["cohort"] == "gold"]


def _is_missing(s: pd.Series) -> pd.Series:
    """NaN, or text that is empty once stripped."""
    na = s.isna().to_numpy(dtype=bool)
    blank = [not gone and str(v).strip() == ""
             for v, gone in zip(s.to_numpy(dtype=object).tolist(), na.tolist(), strict=True)]
    return pd.Series(na | np.array(blank, dtype=bool), index=s.index)


def agreement(a: pd.Series, b: pd.Series) -> tuple[float, float]:
    """Raw agreement and unweighted Cohen's kappa over the union of labels seen."""
    left = a.astype(str).to_numpy()
    right = b.astype(str).to_numpy()
    p_o = float(np.mean(left == right))
    labels = sorted(set(left) | set(right))
    p_e = float(sum(np.mean(left == k) * np.mean(right == k) for k in labels))
    kappa = (p_o - p_e) / (1.0 - p_e) if p_e < 1.0 else 1.0
    return p_o, float(kappa)


def _accuracy(frame: pd.DataFrame) -> float:
    return float((frame["predicted_queue"] == frame["gold_label"]).mean())


def slice_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Every language and every language|channel slice: slice name, n, accuracy."""
    language = frame["language"].astype(str).to_numpy(dtype=object)
    pair = language + "|" + frame["channel"].astype(str).to_numpy(dtype=object)
    hit = (frame["predicted_queue"] == frame["gold_label"]).to_numpy(dtype=float)
    # Sorted by slice name, as a groupby would; hits are whole numbers, so the sums are exact.
    codes, names = pd.factorize(np.concatenate([language, pair]), sort=True)
    n = np.bincount(codes)
    accuracy = np.bincount(codes, weights=np.concatenate([hit, hit])) / n
    return pd.DataFrame({"slice": pd.array(names, dtype="str"), "n": n, "accuracy": accuracy})


def worst_slice(frame: pd.DataFrame, min_n: int) -> tuple[str, float]:
    """Lowest accuracy among slices with n >= min_n; ties: larger n, then name."""
    table = slice_table(frame)
    eligible = sorted(
        (float(acc), -int(n), str(name))
        for name, n, acc in zip(table["slice"], table["n"], table["accuracy"], strict=True)
        if n >= min_n
    )
    accuracy, _, name = eligible[0]
    return name, accuracy


def ece(confidence: pd.Series, correct: pd.Series, bins: int = ECE_BINS) -> float:
    """Equal-width bins on [0, 1], confidence 1.0 in the last bin, empty bins skipped."""
    conf = confidence.to_numpy(dtype=float)
    hit = correct.to_numpy(dtype=float)
    idx = np.minimum(np.floor(conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.mean() * abs(hit[m].mean() - conf[m].mean())
    return float(total)


def _cost_lookup(data: Frames) -> dict[tuple[str, str], float]:
    m = data["misroute_costs.csv"].set_index("true_queue")
    values = m.to_numpy(dtype=float)
    return {(str(t), str(p)): float(values[i, j])
            for i, t in enumerate(m.index) for j, p in enumerate(m.columns)}


def misroute_cost_per_ticket(live: pd.DataFrame, costs: dict[tuple[str, str], float]) -> np.ndarray:
    return np.array([costs[(g, p)] for g, p in zip(live["gold_label"].tolist(),
                                                    live["predicted_queue"].tolist(),
                                                    strict=True)])


def cost_curve(
    confidence: np.ndarray, misroute: np.ndarray, review_cost: float
) -> list[tuple[float, float]]:
    """(threshold, expected cost per ticket) over the grid."""
    out = []
    for t in THRESHOLD_GRID:
        review = confidence < t
        out.append((t, float(np.where(review, review_cost, misroute).mean())))
    return out


def best_threshold(curve: list[tuple[float, float]]) -> tuple[float, float]:
    """Lowest cost; ties within 1e-12 go to the lowest threshold."""
    low = min(c for _, c in curve)
    for t, c in curve:
        if c <= low + COST_TIE:
            return t, c
    raise AssertionError("empty grid")


def judge_rates(validation: pd.DataFrame) -> tuple[float, float]:
    human = validation["human_verdict"] == "pass"
    judge = validation["judge_verdict"] == "pass"
    tpr = float(judge[human].mean())
    tnr = float((~judge[~human]).mean())
    return tpr, tnr


def corrected_rate(p_obs: float, tpr: float, tnr: float) -> float:
    value = (p_obs + tnr - 1.0) / (tpr + tnr - 1.0)
    return float(min(1.0, max(0.0, value)))


def injection_tickets(live: pd.DataFrame) -> list[str]:
    """Live tickets whose text carries instructions addressed to the router."""
    # One search per marker over all the text at once, not one per ticket: no marker
    # holds the separator, so every match lies inside a single ticket.
    lowered = [text.lower() for text in live["text"].astype(str).tolist()]
    starts = np.cumsum([0] + [len(text) + 1 for text in lowered[:-1]])
    joined = "\x00".join(lowered)
    rows: set[int] = set()
    for marker in INJECTION_MARKERS:
        at = joined.find(marker)
        while at >= 0:
            rows.add(int(np.searchsorted(starts, at, side="right")) - 1)
            at = joined.find(marker, at + 1)
    ids = live["ticket_id"].astype(str).to_numpy(dtype=object)
    return sorted(str(ids[row]) for row in rows)


def general_dump_rates(live: pd.DataFrame) -> pd.Series:
    """Per language: the share of its non-`general` tickets that the router sent to general."""
    elsewhere = (live["gold_label"] != "general").to_numpy(dtype=bool)
    dumped = (live["predicted_queue"] == "general").to_numpy(dtype=float)[elsewhere]
    language = live["language"].astype(str).to_numpy(dtype=object)[elsewhere]
    codes, names = pd.factorize(language, sort=True)
    rate = np.bincount(codes, weights=dumped) / np.bincount(codes)
    return pd.Series(rate, index=pd.Index(names, dtype="str", name="language"),
                     name="predicted_queue")


def planned_cost_by_language(data: Frames) -> pd.Series:
    """Per language: the mean cost per live ticket under the plan (threshold 0.50)."""
    live = _live(data)
    misroute = misroute_cost_per_ticket(live, _cost_lookup(data))
    return _planned_cost_by_language(live, misroute, _review_cost(data))


def _planned_cost_by_language(live: pd.DataFrame, misroute: np.ndarray,
                              review_cost: float) -> pd.Series:
    conf = live["confidence"].to_numpy(dtype=float)
    cost = pd.Series(np.where(conf < PLANNED_THRESHOLD, review_cost, misroute), index=live.index)
    return cost.groupby(live["language"].astype(str)).mean()


def _review_cost(data: Frames) -> float:
    return float(data["review_cost.csv"]["human_review_cost"].iloc[0])


def _top(values: pd.Series) -> str:
    """The label with the highest value; ties: the first in alphabetical order."""
    ranked = sorted(((-float(v), str(k)) for k, v in values.items()))
    return ranked[0][1]


def _worst_accuracy_language(data: Frames, public: dict[str, Any]) -> str:
    """The language of the worst slice of Q2: where a reader who stops at Q2 looks."""
    worst, _ = worst_slice(_live(data), int(public["min_slice_n"]))
    return worst.split("|")[0]


# ---------------------------------------------------------------------------------------
# The key
# ---------------------------------------------------------------------------------------


def reference(data: Frames, public: dict[str, Any]) -> Answers:
    """The answer key, computed exactly as the notebook states the definitions."""
    live, gold = _live(data), _gold(data)
    min_n = int(public["min_slice_n"])

    both = ~_is_missing(live["annotator_a"]) & ~_is_missing(live["annotator_b"])
    raw, kappa = agreement(live["annotator_a"][both], live["annotator_b"][both])

    worst, worst_acc = worst_slice(live, min_n)

    correct = live["predicted_queue"] == live["gold_label"]
    ece_live = ece(live["confidence"], correct)

    review_cost = _review_cost(data)
    misroute = misroute_cost_per_ticket(live, _cost_lookup(data))
    threshold, cost = best_threshold(
        cost_curve(live["confidence"].to_numpy(dtype=float), misroute, review_cost)
    )

    tpr, tnr = judge_rates(data["judge_validation.csv"])
    p_obs = float((data["judge_only.csv"]["judge_verdict"] == "pass").mean())

    return {
        "q1_raw_agreement": raw,
        "q1_kappa": kappa,
        "q2_gold_accuracy": _accuracy(gold),
        "q2_live_accuracy": _accuracy(live),
        "q2_worst_slice": worst,
        "q2_worst_slice_accuracy": worst_acc,
        "q3_ece": ece_live,
        "q4_threshold": float(threshold),
        "q4_cost_per_ticket": cost,
        "q5_tpr": tpr,
        "q5_tnr": tnr,
        "q5_corrected_pass_rate": corrected_rate(p_obs, tpr, tnr),
        "q6_injection_tickets": injection_tickets(live),
        "q7_dump_language": _top(general_dump_rates(live)),
        "q8_hold_back_language": _top(_planned_cost_by_language(live, misroute, review_cost)),
    }


# ---------------------------------------------------------------------------------------
# Wrong approaches: each returns only the variables it gets wrong
# ---------------------------------------------------------------------------------------


def _kappa_with_missing(data: Frames, public: dict[str, Any]) -> Answers:
    live = _live(data)
    a = live["annotator_a"].where(~_is_missing(live["annotator_a"]), "<missing>")
    b = live["annotator_b"].where(~_is_missing(live["annotator_b"]), "<missing>")
    raw, kappa = agreement(a, b)
    return {"q1_raw_agreement": raw, "q1_kappa": kappa}


def _raw_agreement_as_kappa(data: Frames, public: dict[str, Any]) -> Answers:
    return {"q1_kappa": reference(data, public)["q1_raw_agreement"]}


def _gold_cohort_accuracy(data: Frames, public: dict[str, Any]) -> Answers:
    gold = _gold(data)
    worst, worst_acc = worst_slice(gold, int(public["min_slice_n"]))
    return {
        "q2_live_accuracy": _accuracy(gold),
        "q2_worst_slice": worst,
        "q2_worst_slice_accuracy": worst_acc,
    }


def _worst_slice_ignoring_min_n(data: Frames, public: dict[str, Any]) -> Answers:
    worst, worst_acc = worst_slice(_live(data), 1)
    return {"q2_worst_slice": worst, "q2_worst_slice_accuracy": worst_acc}


def _ece_on_gold_cohort(data: Frames, public: dict[str, Any]) -> Answers:
    gold = _gold(data)
    return {"q3_ece": ece(gold["confidence"], gold["predicted_queue"] == gold["gold_label"])}


def _ece_15_bins(data: Frames, public: dict[str, Any]) -> Answers:
    live = _live(data)
    return {"q3_ece": ece(live["confidence"], live["predicted_queue"] == live["gold_label"], 15)}


def _uniform_misroute_costs(data: Frames, public: dict[str, Any]) -> Answers:
    """Every misroute priced at the mean off-diagonal cost: the asymmetry is ignored."""
    live = _live(data)
    costs = _cost_lookup(data)
    flat = float(np.mean([c for (t, p), c in costs.items() if t != p]))
    wrong = (live["gold_label"] != live["predicted_queue"]).to_numpy()
    review_cost = float(data["review_cost.csv"]["human_review_cost"].iloc[0])
    conf = live["confidence"].to_numpy(dtype=float)
    threshold, _ = best_threshold(cost_curve(conf, np.where(wrong, flat, 0.0), review_cost))
    true_curve = dict(cost_curve(conf, misroute_cost_per_ticket(live, costs), review_cost))
    return {"q4_threshold": float(threshold), "q4_cost_per_ticket": true_curve[threshold]}


def _ignore_review_cost(data: Frames, public: dict[str, Any]) -> Answers:
    live = _live(data)
    misroute = misroute_cost_per_ticket(live, _cost_lookup(data))
    threshold, cost = best_threshold(cost_curve(live["confidence"].to_numpy(dtype=float),
                                                misroute, 0.0))
    return {"q4_threshold": float(threshold), "q4_cost_per_ticket": cost}


def _raw_judge_pass_rate(data: Frames, public: dict[str, Any]) -> Answers:
    p_obs = float((data["judge_only.csv"]["judge_verdict"] == "pass").mean())
    return {"q5_corrected_pass_rate": p_obs}


def _tpr_tnr_swapped(data: Frames, public: dict[str, Any]) -> Answers:
    tpr, tnr = judge_rates(data["judge_validation.csv"])
    p_obs = float((data["judge_only.csv"]["judge_verdict"] == "pass").mean())
    return {"q5_tpr": tnr, "q5_tnr": tpr, "q5_corrected_pass_rate": corrected_rate(p_obs, tnr, tpr)}


def _injection_keyword_search(data: Frames, public: dict[str, Any]) -> Answers:
    live = _live(data)
    hit = live["text"].astype(str).str.contains(TEXTBOOK_INJECTION, case=False, regex=True)
    return {"q6_injection_tickets": sorted(live.loc[hit, "ticket_id"].astype(str))}


def _dump_language_is_worst_slice(data: Frames, public: dict[str, Any]) -> Answers:
    return {"q7_dump_language": _worst_accuracy_language(data, public)}


def _hold_back_worst_accuracy(data: Frames, public: dict[str, Any]) -> Answers:
    return {"q8_hold_back_language": _worst_accuracy_language(data, public)}


WRONG_APPROACHES: dict[str, WrongApproach] = {
    "kappa_with_missing": WrongApproach(
        _kappa_with_missing, ("q1",), "a missing annotator label counted as a label of its own"),
    "raw_agreement_as_kappa": WrongApproach(
        _raw_agreement_as_kappa, ("q1",), "raw agreement reported as kappa (no chance correction)"),
    "gold_cohort_accuracy": WrongApproach(
        _gold_cohort_accuracy, ("q2",), "gold-set accuracy and slices used instead of live"),
    "worst_slice_ignoring_min_n": WrongApproach(
        _worst_slice_ignoring_min_n, ("q2",),
        "worst slice picked among slices too small to count (min_slice_n ignored)"),
    "ece_on_gold_cohort": WrongApproach(
        _ece_on_gold_cohort, ("q3",), "calibration measured on the gold set, not live traffic"),
    "ece_15_bins": WrongApproach(_ece_15_bins, ("q3",), "ECE with 15 bins instead of 10"),
    "uniform_misroute_costs": WrongApproach(
        _uniform_misroute_costs, ("q4",),
        "every misroute priced the same: the costly fraud confusion ignored"),
    "ignore_review_cost": WrongApproach(
        _ignore_review_cost, ("q4",), "human review treated as free"),
    "raw_judge_pass_rate": WrongApproach(
        _raw_judge_pass_rate, ("q5",), "the judge's raw pass rate taken at face value"),
    "tpr_tnr_swapped": WrongApproach(_tpr_tnr_swapped, ("q5",), "TPR and TNR swapped"),
    "injection_keyword_search": WrongApproach(
        _injection_keyword_search, ("q6",),
        "injections found by searching for \"ignore previous instructions\" only"),
    "dump_language_is_worst_slice": WrongApproach(
        _dump_language_is_worst_slice, ("q7",),
        "the lowest-accuracy language named, without checking where its misroutes go"),
    "hold_back_worst_accuracy": WrongApproach(
        _hold_back_worst_accuracy, ("q8",),
        "the lowest-accuracy language held back, not the one whose misroutes cost most"),
}

# The obvious reading of each judgement question (Q6-Q8): what a careful candidate who
# computes every stated definition but does not investigate answers.
LITERAL_READINGS = (
    "injection_keyword_search",
    "dump_language_is_worst_slice",
    "hold_back_worst_accuracy",
)

# Simulated candidates: which mistakes each one makes. Expected ranking on every variant:
# strong > misses_calibration > literal > aggregate_only > blank.
PERSONAS: dict[str, tuple[str, ...]] = {
    "strong": (),
    "literal": LITERAL_READINGS,
    "misses_calibration": ("ece_on_gold_cohort", "kappa_with_missing"),
    "aggregate_only": (
        "raw_agreement_as_kappa",
        "gold_cohort_accuracy",
        "worst_slice_ignoring_min_n",
        "ece_on_gold_cohort",
        "uniform_misroute_costs",
        "raw_judge_pass_rate",
        *LITERAL_READINGS,
    ),
}
