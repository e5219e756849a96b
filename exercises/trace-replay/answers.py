"""trace-replay: the answer key, and the wrong approaches it must catch.

Every definition here is the one the notebook states. ``reference`` gets the frames as
a candidate reads them: ``traces.jsonl`` with ``pd.read_json(lines=True, dtype=False,
convert_dates=False)`` (lists and dicts stay Python objects), ``tools.csv`` with
``pd.read_csv`` defaults.
"""

# No `from __future__ import annotations`: the kit loads this file by path without
# registering it in sys.modules, and dataclasses then cannot resolve string annotations.
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

Frames = dict[str, pd.DataFrame]
Answers = dict[str, object]

STAGES = ("tool", "retrieval", "grounding", "instruction")
UNHAPPY = ("down", "escalated")
W2_TRACES = ("trace_a", "trace_b", "trace_c")


@dataclass(frozen=True)
class WrongApproach:
    """A known mistake: ``fn`` returns only the answers it changes; ``loses`` the
    questions that must drop below full marks because of it."""

    fn: Callable[[Frames, dict[str, Any]], Answers]
    loses: tuple[str, ...]


# ---------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------


def allowed_tools(tools: pd.DataFrame) -> dict[str, set[str]]:
    """Intent -> the tools the catalog lists for it (``intents`` is "|"-separated)."""
    allowed: dict[str, set[str]] = {}
    for name, intents in zip(tools["tool"], tools["intents"], strict=True):
        for intent in str(intents).split("|"):
            allowed.setdefault(intent, set()).add(str(name))
    return allowed


def top_k_ids(trace: Mapping[str, Any], k: int, anywhere: bool = False) -> set[str]:
    """The documents the model saw: rank <= k (or every retrieved one, if ``anywhere``)."""
    return {str(d["doc_id"]) for d in trace["retrieved"] if anywhere or int(d["rank"]) <= k}


def failing_stages(
    trace: Mapping[str, Any], k: int, allowed: dict[str, set[str]],
    status_only: bool = False, anywhere: bool = False,
) -> list[str]:
    """Every stage the trace fails, in the stated order. The flags switch on two mistakes:
    ``status_only`` ignores wrong tools, ``anywhere`` ignores k."""
    failed = []
    calls = trace["tool_calls"]
    if any(c["status"] != "ok" for c in calls) or (not status_only and any(
            c["name"] not in allowed.get(str(trace["intent"]), set()) for c in calls)):
        failed.append("tool")
    if not set(trace["gold_doc_ids"]) & top_k_ids(trace, k, anywhere):
        failed.append("retrieval")
    if any(c["support"] is None for c in trace["claims"]):
        failed.append("grounding")
    if len(trace["instruction_violations"]) > 0:
        failed.append("instruction")
    return failed


def stages(data: Frames, k: int, pick: str = "first", **mistakes: bool) -> pd.Series:
    """One stage per trace (index: trace_id): its first (or last) failing stage, or "ok"."""
    traces = data["traces.jsonl"]
    allowed = allowed_tools(data["tools.csv"])
    out = []
    for trace in traces.to_dict(orient="records"):
        failed = failing_stages(trace, k, allowed, **mistakes)
        out.append((failed[0] if pick == "first" else failed[-1]) if failed else "ok")
    return pd.Series(out, index=traces["trace_id"].astype(str), name="stage")


def dominant(labels: pd.Series) -> str:
    """The failing stage with the most traces ("ok" excluded); ties: the earlier stage."""
    counts = labels.value_counts()
    return max(STAGES, key=lambda s: (int(counts.get(s, 0)), -STAGES.index(s)))


def stage_shares(labels: pd.Series) -> dict[str, float]:
    return {s: float((labels == s).mean()) for s in (*STAGES, "ok")}


