"""Answers as plain data: what the candidate's variables become before any scoring.

Standard library only: this module is imported by the grading runner inside the
sandbox (where every import costs start-up time) and its function's source is run in
the candidate's kernel.
"""

from __future__ import annotations

from typing import Any


def coerce_answer(value: Any) -> Any:
    """Turn whatever the candidate assigned into plain JSON data, or mark it unsupported.

    This function's source is also run inside the kernel to extract answers, so it
    imports only the standard library, inside its body.
    """
    import math as _math
    import numbers as _numbers

    if value is None:
        return None
    if isinstance(value, bool):
        return {"unsupported": "a True/False value"}
    if isinstance(value, _numbers.Integral):
        return int(value)
    if isinstance(value, _numbers.Real):
        number = float(value)
        return number if _math.isfinite(number) else {"unsupported": repr(number)}
    if isinstance(value, str):
        return str(value)
    if hasattr(value, "tolist") and not isinstance(value, list | tuple | set | frozenset):
        value = value.tolist()
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        if all(isinstance(v, str) for v in items):
            return [str(v) for v in items]
        return {"unsupported": "a collection that is not all text"}
    return {"unsupported": "a value of type " + type(value).__name__}
