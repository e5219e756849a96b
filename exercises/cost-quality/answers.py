"""cost-quality: the answer key, and the wrong approaches it must catch.

Every definition here is the one the notebook states. ``reference`` gets the frames as a
candidate reads them (``pd.read_csv`` defaults): ``resolved`` is a bool column, passes
and success are 0/1 integers.
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

TIERS = ("standard", "premium")
SEGMENTS = ("freelancer", "small_business", "mid_market", "enterprise", "accounting_firm",
            "nonprofit")
WORKFLOWS = ("bank_reconciliation", "expense_categorization", "invoice_chasing",
             "tax_question", "month_end_report")
ARMS = ("one_call", "two_calls")
TAU_GRID = tuple(round(i * 0.05, 2) for i in range(1, 21))
PER = 1000  # costs are reported per 1,000 tasks


@dataclass(frozen=True)
class WrongApproach:
    """A known mistake: ``fn`` returns only the answers it changes; ``loses`` the
    questions that must drop below full marks because of it."""

    fn: Callable[[Frames, dict[str, Any]], Answers]
    loses: tuple[str, ...]
    description: str = ""  # one line a hiring manager understands


# ---------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------


def _tier_codes(data: Frames) -> tuple[np.ndarray, pd.Index]:
    """Each call row's tier as a code into the tiers that occur."""
    codes, uniques = pd.factorize(data["usage_calls.csv"]["tier"])
    return codes, pd.Index(uniques)


def call_costs(data: Frames, write: float | None = None, read: float | None = None,
               tiers: tuple[np.ndarray, pd.Index] | None = None) -> pd.Series:
    """USD per call row. ``write``/``read`` override the table's cache multipliers;
    ``tiers`` is ``_tier_codes(data)`` when the caller has it."""
    calls = data["usage_calls.csv"]
    codes, uniques = _tier_codes(data) if tiers is None else tiers
    prices = data["prices.csv"].set_index("tier").loc[uniques]

    def per_row(column: str) -> np.ndarray:
        return prices[column].to_numpy()[codes]

    w = per_row("cache_write_multiplier") if write is None else write
    r = per_row("cache_read_multiplier") if read is None else read
    base = per_row("input_usd_per_mtok")
    out = per_row("output_usd_per_mtok")
    cost = (base * (calls["uncached_input_tokens"].to_numpy()
                    + w * calls["cache_write_input_tokens"].to_numpy()
                    + r * calls["cache_read_input_tokens"].to_numpy())
            + out * calls["output_tokens"].to_numpy()) / 1e6
    return pd.Series(cost, index=calls.index)


def _cost_pair(data: Frames, tiers: tuple[np.ndarray, pd.Index]) -> tuple[pd.Series, pd.Series]:
    """``call_costs(data)`` and ``call_costs(data, write=1.0, read=1.0)``, from one lookup."""
    calls = data["usage_calls.csv"]
    codes, uniques = tiers
    prices = data["prices.csv"].set_index("tier").loc[uniques]

    def per_row(column: str) -> np.ndarray:
        return prices[column].to_numpy()[codes]

    w, r = per_row("cache_write_multiplier"), per_row("cache_read_multiplier")
    base, out = per_row("input_usd_per_mtok"), per_row("output_usd_per_mtok")
    unc = calls["uncached_input_tokens"].to_numpy()
    write = calls["cache_write_input_tokens"].to_numpy()
    read = calls["cache_read_input_tokens"].to_numpy()
    output = calls["output_tokens"].to_numpy()
    cost = (base * (unc + w * write + r * read) + out * output) / 1e6
    flat = (base * (unc + 1.0 * write + 1.0 * read) + out * output) / 1e6
    return pd.Series(cost, index=calls.index), pd.Series(flat, index=calls.index)


def tier_totals(costs: pd.Series, tiers: tuple[np.ndarray, pd.Index]) -> pd.Series:
    """Total USD by tier (``tiers`` from ``_tier_codes``)."""
    codes, uniques = tiers
    total = costs.groupby(codes).sum()
    return pd.Series(total.to_numpy(), index=uniques[total.index])


def cost_per_task(data: Frames, costs: pd.Series,
                  total: pd.Series | None = None) -> dict[str, float]:
    """Mean USD per task, by tier: the tier's total over its number of tasks."""
    calls, tasks = data["usage_calls.csv"], data["tasks.csv"]
    if total is None:
        total = costs.groupby(calls["tier"]).sum()
    count = tasks["tier"].value_counts()
    return {t: float(total[t] / count[t]) for t in TIERS}


