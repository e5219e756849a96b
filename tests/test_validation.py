"""The bundle leak check: real leaks are found, coincidences with short numbers are not."""

from __future__ import annotations

import pytest

from evalround.exercise import AnswerField
from evalround.validation import leaked_values

FIELDS = (
    AnswerField("acc", "float", tolerance=0.001),
    AnswerField("slice", "str"),
)


def _leaks(acc: float, files: dict[str, str]) -> list[str]:
    key = {"acc": acc, "slice": "pt|chat"}
    return leaked_values(FIELDS, key, {k: v.encode() for k, v in files.items()})


@pytest.mark.parametrize(
    ("acc", "files", "found"),
    [
        # Short values coincide with version pins and stated ranges: not a leak.
        (0.9, {"requirements.txt": "nbgrader>=0.9\n"}, []),
        (0.95, {"a.ipynb": 'public_check("t", t, "float", 0, 0.95)'}, []),
        # ...but their long forms are.
        (0.95, {"a.ipynb": "expected = 0.9500"}, ["acc=0.9500 in a.ipynb"]),
        # A computed value shows at any usual precision.
        (0.930671, {"a.ipynb": "x = 0.931"}, ["acc=0.931 in a.ipynb"]),
        (0.930671, {"a.ipynb": "x = 0.930671"}, ["acc=0.930671 in a.ipynb"]),
        (0.930671, {"a.ipynb": "x = 10.931"}, []),
        # In data, only a whole CSV cell at full precision counts.
        (0.930671, {"d.csv": "id,score\n1,0.930671\n"}, ["acc=0.930671 in d.csv"]),
        (0.930671, {"d.csv": "id,score\n1,0.931\n"}, []),
        # Text answers leak when quoted.
        (0.5, {"a.ipynb": "answer = 'pt|chat'"}, ["slice='pt|chat' in a.ipynb"]),
        (0.5, {"a.ipynb": "slices look like pt|chat"}, []),
    ],
)
def test_leak_check(acc: float, files: dict[str, str], found: list[str]) -> None:
    assert _leaks(acc, files) == found


@pytest.mark.parametrize(
    ("count", "text", "found"),
    [
        (7, "## Q3 (7 points)\nSee step 7.", []),  # a small count is everywhere
        (1234, "the planted count is 1234", ["n=1234 in a.ipynb"]),
        (1234, "ids up to 12345", []),
    ],
)
def test_int_answers_are_searched_only_when_distinctive(count, text, found):
    fields = (AnswerField("n", "int"),)
    assert leaked_values(fields, {"n": count}, {"a.ipynb": text.encode()}) == found
