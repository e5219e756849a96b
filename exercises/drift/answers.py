"""drift: the answer key, and the wrong approaches it must catch.

Every definition here is the one the notebook states. ``reference`` gets the frames as a
candidate reads them (``pd.read_csv`` defaults).
"""

# No `from __future__ import annotations`: the kit loads this file by path, and
# dataclasses then cannot resolve string annotations.
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

Frames = dict[str, pd.DataFrame]
Answers = dict[str, object]

PSI_EPSILON = 1e-4
PSI_ALARM = 0.2
BANDS = ((0.1, "none"), (0.2, "moderate"))  # below 0.1: none; below 0.2: moderate
FEATURES = ("language", "intent")
CHI2_ALPHA = 0.05
ALARM_CAUSES = ("new_traffic", "epsilon", "logging_outage")
INPUTS = ("language", "intent", "client", "query_tokens")
# The on-call engineer's note (the public parameter ``oncall_note``) and the cause it
# names. The same text as generator.ONCALL_NOTES (a test keeps them equal).
ONCALL_NOTES = {
    "new_traffic": "Drift alarm: new users the eval set has never seen. Filed an eval-refresh "
                   "ticket; nothing to do on the model side.",
    "epsilon": "PSI spike comes from a category with no eval items, so it is the epsilon "
               "blowing the number up. Muted.",
    "logging_outage": "Probably the log pipeline dropping events again. Muted until "
                      "ingestion is fixed.",
}
# Query length, read in bins, for the decomposition in q6 (terse queries are short).
TOKEN_BINS = (0, 6, 12, 25, 10_000)


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


def with_weeks(logs: pd.DataFrame) -> pd.DataFrame:
    """The logs with ``week``: the Monday (UTC, ISO date) of the week each request is in."""
    stamp = pd.to_datetime(logs["timestamp"], utc=True)
    monday = stamp.dt.normalize() - pd.to_timedelta(stamp.dt.day_of_week, unit="D")
    codes, mondays = pd.factorize(monday)
    names = np.array([m.strftime("%Y-%m-%d") for m in mondays], dtype=object)
    return logs.assign(week=names[codes])


def psi(actual: pd.Series, expected: pd.Series, log: Callable[[Any], Any] = np.log) -> float:
    """PSI of ``actual`` against ``expected``: categories are the union of both sides, an
    empty share is replaced by PSI_EPSILON, natural log unless told otherwise."""
    a = actual.value_counts(normalize=True)
    e = expected.value_counts(normalize=True)
    cats = a.index.union(e.index)
    p = a.reindex(cats, fill_value=0.0).to_numpy(dtype=float)
    q = e.reindex(cats, fill_value=0.0).to_numpy(dtype=float)
    p = np.where(p == 0, PSI_EPSILON, p)
    q = np.where(q == 0, PSI_EPSILON, q)
    return float(np.sum((p - q) * log(p / q)))


def band(value: float) -> str:
    for upper, name in BANDS:
        if value < upper:
            return name
    return "significant"


def weekly_psi(logs: pd.DataFrame, baseline: pd.DataFrame,
               log: Callable[[Any], Any] = np.log) -> pd.DataFrame:
    """One row per week: n and the PSI of each feature against ``baseline``."""
    rows = []
    for week, part in with_weeks(logs).groupby("week", sort=True):
        row: dict[str, Any] = {"week": week, "n": len(part)}
        for feature in FEATURES:
            row[feature] = psi(part[feature], baseline[feature], log)
        rows.append(row)
    return pd.DataFrame(rows)


def first_alarm(table: pd.DataFrame, min_n: int) -> tuple[str, str]:
    """The first week with n >= min_n and a PSI >= 0.2, and the feature (the larger PSI)."""
    for _, row in table.iterrows():
        if row["n"] < min_n:
            continue
        top = max(FEATURES, key=lambda f: (row[f], -FEATURES.index(f)))
        if row[top] >= PSI_ALARM:
            return str(row["week"]), top
    return "none", "none"


