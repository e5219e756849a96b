"""trace-replay: the answer key, and the wrong approaches it must catch.

Every definition here is the one the notebook states. ``reference`` gets the frames as
a candidate reads them: ``traces.jsonl`` and ``help_center.jsonl`` with
``pd.read_json(lines=True, dtype=False, convert_dates=False)`` (lists and dicts stay
Python objects), ``tools.csv`` with ``pd.read_csv`` defaults.
"""

# No `from __future__ import annotations`: the kit loads this file by path without
# registering it in sys.modules, and dataclasses then cannot resolve string annotations.
import re
from collections.abc import Callable, Iterable, Mapping
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
    questions that must drop below full marks because of it; ``description`` says it in
    one line for a hiring manager."""

    fn: Callable[[Frames, dict[str, Any]], Answers]
    loses: tuple[str, ...]
    description: str = ""


# ---------------------------------------------------------------------------------------
# Quantities: the numbers an answer or an article states with a unit of time, or as a
# price. Numbers may be written as words (two to ten, twelve) in English, Spanish, German.
# ---------------------------------------------------------------------------------------

WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "twelve": 12,
    "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
    "nueve": 9, "diez": 10, "doce": 12,
    "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8,
    "neun": 9, "zehn": 10, "zwölf": 12,
}
_NUM = r"(\d+|" + "|".join(WORDS) + r")"
_UNIT = (r"(?:business days?|days?|hours?|minutes?|weeks?|months?|years?"
         r"|días(?: hábiles)?|horas|minutos|semanas|meses|años"
         r"|werktagen?|tagen?|stunden|minuten|wochen|monaten?|jahren?)")
TIME_QUANTITY = re.compile(
    rf"\b{_NUM}(?:\s*(?:-|–|to|a|bis)\s*{_NUM})?\s*-?\s*{_UNIT}\b", re.IGNORECASE)
# The same pattern on lower-cased text, case-sensitive, with a look-ahead on the first
# letter of a number: the regex engine skips most positions at once (3x faster, same
# matches; the tests compare the two).
_FIRST = "".join(sorted({w[0] for w in WORDS}))
_TIME_QUANTITY_LOWER = re.compile(
    rf"\b(?=[\d{_FIRST}]){_NUM}(?:\s*(?:-|–|to|a|bis)\s*{_NUM})?\s*-?\s*{_UNIT}\b")
PRICE = re.compile(r"\$(\d[\d,]*\.\d\d)|(\d+,\d\d)\s?€")


def _number(token: str) -> float:
    token = token.lower()
    return float(WORDS[token]) if token in WORDS else float(token)


def time_quantities(text: str) -> set[float]:
    """Every number stated with a unit of time (both ends of a range)."""
    return {float(WORDS[t]) if t in WORDS else float(t)
            for m in _TIME_QUANTITY_LOWER.finditer(text.lower()) for t in m.groups() if t}


def prices(text: str) -> set[float]:
    out: set[float] = set()
    if "$" not in text and "€" not in text:
        return out
    for dollars, euros in PRICE.findall(text):
        out.add(float(dollars.replace(",", "")) if dollars else float(euros.replace(",", ".")))
    return out


def _tool_numbers(value: Any) -> set[float]:
    """Every number in a tool call's output (the customer's own data)."""
    if isinstance(value, dict):
        return set().union(*(_tool_numbers(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_tool_numbers(v) for v in value)) if value else set()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {float(value)}
    return set()


def article_numbers(help_center: pd.DataFrame) -> dict[str, set[float]]:
    """doc_id -> the quantities its body states."""
    return {str(d): time_quantities(b) | prices(b)
            for d, b in zip(help_center["doc_id"], help_center["body"], strict=True)}


def contradicts(trace: Mapping[str, Any], numbers: dict[str, set[float]],
                against: Iterable[str] | None = None, digits_only: bool = False,
                tool_amounts_count: bool = False) -> bool:
    """The answer states a quantity (time or price) that none of the articles it cites
    states: a number of theirs, stated differently. Prices the tools returned are the
    customer's data, not article quantities."""
    docs = list(trace["citations"]) if against is None else list(against)
    return _contradicts(docs, str(trace["answer"]), trace["tool_calls"], numbers,
                        digits_only, tool_amounts_count)


_WORD_TOKEN = re.compile(r"\b(" + "|".join(WORDS) + r")\b", re.IGNORECASE)


