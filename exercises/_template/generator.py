"""TEMPLATE generator: latencies with a heavy tail, planted per variant in one region.

``sample_parameters`` draws the public parameters (shown to the candidate) and the
hidden ones (what is planted). ``generate`` turns them into data frames. Both take the
random generator explicitly and write nothing.

The judgement question (Q2) needs a truth that varies across variants and an obvious
reading that is wrong in every one: here the heavy tail sits in one region, a different
one per variant, and never in the busiest region. The data should look like a real
week: each region has its own typical latency and a light tail of its own (retries,
cold starts), so the slow region stands out by how much, not by being the only one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

REGIONS = ("eu-west", "us-east", "ap-south", "sa-east")


def sample_parameters(rng: np.random.Generator) -> dict[str, dict[str, Any]]:
    shares = rng.dirichlet([6.0, 5.0, 3.0, 2.0])
    largest = int(np.argmax(shares))
    # A clear lead, so that the busiest region in the data is the planned one.
    shares[largest] += 0.1
    shares = shares / shares.sum()
    # The slow region is never the busiest one: "fix the biggest region" must be wrong.
    # It is never a near-empty one either, so that its misses outnumber any other's.
    others = [i for i in range(len(REGIONS)) if i != largest and shares[i] >= 0.08]
    second = int(np.argsort(shares)[-2])
    slow = int(rng.choice(others)) if others else second
    return {
        "public": {"budget_ms": int(rng.choice([800, 1000, 1200]))},
        "hidden": {
            "shares": [round(float(s), 4) for s in shares],
            "slow_region": REGIONS[slow],
            "median_ms": [round(float(m), 1) for m in rng.uniform(330, 470, len(REGIONS))],
            "background_tail_share": float(rng.uniform(0.01, 0.03)),
            "background_tail_scale_ms": float(rng.uniform(250, 450)),
            "tail_share": float(rng.uniform(0.35, 0.55)),
            "tail_scale_ms": float(rng.uniform(1200, 2400)),
        },
    }


def generate(rng: np.random.Generator, params: dict[str, Any]) -> dict[str, pd.DataFrame]:
    hidden = params["hidden"]
    n = 4000
    shares = np.array(hidden["shares"]) / np.sum(hidden["shares"])
    region = rng.choice(len(REGIONS), size=n, p=shares)
    slow = np.array(REGIONS)[region] == hidden["slow_region"]
    body = rng.lognormal(np.log(np.array(hidden["median_ms"])[region]), 0.2, n)
    background = rng.random(n) < hidden["background_tail_share"]
    tail = slow & (rng.random(n) < hidden["tail_share"])
    latency = (body + background * rng.exponential(hidden["background_tail_scale_ms"], n)
               + tail * rng.exponential(hidden["tail_scale_ms"], n))
    start = pd.Timestamp("2026-10-05T00:00:00Z")
    seconds = np.sort(rng.uniform(0, 7 * 86400, n))
    frame = pd.DataFrame(
        {
            "request_id": [f"req_{i:05d}" for i in range(n)],
            # Millisecond timestamps, as a request log writes them.
            "timestamp": (start + pd.to_timedelta(np.round(seconds, 3), unit="s"))
            .strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z",
            "region": np.array(REGIONS)[region],
            "latency_ms": np.round(latency, 1),
        }
    )
    return {"requests.csv": frame}


def planted(params: dict[str, Any]) -> dict[str, float]:
    """How strongly the slow region stands out: the share of its requests in its tail."""
    return {"tail_share": params["hidden"]["tail_share"]}