def _q1(logs: pd.DataFrame, baseline: pd.DataFrame, min_n: int,
        log: Callable[[Any], Any] = np.log) -> Answers:
    table = weekly_psi(logs, baseline, log)
    week, feature = first_alarm(table, min_n)
    last = float(table["language"].iloc[-1])
    small = table[table["n"] < min_n]
    return {
        "q1_drift_week": week,
        "q1_drift_feature": feature,
        "q1_last_psi_language": last,
        "q1_last_band": band(last),
        "q1_small_week_psi": float(small[list(FEATURES)].to_numpy().max()) if len(small)
        else 0.0,
    }


def last_week(logs: pd.DataFrame) -> pd.DataFrame:
    weeks = with_weeks(logs)
    return weeks[weeks["week"] == weeks["week"].max()]


def first_week(logs: pd.DataFrame) -> pd.DataFrame:
    weeks = with_weeks(logs)
    return weeks[weeks["week"] == weeks["week"].min()]


def chi2_intent(a: pd.Series, b: pd.Series) -> tuple[float, float]:
    """Chi-square test of homogeneity on the 2 x K table of intent counts."""
    table = pd.concat([a.value_counts(), b.value_counts()], axis=1).fillna(0).T.to_numpy()
    result = stats.chi2_contingency(table)
    return float(result[0]), float(result[1])


def _q2(baseline: pd.DataFrame, last: pd.DataFrame) -> Answers:
    ks = stats.ks_2samp(baseline["query_tokens"], last["query_tokens"])
    chi2, p = chi2_intent(baseline["intent"], last["intent"])
    return {"q2_ks_stat": float(ks.statistic), "q2_chi2_stat": chi2,
            "q2_intent_shift": "yes" if p < CHI2_ALPHA else "no"}


def reweighted_accuracy(eval_set: pd.DataFrame, traffic: pd.DataFrame) -> tuple[float, float]:
    """Eval accuracy per (language, intent) cell, weighted by the cell's share of
    ``traffic`` over the covered cells; and the share of traffic in uncovered cells."""
    acc = eval_set.groupby(["language", "intent"])["correct"].mean()
    cells = traffic.groupby(["language", "intent"]).size()
    covered = cells.index.isin(acc.index)
    weights = cells[covered]
    value = float((weights * acc.reindex(weights.index)).sum() / weights.sum())
    return value, float(cells[~covered].sum() / cells.sum())


def flips(audit: pd.DataFrame) -> tuple[int, int]:
    wide = audit.pivot(index="item_id", columns="model", values="passed")
    p2f = int(((wide["v3"] == 1) & (wide["v4"] == 0)).sum())
    f2p = int(((wide["v3"] == 0) & (wide["v4"] == 1)).sum())
    return p2f, f2p


def group_rates(audit: pd.DataFrame) -> pd.DataFrame:
    """Pass rate per group (rows) and model (columns v3, v4)."""
    return audit.groupby(["group", "model"])["passed"].mean().unstack("model")


def most_hurt(rates: pd.DataFrame) -> str:
    """The group whose pass rate drops most from v3 to v4; ties: alphabetical."""
    drop = (rates["v3"] - rates["v4"]).sort_index()
    return str(drop.idxmax())


# ---------------------------------------------------------------------------------------
# The key
# ---------------------------------------------------------------------------------------


def regular_weeks(logs: pd.DataFrame, min_n: int) -> list[str]:
    counts = with_weeks(logs)["week"].value_counts().sort_index()
    return [str(w) for w, n in counts.items() if n >= min_n]


