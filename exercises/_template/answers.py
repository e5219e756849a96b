"""TEMPLATE answers: the key, and the known wrong approaches it must catch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

Frames = dict[str, pd.DataFrame]


@dataclass(frozen=True)
class WrongApproach:
    fn: Callable[[Frames, dict[str, Any]], dict[str, Any]]
    loses: tuple[str, ...]


def reference(data: Frames, public: dict[str, Any]) -> dict[str, Any]:
    latency = data["requests.csv"]["latency_ms"].to_numpy()
    return {
        "q1_p50_ms": float(np.percentile(latency, 50, method="linear")),
        "q1_p95_ms": float(np.percentile(latency, 95, method="linear")),
        "q1_share_over_budget": float(np.mean(latency > public["budget_ms"])),
    }


def _mean_as_p95(data: Frames, public: dict[str, Any]) -> dict[str, Any]:
    return {"q1_p95_ms": float(data["requests.csv"]["latency_ms"].mean())}


WRONG_APPROACHES = {
    "mean_instead_of_p95": WrongApproach(_mean_as_p95, ("q1",)),
}

PERSONAS = {"strong": (), "weak": ("mean_instead_of_p95",)}
