"""Scores: an answer set against an answer key. Pure functions, no I/O.

evalround decides every score here, outside the candidate's process, from the values
the candidate's code produced. Nothing the code does in its own kernel reaches this
module except those values.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalround.coercion import coerce_answer, plain_answer
from evalround.exercise import AnswerField, Manifest, Question, parse_manifest

STOCK_KEY_FILE = "evalround_stock_key.json"


@dataclass(frozen=True)
class FieldResult:
    """How one answer variable fared."""

    name: str
    expected: Any
    given: Any
    fraction: float
    reason: str

    @property
    def correct(self) -> bool:
        return self.fraction >= 1.0


@dataclass(frozen=True)
class QuestionScore:
    """Points earned on one autograded question, with the per-variable detail."""

    question_id: str
    points: float
    max_points: float
    fields: tuple[FieldResult, ...]

    def report(self) -> str:
        """The text a grader sees under the test cell."""
        lines = [
            f"Hidden checks (evalround): {self.points:g} / {self.max_points:g} points"
        ]
        for f in self.fields:
            mark = "ok  " if f.correct else "MISS"
            lines.append(f"  [{mark}] {f.name}: {f.reason}")
        return "\n".join(lines)


RUBRIC_MARKER = "evalround-rubric"


def rubric_text(question: Question, items: list[dict[str, Any]], key: Mapping[str, Any],
                desk: str | None = None) -> str:
    """A written question's rubric, filled with this candidate's own numbers (markdown).

    ``desk`` is the grading-desk page where a grader applies the items."""
    lines = [
        f"**Rubric for {question.id.upper()}: {question.title}** "
        f"({question.points:g} points; for the grader, added by evalround)",
        "",
    ]
    for item in items:
        criterion = " ".join(str(item["criterion"]).format(**key).split())
        lines.append(f"- **{float(item['points']):g} pt** `{item['id']}`: {criterion}")
    if desk:
        lines += ["", f"[Apply these items in evalround's grading desk]({desk}): the score "
                      f"follows from the items applied, and lands here."]
    return "\n".join(lines)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    text = repr(value)
    return text if len(text) <= MAX_SHOWN_CHARS else text[:MAX_SHOWN_CHARS] + "..."


# How much of a wrong answer a reason quotes: a grader reads one line, not the value.
MAX_SHOWN_CHARS = 200


def score_field(spec: AnswerField, expected: Any, given: Any) -> FieldResult:
    """Score one answer variable: a fraction in [0, 1] and the reason, in plain words.

    Whatever ``given`` is, the outcome is a score: a value that cannot be compared
    (too large, or not plain data) scores 0 with a one-line reason, never an error.
    """
    given = plain_answer(given)
    try:
        return _score_plain(spec, expected, given)
    except (ArithmeticError, TypeError, ValueError, RecursionError) as exc:
        return FieldResult(spec.name, expected, given, 0.0,
                           f"could not be compared ({type(exc).__name__})")


def _score_plain(spec: AnswerField, expected: Any, given: Any) -> FieldResult:
    def result(fraction: float, reason: str) -> FieldResult:
        return FieldResult(spec.name, expected, given, fraction, reason)

    if given is None:
        return result(0.0, "not answered")
    if isinstance(given, dict) and "unsupported" in given:
        return result(0.0, f"not a {spec.type}: {given['unsupported']}")
    if spec.type == "float":
        if not _is_number(given) or not math.isfinite(float(given)):
            return result(0.0, f"expected a number, got {_fmt(given)}")
        diff = abs(float(given) - float(expected))
        if diff <= spec.tolerance + 1e-12 * max(1.0, abs(float(expected))):
            return result(1.0, f"{_fmt(given)} (expected {_fmt(expected)} ± {spec.tolerance:g})")
        return result(0.0, f"{_fmt(given)}, expected {_fmt(expected)} ± {spec.tolerance:g}")
    if spec.type == "int":
        if not _is_number(given) or float(given) != int(given):
            return result(0.0, f"expected a whole number, got {_fmt(given)}")
        ok = int(given) == int(expected)
        return result(float(ok), f"{int(given)}" + ("" if ok else f", expected {expected}"))
    if spec.type == "str":
        if not isinstance(given, str):
            return result(0.0, f"expected text, got {_fmt(given)}")
        ok = given.strip().lower() == str(expected).strip().lower()
        return result(float(ok), _fmt(given) + ("" if ok else f", expected {expected!r}"))
    if spec.type == "list[str]":
        if not isinstance(given, list) or not all(isinstance(v, str) for v in given):
            return result(0.0, f"expected a list of text values, got {_fmt(given)}")
        got = {v.strip().lower() for v in given}
        want = {str(v).strip().lower() for v in expected}
        if not got and not want:
            return result(1.0, "empty, as expected")
        hits = len(got & want)
        precision = hits / len(got) if got else 0.0
        recall = hits / len(want) if want else 0.0
        f1 = 0.0 if hits == 0 else 2 * precision * recall / (precision + recall)
        return result(f1, f"F1 {f1:.3f} ({hits} of {len(want)} expected, {len(got)} given)")
    raise ValueError(f"unknown answer type {spec.type!r}")


def score_question(
    question: Question, key: Mapping[str, Any], answers: Mapping[str, Any]
) -> QuestionScore:
    fields = tuple(score_field(f, key[f.name], answers.get(f.name)) for f in question.answers)
    total_weight = sum(f.weight for f in question.answers)
    earned = sum(r.fraction * f.weight for r, f in zip(fields, question.answers, strict=True))
    points = round(question.points * earned / total_weight, 4)
    return QuestionScore(question.id, points, question.points, fields)


def score_answers(
    manifest: Manifest, key: Mapping[str, Any], answers: Mapping[str, Any]
) -> dict[str, QuestionScore]:
    """Every autograded question's score, by question id."""
    return {q.id: score_question(q, key, answers) for q in manifest.auto_questions}


def stock_check(question_id: str, namespace: Mapping[str, Any]) -> float:
    """The hidden test body, for runs under stock ``nbgrader autograde``.

    evalround's own grading never runs this: it scores outside the kernel. Stock
    nbgrader has no per-candidate key, so this only works where an operator has put
    the candidate's key beside the notebook (the side-by-side benchmark does that).
    Returns points, which nbgrader reads as partial credit.
    """
    path = Path(STOCK_KEY_FILE)
    if not path.exists():
        raise RuntimeError(
            "This exercise is graded with `evalround grade`: stock nbgrader autograde "
            "has no answer key for this candidate, so the hidden check scores 0."
        )
    payload = json.loads(path.read_text())
    manifest = parse_manifest(payload["manifest"])
    question = manifest.question(question_id)
    answers = {f.name: coerce_answer(namespace.get(f.name)) for f in question.answers}
    return score_question(question, payload["key"], answers).points
