"""TEMPLATE generator: latencies with a heavy tail, planted per variant.

``sample_parameters`` draws the public parameters (shown to the candidate) and the
hidden ones (what is planted). ``generate`` turns them into data frames. Both take the
random generator explicitly and write nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def sample_parameters(rng: np.random.Generator) -> dict[str, dict[str, Any]]:
    return {
        "public": {"budget_ms": int(rng.choice([800, 1000, 1200]))},
        "hidden": {
            "median_ms": float(rng.uniform(350, 550)),
            "tail_share": float(rng.uniform(0.06, 0.14)),
            "tail_scale_ms": float(rng.uniform(900, 2200)),
        },
    }


def generate(rng: np.random.Generator, params: dict[str, Any]) -> dict[str, pd.DataFrame]:
    hidden = params["hidden"]
    n = 1200
    body = rng.lognormal(np.log(hidden["median_ms"]), 0.25, n)
    tail = rng.random(n) < hidden["tail_share"]
    latency = body + tail * rng.exponential(hidden["tail_scale_ms"], n)
    start = pd.Timestamp("2026-10-05T00:00:00Z")
    seconds = np.sort(rng.uniform(0, 7 * 86400, n))
    frame = pd.DataFrame(
        {
            "request_id": [f"req_{i:05d}" for i in range(n)],
            "timestamp": [(start + pd.Timedelta(seconds=float(s))).isoformat() for s in seconds],
            "latency_ms": np.round(latency, 1),
        }
    )
    return {"requests.csv": frame}
