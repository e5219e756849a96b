"""The one place evalround talks to nbgrader.

nbgrader's API reports failures as ``{"success": False, "error": ...}`` dictionaries
and logs; this module turns them into ``NbgraderError`` exceptions, so the rest of
the kit never sees nbgrader's types or configuration machinery.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import sys
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from nbformat import NotebookNode
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from evalround.notebook import CANDIDATE_SOURCE

CONFIG_FILE = "nbgrader_config.py"


class NbgraderError(Exception):
    """nbgrader refused or failed; the message says what and where."""


@dataclass(frozen=True)
class GradebookGrade:
    """One grade cell's scores as the gradebook holds them."""

    grade_id: str
    auto_score: float | None
    manual_score: float | None
    max_score: float
    comment: str | None = None  # the grader's comment on this cell, if any

    @property
    def score(self) -> float | None:
        if self.manual_score is not None:
            return self.manual_score
        return self.auto_score


def _tools_on_path() -> None:
    # nbgrader shells out to `alembic` when it creates a gradebook; make the one
    # installed beside this Python findable even when the venv is not activated.
    bindir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if bindir not in path.split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + path


def _config(root: Path) -> Config:
    _tools_on_path()
    config = Config()
    path = root / CONFIG_FILE
    if path.exists():
        loader = PyFileConfigLoader(CONFIG_FILE, path=str(root))
        config.merge(loader.load_config())
    config.CourseDirectory.root = str(root)
    if "root" not in config.Exchange:
        # The default exchange (/usr/local/share) is unwritable for most graders, and
        # evalround does not use it: keep nbgrader from complaining about it.
        config.Exchange.root = str(root / ".evalround" / "exchange")
    return config


def _coursedir(root: Path):  # type: ignore[no-untyped-def]
    from nbgrader.coursedir import CourseDirectory

    return CourseDirectory(config=_config(root))


def db_url(root: Path) -> str:
    """The gradebook's database URL (``db_url`` in nbgrader_config.py, else gradebook.db)."""
    return str(_coursedir(root).db_url)


@contextlib.contextmanager
def gradebook(root: Path) -> Iterator:  # type: ignore[type-arg]
    """nbgrader's Gradebook for the course at ``root``."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import OperationalError, SAWarning

    coursedir = _coursedir(root)
    with warnings.catch_warnings():
        # nbgrader 0.9 builds submissions in a way SQLAlchemy 2 warns about; harmless.
        warnings.simplefilter("ignore", SAWarning)
        try:
            opened = Gradebook(coursedir.db_url, coursedir.course_id)
        except OperationalError as exc:
            from sqlalchemy.engine import make_url

            where = make_url(coursedir.db_url).render_as_string(hide_password=True)
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise NbgraderError(f"gradebook {where} of {root}: {first}") from None
        with opened as gb:
            try:
                yield gb
            finally:
                # Gradebook makes an engine each time and leaves its connections open
                # until collected; on a database server they would pile up.
                gb.db.remove()
                gb.engine.dispose()


def clear_gradebook(root: Path) -> None:
    """Delete every row of the gradebook (its schema and schema version stay)."""
    from nbgrader.api import Base

    with gradebook(root) as gb:
        for table in reversed(Base.metadata.sorted_tables):
            gb.db.execute(table.delete())
        gb.db.commit()


def generate_assignment(root: Path, assignment: str) -> None:
    """Run nbgrader's generate_assignment: records the source cells and writes release/."""
    from nbgrader.apps import NbGraderAPI

    coursedir = _coursedir(root)
    api = NbGraderAPI(coursedir=coursedir, config=_config(root))
    api.log.setLevel(logging.ERROR)
    result = api.generate_assignment(assignment, force=True, create=True)
    if not result.get("success"):
        log = (result.get("log") or "") + (result.get("error") or "")
        errors = [line for line in log.splitlines() if "ERROR" in line or "Error" in line]
        detail = "\n".join(errors[-8:] or log.strip().splitlines()[-8:])
        raise NbgraderError(
            f"nbgrader generate_assignment {assignment} failed in {root}:\n{detail}"
        )


def ensure_students(root: Path, students: Mapping[str, Mapping[str, str]]) -> None:
    """Create or update gradebook students: id -> {first_name, last_name, email}.

    One transaction for all (nbgrader's ``update_or_create_student`` commits each one, and
    each commit waits for the disk: 100 candidates took 14 s on a busy machine)."""
    from nbgrader.api import Student
    from sqlalchemy.exc import SQLAlchemyError

    with gradebook(root) as gb:
        known = {s.id: s for s in gb.db.query(Student).all()}
        for student_id, info in students.items():
            fields = {k: v for k, v in info.items() if v}
            student = known.get(student_id)
            if student is None:
                gb.db.add(Student(id=student_id, **fields))
            else:
                for name, value in fields.items():
                    setattr(student, name, value)
        try:
            gb.db.commit()
        except SQLAlchemyError as exc:
            gb.db.rollback()
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise NbgraderError(f"gradebook of {root}: adding {len(students)} candidates "
                                f"failed, none was added: {first}") from None