def recall_at_k(data: Frames, k: int, anywhere: bool = False, hit: bool = False) -> float:
    """Mean over traces of |gold in the top k| / |gold|. ``hit`` scores 1 for any gold."""
    values = []
    for trace in data["traces.jsonl"].to_dict(orient="records"):
        gold = set(trace["gold_doc_ids"])
        found = len(gold & top_k_ids(trace, k, anywhere))
        values.append(float(found > 0) if hit else found / len(gold))
    return float(sum(values) / len(values))


def passed(data: Frames, bar: float, strict: bool = False) -> pd.Series:
    score = data["traces.jsonl"]["rubric_score"].astype(float)
    return score > bar if strict else score >= bar


def unhappy(data: Frames, reactions: tuple[str, ...] = UNHAPPY) -> pd.Series:
    return data["traces.jsonl"]["reaction"].isin(reactions)


def passed_but_unhappy(data: Frames, bar: float, strict: bool = False,
                       reactions: tuple[str, ...] = UNHAPPY) -> list[str]:
    """Trace ids the rubric passes although the user was unhappy, sorted."""
    mask = passed(data, bar, strict) & unhappy(data, reactions)
    return sorted(data["traces.jsonl"].loc[mask, "trace_id"].astype(str))


def precision(data: Frames, bar: float, strict: bool = False,
              reactions: tuple[str, ...] = UNHAPPY) -> float:
    """P(user not unhappy | rubric pass)."""
    ok = passed(data, bar, strict)
    return float((ok & ~unhappy(data, reactions)).sum() / ok.sum())


# ---------------------------------------------------------------------------------------
# The key
# ---------------------------------------------------------------------------------------


def reference(data: Frames, public: dict[str, Any]) -> Answers:
    """The answer key, computed exactly as the notebook states the definitions."""
    k, bar = int(public["k"]), float(public["score_bar"])
    labels = stages(data, k)
    shares = stage_shares(labels)
    the_set = passed_but_unhappy(data, bar)
    return {
        "q1_share_tool": shares["tool"],
        "q1_share_retrieval": shares["retrieval"],
        "q1_share_grounding": shares["grounding"],
        "q1_share_instruction": shares["instruction"],
        "q1_share_ok": shares["ok"],
        "q1_dominant_stage": dominant(labels),
        "q1_stage_trace_a": str(labels[public["trace_a"]]),
        "q1_stage_trace_b": str(labels[public["trace_b"]]),
        "q1_stage_trace_c": str(labels[public["trace_c"]]),
        "q2_recall_at_k": recall_at_k(data, k),
        "q3_passed_but_unhappy": the_set,
        "q4_dominant_stage_in_set": dominant(labels[the_set]),
        "q5_pass_rate": float(passed(data, bar).mean()),
        "q5_precision": precision(data, bar),
    }


# ---------------------------------------------------------------------------------------
# Wrong approaches: each returns only the variables it gets wrong
# ---------------------------------------------------------------------------------------


def _q1(labels: pd.Series, public: dict[str, Any]) -> Answers:
    shares = stage_shares(labels)
    out: Answers = {f"q1_share_{s}": shares[s] for s in (*STAGES, "ok")}
    out["q1_dominant_stage"] = dominant(labels)
    for name in W2_TRACES:
        out[f"q1_stage_{name}"] = str(labels[public[name]])
    return out


def _last_failing_stage(data: Frames, public: dict[str, Any]) -> Answers:
    return _q1(stages(data, int(public["k"]), pick="last"), public)


def _tool_status_only(data: Frames, public: dict[str, Any]) -> Answers:
    """A tool call that returned ok counts as fine, whichever tool it was."""
    return _q1(stages(data, int(public["k"]), status_only=True), public)


def _retrieval_ignores_k(data: Frames, public: dict[str, Any]) -> Answers:
    """A gold document anywhere in the retrieved list counts as found."""
    return _q1(stages(data, int(public["k"]), anywhere=True), public)


def _recall_ignores_k(data: Frames, public: dict[str, Any]) -> Answers:
    return {"q2_recall_at_k": recall_at_k(data, int(public["k"]), anywhere=True)}