def _input_tokens(calls: pd.DataFrame) -> pd.Series:
    return (calls["uncached_input_tokens"] + calls["cache_write_input_tokens"]
            + calls["cache_read_input_tokens"])


def cache_hit_ratio(data: Frames) -> float:
    calls = data["usage_calls.csv"]
    return float(calls["cache_read_input_tokens"].sum() / _input_tokens(calls).sum())


def savings(data: Frames, costs: pd.Series, flat: pd.Series | None = None) -> float:
    """1 - cost / (the same traffic with every input token at the base input price)."""
    if flat is None:
        flat = call_costs(data, write=1.0, read=1.0)
    return float(1.0 - costs.sum() / flat.sum())


def discordant(ev: pd.DataFrame) -> tuple[int, int]:
    """(premium passes where standard fails, standard passes where premium fails)."""
    s, p = ev["standard_pass"] == 1, ev["premium_pass"] == 1
    return int((p & ~s).sum()), int((s & ~p).sum())


def exact_mcnemar(b: int, c: int) -> float:
    if b + c == 0:
        return 1.0
    return float(min(1.0, 2.0 * stats.binom.cdf(min(b, c), b + c, 0.5)))


def segment_table(ev: pd.DataFrame) -> pd.DataFrame:
    g = ev.groupby("segment")
    return pd.DataFrame({
        "n": g.size(),
        "standard": g["standard_pass"].mean(),
        "premium": g["premium_pass"].mean(),
    }).assign(delta=lambda t: t["premium"] - t["standard"]).reset_index()


def _top(table: pd.DataFrame, column: str) -> str:
    """Largest ``column``; ties: more items, then the first name alphabetically."""
    ranked = table.sort_values([column, "n", "segment"], ascending=[False, False, True])
    return str(ranked["segment"].iloc[0])


def cascade_curve(ev: pd.DataFrame) -> list[tuple[float, float, float]]:
    """(tau, accuracy, routed share) on the grid."""
    conf = ev["standard_confidence"].to_numpy(dtype=float)
    std = ev["standard_pass"].to_numpy(dtype=float)
    prem = ev["premium_pass"].to_numpy(dtype=float)
    out = []
    for tau in TAU_GRID:
        routed = conf < tau
        out.append((tau, float(np.where(routed, prem, std).mean()), float(routed.mean())))
    return out


def _margin(public: dict[str, Any]) -> float:
    return float(public["cascade_margin_pts"]) / 100


def cheapest_cascade(ev: pd.DataFrame, margin: float, c_std: float, c_prem: float,
                     pays_both: bool = True) -> tuple[float, float, float]:
    """(tau, accuracy, cost relative to premium-only) of the cheapest qualifying tau.

    The cost per task never falls as tau rises (the routed set only grows), so the
    cheapest qualifying tau is the lowest one; equal costs go to the lowest tau too.
    tau = 1.00 routes every item and always qualifies.
    """
    target = float(ev["premium_pass"].mean()) - margin
    tau, acc, routed = next(row for row in cascade_curve(ev) if row[1] >= target)
    cost = c_std + routed * c_prem if pays_both else (1 - routed) * c_std + routed * c_prem
    return tau, acc, cost / c_prem


def segment_router(data: Frames, public: dict[str, Any], weights: pd.Series | None = None,
                   per_task: dict[str, float] | None = None,
                   table: pd.DataFrame | None = None) -> tuple[list[str], float, float]:
    """The best segment router within the cost cap: (segments, accuracy, cost ratio).

    A router sends every task of the chosen segments to premium and the rest to standard.
    Its accuracy is each segment's eval pass rate on the tier it is routed to, weighted by
    the segment's share of production tasks (``weights``: tasks.csv unless given); its
    cost per task is C_premium for a routed task and C_standard for any other, as a share
    of premium-only. Among routers within the cap: the highest accuracy, then the lower
    cost, then fewer segments. ``per_task`` (Q1's costs) and ``table`` (``segment_table``)
    are computed unless the caller has them.
    """
    ev, tasks = data["eval_paired.csv"], data["tasks.csv"]
    if per_task is None:
        per_task = cost_per_task(data, call_costs(data))
    ratio = per_task["standard"] / per_task["premium"]
    cap = float(public["router_cost_cap"])
    if weights is None:
        weights = tasks["segment"].value_counts(normalize=True)
    table = (segment_table(ev) if table is None else table).set_index("segment")
    names = sorted(table.index)
    w = weights.reindex(names, fill_value=0.0).to_numpy(dtype=float)
    table = table.loc[names]
    acc_s, acc_p = table["standard"].to_numpy(), table["premium"].to_numpy()
    # Every router at once: row ``mask`` routes segment i when bit i of mask is set.
    routed = (np.arange(1 << len(names))[:, None] >> np.arange(len(names)) & 1).astype(bool)
    cost = ratio + (1 - ratio) * (w * routed).sum(axis=1)
    accuracy = (w * np.where(routed, acc_p, acc_s)).sum(axis=1)
    size = routed.sum(axis=1)
    within = np.flatnonzero(cost <= cap)  # routing nothing is always within the cap
    best = within[np.lexsort((size[within], cost[within], -accuracy[within]))[0]]
    return ([names[i] for i in np.flatnonzero(routed[best])], float(accuracy[best]),
            float(cost[best]))