def alarm_cause(logs: pd.DataFrame, eval_set: pd.DataFrame, min_n: int) -> str:
    """What explains the first alarm, found the way an investigator would.

    An outage shows as days of the alarm week that logged far fewer requests than the
    same weekday in the other regular weeks. Otherwise the category that contributes most
    to the alarm's PSI tells the rest: if it already had about the same share in the
    first regular week, nothing arrived (its term is the epsilon's doing); if it was
    (nearly) absent then, new traffic arrived."""
    table = weekly_psi(logs, eval_set)
    week, feature = first_alarm(table, min_n)
    weeks = with_weeks(logs)
    regular = regular_weeks(logs, min_n)
    stamp = pd.to_datetime(weeks["timestamp"], utc=True)
    daily = weeks.assign(date=stamp.dt.date, weekday=stamp.dt.day_of_week).groupby(
        ["week", "date", "weekday"]).size().reset_index(name="n")
    usual = daily[daily["week"].isin(regular) & (daily["week"] != week)].groupby(
        "weekday")["n"].median()
    alarm_days = daily[daily["week"] == week]
    if (alarm_days["n"].to_numpy() < 0.6 * usual.reindex(alarm_days["weekday"]).to_numpy()
            ).any():
        return "logging_outage"
    part = weeks[weeks["week"] == week][feature].value_counts(normalize=True)
    base = eval_set[feature].value_counts(normalize=True)
    cats = part.index.union(base.index)
    p = part.reindex(cats, fill_value=0.0).replace(0.0, PSI_EPSILON)
    q = base.reindex(cats, fill_value=0.0).replace(0.0, PSI_EPSILON)
    top = str(((p - q) * np.log(p / q)).idxmax())
    first = weeks[weeks["week"] == regular[0]][feature].value_counts(normalize=True)
    return "epsilon" if first.get(top, 0.0) >= 0.5 * part[top] else "new_traffic"


def rise_explained(logs: pd.DataFrame, min_n: int) -> dict[str, float]:
    """Per input: how much lower last week's thumbs-down rate would be had that input kept
    its mix of the first regular week (each value's last-week rate held as it is)."""
    weeks = with_weeks(logs)
    weeks = weeks.assign(query_tokens=pd.cut(weeks["query_tokens"], TOKEN_BINS,
                                             right=False).astype(str))
    base = weeks[weeks["week"] == regular_weeks(logs, min_n)[0]]
    last = weeks[weeks["week"] == weeks["week"].max()]
    out = {}
    for name in INPUTS:
        rate = last.groupby(name)["thumbs_down"].mean()
        share = base[name].value_counts(normalize=True)
        held = float((share * rate.reindex(share.index, fill_value=0.0)).sum())
        out[name] = float(last["thumbs_down"].mean()) - held
    return out


def missed_input(logs: pd.DataFrame, min_n: int) -> str:
    explained = rise_explained(logs, min_n)
    return max(INPUTS, key=lambda k: explained[k])


def reference(data: Frames, public: dict[str, Any]) -> Answers:
    """The answer key, computed exactly as the notebook states the definitions."""
    eval_set, logs = data["eval_set.csv"], data["production_logs.csv"]
    labelled, audit = data["labelled_sample.csv"], data["audit_results.csv"]
    last = last_week(logs)
    reweighted, uncovered = reweighted_accuracy(eval_set, last)
    p2f, f2p = flips(audit)
    rates = group_rates(audit)
    return {
        **_q1(logs, eval_set, int(public["min_week_n"])),
        **_q2(eval_set, last),
        "q3_eval_accuracy": float(eval_set["correct"].mean()),
        "q3_reweighted_accuracy": reweighted,
        "q3_uncovered_share": uncovered,
        "q3_labelled_accuracy": float(labelled["correct"].mean()),
        "q4_pass_to_fail": p2f,
        "q4_fail_to_pass": f2p,
        "q4_most_hurt_group": most_hurt(rates),
        "q4_gap_v3": float(rates["v3"].max() - rates["v3"].min()),
        "q4_gap_v4": float(rates["v4"].max() - rates["v4"].min()),
        "q5_alarm_cause": alarm_cause(logs, eval_set, int(public["min_week_n"])),
        "q6_missed_input": missed_input(logs, int(public["min_week_n"])),
    }


