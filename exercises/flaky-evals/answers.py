"""flaky-evals: the answer key, and the wrong approaches it must catch.

Every definition here is the one the notebook states. ``reference`` gets the frames as
a candidate reads them (``pd.read_csv`` defaults): an errored run has NaN in
``output_hash`` and in both verdict columns.
"""

# No `from __future__ import annotations`: the kit loads this file by path without
# registering it in sys.modules, and dataclasses then cannot resolve string annotations.
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

Frames = dict[str, pd.DataFrame]
Answers = dict[str, object]

Z_95 = 1.96
ALPHA = 0.05
JUDGES = {"old": "verdict_old_judge", "new": "verdict_new_judge"}


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


def completed(data: Frames) -> pd.DataFrame:
    """The runs that produced an output (status ok); errored runs carry no verdict."""
    runs = data["runs.csv"]
    return runs[runs["status"] == "ok"]


def _item_ids(data: Frames) -> pd.Index:
    return pd.Index(data["items.csv"]["item_id"].astype(str), name="item_id")


def _codes(values: pd.Series) -> np.ndarray:
    """Integer codes of a column's values, -1 where the value is missing."""
    return np.asarray(pd.factorize(values)[0])


def _distinct_per_group(group: np.ndarray, code: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group: the number of distinct non-missing codes (a groupby ``nunique``)."""
    keep = (group >= 0) & (code >= 0)
    width = max(int(code.max()) + 1, 1) if len(code) else 1
    pairs = np.unique(group[keep].astype(np.int64) * width + code[keep])
    return np.bincount(pairs // width, minlength=n_groups)


@dataclass(frozen=True)
class _Log:
    """Runs as arrays, one entry per run: the item's row in items.csv (-1 if it has none),
    the model, each judge's pass flag, and codes of each judge's verdict, the output hash
    and the input tokens (-1 where missing)."""

    ids: pd.Index
    item: np.ndarray
    model: np.ndarray
    passed: dict[str, np.ndarray]
    verdict: dict[str, np.ndarray]
    output: np.ndarray
    inputs: np.ndarray

    @classmethod
    def of(cls, data: Frames, runs: pd.DataFrame | None = None) -> "_Log":
        """The completed runs, or ``runs`` as given (a wrong approach may pass the raw log)."""
        if runs is None:
            runs = data["runs.csv"]
            keep = (runs["status"] == "ok").to_numpy()
        else:
            keep = np.ones(len(runs), dtype=bool)
        ids = _item_ids(data)
        return cls(ids=ids, item=np.asarray(ids.get_indexer(runs["item_id"]))[keep],
                   model=runs["model"].to_numpy()[keep],
                   passed={j: (runs[col] == "pass").to_numpy()[keep]
                           for j, col in JUDGES.items()},
                   verdict={j: _codes(runs[col])[keep] for j, col in JUDGES.items()},
                   output=_codes(runs["output_hash"])[keep],
                   inputs=_codes(runs["input_tokens"])[keep])

    def counts(self, model: str, judge: str) -> pd.DataFrame:
        mine = (self.model == model) & (self.item >= 0)
        size = len(self.ids)
        passed = np.bincount(self.item[mine], weights=self.passed[judge][mine], minlength=size)
        return pd.DataFrame({"c": passed.astype(int),
                             "n": np.bincount(self.item[mine], minlength=size)},
                            index=self.ids)

    def distinct(self, model: str, code: np.ndarray) -> np.ndarray:
        """Per item: the distinct non-missing codes over one model's runs."""
        mine = self.model == model
        return _distinct_per_group(self.item[mine], code[mine], len(self.ids))

    def distinct_outputs(self, model: str) -> pd.DataFrame:
        item = self.item[self.model == model]
        return pd.DataFrame({"runs": np.bincount(item[item >= 0], minlength=len(self.ids)),
                             "distinct": self.distinct(model, self.output)}, index=self.ids)

    def harness_items(self, old_old: pd.DataFrame) -> list[str]:
        varied = set(self.ids[self.distinct("old", self.inputs) > 1])
        return [i for i in flaky_items(old_old) if i in varied]

    def self_disagreement(self, judge: str) -> float:
        n_outputs = int(self.output.max()) + 1
        size = np.bincount(self.output[self.output >= 0], minlength=n_outputs)
        repeated = size >= 2
        mixed = _distinct_per_group(self.output, self.verdict[judge], n_outputs) > 1
        return float((mixed & repeated).sum() / repeated.sum())


def counts(data: Frames, model: str, judge: str, runs: pd.DataFrame | None = None
           ) -> pd.DataFrame:
    """Per item (in items.csv order): c = passing runs, n = runs, for one model and judge.

    ``runs`` defaults to the completed runs; a wrong approach may pass the raw log.
    """
    return _Log.of(data, runs).counts(model, judge)


def item_means(data: Frames, model: str, judge: str) -> pd.Series:
    """Per-item pass rate c / n, in items.csv order."""
    cn = counts(data, model, judge)
    return cn["c"] / cn["n"]


def pass_hat_k(cn: pd.DataFrame, k: int) -> float:
    """pass^k: the mean over items of the unbiased per-item estimate C(c, k) / C(n, k)."""
    c, n = cn["c"].to_numpy(), cn["n"].to_numpy()
    top = int(n.max()) + 1
    table = np.array([[math.comb(a, k) / math.comb(b, k) if b >= k else math.nan
                       for b in range(top)] for a in range(top)])
    return float(np.mean(table[c, n]))


def flaky_share(cn: pd.DataFrame) -> float:
    return float(((cn["c"] > 0) & (cn["c"] < cn["n"])).mean())


def distinct_outputs(data: Frames, model: str) -> pd.DataFrame:
    """Per item: completed runs and distinct output hashes, for one model."""
    return _Log.of(data).distinct_outputs(model)


def standard_error(means: pd.Series) -> float:
    """Standard error of the mean over items: sd (ddof 1) of the per-item means / sqrt(N)."""
    return float(means.std(ddof=1) / math.sqrt(len(means)))


def items_needed(sd: float, half_width: float) -> int:
    return int(math.ceil((Z_95 * sd / half_width) ** 2))


def _effect_by_category(data: Frames, effect: pd.Series) -> pd.Series:
    category = data["items.csv"].set_index("item_id")["category"].reindex(effect.index)
    return effect.groupby(category).mean()


def judge_effect_by_category(data: Frames) -> pd.Series:
    """Per category: mean over its items of the new model's pass rate under the new judge
    minus under the old judge."""
    return _effect_by_category(data, item_means(data, "new", "new")
                               - item_means(data, "new", "old"))


def _top_category(by_cat: pd.Series) -> str:
    top = by_cat.max()
    return str(sorted(c for c, v in by_cat.items() if v >= top - 1e-12)[0])


def most_lenient_category(data: Frames) -> str:
    """The category with the largest judge effect; ties go to the first name A to Z."""
    return _top_category(judge_effect_by_category(data))


def flaky_items(cn: pd.DataFrame) -> list[str]:
    return sorted(str(i) for i in cn.index[(cn["c"] > 0) & (cn["c"] < cn["n"])])


def harness_items(data: Frames) -> list[str]:
    """The flaky items (old model, old judge) that the harness did not run the same way
    every time: their old-model completed runs were sent different inputs (the attachment
    fetch timed out on some runs and the prompt went without it). Every other item gets
    the same input on every run of a model."""
    log = _Log.of(data)
    return log.harness_items(log.counts("old", "old"))


def judge_self_disagreement(data: Frames, judge: str) -> float:
    """The share of outputs seen in two or more completed runs (both models) that the
    judge gave different verdicts."""
    return _Log.of(data).self_disagreement(judge)


def _noisier(old: float, new: float) -> str:
    return "old" if old > new else "new"


def noisier_judge(data: Frames) -> str:
    log = _Log.of(data)
    return _noisier(log.self_disagreement("old"), log.self_disagreement("new"))


def _significant(p_value: float) -> str:
    return "yes" if p_value < ALPHA else "no"


# ---------------------------------------------------------------------------------------
# The key
# ---------------------------------------------------------------------------------------


def reference(data: Frames, public: dict[str, Any]) -> Answers:
    """The answer key, computed exactly as the notebook states the definitions."""
    k = int(public["k"])
    half_width = float(public["target_half_width"])

    log = _Log.of(data)
    cn = {(m, j): log.counts(m, j) for m in ("old", "new") for j in ("old", "new")}
    means = {mj: c["c"] / c["n"] for mj, c in cn.items()}
    old_old, new_old = cn[("old", "old")], cn[("new", "old")]
    outputs = log.distinct_outputs("old")
    never = outputs[(outputs["runs"] >= 2) & (outputs["distinct"] == outputs["runs"])]

    a = {mj: float(m.mean()) for mj, m in means.items()}
    headline_means = means[("new", "new")]
    sd = float(headline_means.std(ddof=1))

    x_new, x_old = means[("new", "old")], means[("old", "old")]
    t_stat, p_value = stats.ttest_rel(x_new, x_old)
    lenient = _top_category(_effect_by_category(data, headline_means - x_new))

    return {
        "q1_flaky_share": flaky_share(old_old),
        "q1_multi_output_share": float((outputs["distinct"] >= 2).mean()),
        "q1_never_agree_items": sorted(str(i) for i in never.index),
        "q2_pass1_old": float((old_old["c"] / old_old["n"]).mean()),
        "q2_pass1_new": float((new_old["c"] / new_old["n"]).mean()),
        "q2_passk_old": pass_hat_k(old_old, k),
        "q2_passk_new": pass_hat_k(new_old, k),
        "q3_standard_error": standard_error(headline_means),
        "q3_items_needed": items_needed(sd, half_width),
        "q4_headline": a[("new", "new")] - a[("old", "old")],
        "q4_model_effect": a[("new", "old")] - a[("old", "old")],
        "q4_judge_effect": a[("new", "new")] - a[("new", "old")],
        "q4_judge_effect_old_outputs": a[("old", "new")] - a[("old", "old")],
        "q4_model_effect_new_judge": a[("new", "new")] - a[("old", "new")],
        "q4_most_lenient_category": lenient,
        "q5_t_statistic": float(t_stat),
        "q5_p_value": float(p_value),
        "q5_significant": _significant(float(p_value)),
        "q6_harness_items": log.harness_items(old_old),
        "q7_noisier_judge": _noisier(log.self_disagreement("old"),
                                     log.self_disagreement("new")),
    }


# ---------------------------------------------------------------------------------------
# Wrong approaches: each returns only the variables it gets wrong
# ---------------------------------------------------------------------------------------


def _flaky_means_distinct_outputs(data: Frames, public: dict[str, Any]) -> Answers:
    outputs = distinct_outputs(data, "old")
    return {"q1_flaky_share": float((outputs["distinct"] >= 2).mean())}


def _flaky_on_new_model(data: Frames, public: dict[str, Any]) -> Answers:
    outputs = distinct_outputs(data, "new")
    return {
        "q1_flaky_share": flaky_share(counts(data, "new", "old")),
        "q1_multi_output_share": float((outputs["distinct"] >= 2).mean()),
    }


def _errored_runs_as_fails(data: Frames, public: dict[str, Any]) -> Answers:
    """Reads the verdict columns of the raw log: an errored run (no verdict) is a fail and
    still counts in n."""
    k = int(public["k"])
    raw = data["runs.csv"]
    old_old = counts(data, "old", "old", runs=raw)
    new_old = counts(data, "new", "old", runs=raw)
    return {
        "q1_flaky_share": flaky_share(old_old),
        "q2_pass1_old": float((old_old["c"] / old_old["n"]).mean()),
        "q2_pass1_new": float((new_old["c"] / new_old["n"]).mean()),
        "q2_passk_old": pass_hat_k(old_old, k),
        "q2_passk_new": pass_hat_k(new_old, k),
    }


def _passk_as_p_to_the_k(data: Frames, public: dict[str, Any]) -> Answers:
    k = int(public["k"])
    return {
        "q2_passk_old": float(item_means(data, "old", "old").mean()) ** k,
        "q2_passk_new": float(item_means(data, "new", "old").mean()) ** k,
    }


def _passk_plugin(data: Frames, public: dict[str, Any]) -> Answers:
    """The per-item plug-in (c / n)^k, which is biased high against C(c, k) / C(n, k)."""
    k = int(public["k"])
    return {
        "q2_passk_old": float((item_means(data, "old", "old") ** k).mean()),
        "q2_passk_new": float((item_means(data, "new", "old") ** k).mean()),
    }


def _pass_at_k_instead(data: Frames, public: dict[str, Any]) -> Answers:
    """pass@k (at least one of k runs passes) where pass^k (all k pass) was asked."""
    k = int(public["k"])

    def at_k(cn: pd.DataFrame) -> float:
        return float(np.mean([1 - math.comb(int(n - c), k) / math.comb(int(n), k)
                              for c, n in zip(cn["c"], cn["n"], strict=True)]))

    return {"q2_passk_old": at_k(counts(data, "old", "old")),
            "q2_passk_new": at_k(counts(data, "new", "old"))}


def _se_runs_independent(data: Frames, public: dict[str, Any]) -> Answers:
    """Every run as an independent Bernoulli draw: the SE shrinks by about sqrt(K)."""
    runs = completed(data)
    mine = runs[runs["model"] == "new"]
    p = float((mine["verdict_new_judge"] == "pass").mean())
    runs_per_item = len(mine) / len(data["items.csv"])
    runs_needed = Z_95**2 * p * (1 - p) / float(public["target_half_width"]) ** 2
    return {
        "q3_standard_error": math.sqrt(p * (1 - p) / len(mine)),
        "q3_items_needed": int(math.ceil(runs_needed / runs_per_item)),
    }


def _se_binomial_items(data: Frames, public: dict[str, Any]) -> Answers:
    """sqrt(p(1-p)/N) over items: ignores that an item's mean is not a 0/1 outcome."""
    means = item_means(data, "new", "new")
    p = float(means.mean())
    return {
        "q3_standard_error": math.sqrt(p * (1 - p) / len(means)),
        "q3_items_needed": items_needed(math.sqrt(p * (1 - p)),
                                        float(public["target_half_width"])),
    }


def _whole_delta_to_model(data: Frames, public: dict[str, Any]) -> Answers:
    headline = float(item_means(data, "new", "new").mean() - item_means(data, "old", "old").mean())
    return {"q4_model_effect": headline, "q4_judge_effect": 0.0}


def _judge_effect_on_old_model(data: Frames, public: dict[str, Any]) -> Answers:
    """The two orders swapped: the judge-first split reported as the model-first one."""
    key = reference(data, public)
    return {"q4_model_effect": key["q4_model_effect_new_judge"],
            "q4_judge_effect": key["q4_judge_effect_old_outputs"],
            "q4_model_effect_new_judge": key["q4_model_effect"],
            "q4_judge_effect_old_outputs": key["q4_judge_effect"]}


def _one_order_only(data: Frames, public: dict[str, Any]) -> Answers:
    """Assumes the order does not matter: the model-first split, reported for both."""
    key = reference(data, public)
    return {"q4_model_effect_new_judge": key["q4_model_effect"],
            "q4_judge_effect_old_outputs": key["q4_judge_effect"]}


def _harness_all_flaky_items(data: Frames, public: dict[str, Any]) -> Answers:
    """The literal reading: every flaky item is the harness's problem."""
    return {"q6_harness_items": flaky_items(counts(data, "old", "old"))}


def _harness_items_with_errors(data: Frames, public: dict[str, Any]) -> Answers:
    """The flaky items that had an errored run (timeouts, rate limits, 5xx)."""
    runs = data["runs.csv"]
    errored = set(runs.loc[(runs["model"] == "old") & (runs["status"] != "ok"), "item_id"])
    return {"q6_harness_items": [i for i in flaky_items(counts(data, "old", "old"))
                                 if i in errored]}


def _judge_with_more_flaky_items(model: str) -> Callable[[Frames, dict[str, Any]], Answers]:
    def fn(data: Frames, public: dict[str, Any]) -> Answers:
        old, new = (flaky_share(counts(data, model, j)) for j in ("old", "new"))
        return {"q7_noisier_judge": "old" if old > new else "new"}
    return fn


def _unpaired_welch(data: Frames, public: dict[str, Any]) -> Answers:
    result = stats.ttest_ind(item_means(data, "new", "old"), item_means(data, "old", "old"),
                             equal_var=False)
    return {"q5_t_statistic": float(result.statistic), "q5_p_value": float(result.pvalue),
            "q5_significant": _significant(float(result.pvalue))}


def _test_on_headline(data: Frames, public: dict[str, Any]) -> Answers:
    """Tests the headline (new model + new judge vs. old + old), not the model effect."""
    result = stats.ttest_rel(item_means(data, "new", "new"), item_means(data, "old", "old"))
    return {"q5_t_statistic": float(result.statistic), "q5_p_value": float(result.pvalue),
            "q5_significant": _significant(float(result.pvalue))}


WRONG_APPROACHES: dict[str, WrongApproach] = {
    "flaky_means_distinct_outputs": WrongApproach(
        _flaky_means_distinct_outputs, ("q1",),
        "called an item flaky when its outputs differ, not its verdicts"),
    "flaky_on_new_model": WrongApproach(
        _flaky_on_new_model, ("q1",), "measured flakiness on the new model, not the old"),
    "errored_runs_as_fails": WrongApproach(
        _errored_runs_as_fails, ("q1", "q2"),
        "counted timeouts and errored runs as failed runs"),
    "passk_as_p_to_the_k": WrongApproach(
        _passk_as_p_to_the_k, ("q2",), "pass^k as (pass@1)^k of the average"),
    "passk_plugin": WrongApproach(
        _passk_plugin, ("q2",), "pass^k as the mean of (c/n)^k, biased high"),
    "pass_at_k_instead": WrongApproach(
        _pass_at_k_instead, ("q2",), "reported pass@k (any run passes) for pass^k"),
    "se_runs_independent": WrongApproach(
        _se_runs_independent, ("q3",),
        "treated every run as an independent sample: error bars too narrow"),
    "se_binomial_items": WrongApproach(
        _se_binomial_items, ("q3",), "binomial error bar over items, ignoring repeats"),
    "whole_delta_to_model": WrongApproach(
        _whole_delta_to_model, ("q4",),
        "gave the model the whole headline, nothing to the judge"),
    "judge_effect_on_old_model": WrongApproach(
        _judge_effect_on_old_model, ("q4",), "swapped the two orders of the split"),
    "one_order_only": WrongApproach(
        _one_order_only, ("q4",),
        "assumed the split does not depend on the order (the judge favours one model)"),
    "unpaired_welch": WrongApproach(
        _unpaired_welch, ("q5",), "unpaired test where the items are paired"),
    "test_on_headline": WrongApproach(
        _test_on_headline, ("q5",),
        "tested the headline (model and judge changed) instead of the model effect"),
    "harness_all_flaky_items": WrongApproach(
        _harness_all_flaky_items, ("q6",),
        "blamed every flaky item on the harness, without finding which ones it causes"),
    "harness_items_with_errors": WrongApproach(
        _harness_items_with_errors, ("q6",),
        "blamed the harness for items with errored runs, which are not counted anyway"),
    "noisier_judge_more_flaky_items": WrongApproach(
        _judge_with_more_flaky_items("old"), ("q7",),
        "took the judge with more flaky items as the noisier, mixing model and judge noise"),
    "noisier_judge_more_flaky_items_new_model": WrongApproach(
        _judge_with_more_flaky_items("new"), ("q7",),
        "took the judge with more flaky items on the new model as the noisier"),
}

# Simulated candidates: which mistakes each one makes. Expected ranking on every variant:
# strong > misses_calibration > literal > aggregate_only > blank.
PERSONAS: dict[str, tuple[str, ...]] = {
    "strong": (),
    # Computes every stated definition right, and answers Q6 and Q7 at face value.
    "literal": ("harness_all_flaky_items", "noisier_judge_more_flaky_items"),
    # Knows the material, but treats the K runs of an item as independent evidence.
    "misses_calibration": ("se_runs_independent", "passk_plugin"),
    "aggregate_only": (
        "errored_runs_as_fails",
        "flaky_means_distinct_outputs",
        "passk_as_p_to_the_k",
        "se_runs_independent",
        "whole_delta_to_model",
        "test_on_headline",
        "harness_all_flaky_items",
        "noisier_judge_more_flaky_items",
    ),
}