def _hit_rate_as_recall(data: Frames, public: dict[str, Any]) -> Answers:
    return {"q2_recall_at_k": recall_at_k(data, int(public["k"]), hit=True)}


def _only_down_is_unhappy(data: Frames, public: dict[str, Any]) -> Answers:
    bar = float(public["score_bar"])
    return {"q3_passed_but_unhappy": passed_but_unhappy(data, bar, reactions=("down",)),
            "q5_precision": precision(data, bar, reactions=("down",))}


def _strictly_above_bar(data: Frames, public: dict[str, Any]) -> Answers:
    bar = float(public["score_bar"])
    return {"q3_passed_but_unhappy": passed_but_unhappy(data, bar, strict=True),
            "q5_pass_rate": float(passed(data, bar, strict=True).mean()),
            "q5_precision": precision(data, bar, strict=True)}


def _unhappy_ignoring_rubric(data: Frames, public: dict[str, Any]) -> Answers:
    traces = data["traces.jsonl"]
    return {"q3_passed_but_unhappy": sorted(traces.loc[unhappy(data), "trace_id"].astype(str))}


def _dominant_stage_overall(data: Frames, public: dict[str, Any]) -> Answers:
    return {"q4_dominant_stage_in_set": dominant(stages(data, int(public["k"])))}


def _dominant_by_last_stage_in_set(data: Frames, public: dict[str, Any]) -> Answers:
    labels = stages(data, int(public["k"]), pick="last")
    the_set = passed_but_unhappy(data, float(public["score_bar"]))
    return {"q4_dominant_stage_in_set": dominant(labels[the_set])}


def _pass_rate_as_precision(data: Frames, public: dict[str, Any]) -> Answers:
    """Trusting the rubric: its pass rate taken for how often it is right."""
    return {"q5_precision": float(passed(data, float(public["score_bar"])).mean())}


def _only_thumbs_up_is_happy(data: Frames, public: dict[str, Any]) -> Answers:
    bar = float(public["score_bar"])
    return {"q5_precision": precision(data, bar, reactions=("none", "down", "escalated"))}


WRONG_APPROACHES: dict[str, WrongApproach] = {
    "last_failing_stage": WrongApproach(_last_failing_stage, ("q1",)),
    "tool_status_only": WrongApproach(_tool_status_only, ("q1",)),
    "retrieval_ignores_k": WrongApproach(_retrieval_ignores_k, ("q1",)),
    "recall_ignores_k": WrongApproach(_recall_ignores_k, ("q2",)),
    "hit_rate_as_recall": WrongApproach(_hit_rate_as_recall, ("q2",)),
    "only_down_is_unhappy": WrongApproach(_only_down_is_unhappy, ("q3", "q5")),
    "strictly_above_bar": WrongApproach(_strictly_above_bar, ("q3", "q5")),
    "unhappy_ignoring_rubric": WrongApproach(_unhappy_ignoring_rubric, ("q3",)),
    "dominant_stage_overall": WrongApproach(_dominant_stage_overall, ("q4",)),
    "dominant_by_last_stage_in_set": WrongApproach(_dominant_by_last_stage_in_set, ("q4",)),
    "pass_rate_as_precision": WrongApproach(_pass_rate_as_precision, ("q5",)),
    "only_thumbs_up_is_happy": WrongApproach(_only_thumbs_up_is_happy, ("q5",)),
}

# Simulated candidates: which mistakes each one makes. Expected ranking on every variant:
# strong > misses_calibration > aggregate_only > blank. The subtle point here is k: the
# retriever found the article, but the model never saw it.
PERSONAS: dict[str, tuple[str, ...]] = {
    "strong": (),
    "misses_calibration": ("retrieval_ignores_k", "recall_ignores_k"),
    "aggregate_only": (
        "last_failing_stage",
        "hit_rate_as_recall",
        "only_down_is_unhappy",
        "dominant_stage_overall",
        "pass_rate_as_precision",
    ),
}