# ---------------------------------------------------------------------------------------
# Wrong approaches: each returns only the variables it gets wrong
# ---------------------------------------------------------------------------------------


def _log10_psi(data: Frames, public: dict[str, Any]) -> Answers:
    """PSI with log base 10: every value shrinks by ln 10, alarms come late or never."""
    return _q1(data["production_logs.csv"], data["eval_set.csv"], int(public["min_week_n"]),
               np.log10)


def _first_week_baseline(data: Frames, public: dict[str, Any]) -> Answers:
    """Drift measured against the first production week instead of the eval set."""
    logs = data["production_logs.csv"]
    base = first_week(logs)
    return {**_q1(logs, base, int(public["min_week_n"])), **_q2(base, last_week(logs))}


def _ignore_min_week_n(data: Frames, public: dict[str, Any]) -> Answers:
    """Every week may raise the alarm, however few requests it logged."""
    table = weekly_psi(data["production_logs.csv"], data["eval_set.csv"])
    week, feature = first_alarm(table, 0)
    return {"q1_drift_week": week, "q1_drift_feature": feature}


def _pooled_production(data: Frames, public: dict[str, Any]) -> Answers:
    """The eval set against all eight weeks pooled, not the last week."""
    return _q2(data["eval_set.csv"], data["production_logs.csv"])


def _chi2_on_shares(data: Frames, public: dict[str, Any]) -> Answers:
    """chi2_contingency fed intent shares instead of counts: the statistic collapses."""
    eval_set, last = data["eval_set.csv"], last_week(data["production_logs.csv"])
    table = pd.concat([eval_set["intent"].value_counts(normalize=True),
                       last["intent"].value_counts(normalize=True)], axis=1).fillna(0).T
    result = stats.chi2_contingency(table.to_numpy())
    return {"q2_chi2_stat": float(result[0]),
            "q2_intent_shift": "yes" if float(result[1]) < CHI2_ALPHA else "no"}


def _unweighted_eval_accuracy(data: Frames, public: dict[str, Any]) -> Answers:
    return {"q3_reweighted_accuracy": float(data["eval_set.csv"]["correct"].mean())}


def _uncovered_scored_as_zero(data: Frames, public: dict[str, Any]) -> Answers:
    """Uncovered cells kept in the weights with accuracy 0 (a fillna(0)), no renormalising."""
    value, uncovered = reweighted_accuracy(data["eval_set.csv"],
                                           last_week(data["production_logs.csv"]))
    return {"q3_reweighted_accuracy": value * (1.0 - uncovered)}


def _all_weeks_mix(data: Frames, public: dict[str, Any]) -> Answers:
    """Reweighted to the mix of all eight weeks, which dilutes the new slice."""
    value, uncovered = reweighted_accuracy(data["eval_set.csv"], data["production_logs.csv"])
    return {"q3_reweighted_accuracy": value, "q3_uncovered_share": uncovered}


def _net_change_as_flips(data: Frames, public: dict[str, Any]) -> Answers:
    """Flips read off the pass counts: the net change, which hides the churn."""
    audit = data["audit_results.csv"]
    passes = audit.groupby("model")["passed"].sum()
    net = int(passes["v4"] - passes["v3"])
    return {"q4_pass_to_fail": max(0, -net), "q4_fail_to_pass": max(0, net)}


def _pair_by_row_order(data: Frames, public: dict[str, Any]) -> Answers:
    """v3 and v4 rows paired by their position in the file, not by item_id."""
    audit = data["audit_results.csv"]
    v3 = audit[audit["model"] == "v3"]["passed"].to_numpy()
    v4 = audit[audit["model"] == "v4"]["passed"].to_numpy()
    return {"q4_pass_to_fail": int(((v3 == 1) & (v4 == 0)).sum()),
            "q4_fail_to_pass": int(((v3 == 0) & (v4 == 1)).sum())}


