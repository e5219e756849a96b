"""The report's CSV files: ``scores.csv`` (one row per candidate) and ``scores_long.csv``.

``scores_long.csv`` has one row per candidate, exercise and question. Its first columns
are exactly ``candidate_id, exercise, question, points, max_points, status``; ``points``
is empty while the answer has no points (``pending``, ``changed since marked``), and
``status`` is one of ``results``' plain words. Then: ``kind`` (auto or written),
``scored_by`` (autograded, grader, override), ``late`` (yes or empty), ``received_at``,
``variant_id``, ``submission_sha256``, ``sandbox``, ``note`` (why a run failed) and
``diagnosis`` (the known mistakes a wrong autograded answer matches on the candidate's
own variant, "looks like: ...", separated by "; ") and ``exercise_version`` (which
version of the exercise the candidate got; see ``assign --new-version``).
A version received late under a configured late penalty (``assign --late-penalty``)
has one more row, question ``late_penalty``, kind ``penalty``, whose ``points`` are the
points taken (negative) and ``max_points`` 0. Summing ``points`` per candidate and
exercise gives stock ``nbgrader export``'s score.

``scores.csv`` has one row per candidate: ``candidate_id``, ``name``, one column per
exercise and question named ``EXERCISE.QUESTION``, one ``EXERCISE.total`` per exercise,
then ``total`` (graded points, after any late penalty), ``max_points``, ``graded_max``
(the points graded so far), ``status``, ``late`` (the exercises received late) and
``late_penalty`` (the points taken for lateness; empty when none).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from evalround.course import write_atomic
from evalround.results import RUN_FAILED, CandidateResult, points_text
from evalround.standing import overall_status

WIDE_NAME = "scores.csv"
LONG_NAME = "scores_long.csv"
PENALTY_ROW = "late_penalty"  # the question column of a late penalty's row
LONG_COLUMNS = ("candidate_id", "exercise", "question", "points", "max_points", "status",
                "kind", "scored_by", "late", "received_at", "variant_id",
                "submission_sha256", "sandbox", "note", "diagnosis", "exercise_version")


def csv_text(value: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def write_csv(path: Path, header: Iterable[str], rows: Iterable[Iterable[object]]) -> None:
    """Every report CSV: a header row, then the rows, "\\n" line ends, written atomically
    (a reader never sees half a file)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_atomic(path, buf.getvalue())


def _status(r: CandidateResult) -> str:
    return RUN_FAILED if r.status.startswith(RUN_FAILED) else r.status


def write_long_csv(results: Iterable[CandidateResult], path: Path) -> None:
    """One row per candidate, exercise and question (see the module docstring)."""
    rows = []
    for r in results:
        for qid, points in r.questions.items():
            rows.append([
                r.candidate, r.exercise, qid, points_text(points),
                points_text(r.max_points[qid]), r.question_status.get(qid, ""),
                r.kinds.get(qid, ""), r.scored_by.get(qid, ""),
                "yes" if r.late else "", r.received_at, r.variant_id, r.submission_sha256,
                r.sandbox, csv_text(r.failure or ""),
                csv_text("; ".join(r.diagnoses.get(qid, []))), r.exercise_version,
            ])
        if r.late_penalty:
            rows.append([
                r.candidate, r.exercise, PENALTY_ROW, points_text(-r.late_penalty), "0",
                "graded", "penalty", "late penalty", "yes", r.received_at, r.variant_id,
                r.submission_sha256, r.sandbox, "", "", r.exercise_version,
            ])
    write_csv(path, LONG_COLUMNS, rows)


def write_wide_csv(results: Iterable[CandidateResult], path: Path) -> None:
    """One row per candidate (see the module docstring)."""
    by_candidate: dict[str, list[CandidateResult]] = {}
    columns: list[tuple[str, str]] = []
    exercises: list[str] = []
    for r in results:
        by_candidate.setdefault(r.candidate, []).append(r)
        if r.exercise not in exercises:
            exercises.append(r.exercise)
        columns.extend((r.exercise, q) for q in r.questions if (r.exercise, q) not in columns)
    header = ["candidate_id", "name", *(f"{e}.{q}" for e, q in columns),
              *(f"{e}.total" for e in exercises),
              "total", "max_points", "graded_max", "status", "late", "late_penalty"]
    rows = []
    for cid in sorted(by_candidate):
        rs = by_candidate[cid]
        mine = {r.exercise: r for r in rs}
        rows.append([
            cid, csv_text(next((r.name for r in rs if r.name), "")),
            *(points_text(mine[e].questions.get(q)) if e in mine else "" for e, q in columns),
            *(points_text(mine[e].total) if e in mine else "" for e in exercises),
            points_text(sum(r.total for r in rs)), points_text(sum(r.total_max for r in rs)),
            points_text(sum(r.graded_max for r in rs)),
            _overall_plain(rs),
            " ".join(r.exercise for r in rs if r.late),
            points_text(sum(r.late_penalty for r in rs) or None),
        ])
    write_csv(path, header, rows)


def _overall_plain(rs: list[CandidateResult]) -> str:
    """The candidate's status in plain words; a run failure's reason is in the long CSV."""
    return csv_text(overall_status([replace(r, status=_status(r)) for r in rs]))
