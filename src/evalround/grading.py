"""Grade: every submission against its own variant's key, scored outside the kernel.

For each submission: rebuild the notebook from the release copy and the candidate's
answer cells, restore the variant's parameters and data from evalround's records, run
it (``execution``), read the answers, score them (``scoring``), write the autograded
notebook and the gradebook (``nbgrader_adapter``), and last the grade record, which
names the submission and the key it was graded with.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from tqdm import tqdm

from evalround import nbgrader_adapter
from evalround.assignment import notebook_name, release_notebook, variant_for
from evalround.course import Course, CourseError, write_atomic
from evalround.execution import ExecutionResult, Limits, NotebookRunner, default_runner
from evalround.exercise import Exercise
from evalround.notebook import grade_id, rebuild_for_grading, safe_for_graders
from evalround.resubmission import retire_marks
from evalround.rubric import blind_code, desk_path
from evalround.scoring import RUBRIC_MARKER, QuestionScore, rubric_text, score_answers
from evalround.variant import DATA_DIR, AnswerKey


@dataclass(frozen=True)
class GradeRecord:
    """One graded submission: what was graded, against which key, and the outcome."""

    candidate: str
    exercise: str
    variant_id: str
    submission_sha256: str
    key_sha256: str
    answers: dict[str, Any]
    scores: dict[str, float]
    max_scores: dict[str, float]
    failure: str | None
    seconds: float
    sandbox: str
    graded_at: str

    @property
    def auto_points(self) -> float:
        return round(sum(self.scores.values()), 4)

    @property
    def auto_max(self) -> float:
        return round(sum(self.max_scores.values()), 4)


@dataclass(frozen=True)
class GradingJob:
    """A submission ready to run: the rebuilt notebook and its working copy."""

    exercise: Exercise
    candidate: str
    variant_id: str
    submission_sha256: str
    key: AnswerKey
    notebook: NotebookNode
    workdir: Path


def load_record(course: Course, exercise: str, candidate: str) -> GradeRecord | None:
    path = course.grade_path(exercise, candidate)
    if not path.exists():
        return None
    return GradeRecord(**json.loads(path.read_text()))


def pending(course: Course, exercises: list[Exercise], force: bool = False
            ) -> list[tuple[Exercise, str]]:
    """Submissions whose current version has no grade yet (all of them with ``force``)."""
    out = []
    for exercise in exercises:
        for candidate in course.assigned(exercise.slug):
            path = course.submitted_dir(candidate, exercise.slug) / notebook_name(exercise.slug)
            if not path.exists():
                continue
            record = load_record(course, exercise.slug, candidate)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if force or record is None or record.submission_sha256 != digest:
                out.append((exercise, candidate))
    return out


def prepare(course: Course, exercise: Exercise, candidate: str) -> GradingJob:
    """Rebuild the submission and lay out its working copy with the variant's own data."""
    slug = exercise.slug
    raw = (course.submitted_dir(candidate, slug) / notebook_name(slug)).read_bytes()
    submitted = nbformat.reads(raw.decode("utf-8"), as_version=4)
    variant, data, key = variant_for(course, exercise, candidate)
    rebuilt = rebuild_for_grading(
        release_notebook(course, slug), submitted, variant.injected_parameters
    )
    workdir = course.records / "work" / slug / candidate
    shutil.rmtree(workdir, ignore_errors=True)
    shutil.rmtree(workdir.parent / f".{candidate}.control", ignore_errors=True)
    (workdir / DATA_DIR).mkdir(parents=True)
    for name, content in data.files.items():
        (workdir / DATA_DIR / name).write_bytes(content)
    return GradingJob(exercise, candidate, variant.variant_id,
                      hashlib.sha256(raw).hexdigest(), key, rebuilt, workdir)


def annotate(nb: NotebookNode, scores: dict[str, QuestionScore], failure: str | None,
             rubrics: dict[str, str] | None = None) -> NotebookNode:
    """The notebook graders see: each test cell shows its hidden-check result, and each
    written answer is followed by its rubric, filled with the candidate's numbers."""
    nb = safe_for_graders(nb)
    rubrics = rubrics or {}
    cells = []
    for cell in nb.cells:
        gid = grade_id(cell)
        if RUBRIC_MARKER in cell.get("metadata", {}):
            continue  # a candidate's copy of a rubric cell never reaches the grader
        cells.append(cell)
        if cell.cell_type == "code" and gid in scores:
            text = scores[gid].report() + "\n"
            if failure:
                text += f"  (run failed: {failure})\n"
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        elif cell.cell_type == "markdown" and gid in rubrics:
            rubric = nbformat.v4.new_markdown_cell(rubrics[gid])
            rubric.metadata[RUBRIC_MARKER] = gid
            cells.append(rubric)
    nb.cells = cells
    return nb


def rubrics_for(exercise: Exercise, key: AnswerKey, desk: str | None = None
                ) -> dict[str, str]:
    """Written question id -> its rubric filled with this key's numbers."""
    return {
        q.id: rubric_text(q, exercise.rubric[q.id], key.values, desk)
        for q in exercise.manifest.written_questions
    }


