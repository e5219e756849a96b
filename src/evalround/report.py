"""The report, written from the gradebook: the CSV files, the scorecards and the cohort page.

The course edge of the report's flow: ``results`` reads every score from nbgrader's
gradebook, ``integrity_report`` and ``items_report`` write their files, ``reports_csv``
the score tables and ``scorecard`` the HTML pages, all into one folder.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from evalround.course import Course
from evalround.deadline import load_deadlines
from evalround.exercise import Exercise
from evalround.reports_csv import LONG_NAME, WIDE_NAME, write_long_csv, write_wide_csv
from evalround.results import CandidateResult, collect_results


@dataclass(frozen=True)
class Report:
    """What ``build_report`` wrote."""

    results: list[CandidateResult]
    csv_path: Path  # scores.csv, one row per candidate
    long_csv_path: Path  # scores_long.csv, one row per candidate, exercise and question
    html_dir: Path
    integrity_path: Path | None = None  # integrity.csv, the shared-answer flags
    items_path: Path | None = None  # items.csv, the item statistics
    open_flags: int = 0  # shared-answer flags nobody dismissed


def build_report(course: Course, exercises: list[Exercise], out_dir: Path | None = None
                 ) -> Report:
    """Collect every result from the gradebook, then write ``scores.csv``,
    ``scores_long.csv``, ``integrity.csv``, ``items.csv``, the scorecards and
    ``index.html``.

    ``out_dir`` defaults to ``<course>/reports``.
    """
    from evalround.integrity_report import flag_line, open_flags, write_integrity
    from evalround.items_report import write_items
    from evalround.scorecard import write_scorecards

    out = out_dir if out_dir is not None else course.root / "reports"
    results = collect_results(course, exercises)
    integrity_path, flags = write_integrity(course, exercises, out)
    still = open_flags(course, flags)
    mine: dict[tuple[str, str], list[str]] = {}
    for f in still:
        mine.setdefault((f.candidate, f.exercise), []).append(flag_line(f))
    results = [replace(r, flags=mine.get((r.candidate, r.exercise), [])) for r in results]
    items_path, stats = write_items(course, exercises, out)
    csv_path, long_path = out / WIDE_NAME, out / LONG_NAME
    write_wide_csv(results, csv_path)
    write_long_csv(results, long_path)
    due = {slug: d.text() + (f" (late penalty: {d.penalty.text()})" if d.penalty else "")
           for slug, d in load_deadlines(course).items()}
    write_scorecards(results, exercises, out, due,
                     {e.exercise: e for e in stats}, [flag_line(f, True) for f in still])
    return Report(results=results, csv_path=csv_path, long_csv_path=long_path, html_dir=out,
                  integrity_path=integrity_path, items_path=items_path,
                  open_flags=len(still))