def workflow_savings(data: Frames, costs: pd.Series | None = None,
                     flat: pd.Series | None = None) -> pd.Series:
    """Q2's savings share on each workflow's requests alone (``costs`` and ``flat``, the
    costs with and without cache pricing, are computed unless given)."""
    calls, tasks = data["usage_calls.csv"], data["tasks.csv"]
    if costs is None:
        costs = call_costs(data)
    if flat is None:
        flat = call_costs(data, write=1.0, read=1.0)
    task_index = pd.Index(tasks["task_id"])
    row = task_index.get_indexer(calls["task_id"]) if task_index.is_unique else None
    if row is not None and (row >= 0).all():
        codes, names = pd.factorize(tasks["workflow"])
        sums = pd.DataFrame({"cost": costs.to_numpy(), "base": flat.to_numpy()}).groupby(
            codes[row]).sum()
        sums.index = pd.Index(names[sums.index], name="task_id")
        sums = sums.sort_index()
        cost, base = sums["cost"], sums["base"]
    else:  # the plain way, for data that does not join one to one
        workflow = calls["task_id"].map(tasks.set_index("task_id")["workflow"])
        cost, base = costs.groupby(workflow).sum(), flat.groupby(workflow).sum()
    return 1.0 - cost / base


def latency_stats(turns: pd.DataFrame, budget: int) -> dict[str, float]:
    return _latency_stats(turns["latency_ms"].to_numpy(dtype=float),
                          (turns["success"] == 1).to_numpy(), budget)


def _latency_stats(lat: np.ndarray, success: np.ndarray, budget: int) -> dict[str, float]:
    good = success & (lat <= budget)
    return {
        "p50": float(np.percentile(lat, 50)),
        "p95": float(np.percentile(lat, 95)),
        "over": float(np.mean(lat > budget)),
        "good": float(good.mean()),
    }


def cost_per_resolved(data: Frames, costs: pd.Series,
                      total: pd.Series | None = None) -> dict[str, float]:
    calls, tasks = data["usage_calls.csv"], data["tasks.csv"]
    if total is None:
        total = costs.groupby(calls["tier"]).sum()
    resolved = tasks["tier"][tasks["resolved"].astype(bool)].value_counts()
    return {t: float(total[t] / resolved[t]) for t in TIERS}


# ---------------------------------------------------------------------------------------
# The key
# ---------------------------------------------------------------------------------------


