"""Scoring: tolerances, types and partial credit, decided outside the kernel."""

from __future__ import annotations

import numpy as np
import pytest

from evalround.exercise import AnswerField, Question
from evalround.scoring import coerce_answer, score_field, score_question

F = AnswerField("x", "float", tolerance=0.01)


@pytest.mark.parametrize(
    ("given", "fraction"),
    [(0.5, 1.0), (0.509, 1.0), (0.52, 0.0), (None, 0.0), ("0.5", 0.0), (True, 0.0),
     ({"unsupported": "a Yes"}, 0.0)],
)
def test_float_answers(given, fraction):
    assert score_field(F, 0.5, given).fraction == fraction


def test_text_answers_ignore_case_and_spaces():
    spec = AnswerField("s", "str")
    assert score_field(spec, "pt|chat", " PT|chat ").fraction == 1.0
    assert score_field(spec, "pt|chat", "pt").fraction == 0.0


def test_list_answers_get_f1_partial_credit():
    spec = AnswerField("l", "list[str]")
    assert score_field(spec, ["a", "b"], ["a", "c"]).fraction == pytest.approx(0.5)


def test_question_points_split_by_weight():
    q = Question("q1", "auto", "t", "s", 3.0, (AnswerField("a", "float"),
                                             AnswerField("b", "float", weight=2.0)))
    assert score_question(q, {"a": 1.0, "b": 2.0}, {"a": 1.0, "b": 0.0}).points == 1.0


class AlwaysEqual:
    def __eq__(self, other):
        return True


@pytest.mark.parametrize(
    ("value", "expected"),
    [(np.float32(0.25), 0.25), (np.int64(3), 3), (True, {"unsupported": "a True/False value"}),
     (float("nan"), {"unsupported": "nan"}), (np.array(["a", "b"]), ["a", "b"]),
     (AlwaysEqual(), {"unsupported": "a value of type AlwaysEqual"})],
)
def test_coerce_turns_kernel_values_into_plain_data(value, expected):
    """Can an object whose __eq__ always says yes pass as an answer? It must not."""
    assert coerce_answer(value) == expected
