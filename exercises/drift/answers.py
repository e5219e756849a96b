"""drift: the answer key, and the wrong approaches it must catch.

Every definition here is the one the notebook states. ``reference`` gets the frames as a
candidate reads them (``pd.read_csv`` defaults).
"""

# No `from __future__ import annotations`: the kit loads this file by path, and
# dataclasses then cannot resolve string annotations.
import math
from collections.abc import Callable
from dataclasses import dataclass, field
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


def _monday_codes(logs: pd.DataFrame) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Per request: the code of its week (0 = the earliest Monday), the weeks' names (the
    Monday's ISO date, in order) and the request's UTC day (days since 1970-01-01)."""
    stamp = pd.to_datetime(logs["timestamp"], utc=True, format="ISO8601")
    day = stamp.to_numpy(dtype="datetime64[us]").astype("datetime64[D]").astype(np.int64)
    monday = day - (day + 3) % 7  # 1970-01-01 was a Thursday (weekday 3, Monday 0)
    mondays, codes = np.unique(monday, return_inverse=True)
    names = [str(m) for m in np.datetime_as_string(mondays.astype("datetime64[D]"))]
    return codes, names, day


def with_weeks(logs: pd.DataFrame) -> pd.DataFrame:
    """The logs with ``week``: the Monday (UTC, ISO date) of the week each request is in."""
    codes, names, _ = _monday_codes(logs)
    return logs.assign(week=np.array(names, dtype=object)[codes])


@dataclass(frozen=True)
class _Weeks:
    """The logs read once: each row's week code (into ``names``, in order), the rows per
    week, each row's UTC day, and the columns' category codes as they are asked for."""

    logs: pd.DataFrame
    code: np.ndarray
    names: list[str]
    n: np.ndarray
    day: np.ndarray
    _codes: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def of(cls, logs: pd.DataFrame) -> "_Weeks":
        codes, names, day = _monday_codes(logs)
        return cls(logs, codes, names, np.bincount(codes, minlength=len(names)), day)

    def frame(self) -> pd.DataFrame:
        """The logs with ``week`` (as ``with_weeks`` gives them)."""
        return self.logs.assign(week=np.array(self.names, dtype=object)[self.code])

    def rows(self, week: str) -> pd.DataFrame:
        """The week's requests (without a ``week`` column)."""
        if week not in self.names:
            return self.logs.iloc[:0]
        return self.logs[self.code == self.names.index(week)]

    def regular(self, min_n: int) -> list[str]:
        return [w for w, n in zip(self.names, self.n, strict=True) if n >= min_n]

    def codes(self, column: str, *others: pd.Series) -> tuple[list[np.ndarray], np.ndarray]:
        """``_categories`` of the logs' ``column`` and ``others``: the logs' codes are
        counted once and mapped onto the union."""
        if column not in self._codes:
            found, uniques = pd.factorize(self.logs[column], sort=True)
            self._codes[column] = found, np.asarray(uniques, dtype=object)
        codes, cats = self._codes[column]
        if not others:
            return [codes], cats
        other_codes, other_cats = _categories(*others)
        union: np.ndarray = np.unique(np.concatenate([cats, other_cats]))
        out = []
        for c, k in ((codes, cats), *((oc, other_cats) for oc in other_codes)):
            where = np.append(np.searchsorted(union, np.asarray(k)), -1)  # -1 stays missing
            out.append(where[c])
        return out, union


def _categories(*columns: pd.Series) -> tuple[list[np.ndarray], np.ndarray]:
    """The columns' values as codes into their sorted union of categories (-1: missing)."""
    codes, uniques = pd.factorize(pd.concat(columns, ignore_index=True), sort=True)
    out, start = [], 0
    for column in columns:
        out.append(codes[start:start + len(column)])
        start += len(column)
    return out, np.asarray(uniques, dtype=object)


