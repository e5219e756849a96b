"""Item analysis: which questions separate strong candidates from weak ones. Pure.

The statistics are those of Moodle's quiz statistics report, computed per exercise
over the candidates whose every question of that exercise is graded (so each total is
comparable):

- **facility**: the mean share of the question's points earned;
- **sd**: the sample standard deviation of that share;
- **discrimination**: the corrected item-total correlation, Pearson's r between the
  question's points and the rest of the exercise's points (the question left out of
  the total, so an item is never correlated with itself);
- **discriminative efficiency**: the covariance with the rest over the largest
  covariance the two marginal distributions allow (both sorted and paired), so an
  item too easy or too hard to discriminate much is not blamed for it;
- per exercise, **Cronbach's alpha**: k/(k-1) x (1 - sum of the item variances / the
  variance of the total).

Below ``MIN_N`` candidates a statistic is not computed: it is reported as too few.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

MIN_N = 5
TOO_HARD = 0.20  # facility below this: almost nobody earns the points
TOO_EASY = 0.90  # facility above this: almost everybody does
WEAK_DISCRIMINATION = 0.20  # corrected item-total r below this: does not separate


@dataclass(frozen=True)
class ItemStats:
    """One question's statistics over ``n`` candidates (None: not computable)."""

    exercise: str
    question: str
    max_points: float
    n: int
    facility: float | None
    sd: float | None
    discrimination: float | None
    efficiency: float | None

    @property
    def flags(self) -> tuple[str, ...]:
        """Plain-words flags, with the thresholds in the module's constants."""
        if self.n < MIN_N:
            return (f"too few candidates (n={self.n}, statistics need {MIN_N})",)
        out = []
        if self.facility is not None and self.facility < TOO_HARD:
            out.append(f"too hard (facility below {TOO_HARD:.0%})")
        if self.facility is not None and self.facility > TOO_EASY:
            out.append(f"too easy (facility above {TOO_EASY:.0%})")
        if self.discrimination is None:
            out.append("does not discriminate (every candidate scored the same)")
        elif self.discrimination < 0:
            out.append("discriminates the wrong way (check the key or the wording)")
        elif self.discrimination < WEAK_DISCRIMINATION:
            out.append(f"does not discriminate (r below {WEAK_DISCRIMINATION:.2f})")
        return tuple(out)


@dataclass(frozen=True)
class ExerciseStats:
    exercise: str
    n: int
    alpha: float | None
    items: tuple[ItemStats, ...]


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs)


def _cov(xs: Sequence[float], ys: Sequence[float]) -> float:
    mx, my = _mean(xs), _mean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (len(xs) - 1)


def corrected_item_total(item: Sequence[float], rest: Sequence[float]) -> float | None:
    """Pearson's r between an item and the rest of the total; None when either is flat."""
    var = _cov(item, item) * _cov(rest, rest)
    return _cov(item, rest) / math.sqrt(var) if var > 0 else None


def discriminative_efficiency(item: Sequence[float], rest: Sequence[float]) -> float | None:
    """cov(item, rest) over the covariance of the two sorted and paired (its maximum)."""
    most = _cov(sorted(item), sorted(rest))
    return _cov(item, rest) / most if most > 0 else None


def cronbach_alpha(columns: Sequence[Sequence[float]]) -> float | None:
    k = len(columns)
    totals = [sum(row) for row in zip(*columns, strict=True)]
    total_var = _cov(totals, totals)
    if k < 2 or total_var <= 0:
        return None
    return k / (k - 1) * (1 - sum(_cov(c, c) for c in columns) / total_var)


def analyse(exercise: str, max_points: Mapping[str, float],
            points: Mapping[str, Mapping[str, float | None]]) -> ExerciseStats:
    """``points``: candidate -> question -> points (None while pending). Only candidates
    graded on every question of ``max_points`` count."""
    questions = list(max_points)
    rows = [[float(p[q]) for q in questions] for p in points.values()  # type: ignore[arg-type]
            if all(p.get(q) is not None for q in questions)]
    n = len(rows)
    columns = [[row[i] for row in rows] for i in range(len(questions))]
    items = []
    for i, qid in enumerate(questions):
        if n < MIN_N:
            items.append(ItemStats(exercise, qid, max_points[qid], n, None, None, None, None))
            continue
        share = [x / max_points[qid] for x in columns[i]]
        rest = [sum(row) - row[i] for row in rows]
        items.append(ItemStats(
            exercise, qid, max_points[qid], n, facility=_mean(share),
            sd=math.sqrt(_cov(share, share)),
            discrimination=corrected_item_total(columns[i], rest),
            efficiency=discriminative_efficiency(columns[i], rest)))
    alpha = cronbach_alpha(columns) if n >= MIN_N else None
    return ExerciseStats(exercise, n, alpha, tuple(items))


def mistake_counts(diagnoses: Iterable[Mapping[str, Sequence[str]]]
                   ) -> dict[str, list[tuple[str, int]]]:
    """Per question, how many candidates made each known mistake, most made first.

    ``diagnoses`` holds one mapping per candidate: question -> the known mistakes their
    answer matches ("looks like: ...")."""
    counts: dict[str, dict[str, int]] = {}
    for named_by_question in diagnoses:
        for qid, named in named_by_question.items():
            for text in named:
                counts.setdefault(qid, {}).setdefault(text, 0)
                counts[qid][text] += 1
    return {qid: sorted(c.items(), key=lambda kv: (-kv[1], kv[0])) for qid, c in counts.items()}
