"""Grade: every submission against its own variant's key, scored outside the kernel.

For each submission: rebuild the notebook from the release copy and the candidate's
answer cells, restore the variant's parameters and data from evalround's records, run
it (``execution``), read the answers, score them (``scoring``), write the autograded
notebook, the gradebook (``nbgrader_adapter``) and the grade record, which names the
submission and the key it was graded with.

The gradebook and the grade record are written so that a crash between them loses
neither: the record is first written as ``<candidate>.pending.json``, then the
gradebook, then the record takes its place. ``reconcile``, at the start of every
``grade``, finishes what a crash left pending and rewrites any gradebook score that
differs from its grade record.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from tqdm import tqdm

from evalround import nbgrader_adapter
from evalround.assignment import notebook_name, release_notebook, variant_for
from evalround.coercion import plain_answers
from evalround.course import Course, CourseError, write_atomic
from evalround.deadline import late_penalty, load_deadlines, received_at
from evalround.diagnosis import diagnose
from evalround.execution import ExecutionResult, Limits, NotebookRunner, default_runner
from evalround.exercise import Exercise
from evalround.notebook import grade_id, rebuild_for_grading, safe_for_graders
from evalround.resubmission import retire_marks
from evalround.rubric import blind_code, desk_path
from evalround.safe_text import printable
from evalround.scoring import RUBRIC_MARKER, QuestionScore, rubric_text, score_answers
from evalround.variant import DATA_DIR, AnswerKey, VariantData


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
    # question -> the known mistakes its wrong answer matches ("looks like: ...")
    diagnoses: dict[str, list[str]] = field(default_factory=dict)

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
    data: VariantData | None = None  # the variant's files, to name known mistakes with
    public: dict[str, Any] | None = None


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
                      hashlib.sha256(raw).hexdigest(), key, rebuilt, workdir, data,
                      dict(variant.injected_parameters))


def diagnoses_for(job: GradingJob, answers: dict[str, Any],
                  scores: dict[str, QuestionScore]) -> dict[str, list[str]]:
    """The known mistakes each question's lost points match, on the candidate's variant."""
    lost = {qid for qid, s in scores.items() if s.points < s.max_points}
    if not lost or job.data is None or job.public is None:
        return {}
    found: dict[str, list[str]] = {}
    for d in diagnose(job.exercise, job.data.frames(), job.public, job.key.values, answers):
        if d.question in lost and d.text() not in found.get(d.question, []):
            found.setdefault(d.question, []).append(d.text())
    return found


def annotate(nb: NotebookNode, scores: dict[str, QuestionScore], failure: str | None,
             rubrics: dict[str, str] | None = None,
             diagnoses: dict[str, list[str]] | None = None) -> NotebookNode:
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
            for line in (diagnoses or {}).get(gid, []):
                text += f"  {line}\n"
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


MAX_FAILURE_CHARS = 1000


def finish(course: Course, job: GradingJob, result: ExecutionResult, sandbox: str
           ) -> GradeRecord:
    """Score, then write the autograded notebook, the gradebook and the grade record."""
    manifest = job.exercise.manifest
    slug = job.exercise.slug
    # Whatever came back from the sandbox: only the fields asked for, as bounded plain
    # data, and a failure that is one bounded line of visible text.
    answers = plain_answers(result.answers, [f.name for f in manifest.answer_fields])
    failure = (printable(result.failure, keep_newlines=False)[:MAX_FAILURE_CHARS]
               if isinstance(result.failure, str) else None)
    scores = score_answers(manifest, job.key.values, answers)
    diagnoses = diagnoses_for(job, answers, scores)
    graded = annotate(result.notebook, scores, failure,
                      rubrics_for(job.exercise, job.key,
                                  desk_path(slug, blind_code(course.secret, slug, job.candidate))),
                      diagnoses)
    out_dir = course.autograded_dir(job.candidate, slug)
    write_atomic(out_dir / notebook_name(slug), nbformat.writes(graded))
    stamp_file = course.submitted_dir(job.candidate, slug) / "timestamp.txt"
    stamp = stamp_file.read_text().strip() if stamp_file.exists() else ""
    write_atomic(out_dir / "timestamp.txt", stamp)
    previous = load_record(course, slug, job.candidate)
    if previous is not None and previous.submission_sha256 != job.submission_sha256:
        # a new version: the marks given on the old one move to history
        retire_marks(course, slug, job.candidate, previous.submission_sha256,
                     job.submission_sha256)
    record = GradeRecord(
        candidate=job.candidate,
        exercise=slug,
        variant_id=job.variant_id,
        submission_sha256=job.submission_sha256,
        key_sha256=job.key.sha256,
        answers=answers,
        scores={qid: s.points for qid, s in scores.items()},
        max_scores={qid: s.max_points for qid, s in scores.items()},
        failure=failure,
        seconds=round(result.seconds, 3),
        sandbox=sandbox,
        graded_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        diagnoses=diagnoses,
    )
    path = course.grade_path(slug, job.candidate)
    write_atomic(pending_path(path), json.dumps(asdict(record), indent=1))
    nbgrader_adapter.record_autograde(course.root, slug, job.candidate, slug, record.scores,
                                      graded, _parse_stamp(stamp))
    record_late_penalty(course, record)
    commit_record(path)
    shutil.rmtree(job.workdir, ignore_errors=True)
    shutil.rmtree(job.workdir.parent / f".{job.candidate}.control", ignore_errors=True)
    return record


def pending_path(grade_path: Path) -> Path:
    """Where a grade record waits while its gradebook rows are written."""
    return grade_path.with_name(grade_path.stem + ".pending.json")


def commit_record(grade_path: Path) -> None:
    """The pending record becomes the grade record; the one it replaces goes to history."""
    keep_history(grade_path)
    pending_path(grade_path).replace(grade_path)


def _write_gradebook(course: Course, record: GradeRecord) -> None:
    """The gradebook rows of a grade record, from its autograded notebook on disk."""
    slug = record.exercise
    out_dir = course.autograded_dir(record.candidate, slug)
    graded = nbformat.read(out_dir / notebook_name(slug), as_version=4)
    stamp_file = out_dir / "timestamp.txt"
    stamp = stamp_file.read_text().strip() if stamp_file.exists() else ""
    nbgrader_adapter.record_autograde(course.root, slug, record.candidate, slug,
                                      record.scores, graded, _parse_stamp(stamp))
    record_late_penalty(course, record)


def record_late_penalty(course: Course, record: GradeRecord) -> float:
    """Give the graded version the late penalty the hiring team configured (none unless
    they did), in nbgrader's gradebook where stock export reads it; return it."""
    deadline = load_deadlines(course).get(record.exercise)
    if deadline is None or deadline.penalty is None:
        return 0.0
    when = received_at(course, record.candidate, record.exercise, record.submission_sha256)
    points = late_penalty(when, deadline,
                          nbgrader_adapter.max_score(course.root, record.exercise,
                                                     record.exercise))
    nbgrader_adapter.set_late_penalty(course.root, record.exercise, record.exercise,
                                      record.candidate, points)
    return points