def reference(data: Frames, public: dict[str, Any]) -> Answers:
    """The answer key, computed exactly as the notebook states the definitions."""
    tiers = _tier_codes(data)
    costs, flat = _cost_pair(data, tiers)
    total = tier_totals(costs, tiers)
    per_task = cost_per_task(data, costs, total)

    ev = data["eval_paired.csv"]
    b, c = discordant(ev)
    table = segment_table(ev)

    tau, acc, ratio = cheapest_cascade(ev, _margin(public),
                                       per_task["standard"], per_task["premium"])

    turns = data["voice_turns.csv"]
    budget = int(public["budget_ms"])
    arm_code, arm_names = pd.factorize(turns["arm"])
    code_of = {str(name): i for i, name in enumerate(arm_names)}
    lat = turns["latency_ms"].to_numpy(dtype=float)
    success = (turns["success"] == 1).to_numpy()

    def arm_stats(name: str) -> dict[str, float]:
        """``latency_stats`` of the arm's turns (the same rows, in the same order)."""
        at = arm_code == code_of.get(name, -2)
        return _latency_stats(lat[at], success[at], budget)

    one, two = arm_stats("one_call"), arm_stats("two_calls")

    resolved = cost_per_resolved(data, costs, total)
    segments, router_acc, router_cost = segment_router(data, public, per_task=per_task,
                                                       table=table)
    losing = workflow_savings(data, costs, flat)
    return {
        "q1_cost_per_1k_tasks_standard": PER * per_task["standard"],
        "q1_cost_per_1k_tasks_premium": PER * per_task["premium"],
        "q2_cache_hit_ratio": cache_hit_ratio(data),
        "q2_savings_share": savings(data, costs, flat),
        "q3_accuracy_delta": float(ev["premium_pass"].mean() - ev["standard_pass"].mean()),
        "q3_premium_only_wins": b,
        "q3_standard_only_wins": c,
        "q3_p_value": exact_mcnemar(b, c),
        "q3_top_segment": _top(table, "delta"),
        "q4_tau": float(tau),
        "q4_cascade_accuracy": acc,
        "q4_cost_vs_premium": ratio,
        "q5_p50_one_call_ms": one["p50"],
        "q5_p95_one_call_ms": one["p95"],
        "q5_p50_two_calls_ms": two["p50"],
        "q5_p95_two_calls_ms": two["p95"],
        "q5_over_budget_one_call": one["over"],
        "q5_over_budget_two_calls": two["over"],
        "q5_good_turns_one_call": one["good"],
        "q5_good_turns_two_calls": two["good"],
        "q6_cost_per_1k_resolved_standard": PER * resolved["standard"],
        "q6_cost_per_1k_resolved_premium": PER * resolved["premium"],
        "q7_premium_segments": segments,
        "q7_router_accuracy": router_acc,
        "q7_router_cost_vs_premium": router_cost,
        "q8_cache_off_workflows": sorted(str(w) for w in losing[losing < 0].index),
    }


# ---------------------------------------------------------------------------------------
# Wrong approaches: each returns only the variables it gets wrong
# ---------------------------------------------------------------------------------------


def _ignore_cache_pricing(data: Frames, public: dict[str, Any]) -> Answers:
    """Every input token at the base input price: the cache counters are just input."""
    per_task = cost_per_task(data, call_costs(data, write=1.0, read=1.0))
    return {"q1_cost_per_1k_tasks_standard": PER * per_task["standard"],
            "q1_cost_per_1k_tasks_premium": PER * per_task["premium"]}


def _cost_per_call(data: Frames, public: dict[str, Any]) -> Answers:
    """The mean cost of one call, as if a task were one call: fan-out forgotten."""
    calls = data["usage_calls.csv"]
    mean = call_costs(data).groupby(calls["tier"]).mean()
    return {"q1_cost_per_1k_tasks_standard": PER * float(mean["standard"]),
            "q1_cost_per_1k_tasks_premium": PER * float(mean["premium"])}


def _call_level_hit_rate(data: Frames, public: dict[str, Any]) -> Answers:
    calls = data["usage_calls.csv"]
    return {"q2_cache_hit_ratio": float((calls["cache_read_input_tokens"] > 0).mean())}


def _savings_ignoring_write_premium(data: Frames, public: dict[str, Any]) -> Answers:
    """Counts the read discount but prices cache writes at the base input price."""
    return {"q2_savings_share": savings(data, call_costs(data, write=1.0))}


def _unpaired_test(data: Frames, public: dict[str, Any]) -> Answers:
    """A two-proportion z-test (pooled variance) that ignores the pairing."""
    ev = data["eval_paired.csv"]
    n = len(ev)
    ps, pp = float(ev["standard_pass"].mean()), float(ev["premium_pass"].mean())
    pooled = (ps + pp) / 2
    z = (pp - ps) / np.sqrt(pooled * (1 - pooled) * 2 / n)
    return {"q3_p_value": float(2 * stats.norm.sf(abs(z)))}


def _one_sided_p(data: Frames, public: dict[str, Any]) -> Answers:
    b, c = discordant(data["eval_paired.csv"])
    return {"q3_p_value": float(stats.binom.sf(b - 1, b + c, 0.5))}


def _segment_by_premium_accuracy(data: Frames, public: dict[str, Any]) -> Answers:
    return {"q3_top_segment": _top(segment_table(data["eval_paired.csv"]), "premium")}