def _contradicts(docs: list[str], answer: str, tool_calls: list[dict[str, Any]],
                 numbers: dict[str, set[float]], digits_only: bool = False,
                 tool_amounts_count: bool = False) -> bool:
    """``contradicts`` on a trace's fields (the tool amounts are read only when the
    answer states a price)."""
    if not docs:
        return False
    stated = set().union(*(numbers.get(d, set()) for d in docs))
    if digits_only:
        answer = _WORD_TOKEN.sub("", answer)
    if time_quantities(answer) - stated:
        return True
    said = prices(answer) - stated
    if not said or tool_amounts_count:
        return bool(said)
    return bool(said - set().union(set(), *(_tool_numbers(c["output"]) for c in tool_calls)))


def _columns(traces: pd.DataFrame, *names: str) -> list[list[Any]]:
    """Columns as Python lists (much faster than ``to_dict(orient="records")``)."""
    return [traces[name].tolist() for name in names]


def contradicting(data: Frames, **how: Any) -> list[str]:
    """Trace ids whose answer contradicts an article it cites, sorted."""
    numbers = article_numbers(data["help_center.jsonl"])
    ids, cited, answer, calls = _columns(data["traces.jsonl"], "trace_id", "citations",
                                         "answer", "tool_calls")
    return sorted(str(t) for t, c, a, tc in zip(ids, cited, answer, calls, strict=True)
                  if _contradicts(list(c), str(a), tc, numbers, **how))


# ---------------------------------------------------------------------------------------
# Stages
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
    trace: Mapping[str, Any], k: int, allowed: dict[str, set[str]], contradicted: set[str],
    status_only: bool = False, anywhere: bool = False,
) -> list[str]:
    """Every stage the trace fails, in the stated order. The flags switch on two mistakes:
    ``status_only`` ignores wrong tools, ``anywhere`` ignores k."""
    return _failing(str(trace["trace_id"]), str(trace["intent"]), trace["tool_calls"],
                    trace["retrieved"], trace["gold_doc_ids"],
                    trace["instruction_violations"], k, allowed, contradicted,
                    status_only, anywhere)


def _seen(retrieved: list[dict[str, Any]], k: int, anywhere: bool = False) -> set[str]:
    return {str(d["doc_id"]) for d in retrieved if anywhere or int(d["rank"]) <= k}


def _failing(trace_id: str, intent: str, calls: list[dict[str, Any]],
             retrieved: list[dict[str, Any]], gold: list[str], violations: list[str],
             k: int, allowed: dict[str, set[str]], contradicted: set[str],
             status_only: bool = False, anywhere: bool = False,
             seen: set[str] | None = None) -> list[str]:
    """``failing_stages`` on a trace's fields (``seen``: its top-k ids, if known)."""
    failed = []
    if any(c["status"] != "ok" for c in calls) or (not status_only and any(
            c["name"] not in allowed.get(intent, set()) for c in calls)):
        failed.append("tool")
    if seen is None:
        seen = _seen(retrieved, k, anywhere)
    if not set(gold) & seen:
        failed.append("retrieval")
    if trace_id in contradicted:
        failed.append("grounding")
    if len(violations) > 0:
        failed.append("instruction")
    return failed


def stages(data: Frames, k: int, pick: str = "first", contradicted: Iterable[str] | None = None,
           seen: list[set[str]] | None = None, **mistakes: bool) -> pd.Series:
    """One stage per trace (index: trace_id): its first (or last) failing stage, or "ok".
    ``contradicted`` (the Q3 set) and ``seen`` (each trace's top-k ids): when the caller
    has them already."""
    traces = data["traces.jsonl"]
    allowed = allowed_tools(data["tools.csv"])
    grounding = set(contradicting(data) if contradicted is None else contradicted)
    ids = [str(t) for t in traces["trace_id"].tolist()]
    columns = _columns(traces, "intent", "tool_calls", "retrieved", "gold_doc_ids",
                       "instruction_violations")
    out = []
    for i, (tid, intent, calls, retrieved, gold, violations) in enumerate(
            zip(ids, *columns, strict=True)):
        failed = _failing(tid, str(intent), calls, retrieved, gold, violations, k, allowed,
                          grounding, seen=None if seen is None else seen[i], **mistakes)
        out.append((failed[0] if pick == "first" else failed[-1]) if failed else "ok")
    return pd.Series(out, index=pd.Index(ids, name="trace_id"), name="stage")


def dominant(labels: pd.Series) -> str:
    """The failing stage with the most traces ("ok" excluded); ties: the earlier stage."""
    counts = labels.value_counts()
    return max(STAGES, key=lambda s: (int(counts.get(s, 0)), -STAGES.index(s)))


def stage_shares(labels: pd.Series) -> dict[str, float]:
    return {s: float((labels == s).mean()) for s in (*STAGES, "ok")}


