"""The grading desk's pure parts: which questions a Save stores, and what waits for a
grader. (The pages themselves are driven in Chromium: tests/test_ui_grader.py.)"""

from __future__ import annotations

from evalround.grading_desk import changed_mark, is_blank, to_mark
from evalround.rubric import Mark


def _mark(items: tuple[str, ...], comment: str = "") -> Mark:
    return Mark("template", "alice", "w1", "rhea", items, comment)


def test_a_save_stores_only_the_questions_whose_ticks_or_comment_changed():
    """Is an untouched, unmarked question left unmarked (never a silent 0), while any
    tick, comment or untick counts as a change, and the same ticks in another order or a
    comment sent with CRLF line ends do not?"""
    assert not changed_mark(None, [], "  ")
    assert changed_mark(None, ["w1-tail"], "")
    assert changed_mark(None, [], "Nothing here.")
    saved = _mark(("w1-tail", "w1-users"), "Two lines.\nBoth.")
    assert not changed_mark(saved, ["w1-users", "w1-tail"], "Two lines.\r\nBoth.\n")
    assert changed_mark(saved, ["w1-tail"], "Two lines.\nBoth.")
    assert changed_mark(saved, ["w1-tail", "w1-users"], "Two lines.")


def test_blank_answers_wait_for_no_grader():
    """Is an empty answer or nbgrader's stub blank, and does a submission wait for a
    grader only on answers that are neither blank nor marked by them?"""
    assert is_blank("") and is_blank("  \n") and is_blank(" YOUR ANSWER HERE\n")
    assert not is_blank("YOUR ANSWER HERE: the tail.")
    assert to_mark(["w1", "w2", "w3"], ["w3"], {"w1"}) == ["w2"]
    assert to_mark(["w1", "w2"], ["w1", "w2"], set()) == []