def _cascade_pays_once(data: Frames, public: dict[str, Any]) -> Answers:
    """Routed items pay only for the premium call, not for the standard one before it."""
    per_task = cost_per_task(data, call_costs(data))
    tau, acc, ratio = cheapest_cascade(data["eval_paired.csv"], _margin(public),
                                       per_task["standard"], per_task["premium"],
                                       pays_both=False)
    return {"q4_cost_vs_premium": ratio}


def _cascade_priced_per_call(data: Frames, public: dict[str, Any]) -> Answers:
    """Prices the cascade with the mean cost of one call per tier (fan-out forgotten)."""
    calls = data["usage_calls.csv"]
    mean = call_costs(data).groupby(calls["tier"]).mean()
    _, _, ratio = cheapest_cascade(data["eval_paired.csv"], _margin(public),
                                   float(mean["standard"]), float(mean["premium"]))
    return {"q4_cost_vs_premium": ratio}


def _mean_instead_of_p95(data: Frames, public: dict[str, Any]) -> Answers:
    turns = data["voice_turns.csv"]
    mean = turns.groupby("arm")["latency_ms"].mean()
    return {"q5_p95_one_call_ms": float(mean["one_call"]),
            "q5_p95_two_calls_ms": float(mean["two_calls"])}


def _pooled_arms(data: Frames, public: dict[str, Any]) -> Answers:
    """Latency over all turns, both arms together, reported for each arm."""
    pooled = latency_stats(data["voice_turns.csv"], int(public["budget_ms"]))
    out: Answers = {}
    for arm in ARMS:
        out |= {f"q5_p50_{arm}_ms": pooled["p50"], f"q5_p95_{arm}_ms": pooled["p95"],
                f"q5_over_budget_{arm}": pooled["over"], f"q5_good_turns_{arm}": pooled["good"]}
    return out


def _cost_of_resolved_tasks_only(data: Frames, public: dict[str, Any]) -> Answers:
    """The mean cost of a resolved task: the spend on unresolved tasks disappears."""
    calls, tasks = data["usage_calls.csv"], data["tasks.csv"]
    resolved_ids = set(tasks.loc[tasks["resolved"].astype(bool), "task_id"])
    costs = call_costs(data)
    keep = calls["task_id"].isin(resolved_ids)
    total = costs[keep].groupby(calls.loc[keep, "tier"]).sum()
    count = tasks[tasks["resolved"].astype(bool)]["tier"].value_counts()
    return {"q6_cost_per_1k_resolved_standard": PER * float(total["standard"] / count["standard"]),
            "q6_cost_per_1k_resolved_premium": PER * float(total["premium"] / count["premium"])}


def _eval_pass_rate_as_success(data: Frames, public: dict[str, Any]) -> Answers:
    """Cost per task divided by the eval pass rate instead of production resolution."""
    per_task = cost_per_task(data, call_costs(data))
    ev = data["eval_paired.csv"]
    return {
        "q6_cost_per_1k_resolved_standard":
            PER * per_task["standard"] / float(ev["standard_pass"].mean()),
        "q6_cost_per_1k_resolved_premium":
            PER * per_task["premium"] / float(ev["premium_pass"].mean()),
    }


def _router_for(data: Frames, public: dict[str, Any], segments: list[str]) -> Answers:
    """Q7's answers for a given set of routed segments (accuracy and cost as defined)."""
    tasks, ev = data["tasks.csv"], data["eval_paired.csv"]
    per_task = cost_per_task(data, call_costs(data))
    ratio = per_task["standard"] / per_task["premium"]
    weights = tasks["segment"].value_counts(normalize=True)
    table = segment_table(ev).set_index("segment")
    routed = table.index.isin(segments)
    w = weights.reindex(table.index).fillna(0.0).to_numpy()
    accuracy = float(np.sum(w * np.where(routed, table["premium"], table["standard"])))
    return {"q7_premium_segments": sorted(segments), "q7_router_accuracy": accuracy,
            "q7_router_cost_vs_premium": ratio + (1 - ratio) * float(w[routed].sum())}


def _route_top_segment_only(data: Frames, public: dict[str, Any]) -> Answers:
    """Routes only the segment with the largest eval delta (Q3's answer)."""
    return _router_for(data, public, [_top(segment_table(data["eval_paired.csv"]), "delta")])


def _route_every_segment(data: Frames, public: dict[str, Any]) -> Answers:
    """Premium everywhere, as the PM proposes: the cap and the losing segments ignored."""
    return _router_for(data, public, list(segment_table(data["eval_paired.csv"])["segment"]))


