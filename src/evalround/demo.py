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
from evalround.course import RECORDS, CourseError, init_course
from evalround.execution import NotebookRunner, default_runner
from evalround.exercise import Exercise
from evalround.grading import GradeRecord, grade
from evalround.scorecard import Report, build_report, format_leaderboard, leaderboard
from evalround.simulation import DEMO_COHORT, simulate_cohort, simulate_graders
from evalround.submission import CollectOutcome, collect

DEMO_SECRET = bytes.fromhex("e7a1" * 16)
DEMO_GRADER_SEED = 20261123
COURSE_OUTPUT = ("source", "release", "submitted", "autograded", "feedback", "bundles",
                 "inbox", "reports", RECORDS, "gradebook.db")
# The repository keeps these folders, each with a README saying what nbgrader keeps
# there (the design's top level): a reset clears everything in them but that.
KEPT_README = ("source", "release", "autograded")


@dataclass(frozen=True)
class DemoResult:
    outcomes: list[CollectOutcome]
    records: list[GradeRecord]
    report: Report
    leaderboard: str
    calibration: list[Calibration]


def reset_demo_course(root: Path) -> None:
    """Clear what an earlier demo left, refusing to touch a course that is not a demo."""
    records = root / RECORDS
    if records.exists() and not (records / "demo").exists():
        raise CourseError(
            f"{root} holds a real course (no {RECORDS}/demo marker); the demo will not "
            f"overwrite it. Pass another --course folder."
        )
    for name in COURSE_OUTPUT:
        path = root / name
        if path.is_dir():
            for child in path.iterdir():
                if name in KEPT_README and child.name == "README.md" and child.is_file():
                    continue
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()
            if name in (RECORDS, "inbox", "bundles", "reports", "submitted", "feedback"):
                path.rmdir()
        elif path.exists():
            path.unlink()


def run_demo(root: Path, exercises: list[Exercise], jobs: int = 2,
             runner: NotebookRunner | None = None, progress: bool = True,
             allow_unsandboxed: bool = False) -> DemoResult:
    runner = runner or default_runner(allow_unsandboxed)  # refuse before doing any work
    reset_demo_course(root)
    course = init_course(root, secret=DEMO_SECRET, demo=True)
    candidates = [who.candidate for who in DEMO_COHORT]
    assign(course, exercises, candidates, progress=progress, jobs=jobs)
    inbox = root / "inbox"
    paths = simulate_cohort(course, exercises, inbox)
    outcomes = collect(course, [paths[c.id] for c in candidates])
    records = grade(course, exercises, runner=runner, jobs=jobs, progress=progress)
    simulate_graders(course, exercises, np.random.default_rng(DEMO_GRADER_SEED))
    calibrations = [calibrate(course, e) for e in exercises if e.manifest.written_questions]
    report = build_report(course, exercises, root / "reports")
    from evalround.integrity_report import write_integrity
    from evalround.items_report import write_items

    write_integrity(course, exercises, root / "reports")
    write_items(course, exercises, root / "reports")
    board = format_leaderboard(leaderboard(report.results))
    return DemoResult(outcomes, records, report, board, calibrations)
