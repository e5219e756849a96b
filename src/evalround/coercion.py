"""Answers as plain data: what the candidate's variables become before any scoring.

Standard library only: this module is imported by the grading runner inside the
sandbox (where every import costs start-up time) and its function's source is run in
the candidate's kernel.

Two steps, one on each side of the kernel boundary: ``coerce_answer`` runs inside the
candidate's kernel and turns a variable into JSON data (it may be fooled: it runs
where the candidate's code runs); ``plain_answers`` runs in the grader's processes on
what came back and keeps only the fields asked for, each as a bounded plain value.
"""

from __future__ import annotations

from typing import Any

# The longest text answer (or list of text answers, all items together) that is read;
# a longer one is scored wrong, with this reason. Every answer is far shorter.
MAX_TEXT_CHARS = 10_000
MAX_LIST_ITEMS = 1_000
# Whole numbers past this many bits cannot be compared as numbers (a float holds
# about 2**1024): scored wrong rather than overflowing.
MAX_INT_BITS = 1000
MAX_REASON_CHARS = 200


def coerce_answer(value: Any) -> Any:
    """Turn whatever the candidate assigned into plain JSON data, or mark it unsupported.

    This function's source is also run inside the kernel to extract answers, so it
    imports only the standard library, inside its body.
    """
    import itertools as _itertools
    import math as _math
    import numbers as _numbers

    max_chars, max_items, max_bits = 10_000, 1_000, 1000  # MAX_TEXT_CHARS, ...

    if value is None:
        return None
    if isinstance(value, bool):
        return {"unsupported": "a True/False value"}
    if isinstance(value, _numbers.Integral):
        whole = int(value)
        if type(whole) is not int or whole.bit_length() > max_bits:
            return {"unsupported": "a whole number too large to compare"}
        return whole
    if isinstance(value, _numbers.Real):
        number = float(value)
        return number if _math.isfinite(number) else {"unsupported": repr(number)}
    if isinstance(value, str):
        text = str.__str__(value)
        if len(text) > max_chars:
            return {"unsupported": f"text longer than {max_chars} characters"}
        return text
    if hasattr(value, "tolist") and not isinstance(value, list | tuple | set | frozenset):
        value = value.tolist()
    if isinstance(value, list | tuple | set | frozenset):
        items = list(_itertools.islice(iter(value), max_items + 1))
        if len(items) > max_items:
            return {"unsupported": f"a collection of more than {max_items} items"}
        if all(isinstance(v, str) for v in items):
            texts = [str.__str__(v) for v in items]
            if sum(len(t) for t in texts) > max_chars:
                return {"unsupported": f"text longer than {max_chars} characters in all"}
            return texts
        return {"unsupported": "a collection that is not all text"}
    return {"unsupported": "a value of type " + str(type(value).__name__)[:100]}


def _unsupported(reason: str) -> dict[str, str]:
    return {"unsupported": reason}


def plain_answer(value: Any) -> Any:
    """One answer as it came back from the kernel, checked to be bounded plain data.

    Anything else (nested containers, huge numbers or text, objects the kernel should
    never have sent) becomes ``{"unsupported": reason}``, which scores as wrong.
    """
    kind = type(value)
    if value is None:
        return None
    if kind is int:
        if value.bit_length() > MAX_INT_BITS:
            return _unsupported("a whole number too large to compare")
        return value
    if kind is float:
        return value if value == value and abs(value) != float("inf") else _unsupported(
            repr(value))
    if kind is str:
        if len(value) > MAX_TEXT_CHARS:
            return _unsupported(f"text longer than {MAX_TEXT_CHARS} characters")
        return value
    if kind is list:
        if len(value) > MAX_LIST_ITEMS:
            return _unsupported(f"a collection of more than {MAX_LIST_ITEMS} items")
        if not all(type(v) is str for v in value):
            return _unsupported("a collection that is not all text")
        if sum(len(v) for v in value) > MAX_TEXT_CHARS:
            return _unsupported(f"text longer than {MAX_TEXT_CHARS} characters in all")
        return list(value)
    if kind is dict and list(value) == ["unsupported"] and type(value["unsupported"]) is str:
        return _unsupported(value["unsupported"][:MAX_REASON_CHARS])
    if kind is bool:
        return _unsupported("a True/False value")
    return _unsupported("a value the grader cannot read as an answer")


def plain_answers(raw: Any, names: list[str]) -> dict[str, Any]:
    """The fields asked for, and only those, each as bounded plain data (None: absent)."""
    if type(raw) is not dict:
        return {name: None for name in names}
    return {name: plain_answer(raw.get(name)) for name in names}