def reconcile(course: Course, exercises: list[Exercise]) -> list[str]:
    """Make the gradebook and the grade records agree after a crash; say what was done.

    A pending record (the crash came between its two writes) is written to the
    gradebook and committed. A gradebook score that differs from its grade record is
    rewritten from the record. A gradebook score with no grade record at all is left
    to ``pending``, which grades that submission again.
    """
    done: list[str] = []
    for exercise in exercises:
        slug = exercise.slug
        folder = course.records / "grades" / slug
        for pending_file in sorted(folder.glob("*.pending.json")) if folder.exists() else []:
            try:
                half = GradeRecord(**json.loads(pending_file.read_text()))
                _write_gradebook(course, half)
                commit_record(course.grade_path(slug, half.candidate))
            except (OSError, ValueError, TypeError, KeyError, nbgrader_adapter.NbgraderError
                    ) as exc:
                pending_file.unlink(missing_ok=True)  # no record: ``pending`` grades it again
                done.append(f"{pending_file.name}, {slug}: a half-written grade could not be "
                            f"finished ({exc}); that submission is graded again")
                continue
            done.append(f"{half.candidate}, {slug}: finished the grade a crash left "
                        f"half written (gradebook and grade record now agree)")
        rows = nbgrader_adapter.grades(course.root, slug, slug)
        for candidate in sorted(set(rows) | set(course.assigned(slug))):
            record = load_record(course, slug, candidate)
            cells = rows.get(candidate, {})
            if record is not None and not cells:
                _write_gradebook(course, record)
                done.append(f"{candidate}, {slug}: the grade record had no gradebook rows; "
                            f"written")
                continue
            held = {qid: cells[qid].auto_score for qid in (record.scores if record else {})
                    if qid in cells}
            if record is None:
                if any(cells[q.id].auto_score is not None for q in
                       exercise.manifest.auto_questions if q.id in cells):
                    done.append(f"{candidate}, {slug}: the gradebook has scores but no grade "
                                f"record: graded again")
                continue
            if held != record.scores:
                _write_gradebook(course, record)
                done.append(f"{candidate}, {slug}: gradebook scores {held} differed from the "
                            f"grade record; rewritten as {record.scores}")
    return done


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
    notes: list[str] | None = None,
) -> list[GradeRecord]:
    """Grade every pending submission; ``jobs`` notebooks run at once.

    Worker threads rebuild each submission and run it (in its own sandboxed child
    process); scoring and every write to the gradebook happen here, one at a time.
    What ``reconcile`` repaired first is appended to ``notes``.
    """
    runner = runner or default_runner(allow_unsandboxed)
    limits = limits or Limits()
    repaired = reconcile(course, exercises)
    if notes is not None:
        notes.extend(repaired)
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
                if result.overloaded:
                    # a busy machine is no score: no record, so the next grade runs it again
                    shutil.rmtree(job.workdir, ignore_errors=True)
                    shutil.rmtree(job.workdir.parent / f".{candidate}.control",
                                  ignore_errors=True)
                    problems.append(f"{candidate}, {exercise.slug}: not graded: the grading "
                                    f"machine was overloaded ({str(result.failure)[:200]}); "
                                    f"the next `evalround grade` grades it again")
                    bar.update(1)
                    continue
                try:
                    records.append(finish(course, job, result, runner.name))
                except (ValueError, TypeError, KeyError, RecursionError, OSError) as exc:
                    # one run's strange output never stops the rest of the cohort
                    problems.append(f"{candidate}, {exercise.slug}: its run could not be "
                                    f"recorded ({type(exc).__name__}: {str(exc)[:200]})")
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
