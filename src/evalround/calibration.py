"""Calibration: do two or more graders, marking the same answers blind, agree?

For every rubric item it reports raw agreement and Cohen's kappa over the answers at
least two graders marked, then lists where they disagree, so that the rubric can be
sharpened where graders read it differently. With more than two graders, agreement
and kappa are averaged over every pair of graders (Light's kappa).

Everything here but ``calibrate`` is pure: it works on marks, not on files.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

from evalround.course import Course
from evalround.exercise import Exercise
from evalround.rubric import Mark, RubricItem, RubricStore, blind_code, current_items


def cohen_kappa(a: Sequence[bool], b: Sequence[bool]) -> float | None:
    """Cohen's kappa of two graders' yes/no calls on the same answers.

    None when it is undefined: no answers, or both graders made one and the same call
    on every answer (chance agreement is then 1).
    """
    n = len(a)
    if n == 0 or n != len(b):
        return None
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    if math.isclose(expected, 1.0):
        return None
    return (observed - expected) / (1 - expected)


@dataclass(frozen=True)
class Disagreement:
    item: str
    submission: str  # the blind code, not the candidate
    applied_by: tuple[str, ...]
    not_applied_by: tuple[str, ...]


@dataclass(frozen=True)
class ItemAgreement:
    item: str
    question: str
    points: float
    answers: int  # answers marked by two or more graders
    applied: int  # grader calls that applied the item
    calls: int  # grader calls in all
    raw_agreement: float | None
    kappa: float | None
    disagreements: tuple[Disagreement, ...]


@dataclass(frozen=True)
class Calibration:
    exercise: str
    graders: tuple[str, ...]
    items: tuple[ItemAgreement, ...]
    answers: int  # answers marked by two or more graders

    def text(self) -> str:
        return format_calibration(self)

    def summary(self) -> str:
        """One line: mean kappa and the item graders read most differently."""
        rated = [r for r in self.items if r.answers]
        if not rated:
            return f"{self.exercise}: no answer marked by two graders yet"
        kappas = [r.kappa for r in rated if r.kappa is not None]
        mean = f"mean kappa {sum(kappas) / len(kappas):.2f}" if kappas else "kappa undefined"
        split = sum(len(r.disagreements) for r in rated)
        line = (f"{self.exercise}: {len(self.graders)} graders, {self.answers} answers, "
                f"{mean}, {split} split calls")
        if self.answers < MIN_KAPPA_ANSWERS:
            line += (f" (warning: fewer than {MIN_KAPPA_ANSWERS} answers; kappa this "
                     f"small a sample is unsteady)")
        worst = min(rated, key=lambda r: (r.kappa if r.kappa is not None else 2.0, r.item))
        if worst.disagreements:
            line += (f"; least agreed: {worst.item} (kappa {_num(worst.kappa)}, "
                     f"{len(worst.disagreements)} disagreements)")
        return line


def agreement(items: Mapping[str, Sequence[RubricItem]], marks: Iterable[Mark],
              codes: Mapping[str, str], exercise: str = "") -> Calibration:
    """Per-item agreement over answers marked by at least two graders.

    ``codes`` maps each candidate to a blind submission code used in the report.
    """
    by_answer: dict[tuple[str, str], dict[str, Mark]] = {}
    for m in marks:
        by_answer.setdefault((m.candidate, m.question), {})[m.grader] = m
    shared = {k: v for k, v in by_answer.items() if len(v) >= 2}
    graders = tuple(sorted({g for v in shared.values() for g in v}))
    rows = []
    for question, qitems in items.items():
        answers = sorted((c, v) for (c, q), v in shared.items() if q == question)
        for item in qitems:
            pair_obs: dict[tuple[str, str], tuple[list[bool], list[bool]]] = {}
            disagreements = []
            applied = calls = 0
            for cid, by_grader in answers:
                calls_here = {g: item.id in m.items for g, m in by_grader.items()}
                applied += sum(calls_here.values())
                calls += len(calls_here)
                for g1, g2 in combinations(sorted(calls_here), 2):
                    xs, ys = pair_obs.setdefault((g1, g2), ([], []))
                    xs.append(calls_here[g1])
                    ys.append(calls_here[g2])
                if len(set(calls_here.values())) > 1:
                    disagreements.append(Disagreement(
                        item=item.id, submission=codes.get(cid, cid),
                        applied_by=tuple(sorted(g for g, v in calls_here.items() if v)),
                        not_applied_by=tuple(sorted(g for g, v in calls_here.items() if not v)),
                    ))
            agree = [sum(x == y for x, y in zip(xs, ys, strict=True)) / len(xs)
                     for xs, ys in pair_obs.values() if xs]
            kappas = [k for xs, ys in pair_obs.values() if (k := cohen_kappa(xs, ys)) is not None]
            rows.append(ItemAgreement(
                item=item.id, question=question, points=item.points, answers=len(answers),
                applied=applied, calls=calls,
                raw_agreement=sum(agree) / len(agree) if agree else None,
                kappa=sum(kappas) / len(kappas) if kappas else None,
                disagreements=tuple(sorted(disagreements, key=lambda d: d.submission)),
            ))
    return Calibration(exercise=exercise, graders=graders, items=tuple(rows),
                       answers=len(shared))


def calibrate(course: Course, exercise: Exercise) -> Calibration:
    """The calibration report of one exercise, from the course's rubric marks."""
    marks = RubricStore(course).marks(exercise.slug)
    codes = {cid: blind_code(course.secret, exercise.slug, cid)
             for cid in {m.candidate for m in marks}}
    return agreement(current_items(course, exercise), marks, codes, exercise.slug)


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


