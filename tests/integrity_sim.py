"""Simulated independent work, to calibrate the shared-answer thresholds against.

Independent candidates answer the template exercise (p50, p95, share over budget) each
their own way: one of several idioms per answer, their own names, their own exploring
lines, in their own order; and write their own prose, sentence by sentence, from a
vocabulary many candidates share. Copiers then disguise someone else's work.
"""

from __future__ import annotations

import random
import re

STUB = ("q1_p50_ms = None  # float, milliseconds\nq1_p95_ms = None  # float, milliseconds\n"
        "q1_share_over_budget = None  # float in [0, 1]\n")
P50 = ['{v} = float(np.percentile({lat}, 50, method="linear"))', "{v} = float(np.median({lat}))",
       '{v} = requests["latency_ms"].quantile(0.5)', "{v} = float(np.quantile({lat}, 0.5))",
       '{v} = requests.latency_ms.describe()["50%"]', "{v} = statistics.median({lat})"]
P95 = ['{v} = float(np.percentile({lat}, 95, method="linear"))',
       '{v} = requests["latency_ms"].quantile(0.95)', "{v} = float(np.quantile({lat}, 0.95))",
       '{v} = requests.latency_ms.describe(percentiles=[0.95])["95%"]',
       "{v} = {helper}({lat}, 0.95)"]
SHARE = ["{v} = float(({lat} > budget_ms).mean())", "{v} = float(np.mean({lat} > budget_ms))",
         "{v} = sum(1 for x in {lat} if x > budget_ms) / len({lat})",
         '{v} = requests.query("latency_ms > @budget_ms").shape[0] / len(requests)',
         "{v} = len(requests[requests.latency_ms > budget_ms]) / len(requests)",
         '{v} = (requests["latency_ms"].gt(budget_ms)).sum() / requests.shape[0]']
LAT = ['requests["latency_ms"].to_numpy()', "requests.latency_ms.values",
       'np.asarray(requests["latency_ms"])', 'requests["latency_ms"]', "list(requests.latency_ms)"]
EXPLORE = ["print(requests.describe())", "requests.head(10)", "print({v})",
           "import matplotlib.pyplot as plt\nplt.hist(requests.latency_ms, bins=50)\nplt.show()",
           "print(len(requests), requests.latency_ms.max())",
           'requests["hour"] = requests.timestamp.dt.hour\n'
           'requests.groupby("hour").latency_ms.median()',
           "assert {v} > 0", 'print(f"p95 is {{{v}:.1f}} ms")',
           'requests.sort_values("latency_ms").tail()']
HELPER = ("def {helper}(values, q):\n    s = sorted(values)\n    i = q * (len(s) - 1)\n"
          "    lo = int(i)\n    hi = min(lo + 1, len(s) - 1)\n"
          "    return s[lo] + (s[hi] - s[lo]) * (i - lo)")
NAMES = ["lat", "latency", "x", "vals", "arr", "lat_ms", "series", "data"]


def independent_code(rng: random.Random) -> str:
    name = rng.choice(NAMES)
    helper = rng.choice(["pct", "quantile_of", "interp_q", "my_percentile"])
    lines: list[str] = []
    if rng.random() < 0.7:
        lines.append(f"{name} = {rng.choice(LAT)}")
        lat = name
    else:
        lat = rng.choice(LAT)
    if rng.random() < 0.3:
        lines.insert(0, "import statistics")
    parts = [rng.choice(P50).format(v="q1_p50_ms", lat=lat),
             rng.choice(P95).format(v="q1_p95_ms", lat=lat, helper=helper),
             rng.choice(SHARE).format(v="q1_share_over_budget", lat=lat)]
    if helper in parts[1]:
        lines.insert(0, HELPER.format(helper=helper))
    rng.shuffle(parts)
    lines += parts
    for _ in range(rng.randint(1, 4)):
        lines.insert(rng.randint(0, len(lines)), rng.choice(EXPLORE).format(
            v=rng.choice(["q1_p50_ms", "q1_p95_ms", name])))
    return STUB + "\n".join(lines) + "\n"