def _router_on_eval_mix(data: Frames, public: dict[str, Any]) -> Answers:
    """Weights the segments by the eval's item mix instead of production traffic."""
    weights = data["eval_paired.csv"]["segment"].value_counts(normalize=True)
    segments, accuracy, cost = segment_router(data, public, weights)
    return {"q7_premium_segments": segments, "q7_router_accuracy": accuracy,
            "q7_router_cost_vs_premium": cost}


def _cache_off_nowhere(data: Frames, public: dict[str, Any]) -> Answers:
    """Caching saves money overall (Q2), so it is left on everywhere."""
    return {"q8_cache_off_workflows": []}


WRONG_APPROACHES: dict[str, WrongApproach] = {
    "ignore_cache_pricing": WrongApproach(
        _ignore_cache_pricing, ("q1",),
        "cache reads and writes priced as ordinary input tokens"),
    "cost_per_call": WrongApproach(
        _cost_per_call, ("q1",),
        "cost of one API call reported as the cost of a task (fan-out forgotten)"),
    "call_level_hit_rate": WrongApproach(
        _call_level_hit_rate, ("q2",),
        "share of requests with any cache read instead of the token-weighted ratio"),
    "savings_ignoring_write_premium": WrongApproach(
        _savings_ignoring_write_premium, ("q2",),
        "caching savings without the cache-write premium"),
    "unpaired_test": WrongApproach(
        _unpaired_test, ("q3",),
        "unpaired two-proportion z-test on a paired eval"),
    "one_sided_p": WrongApproach(
        _one_sided_p, ("q3",),
        "one-sided p-value where a two-sided one is asked"),
    "segment_by_premium_accuracy": WrongApproach(
        _segment_by_premium_accuracy, ("q3",),
        "segment where premium scores highest, not where it gains most"),
    "cascade_pays_once": WrongApproach(
        _cascade_pays_once, ("q4",),
        "escalated items pay only for the premium call"),
    "cascade_priced_per_call": WrongApproach(
        _cascade_priced_per_call, ("q4",),
        "cascade priced with the cost of one call, not of a task"),
    "mean_instead_of_p95": WrongApproach(
        _mean_instead_of_p95, ("q5",),
        "mean latency reported as the p95"),
    "pooled_arms": WrongApproach(
        _pooled_arms, ("q5",),
        "latency computed over both voice arms together"),
    "cost_of_resolved_tasks_only": WrongApproach(
        _cost_of_resolved_tasks_only, ("q6",),
        "spend on unresolved tasks left out of the cost per resolved task"),
    "eval_pass_rate_as_success": WrongApproach(
        _eval_pass_rate_as_success, ("q6",),
        "eval pass rate used instead of production resolution"),
    "route_top_segment_only": WrongApproach(
        _route_top_segment_only, ("q7",),
        "routes only the segment with the biggest eval gain to premium"),
    "route_every_segment": WrongApproach(
        _route_every_segment, ("q7",),
        "sends every segment to premium: the cost cap and the segments premium hurts ignored"),
    "router_on_eval_mix": WrongApproach(
        _router_on_eval_mix, ("q7",),
        "sizes the router on the eval's segment mix instead of production traffic"),
    "cache_off_nowhere": WrongApproach(
        _cache_off_nowhere, ("q8",),
        "keeps caching on everywhere because it saves money overall"),
}

# Simulated candidates: which mistakes each one makes. Expected ranking on every variant:
# strong > misses_calibration > aggregate_only > blank.
PERSONAS: dict[str, tuple[str, ...]] = {
    "strong": (),
    # Every stated definition right; each judgement question read the obvious way: route
    # the segment Q3 names, keep caching on because it saves overall.
    "literal": ("route_top_segment_only", "cache_off_nowhere"),
    # Prices the cache right and reads p95, but tests unpaired, pays once for routed
    # items, forgets the write premium in the savings and the failed tasks' spend.
    "misses_calibration": (
        "unpaired_test",
        "cascade_pays_once",
        "savings_ignoring_write_premium",
        "cost_of_resolved_tasks_only",
        "router_on_eval_mix",
    ),
    "aggregate_only": (
        "ignore_cache_pricing",
        "call_level_hit_rate",
        "savings_ignoring_write_premium",
        "unpaired_test",
        "segment_by_premium_accuracy",
        "cascade_pays_once",
        "pooled_arms",
        "eval_pass_rate_as_success",
        "route_every_segment",
        "cache_off_nowhere",
    ),
}