def recall_at_k(data: Frames, k: int, anywhere: bool = False, hit: bool = False,
                seen: list[set[str]] | None = None) -> float:
    """Mean over traces of |gold in the top k| / |gold|. ``hit`` scores 1 for any gold.
    ``seen``: each trace's top-k ids, when the caller has them already."""
    gold_ids, retrieved = _columns(data["traces.jsonl"], "gold_doc_ids", "retrieved")
    if seen is None:
        seen = [_seen(r, k, anywhere) for r in retrieved]
    values = []
    for ids, top in zip(gold_ids, seen, strict=True):
        gold = set(ids)
        found = len(gold & top)
        values.append(float(found > 0) if hit else found / len(gold))
    return float(sum(values) / len(values))


def passed(data: Frames, bar: float, strict: bool = False) -> pd.Series:
    score = data["traces.jsonl"]["rubric_score"].astype(float)
    return score > bar if strict else score >= bar


def unhappy(data: Frames, reactions: tuple[str, ...] = UNHAPPY,
            handoffs: bool = False) -> pd.Series:
    """The customer was unhappy; ``handoffs`` also counts the agent's own hand-offs."""
    traces = data["traces.jsonl"]
    mask = traces["reaction"].isin(reactions)
    if handoffs:
        mask = mask | traces["tool_calls"].map(
            lambda calls: any(c["name"] == "handoff_to_human" for c in calls))
    return mask


def precision(data: Frames, bar: float, strict: bool = False,
              reactions: tuple[str, ...] = UNHAPPY, handoffs: bool = False) -> float:
    """P(user not unhappy | rubric pass)."""
    ok = passed(data, bar, strict)
    return float((ok & ~unhappy(data, reactions, handoffs)).sum() / ok.sum())


def let_through(labels: pd.Series, is_passed: pd.Series) -> str:
    """The failing stage the rubric passes most often: the highest share of its traces
    (first failing stage) passed; ties: the earlier stage."""
    passed_by = pd.Series(is_passed.to_numpy(), index=labels.index)
    rate = {s: float(passed_by[labels == s].mean()) if (labels == s).any() else -1.0
            for s in STAGES}
    return max(STAGES, key=lambda s: (rate[s], -STAGES.index(s)))


# ---------------------------------------------------------------------------------------
# The key
# ---------------------------------------------------------------------------------------


def reference(data: Frames, public: dict[str, Any]) -> Answers:
    """The answer key, computed exactly as the notebook states the definitions."""
    k, bar = int(public["k"]), float(public["score_bar"])
    contradicted = contradicting(data)
    seen = [_seen(r, k) for r in data["traces.jsonl"]["retrieved"].tolist()]
    labels = stages(data, k, contradicted=contradicted, seen=seen)
    shares = stage_shares(labels)
    is_passed = passed(data, bar)
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
        "q2_recall_at_k": recall_at_k(data, k, seen=seen),
        "q3_contradicting": contradicted,
        "q4_let_through": let_through(labels, is_passed),
        "q5_pass_rate": float(is_passed.mean()),
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


def _stale_citation_as_contradiction(data: Frames, public: dict[str, Any]) -> Answers:
    """The obvious reading: an answer built on an archived policy "contradicts" policy."""
    archived = set(data["help_center.jsonl"].query("status == 'archived'")["doc_id"])
    traces = data["traces.jsonl"]
    return {"q3_contradicting": sorted(
        str(t) for t, cited in zip(traces["trace_id"], traces["citations"], strict=True)
        if set(cited) & archived)}


def _compared_with_gold(data: Frames, public: dict[str, Any]) -> Answers:
    """Checks the answer against the gold (current, customer-language) articles instead
    of the articles it cites."""
    numbers = article_numbers(data["help_center.jsonl"])
    return {"q3_contradicting": sorted(
        str(t["trace_id"]) for t in data["traces.jsonl"].to_dict(orient="records")
        if t["citations"] and contradicts(t, numbers, against=t["gold_doc_ids"]))}


def _digits_only(data: Frames, public: dict[str, Any]) -> Answers:
    return {"q3_contradicting": contradicting(data, digits_only=True)}


def _tool_amounts_as_contradictions(data: Frames, public: dict[str, Any]) -> Answers:
    return {"q3_contradicting": contradicting(data, tool_amounts_count=True)}


def _grounding_label_only(data: Frames, public: dict[str, Any]) -> Answers:
    """Q3 read as "the traces Q1 labels grounding": a contradicting answer is left out
    when its trace failed an earlier stage (a tool call, or retrieval) first."""
    labels = stages(data, int(public["k"]))
    return {"q3_contradicting": sorted(t for t in contradicting(data)
                                       if labels[t] == "grounding")}