def _lowest_v4_group_as_hurt(data: Frames, public: dict[str, Any]) -> Answers:
    """The group with the lowest v4 pass rate, which was already the weakest under v3."""
    return {"q4_most_hurt_group": str(group_rates(data["audit_results.csv"])["v4"].idxmin())}


def _trusts_oncall(data: Frames, public: dict[str, Any]) -> Answers:
    """The alarm explained as the on-call engineer's note says, without checking it."""
    note = str(public["oncall_note"])
    return {"q5_alarm_cause": next(c for c, text in ONCALL_NOTES.items() if text == note)}


def _alarmed_feature_as_cause(data: Frames, public: dict[str, Any]) -> Answers:
    """The rise in complaints put down to the feature the dashboard alarmed on."""
    table = weekly_psi(data["production_logs.csv"], data["eval_set.csv"])
    return {"q6_missed_input": first_alarm(table, int(public["min_week_n"]))[1]}


WRONG_APPROACHES: dict[str, WrongApproach] = {
    "log10_psi": WrongApproach(_log10_psi, ("q1",), "PSI with log base 10 instead of ln"),
    "first_week_baseline": WrongApproach(
        _first_week_baseline, ("q1", "q2"),
        "drift measured against the first production week, not the eval set"),
    "ignore_min_week_n": WrongApproach(
        _ignore_min_week_n, ("q1",),
        "let a week of a few dozen logged requests raise the alarm"),
    "pooled_production": WrongApproach(
        _pooled_production, ("q2",), "tests run on all eight weeks pooled, not last week"),
    "chi2_on_shares": WrongApproach(
        _chi2_on_shares, ("q2",), "chi-square fed intent shares instead of counts"),
    "unweighted_eval_accuracy": WrongApproach(
        _unweighted_eval_accuracy, ("q3",),
        "the eval set's own accuracy reported as the one on today's traffic"),
    "uncovered_scored_as_zero": WrongApproach(
        _uncovered_scored_as_zero, ("q3",),
        "traffic the eval set does not cover counted as accuracy 0"),
    "all_weeks_mix": WrongApproach(
        _all_weeks_mix, ("q3",), "eval reweighted to eight weeks of traffic, not last week"),
    "net_change_as_flips": WrongApproach(
        _net_change_as_flips, ("q4",), "flips read off the net change in passes"),
    "pair_by_row_order": WrongApproach(
        _pair_by_row_order, ("q4",), "v3 and v4 results paired by row order, not item id"),
    "lowest_v4_group_as_hurt": WrongApproach(
        _lowest_v4_group_as_hurt, ("q4",),
        "the weakest group under v4 named as the one v4 hurts"),
    "trusts_oncall": WrongApproach(
        _trusts_oncall, ("q5",), "took the on-call engineer's explanation of the alarm unchecked"),
    "alarmed_feature_as_cause": WrongApproach(
        _alarmed_feature_as_cause, ("q6",),
        "blamed the complaints on the feature the dashboard alarmed on"),
}

# Simulated candidates: which mistakes each one makes. Expected ranking on every variant:
# strong > literal, misses_calibration > aggregate_only > blank. ``literal`` computes
# every stated definition right and answers the judgement questions (q5, q6) with the
# obvious reading: the on-call note, and the feature the dashboard already shows.
PERSONAS: dict[str, tuple[str, ...]] = {
    "strong": (),
    "literal": ("trusts_oncall", "alarmed_feature_as_cause"),
    "misses_calibration": ("ignore_min_week_n", "pooled_production", "uncovered_scored_as_zero"),
    "aggregate_only": (
        "first_week_baseline",
        "log10_psi",
        "ignore_min_week_n",
        "chi2_on_shares",
        "all_weeks_mix",
        "unweighted_eval_accuracy",
        "net_change_as_flips",
        "lowest_v4_group_as_hurt",
        "trusts_oncall",
        "alarmed_feature_as_cause",
    ),
}
