"""The course edge of ``item_analysis``: per-question points from the gradebook (the one
source of every score), written to ``reports/items.csv`` and printed by
``evalround items``."""

from __future__ import annotations

from pathlib import Path

from evalround import nbgrader_adapter
from evalround.course import Course
from evalround.exercise import Exercise
from evalround.item_analysis import (
    MIN_N,
    TOO_EASY,
    TOO_HARD,
    WEAK_DISCRIMINATION,
    ExerciseStats,
    analyse,
    mistake_counts,
)
from evalround.reports_csv import write_csv

CSV_COLUMNS = ("exercise", "question", "kind", "max_points", "n", "facility", "sd",
               "discrimination", "efficiency", "alpha", "flags", "known_mistakes")
THRESHOLDS = (f"statistics need n >= {MIN_N} candidates graded on every question; "
              f"too hard: facility < {TOO_HARD:.0%}; too easy: facility > {TOO_EASY:.0%}; "
              f"does not discriminate: corrected item-total r < {WEAK_DISCRIMINATION:.2f}")


def exercise_stats(course: Course, exercise: Exercise) -> ExerciseStats:
    """Item statistics of one exercise over its graded candidates (pending ones left out)."""
    slug = exercise.slug
    questions = exercise.manifest.questions
    book = course.by_candidate(nbgrader_adapter.grades(course.root, slug, slug))
    points = {cid: {q.id: (cells[q.id].score if q.id in cells else None) for q in questions}
              for cid, cells in book.items()}
    return analyse(slug, {q.id: q.points for q in questions}, points)


def _num(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def known_mistakes(course: Course, exercise: Exercise) -> dict[str, list[tuple[str, int]]]:
    """Per question, how many graded candidates made each known mistake, most made first."""
    from evalround.grading import load_record

    records = (load_record(course, exercise.slug, cid) for cid in course.assigned(exercise.slug))
    return mistake_counts(record.diagnoses for record in records if record)


def write_items(course: Course, exercises: list[Exercise], out: Path
                ) -> tuple[Path, list[ExerciseStats]]:
    stats = [exercise_stats(course, e) for e in exercises]
    mistakes = {e.slug: known_mistakes(course, e) for e in exercises}
    kinds = {(e.slug, q.id): ("judgement" if q.judgement else q.kind)
             for e in exercises for q in e.manifest.questions}
    out.mkdir(parents=True, exist_ok=True)
    path = out / "items.csv"
    write_csv(path, CSV_COLUMNS, [
        [ex.exercise, item.question, kinds[(ex.exercise, item.question)],
         f"{item.max_points:g}", item.n, _num(item.facility), _num(item.sd),
         _num(item.discrimination), _num(item.efficiency), _num(ex.alpha),
         "; ".join(item.flags),
         "; ".join(f"{text.removeprefix('looks like: ')}: {n}"
                   for text, n in mistakes[ex.exercise].get(item.question, []))]
        for ex in stats for item in ex.items])
    return path, stats


def format_items(stats: list[ExerciseStats]) -> str:
    lines = []
    for ex in stats:
        alpha = "too few" if ex.alpha is None and ex.n < MIN_N else _num(ex.alpha, 2) or "-"
        lines.append(f"{ex.exercise}: n={ex.n}, Cronbach's alpha {alpha}")
        lines.append(f"  {'question':10} {'n':>3} {'facility':>8} {'sd':>6} {'r(rest)':>8} "
                     f"{'eff.':>6}  flags")
        for i in ex.items:
            if i.n < MIN_N:
                lines.append(f"  {i.question:10} {i.n:>3} {'too few':>8}")
                continue
            lines.append(f"  {i.question:10} {i.n:>3} {_num(i.facility, 2):>8} "
                         f"{_num(i.sd, 2):>6} {_num(i.discrimination, 2) or '-':>8} "
                         f"{_num(i.efficiency, 2) or '-':>6}  {'; '.join(i.flags)}")
    lines.append(THRESHOLDS)
    return "\n".join(lines)