def _most_common_failure(data: Frames, public: dict[str, Any]) -> Answers:
    """The obvious reading of Q4: the stage that fails most is what gets through."""
    return {"q4_let_through": dominant(stages(data, int(public["k"])))}


def _only_down_is_unhappy(data: Frames, public: dict[str, Any]) -> Answers:
    return {"q5_precision": precision(data, float(public["score_bar"]), reactions=("down",))}


def _handoff_as_escalation(data: Frames, public: dict[str, Any]) -> Answers:
    return {"q5_precision": precision(data, float(public["score_bar"]), handoffs=True)}


def _strictly_above_bar(data: Frames, public: dict[str, Any]) -> Answers:
    bar = float(public["score_bar"])
    return {"q5_pass_rate": float(passed(data, bar, strict=True).mean()),
            "q5_precision": precision(data, bar, strict=True)}


def _pass_rate_as_precision(data: Frames, public: dict[str, Any]) -> Answers:
    """Trusting the rubric: its pass rate taken for how often it is right."""
    return {"q5_precision": float(passed(data, float(public["score_bar"])).mean())}


def _only_thumbs_up_is_happy(data: Frames, public: dict[str, Any]) -> Answers:
    bar = float(public["score_bar"])
    return {"q5_precision": precision(data, bar, reactions=("none", "down", "escalated"))}


WRONG_APPROACHES: dict[str, WrongApproach] = {
    "last_failing_stage": WrongApproach(
        _last_failing_stage, ("q1",), "labels each trace by its last failing stage"),
    "tool_status_only": WrongApproach(
        _tool_status_only, ("q1",), "a successful call to the wrong tool counted as fine"),
    "retrieval_ignores_k": WrongApproach(
        _retrieval_ignores_k, ("q1",),
        "a gold article retrieved below the prompt cut-off counted as seen"),
    "recall_ignores_k": WrongApproach(
        _recall_ignores_k, ("q2",), "recall over all 8 retrieved articles, not the top k"),
    "hit_rate_as_recall": WrongApproach(
        _hit_rate_as_recall, ("q2",), "any gold article in the top k scored as full recall"),
    "stale_citation_as_contradiction": WrongApproach(
        _stale_citation_as_contradiction, ("q3",),
        "answers citing an archived policy taken for contradictions, without reading them"),
    "compared_with_gold": WrongApproach(
        _compared_with_gold, ("q3",),
        "answers checked against the gold articles instead of the articles they cite"),
    "digits_only": WrongApproach(
        _digits_only, ("q3",), "numbers written as words (\"five days\") never checked"),
    "tool_amounts_as_contradictions": WrongApproach(
        _tool_amounts_as_contradictions, ("q3",),
        "the customer's own amounts from tool results taken for article prices"),
    "grounding_label_only": WrongApproach(
        _grounding_label_only, ("q3",),
        "only the traces Q1 labels grounding listed, not every contradicting answer"),
    "most_common_failure": WrongApproach(
        _most_common_failure, ("q4",),
        "the most common failure taken for the one the rubric lets through"),
    "only_down_is_unhappy": WrongApproach(
        _only_down_is_unhappy, ("q5",), "escalations not counted as unhappy customers"),
    "handoff_as_escalation": WrongApproach(
        _handoff_as_escalation, ("q5",),
        "the agent's own hand-offs to a human counted as customer escalations"),
    "strictly_above_bar": WrongApproach(
        _strictly_above_bar, ("q5",), "a score exactly at the bar counted as a fail"),
    "pass_rate_as_precision": WrongApproach(
        _pass_rate_as_precision, ("q5",), "the rubric's pass rate taken for its precision"),
    "only_thumbs_up_is_happy": WrongApproach(
        _only_thumbs_up_is_happy, ("q5",), "no reaction counted as an unhappy customer"),
}

# Simulated candidates: which mistakes each one makes. Expected ranking on every variant:
# strong > misses_calibration > literal > aggregate_only > blank. The subtle point of the
# stated definitions is k: the retriever found the article, but the model never saw it.
# The literal persona computes every definition right and answers the judgement
# questions (Q3, Q4) with their obvious readings.
PERSONAS: dict[str, tuple[str, ...]] = {
    "strong": (),
    "literal": ("stale_citation_as_contradiction", "most_common_failure"),
    "misses_calibration": ("retrieval_ignores_k", "recall_ignores_k"),
    "aggregate_only": (
        "last_failing_stage",
        "hit_rate_as_recall",
        "stale_citation_as_contradiction",
        "most_common_failure",
        "pass_rate_as_precision",
    ),
}