def disguised_copy(code: str, rng: random.Random) -> str:
    """Someone else's code, variables renamed, reformatted, commented, statements swapped."""
    for name in NAMES + ["pct", "quantile_of", "interp_q", "my_percentile", "values", "lo",
                         "hi", "s", "i", "q"]:
        code = re.sub(rf"(?<![.\w\"']){name}\b(?![\"'])", f"{name}_{rng.choice('abz')}", code)
    lines = []
    for line in code.splitlines():
        lines.append(line.replace(" = ", "=").replace(", ", ",  ") if rng.random() < 0.5
                     else line)
        if rng.random() < 0.4 and not line.startswith((" ", "def")):
            lines.append("# " + rng.choice(["compute it", "check this", "the tail"]))
    tops = [i for i, line in enumerate(lines) if line and not line.startswith((" ", "def", "#"))
            and "None" not in line]
    if len(tops) >= 2:
        a, b = rng.sample(tops, 2)
        lines[a], lines[b] = lines[b], lines[a]
    return "\n".join(lines) + "\n"


WORDS = {
    "A": ["The median", "Reporting only the median", "A single median", "The dashboard's median",
          "Our headline median", "One summary number", "The p50 on the dashboard",
          "A middle-of-the-road figure", "Watching the median alone", "The typical latency"],
    "B": ["hides", "masks", "says nothing about", "glosses over", "obscures", "ignores",
          "papers over", "cannot show", "tells us little about", "leaves out"],
    "C": ["the slow tail", "the worst requests", "the outliers", "the long tail of latency",
          "the slowest calls", "the bad minutes", "the users who wait", "the spikes",
          "what the unlucky users see", "the right end of the distribution"],
    "D": ["p95 sits at", "the 95th percentile is", "at p95 we see", "the tail reaches",
          "one request in twenty takes", "the slow five percent land", "p95 comes out"],
    "E": ["well above", "far over", "clearly beyond", "a lot more than", "twice", "above",
          "way past", "noticeably over"],
    "F": ["the budget", "the latency budget", "the target", "what we promised", "the limit",
          "the SLO", "our threshold", "the agreed ceiling"],
    "G": ["about a tenth of requests", "roughly one call in ten", "a real share of users",
          "many turns", "a visible fraction of traffic", "too many sessions",
          "a meaningful slice of calls", "enough requests to matter", "a steady trickle of turns"],
    "H": ["miss it", "go over", "wait too long", "breach it", "are too slow", "time out",
          "exceed it", "fall outside it"],
    "I": ["I would", "We should", "The team needs to", "Next step:", "I'd", "My advice is to",
          "It would help to", "Before launch, let's"],
    "J": ["add p95 and p99 to the dashboard", "alert on tail percentiles",
          "track the share over budget", "report the distribution, not one number",
          "slice latency by region and hour", "look at the slowest endpoints",
          "set an SLO on p95", "plot a histogram every week", "profile the slow calls",
          "compare weekdays with weekends"],
    "K": ["so the claim does not hold", "so we are not within budget",
          "which makes the median misleading", "and users feel that", "so the answer is no",
          "which the median never shows", "and that is what churns users",
          "so the product misses its budget"],
}
SENTENCES = ["{A} {B} {C}.", "{D} {E} {F}.", "{G} {H}, {K}.", "{I} {J}.", "{I} {J} and {J2}.",
             "{A} looks fine, but {G} {H}.", "Even if {A} is fine, {D} {E} {F}.",
             "{C} matter more than {A}, {K}.", "In short, {G} {H}.", "{I} {J}, then {J2}."]
SYNONYMS = {"median": "middle value", "tail": "slow end", "budget": "limit",
            "requests": "calls", "would": "will", "dashboard": "monitoring page",
            "users": "customers", "slow": "sluggish"}


def independent_prose(rng: random.Random) -> str:
    chosen = rng.sample(SENTENCES, rng.randint(3, 5))
    return " ".join(t.format(**{k: rng.choice(v) for k, v in WORDS.items()},
                             J2=rng.choice(WORDS["J"])) for t in chosen)


def paraphrase(text: str, rng: random.Random) -> str:
    """Someone else's prose, sentences reordered and words swapped for synonyms."""
    sentences = [s for s in re.split(r"(?<=\.)\s+", text) if s]
    rng.shuffle(sentences)
    out = " ".join(sentences)
    for word, other in SYNONYMS.items():
        if rng.random() < 0.5:
            out = out.replace(word, other)
    return out