def submission_count(root: Path, assignment: str) -> int:
    from nbgrader.api import MissingEntry

    with gradebook(root) as gb:
        try:
            return len(gb.find_assignment(assignment).submissions)
        except MissingEntry:
            return 0


def record_autograde(
    root: Path,
    assignment: str,
    student: str,
    notebook_id: str,
    auto_scores: Mapping[str, float],
    graded_nb: NotebookNode,
    timestamp: datetime,
) -> None:
    """Write autograded scores into the gradebook, as nbgrader's SaveAutoGrades would.

    ``auto_scores`` gives the score of every autograded test cell; written answer
    cells score 0 when left blank and wait for a grader otherwise. A manual score a
    grader already gave is never overwritten.
    """
    from nbgrader import utils
    from nbgrader.api import MissingEntry

    with gradebook(root) as gb:
        try:
            gb.find_student(student)
            gb.find_notebook(notebook_id, assignment)
        except MissingEntry as exc:
            raise NbgraderError(
                f"gradebook {root}: {exc}. Was {assignment} assigned to {student} "
                f"with `evalround assign`?"
            ) from None
        gb.update_or_create_submission(assignment, student, timestamp=timestamp)
        for shown in graded_nb.cells:
            # graded on what the candidate wrote, not on the inert copy graders see
            cell = shown
            if CANDIDATE_SOURCE in shown.get("metadata", {}):
                cell = copy.deepcopy(shown)
                cell.source = shown.metadata[CANDIDATE_SOURCE]
            meta = cell.metadata.get("nbgrader", {})
            gid = meta.get("grade_id")
            if not gid:
                continue
            if meta.get("grade"):
                grade = gb.find_grade(gid, notebook_id, assignment, student)
                if meta.get("solution"):
                    auto, _ = utils.determine_grade(cell)
                    grade.auto_score = auto
                else:
                    if gid not in auto_scores:
                        raise NbgraderError(f"no evalround score for test cell {gid}")
                    grade.auto_score = auto_scores[gid]
                grade.needs_manual_grade = (
                    grade.manual_score is not None or grade.auto_score is None
                )
            if meta.get("solution"):
                comment = gb.find_comment(gid, notebook_id, assignment, student)
                unchanged = meta.get("checksum") == utils.compute_checksum(cell)
                comment.auto_comment = "No response." if unchanged else None
        gb.db.commit()


def grades(root: Path, assignment: str, notebook_id: str) -> dict[str, dict[str, GradebookGrade]]:
    """student -> grade_id -> scores, for every submission of ``assignment``."""
    from nbgrader.api import MissingEntry

    out: dict[str, dict[str, GradebookGrade]] = {}
    with gradebook(root) as gb:
        try:
            notebook = gb.find_notebook(notebook_id, assignment)
        except MissingEntry:
            return out
        for submitted in notebook.submissions:
            comments = {c.cell.name: c.manual_comment for c in submitted.comments}
            out[submitted.student.id] = {
                g.cell.name: GradebookGrade(
                    grade_id=g.cell.name,
                    auto_score=g.auto_score,
                    manual_score=g.manual_score,
                    max_score=float(g.max_score),
                    comment=comments.get(g.cell.name) or None,
                )
                for g in submitted.grades
            }
    return out


def grade(root: Path, assignment: str, notebook_id: str, student: str, grade_id: str
          ) -> GradebookGrade | None:
    """One cell's scores and comment for one student; None when it was never graded."""
    from nbgrader.api import MissingEntry

    with gradebook(root) as gb:
        try:
            held = gb.find_grade(grade_id, notebook_id, assignment, student)
            comment = gb.find_comment(grade_id, notebook_id, assignment, student)
        except MissingEntry:
            return None
        return GradebookGrade(grade_id=grade_id, auto_score=held.auto_score,
                              manual_score=held.manual_score, max_score=float(held.max_score),
                              comment=comment.manual_comment or None)


