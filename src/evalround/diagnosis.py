"""Known mistakes, named: which known wrong approach a wrong answer matches. Pure.

Each exercise's ``WRONG_APPROACHES`` computes what a known mistake gives on any
variant. When a candidate's wrong answer equals what a mistake gives on *their own*
variant (within the field's tolerance), the question's diagnosis names it: "looks like:
gold-set accuracy used instead of live".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from evalround.exercise import Exercise, Frames
from evalround.scoring import score_field


@dataclass(frozen=True)
class Diagnosis:
    """A question's wrong answer matches a known mistake on the candidate's variant."""

    question: str
    approach: str
    description: str
    fields: tuple[str, ...]

    def text(self) -> str:
        return f"looks like: {self.description or self.approach}"


def _matches(spec: Any, expected: Any, given: Any) -> bool:
    try:
        return score_field(spec, expected, given).correct
    except (TypeError, ValueError, OverflowError, RecursionError):
        return False


def diagnose(exercise: Exercise, frames: Frames, public: dict[str, Any],
             key: Mapping[str, Any], answers: Mapping[str, Any],
             questions: Collection[str] | None = None) -> list[Diagnosis]:
    """Every known mistake the candidate's wrong answers match, per question.

    A mistake matches a question when every field it changes there is wrong against the
    key and equals the mistake's value; fields it leaves alone do not count. With
    ``questions``, only those (the ones that lost points): a mistake that loses none of
    them is not even computed."""
    specs = {f.name: f for f in exercise.manifest.answer_fields}
    owner = {f.name: q.id for q in exercise.manifest.auto_questions for f in q.answers}
    found = []
    for name, approach in exercise.wrong_approaches.items():
        if questions is not None and not set(approach.loses) & set(questions):
            continue
        try:
            wrong = approach.fn(frames, public)
        except Exception:  # an author's mistake function that fails names nothing
            continue
        by_question: dict[str, list[str]] = {}
        for field, value in wrong.items():
            if field in specs and not _matches(specs[field], key[field], value):
                by_question.setdefault(owner[field], []).append(field)
        for qid, fields in by_question.items():
            if qid not in approach.loses or questions is not None and qid not in questions:
                continue
            if all(not _matches(specs[f], key[f], answers.get(f))
                   and _matches(specs[f], wrong[f], answers.get(f)) for f in fields):
                found.append(Diagnosis(qid, name, approach.description, tuple(fields)))
    return found