MIN_KAPPA_ANSWERS = 10  # below this many answers a kappa is too unsteady to name


def kappa_words(kappa: float | None, answers: int | None = None) -> str:
    """Landis and Koch's words for a kappa, so a reader need not know the scale; with
    fewer than ``MIN_KAPPA_ANSWERS`` answers, a warning instead of a verdict."""
    if answers is not None and answers < MIN_KAPPA_ANSWERS:
        return (f"too few answers to judge ({answers}; kappa needs {MIN_KAPPA_ANSWERS} "
                f"or more)")
    if kappa is None:
        return "undefined: every grader made the same call on every answer"
    for bound, words in ((0.0, "poor"), (0.2, "slight"), (0.4, "fair"), (0.6, "moderate"),
                         (0.8, "substantial")):
        if kappa <= bound:
            return words
    return "almost perfect"


def format_calibration(cal: Calibration) -> str:
    """The report as plain text: a table of items, then every disagreement."""
    if cal.answers == 0:
        return (f"{cal.exercise}: no written answer has been marked by two graders yet. "
                f"Ask two or more graders to mark the same submissions in the grading desk.")
    head = (f"{cal.exercise}: {len(cal.graders)} graders ({', '.join(cal.graders)}), "
            f"{cal.answers} answers marked by two or more")
    header = ("item", "pts", "answers", "applied", "agreement", "kappa", "reading")
    body = [(r.item, f"{r.points:g}", str(r.answers), f"{r.applied}/{r.calls}",
             _num(r.raw_agreement), _num(r.kappa), kappa_words(r.kappa, r.answers))
            for r in cal.items if r.answers]
    widths = [max(len(h), *(len(row[i]) for row in body)) for i, h in enumerate(header)]
    lines = [head, "",
             "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
              for row in body]
    worst = sorted((r for r in cal.items if r.disagreements),
                   key=lambda r: (r.kappa if r.kappa is not None else 2.0, r.item))
    lines.append("")
    if not worst:
        lines.append("Graders agree on every item of every answer they both marked.")
    else:
        lines.append("Where graders disagree (sharpen these items first, lowest kappa first):")
        for r in worst:
            lines.append(f"  {r.item} ({r.question}, kappa {_num(r.kappa)}):")
            for d in r.disagreements:
                lines.append(f"    {d.submission}: applied by {', '.join(d.applied_by)}; "
                             f"not by {', '.join(d.not_applied_by)}")
    return "\n".join(lines)