def set_manual_score(
    root: Path, assignment: str, notebook_id: str, student: str, grade_id: str, score: float,
    comment: str | None = None,
) -> None:
    """Give a manually graded cell its score (and, if given, the grader's comment), as the
    formgrader would."""
    from nbgrader.api import MissingEntry

    with gradebook(root) as gb:
        try:
            grade = gb.find_grade(grade_id, notebook_id, assignment, student)
        except MissingEntry:
            raise NbgraderError(
                f"gradebook {root}: no graded submission of {assignment} by {student} "
                f"with a cell {grade_id}; run `evalround grade` first"
            ) from None
        if score < 0 or score > grade.max_score:
            raise NbgraderError(
                f"{student}/{assignment}/{grade_id}: score {score} is outside 0..{grade.max_score}"
            )
        grade.manual_score = score
        grade.needs_manual_grade = False
        if comment is not None:
            gb.find_comment(grade_id, notebook_id, assignment, student).manual_comment = comment
        gb.db.commit()


def clear_manual_scores(root: Path, assignment: str, notebook_id: str, student: str
                        ) -> dict[str, GradebookGrade]:
    """Remove every manual score and comment of one submission; return what they were.

    For a new version of a marked submission: the marks belonged to the old version.
    """
    from nbgrader.api import MissingEntry

    cleared: dict[str, GradebookGrade] = {}
    with gradebook(root) as gb:
        try:
            submitted = gb.find_submission_notebook(notebook_id, assignment, student)
        except MissingEntry:
            return cleared
        comments = {c.cell.name: c for c in submitted.comments}
        for g in submitted.grades:
            comment = comments.get(g.cell.name)
            said = comment.manual_comment if comment is not None else None
            if g.manual_score is None and not said:
                continue
            cleared[g.cell.name] = GradebookGrade(
                grade_id=g.cell.name, auto_score=g.auto_score, manual_score=g.manual_score,
                max_score=float(g.max_score), comment=said or None)
            g.manual_score = None
            g.needs_manual_grade = g.auto_score is None
            if comment is not None:
                comment.manual_comment = None
        gb.db.commit()
    return cleared


def set_due_date(root: Path, assignment: str, due: datetime) -> None:
    """Record ``assignment``'s due date in the gradebook (nbgrader's duedate, UTC)."""
    from datetime import timezone

    with gradebook(root) as gb:
        gb.update_or_create_assignment(
            assignment, duedate=due.astimezone(timezone.utc).replace(tzinfo=None))


def set_late_penalty(root: Path, assignment: str, notebook_id: str, student: str,
                     points: float) -> None:
    """Record the points a late submission loses (nbgrader's late_submission_penalty,
    which stock ``nbgrader export`` subtracts from the score); 0 clears it."""
    from nbgrader.api import MissingEntry

    with gradebook(root) as gb:
        try:
            submitted = gb.find_submission_notebook(notebook_id, assignment, student)
        except MissingEntry as exc:
            raise NbgraderError(f"gradebook {root}: {exc}: no submission of {assignment} "
                                f"by {student} to give a late penalty") from None
        submitted.late_submission_penalty = float(points) if points else None
        gb.db.commit()


def max_score(root: Path, assignment: str, notebook_id: str) -> float:
    """The points of ``notebook_id`` of ``assignment``, as the gradebook holds them."""
    from nbgrader.api import MissingEntry

    with gradebook(root) as gb:
        try:
            return float(gb.find_notebook(notebook_id, assignment).max_score)
        except MissingEntry as exc:
            raise NbgraderError(f"gradebook {root}: {exc}") from None


def late_penalties(root: Path, assignment: str, notebook_id: str) -> dict[str, float]:
    """student -> the late penalty in the gradebook, for the submissions that have one."""
    from nbgrader.api import MissingEntry

    with gradebook(root) as gb:
        try:
            notebook = gb.find_notebook(notebook_id, assignment)
        except MissingEntry:
            return {}
        return {s.student.id: float(s.late_submission_penalty)
                for s in notebook.submissions if s.late_submission_penalty}


def write_stock_key(root: Path, assignment: str, manifest: dict[str, object],
                    key: Mapping[str, object], data: Mapping[str, bytes]) -> None:
    """Put one candidate's key and data where stock ``nbgrader autograde`` copies from.

    Only for comparing against stock nbgrader (benchmarks, tests): autograde copies
    every file in source/<assignment>/ next to the submission, where the candidate's
    code can read it. That is exactly what evalround's own grading avoids.
    """
    import json

    from evalround.scoring import STOCK_KEY_FILE

    source = root / "source" / assignment
    (source / "data").mkdir(parents=True, exist_ok=True)
    (source / STOCK_KEY_FILE).write_text(json.dumps({"manifest": manifest, "key": dict(key)}))
    for name, content in data.items():
        (source / "data" / name).write_bytes(content)


def run_stock_app(root: Path, argv: list[str]) -> str:
    """Run a stock ``nbgrader`` command in the course folder; return its log."""
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", *argv],
        cwd=root,
        capture_output=True,
        text=True,
    )
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise NbgraderError(f"nbgrader {' '.join(argv)} failed in {root}:\n{log[-2000:]}")
    return log