def _counts(codes: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(codes[codes >= 0], minlength=k)


def _count_order(codes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The categories ``value_counts`` lists, in its order: by count, largest first, a tie
    in order of first occurrence (a stable sort of the counts in order of appearance)."""
    present = np.flatnonzero(counts)
    if len(np.unique(counts[present])) == len(present):
        return present[np.argsort(-counts[present], kind="stable")]
    cats, first = np.unique(codes, return_index=True)
    first = first[cats >= 0]
    return present[np.lexsort((first, -counts[present]))]


def _psi_terms(a: np.ndarray, e: np.ndarray, k: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For category codes ``a`` (actual) and ``e`` (expected) into ``k`` sorted categories:
    the categories ``psi`` compares in ``psi``'s order and their shares on either side,
    epsilon in. That order is ``Index.union`` of the two ``value_counts`` indexes: sorted,
    unless both list the same categories in the same order, which it keeps (and the
    other side's order when one side is empty)."""
    ca, ce = _counts(a, k), _counts(e, k)
    seen = np.flatnonzero((ca > 0) | (ce > 0))
    if not ca.any():
        order = _count_order(e, ce)
    elif not ce.any():
        order = _count_order(a, ca)
    else:
        order = seen
        if ((ca[seen] > 0) & (ce[seen] > 0)).all():
            by_a = _count_order(a, ca)
            if (by_a == _count_order(e, ce)).all():
                order = by_a
    p = ca[order] / max(int(ca.sum()), 1)
    q = ce[order] / max(int(ce.sum()), 1)
    return order, np.where(p == 0, PSI_EPSILON, p), np.where(q == 0, PSI_EPSILON, q)


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
    return _weekly_psi(_Weeks.of(logs), baseline, log)


def _weekly_psi(weeks: _Weeks, baseline: pd.DataFrame,
                log: Callable[[Any], Any] = np.log) -> pd.DataFrame:
    """``weekly_psi`` on logs read once: week by week the same numbers as ``psi``."""
    table: dict[str, Any] = {"week": weeks.names, "n": weeks.n}
    for feature in FEATURES:
        (codes, base), cats = weeks.codes(feature, baseline[feature])
        values = []
        for w in range(len(weeks.names)):
            _, p, q = _psi_terms(codes[weeks.code == w], base, len(cats))
            values.append(float(np.sum((p - q) * log(p / q))))
        table[feature] = values
    return pd.DataFrame(table)


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
    return _q1_of(weekly_psi(logs, baseline, log), min_n)


def _q1_of(table: pd.DataFrame, min_n: int) -> Answers:
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


def _ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """``stats.ks_2samp(a, b).statistic`` without its p-value: the largest gap between
    the two empirical CDFs, which (with 10,000 values a side or fewer, its exact method)
    scipy reports as the nearest multiple of 1 / lcm(len(a), len(b))."""
    a, b = np.sort(a), np.sort(b)
    both = np.concatenate([a, b])
    gap = np.searchsorted(a, both, side="right") / len(a) - np.searchsorted(
        b, both, side="right") / len(b)
    d = max(float(np.clip(-gap[np.argmin(gap)], 0, 1)), float(gap[np.argmax(gap)]))
    if max(len(a), len(b)) <= 10_000:
        lcm = len(a) // math.gcd(len(a), len(b)) * len(b)
        d = int(np.round(d * lcm)) * 1.0 / lcm
    return d


def _q2_of(baseline: pd.DataFrame, last: pd.DataFrame) -> Answers:
    """``_q2``'s numbers: the KS statistic as scipy reports it, the chi-square test on the
    table ``chi2_intent`` builds (its columns in the same order)."""
    x, y = baseline["query_tokens"].to_numpy(), last["query_tokens"].to_numpy()
    (a, b), _ = _categories(baseline["intent"], last["intent"])
    if (np.issubdtype(x.dtype, np.integer) and np.issubdtype(y.dtype, np.integer)
            and len(x) and len(y) and (a >= 0).all() and (b >= 0).all()):
        k = int(max(a.max(), b.max())) + 1
        ca, cb = np.bincount(a, minlength=k), np.bincount(b, minlength=k)
        # pd.concat of the two value_counts: the first's order, then what only the second has.
        order = np.concatenate([_count_order(a, ca),
                                [c for c in _count_order(b, cb) if ca[c] == 0]]).astype(int)
        result = stats.chi2_contingency(np.array([ca[order], cb[order]]))
        return {"q2_ks_stat": _ks_statistic(x, y), "q2_chi2_stat": float(result[0]),
                "q2_intent_shift": "yes" if float(result[1]) < CHI2_ALPHA else "no"}
    return _q2(baseline, last)


def reweighted_accuracy(eval_set: pd.DataFrame, traffic: pd.DataFrame) -> tuple[float, float]:
    """Eval accuracy per (language, intent) cell, weighted by the cell's share of
    ``traffic`` over the covered cells; and the share of traffic in uncovered cells."""
    acc = eval_set.groupby(["language", "intent"])["correct"].mean()
    cells = traffic.groupby(["language", "intent"]).size()
    covered = cells.index.isin(acc.index)
    weights = cells[covered]
    value = float((weights * acc.reindex(weights.index)).sum() / weights.sum())
    return value, float(cells[~covered].sum() / cells.sum())


def _reweighted(eval_set: pd.DataFrame, traffic: pd.DataFrame) -> tuple[float, float]:
    """``reweighted_accuracy`` counted with numpy: its cells in its (sorted) order, a
    cell's accuracy its hits over its items, the same floats."""
    (el, tl), _ = _categories(eval_set["language"], traffic["language"])
    (ei, ti), intents = _categories(eval_set["intent"], traffic["intent"])
    correct = eval_set["correct"].to_numpy()
    if not (np.issubdtype(correct.dtype, np.integer) and (el >= 0).all() and (tl >= 0).all()
            and (ei >= 0).all() and (ti >= 0).all() and len(traffic) and len(eval_set)):
        return reweighted_accuracy(eval_set, traffic)
    k = len(intents)
    cells = int(max(el.max(), tl.max())) * k + k
    size = np.bincount(el * k + ei, minlength=cells)
    hits = np.bincount(el * k + ei, weights=correct, minlength=cells)
    traffic_cells = np.bincount(tl * k + ti, minlength=cells)
    seen = np.flatnonzero(traffic_cells)
    covered = seen[size[seen] > 0]
    if not len(covered):
        return reweighted_accuracy(eval_set, traffic)
    weights = traffic_cells[covered]
    value = float(np.sum(weights * (hits[covered] / size[covered])) / weights.sum())
    uncovered = seen[size[seen] == 0]
    return value, float(traffic_cells[uncovered].sum() / traffic_cells[seen].sum())


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


def _audit_answers(audit: pd.DataFrame) -> Answers:
    """q4 as ``flips``, ``group_rates`` and ``most_hurt`` give it, in one pass over an
    audit where every group has both runs and no item repeats in a run (a pass rate is a
    count over a count, the same float either way); any other audit, their way."""
    model, passed = audit["model"].to_numpy(dtype=object), audit["passed"].to_numpy()
    runs = (model == "v3", model == "v4")
    item, items = pd.factorize(audit["item_id"])
    group, groups = pd.factorize(audit["group"], sort=True)
    per_item = [np.bincount(item[run], minlength=len(items)) for run in runs]
    per_group = [np.bincount(group[run], minlength=len(groups)) for run in runs]
    if (item < 0).any() or (group < 0).any() or max(c.max() for c in per_item) > 1 or not (
            per_group[0].all() and per_group[1].all()):
        rates = group_rates(audit)
        p2f, f2p = flips(audit)
        return {"q4_pass_to_fail": p2f, "q4_fail_to_pass": f2p,
                "q4_most_hurt_group": most_hurt(rates),
                "q4_gap_v3": float(rates["v3"].max() - rates["v3"].min()),
                "q4_gap_v4": float(rates["v4"].max() - rates["v4"].min())}
    both = np.full((2, len(items)), -1)
    for i, run in enumerate(runs):
        both[i, item[run]] = passed[run]
    v3, v4 = (np.bincount(group[run], weights=passed[run], minlength=len(groups)) / n
              for run, n in zip(runs, per_group, strict=True))
    return {"q4_pass_to_fail": int(((both[0] == 1) & (both[1] == 0)).sum()),
            "q4_fail_to_pass": int(((both[0] == 0) & (both[1] == 1)).sum()),
            "q4_most_hurt_group": str(groups[int(np.argmax(v3 - v4))]),
            "q4_gap_v3": float(v3.max() - v3.min()),
            "q4_gap_v4": float(v4.max() - v4.min())}


# ---------------------------------------------------------------------------------------
# The key
# ---------------------------------------------------------------------------------------


def regular_weeks(logs: pd.DataFrame, min_n: int) -> list[str]:
    return _Weeks.of(logs).regular(min_n)


def alarm_cause(logs: pd.DataFrame, eval_set: pd.DataFrame, min_n: int) -> str:
    """What explains the first alarm, found the way an investigator would.

    An outage shows as days of the alarm week that logged far fewer requests than the
    same weekday in the other regular weeks. Otherwise the category that contributes most
    to the alarm's PSI tells the rest: if it already had about the same share in the
    first regular week, nothing arrived (its term is the epsilon's doing); if it was
    (nearly) absent then, new traffic arrived."""
    weeks = _Weeks.of(logs)
    return _alarm_cause(weeks, eval_set, _weekly_psi(weeks, eval_set), min_n)


def _alarm_cause(weeks: _Weeks, eval_set: pd.DataFrame, table: pd.DataFrame,
                 min_n: int) -> str:
    week, feature = first_alarm(table, min_n)
    if week == "none":
        raise ValueError("no week raised the alarm: there is no alarm to explain")
    regular = [weeks.names.index(w) for w in weeks.regular(min_n)]
    alarm = weeks.names.index(week)
    # Requests per logged day; a weekday's usual count is its median over the logged days
    # of the other regular weeks.
    days, first_row, n = np.unique(weeks.day, return_index=True, return_counts=True)
    day_week, weekday = weeks.code[first_row], (days + 3) % 7
    others = np.isin(day_week, regular) & (day_week != alarm)
    for d in np.flatnonzero(day_week == alarm):
        same = others & (weekday == weekday[d])
        if same.any() and n[d] < 0.6 * float(np.median(n[same])):
            return "logging_outage"
    # The category with the largest term of the alarm's PSI.
    (codes, base), cats = weeks.codes(feature, eval_set[feature])
    k = len(cats)
    order, p, q = _psi_terms(codes[weeks.code == alarm], base, k)
    top = int(order[int(np.argmax((p - q) * np.log(p / q)))])
    part = _counts(codes[weeks.code == alarm], k)
    first = _counts(codes[weeks.code == regular[0]], k)
    return "epsilon" if first[top] / first.sum() >= 0.5 * (part[top] / part.sum()) \
        else "new_traffic"


def rise_explained(logs: pd.DataFrame, min_n: int) -> dict[str, float]:
    """Per input: how much lower last week's thumbs-down rate would be had that input kept
    its mix of the first regular week (each value's last-week rate held as it is)."""
    return _rise_explained(_Weeks.of(logs), min_n)


# What pd.cut(..., TOKEN_BINS, right=False).astype(str) names each bin (and no bin).
_TOKEN_BIN_NAMES = np.asarray(
    [f"[{a}, {b})" for a, b in zip(TOKEN_BINS[:-1], TOKEN_BINS[1:], strict=True)] + ["nan"],
    dtype=object)


def _rise_explained(weeks: _Weeks, min_n: int) -> dict[str, float]:
    """``rise_explained`` on logs read once, each number as the pandas reading gives it."""
    frame = weeks.logs
    base = weeks.code == weeks.names.index(weeks.regular(min_n)[0])
    last = weeks.code == len(weeks.names) - 1
    down = frame["thumbs_down"].to_numpy()[last]
    mean = float(down.sum(dtype=np.float64) / len(down))
    out = {}
    for name in INPUTS:
        if name == "query_tokens":
            values = frame[name].to_numpy(dtype=float)
            inside = (values >= TOKEN_BINS[0]) & (values < TOKEN_BINS[-1])
            codes = np.where(inside, np.searchsorted(TOKEN_BINS, values, side="right") - 1,
                             len(TOKEN_BINS) - 1)
            cats = _TOKEN_BIN_NAMES
        else:
            (codes,), cats = weeks.codes(name)
        k = len(cats)
        kept_last, kept_base = last & (codes >= 0), base & (codes >= 0)
        n_last = np.bincount(codes[kept_last], minlength=k)
        hits = np.bincount(codes[kept_last], weights=frame["thumbs_down"].to_numpy()[kept_last],
                           minlength=k)
        rate = np.where(n_last > 0, hits / np.maximum(n_last, 1), 0.0)
        counts = np.bincount(codes[kept_base], minlength=k)
        order = _count_order(codes[base], counts)
        held = float(np.sum(counts[order] / counts.sum() * rate[order]))
        out[name] = mean - held
    return out


def missed_input(logs: pd.DataFrame, min_n: int) -> str:
    explained = rise_explained(logs, min_n)
    return max(INPUTS, key=lambda k: explained[k])


def reference(data: Frames, public: dict[str, Any]) -> Answers:
    """The answer key, computed exactly as the notebook states the definitions (the logs
    read into weeks once, each number the same as its building block's above)."""
    eval_set, logs = data["eval_set.csv"], data["production_logs.csv"]
    labelled, audit = data["labelled_sample.csv"], data["audit_results.csv"]
    min_n = int(public["min_week_n"])
    weeks = _Weeks.of(logs)
    table = _weekly_psi(weeks, eval_set)
    last = weeks.rows(weeks.names[-1])
    reweighted, uncovered = _reweighted(eval_set, last)
    explained = _rise_explained(weeks, min_n)
    return {
        **_q1_of(table, min_n),
        **_q2_of(eval_set, last),
        "q3_eval_accuracy": float(eval_set["correct"].mean()),
        "q3_reweighted_accuracy": reweighted,
        "q3_uncovered_share": uncovered,
        "q3_labelled_accuracy": float(labelled["correct"].mean()),
        **_audit_answers(audit),
        "q5_alarm_cause": _alarm_cause(weeks, eval_set, table, min_n),
        "q6_missed_input": max(INPUTS, key=lambda k: explained[k]),
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
