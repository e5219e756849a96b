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
    description: str = ""


def reference(data: Frames, public: dict[str, Any]) -> dict[str, Any]:
    requests = data["requests.csv"]
    latency = requests["latency_ms"].to_numpy()
    over = requests[requests["latency_ms"] > public["budget_ms"]]
    return {
        "q1_p50_ms": float(np.percentile(latency, 50, method="linear")),
        "q1_p95_ms": float(np.percentile(latency, 95, method="linear")),
        "q1_share_over_budget": float(np.mean(latency > public["budget_ms"])),
        # Fixing a region removes its over-budget requests: the most of them wins.
        "q2_fix_first": str(over["region"].value_counts().idxmax()),
    }


def _mean_as_p95(data: Frames, public: dict[str, Any]) -> dict[str, Any]:
    return {"q1_p95_ms": float(data["requests.csv"]["latency_ms"].mean())}


def _busiest_region(data: Frames, public: dict[str, Any]) -> dict[str, Any]:
    return {"q2_fix_first": str(data["requests.csv"]["region"].value_counts().idxmax())}


WRONG_APPROACHES = {
    "mean_instead_of_p95": WrongApproach(
        _mean_as_p95, ("q1",), "the mean latency reported as p95"
    ),
    "busiest_region": WrongApproach(
        _busiest_region, ("q2",), "the region with the most traffic, not the most misses"
    ),
}

# Simulated candidates for validate and the demo. strong: every answer right. literal:
# every stated definition right, but the judgement question answered with its obvious
# reading (the busiest region). aggregate_only: looks at the whole product only.
PERSONAS = {
    "strong": (),
    "literal": ("busiest_region",),
    "aggregate_only": ("mean_instead_of_p95", "busiest_region"),
}
