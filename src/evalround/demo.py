"""The demo: the whole hiring loop on a simulated cohort, in one command.

assign -> simulated candidates answer -> collect -> grade -> two simulated graders mark
the written answers blind -> calibration -> report -> leaderboard.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evalround.assignment import assign
from evalround.calibration import Calibration, calibrate
from evalround.course import FOLDER_READMES, GRADING_FILE, RECORDS, CourseError, init_course
from evalround.execution import NotebookRunner, default_runner
from evalround.exercise import Exercise
from evalround.grading import GradeRecord, grade
from evalround.report import Report, build_report
from evalround.simulation import DEMO_COHORT, simulate_cohort, simulate_graders
from evalround.standing import format_leaderboard, leaderboard
from evalround.submission import CollectOutcome, collect

DEMO_SECRET = bytes.fromhex("e7a1" * 16)
DEMO_GRADER_SEED = 20261123
COURSE_OUTPUT = ("source", "release", "submitted", "autograded", "feedback", "bundles",
                 "inbox", "reports", RECORDS, "gradebook.db")


@dataclass(frozen=True)
class DemoResult:
    outcomes: list[CollectOutcome]
    records: list[GradeRecord]
    report: Report
    leaderboard: str
    calibration: list[Calibration]


def reset_demo_course(root: Path) -> None:
    """Clear what an earlier demo left, refusing to touch a course that is not a demo.

    The demo makes its own SQLite course; it cannot make a database server's database,
    so a course just made by ``evalround init --db`` (nothing assigned yet, an empty
    database) may become the demo too, and the demo's gradebook and records there are
    cleared on the next run.
    """
    records = root / RECORDS
    demo = (records / "demo").exists()
    url = _server_url(root)
    fresh = (url is not None and records.exists()
             and {p.name for p in records.iterdir()} <= {"secret", "exchange", GRADING_FILE})
    if records.exists() and not demo and not fresh:
        raise CourseError(
            f"{root} holds a real course (no {RECORDS}/demo marker); the demo will not "
            f"overwrite it. Pass another --course folder."
        )
    if url is not None:
        _reset_database(root, url, demo)
    for name in COURSE_OUTPUT:
        path = root / name
        if path.is_dir():
            for child in path.iterdir():
                if name in FOLDER_READMES and child.name == "README.md" and child.is_file():
                    continue
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
            if name in (RECORDS, "inbox", "bundles", "reports", "submitted", "feedback"):
                path.rmdir()
        elif path.exists():
            path.unlink()


def _server_url(root: Path) -> str | None:
    """The course's database URL when it is on a database server (``init --db``)."""
    from evalround import nbgrader_adapter, store

    if not (root / "nbgrader_config.py").exists():
        return None
    url = nbgrader_adapter.db_url(root)
    return None if store.is_sqlite(url) else url


def _reset_database(root: Path, url: str, demo: bool) -> None:
    """Clear the demo's gradebook and records on a database server, or check that a fresh
    course's database is empty."""
    from evalround import nbgrader_adapter, store

    if not demo and store.holds_grades(url):
        raise CourseError(
            f"the database {store.shown(url)} of {root} already holds grades; the demo "
            f"will not clear them. Give the demo a course with an empty database."
        )
    nbgrader_adapter.clear_gradebook(root)
    store.clear(store.records_url(root, url))


def run_demo(root: Path, exercises: list[Exercise], jobs: int = 2,
             runner: NotebookRunner | None = None, progress: bool = True,
             allow_unsandboxed: bool = False) -> DemoResult:
    runner = runner or default_runner(allow_unsandboxed)  # refuse before doing any work
    reset_demo_course(root)
    # blind, as `evalround init` makes a course: the cohort's ids are first names
    course = init_course(root, secret=DEMO_SECRET, demo=True, blind=True,
                         graders_per_answer=2)
    candidates = [who.candidate for who in DEMO_COHORT]
    assign(course, exercises, candidates, progress=progress, jobs=jobs)
    inbox = root / "inbox"
    paths = simulate_cohort(course, exercises, inbox)
    outcomes = collect(course, [paths[c.id] for c in candidates])
    records = grade(course, exercises, runner=runner, jobs=jobs, progress=progress)
    simulate_graders(course, exercises, np.random.default_rng(DEMO_GRADER_SEED))
    calibrations = [calibrate(course, e) for e in exercises if e.manifest.written_questions]
    report = build_report(course, exercises, root / "reports")

    board = format_leaderboard(leaderboard(report.results))
    return DemoResult(outcomes, records, report, board, calibrations)