def finish(course: Course, job: GradingJob, result: ExecutionResult, sandbox: str
           ) -> GradeRecord:
    """Score, then write the autograded notebook, the gradebook and the grade record."""
    manifest = job.exercise.manifest
    slug = job.exercise.slug
    scores = score_answers(manifest, job.key.values, result.answers)
    graded = annotate(result.notebook, scores, result.failure,
                      rubrics_for(job.exercise, job.key,
                                  desk_path(slug, blind_code(course.secret, slug, job.candidate))))
    out_dir = course.autograded_dir(job.candidate, slug)
    write_atomic(out_dir / notebook_name(slug), nbformat.writes(graded))
    stamp_file = course.submitted_dir(job.candidate, slug) / "timestamp.txt"
    stamp = stamp_file.read_text().strip() if stamp_file.exists() else ""
    write_atomic(out_dir / "timestamp.txt", stamp)
    timestamp = _parse_stamp(stamp)
    previous = load_record(course, slug, job.candidate)
    if previous is not None and previous.submission_sha256 != job.submission_sha256:
        # a new version: the marks given on the old one move to history
        retire_marks(course, slug, job.candidate, previous.submission_sha256,
                     job.submission_sha256)
    nbgrader_adapter.record_autograde(
        course.root, slug, job.candidate, slug,
        {qid: s.points for qid, s in scores.items()}, graded, timestamp,
    )
    record = GradeRecord(
        candidate=job.candidate,
        exercise=slug,
        variant_id=job.variant_id,
        submission_sha256=job.submission_sha256,
        key_sha256=job.key.sha256,
        answers=result.answers,
        scores={qid: s.points for qid, s in scores.items()},
        max_scores={qid: s.max_points for qid, s in scores.items()},
        failure=result.failure,
        seconds=round(result.seconds, 3),
        sandbox=sandbox,
        graded_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    path = course.grade_path(slug, job.candidate)
    keep_history(path)
    write_atomic(path, json.dumps(asdict(record), indent=1))
    shutil.rmtree(job.workdir, ignore_errors=True)
    shutil.rmtree(job.workdir.parent / f".{job.candidate}.control", ignore_errors=True)
    return record


def history_path(grade_path: Path) -> Path:
    return grade_path.with_name(grade_path.stem + ".history.jsonl")


def keep_history(grade_path: Path) -> None:
    """Append the grade about to be replaced to its history: a regrade loses nothing."""
    if not grade_path.exists():
        return
    previous = json.loads(grade_path.read_text())
    with history_path(grade_path).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(previous, sort_keys=True) + "\n")
        fh.flush()


def _parse_stamp(stamp: str) -> datetime:
    for fmt in ("%Y-%m-%d %H:%M:%S.%f %Z", "%Y-%m-%d %H:%M:%S %Z"):
        try:
            return datetime.strptime(stamp, fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return datetime.now(timezone.utc)


def grade(
    course: Course,
    exercises: list[Exercise],
    runner: NotebookRunner | None = None,
    limits: Limits | None = None,
    jobs: int = 1,
    force: bool = False,
    progress: bool = True,
    allow_unsandboxed: bool = False,
) -> list[GradeRecord]:
    """Grade every pending submission; ``jobs`` notebooks run at once.

    Worker threads rebuild each submission and run it (in its own sandboxed child
    process); scoring and every write to the gradebook happen here, one at a time.
    """
    runner = runner or default_runner(allow_unsandboxed)
    limits = limits or Limits()
    todo = pending(course, exercises, force)
    names = {e.slug: [f.name for f in e.manifest.answer_fields] for e in exercises}
    for exercise in exercises:
        exercise.preload()
    order = {(e.slug, c): i for i, (e, c) in enumerate(todo)}
    records: list[GradeRecord] = []
    problems: list[str] = []

    def work(exercise: Exercise, candidate: str) -> tuple[GradingJob, ExecutionResult]:
        job = prepare(course, exercise, candidate)
        return job, runner.run(job.notebook, job.workdir, names[exercise.slug], limits)

    bar = tqdm(total=len(todo), desc="grade", unit="submission", disable=not progress)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(work, e, c): (e, c) for e, c in todo}
        # Each grade is written as soon as its run ends: a crash loses only runs in flight.
        for future in as_completed(futures):
            exercise, candidate = futures[future]
            try:
                job, result = future.result()
            except (CourseError, OSError, UnicodeDecodeError, ValueError) as exc:
                path = course.submitted_dir(candidate, exercise.slug) / notebook_name(
                    exercise.slug)
                problems.append(f"{candidate}, {exercise.slug} ({path}): {exc}")
            else:
                records.append(finish(course, job, result, runner.name))
            bar.update(1)
    bar.close()
    records.sort(key=lambda r: order[(r.exercise, r.candidate)])
    if problems:
        raise GradingIncomplete(records, sorted(problems))
    return records


class GradingIncomplete(CourseError):
    """Some submissions could not be graded; the others were. Nothing was scored 0."""

    def __init__(self, records: list[GradeRecord], problems: list[str]) -> None:
        self.records = records
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"graded {len(records)} submissions; {len(problems)} could not be graded and "
            f"keep no score until fixed:\n{lines}"
        )
