"""The course folder: a stock nbgrader course directory plus evalround's records.

Layout (nbgrader's own folders are untouched in meaning)::

    nbgrader_config.py, gradebook.db, source/, release/, submitted/, autograded/, feedback/
    (with ``init --db``, the gradebook is in that database: no gradebook.db)
    bundles/<candidate>.zip         what each candidate receives
    .evalround/secret               the course secret every variant derives from
    .evalround/candidates.json      the candidates assigned so far
    .evalround/variants/<exercise>/<candidate>.json     parameters, data hashes, key
    .evalround/submissions/<candidate>/<exercise>/      every collected submission
    .evalround/grades/<exercise>/<candidate>.json       answers, scores, key used
    .evalround/grades/<exercise>/<candidate>.changed.json   marks of an earlier version
    .evalround/deadlines.json       each exercise's due date, time zone and contact
    .evalround/grading.json         how graders work: blind or not, graders per answer

A blind course (``evalround init``'s default) names each candidate in nbgrader's
gradebook and folders (``submitted/``, ``autograded/``) by a code derived from the
course secret (``C-3F9A0C1B``), with no name or email, so the formgrader shows graders
no one's identity; evalround's own records keep the candidate's id, and ``student_id``
/ ``candidate_of`` translate at the gradebook's edge.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from evalround.exercise import Exercise, find_exercise, load_exercise
from evalround.variant import AnswerKey, Variant

RECORDS = ".evalround"
CANDIDATE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
GRADING_FILE = "grading.json"
# nbgrader folders that get a README saying what nbgrader keeps there (templates/folder_*.md)
FOLDER_READMES = ("source", "release", "autograded")

NBGRADER_CONFIG = '''\
# nbgrader configuration for an evalround course. Stock nbgrader commands and the
# formgrader work on this folder; `evalround grade` autogrades with per-candidate keys.
import os

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
# The course is this folder, from wherever nbgrader runs (a grader's server on a hub
# starts in their home folder and finds this file on JUPYTER_CONFIG_PATH).
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
# evalround does not use nbgrader's exchange; keep it inside the course so that stock
# commands and the formgrader do not complain about /usr/local/share/nbgrader.
c.Exchange.root = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".evalround",
                               "exchange")
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE"}}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.Execute.timeout = 60
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".evalround*"]
{db_line}'''
DB_LINE = """\
# The gradebook and evalround's records (rubric marks and their history) live here
# (`evalround init --db`); nothing writes gradebook.db.
c.CourseDirectory.db_url = {url!r}
"""


class CourseError(Exception):
    """The course folder or one of its records is missing or wrong."""


@dataclass(frozen=True)
class Candidate:
    id: str
    name: str = ""
    email: str = ""

    @property
    def first_last(self) -> dict[str, str]:
        first, _, last = self.name.partition(" ")
        return {"first_name": first, "last_name": last, "email": self.email}


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_candidates(path: Path) -> list[Candidate]:
    """Read ``candidates.csv``: a ``candidate_id`` column, optional ``name`` and ``email``."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CourseError(f"{path}: no such candidates file") from None
    except UnicodeDecodeError:
        raise CourseError(f"{path}: not UTF-8 text; save the CSV as UTF-8") from None
    lines = text.splitlines()
    reader = csv.DictReader(lines)
    found = [f.strip() for f in (reader.fieldnames or [])]
    if "candidate_id" not in found:
        raise CourseError(f"{path}: {_header_problem(lines[0] if lines else '', found)}")
    reader.fieldnames = found
    out: list[Candidate] = []
    seen: dict[str, int] = {}
    folded: dict[str, tuple[str, int]] = {}
    for line, row in enumerate(reader, start=2):
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # a blank line
        cid = (row.get("candidate_id") or "").strip()
        if not cid:
            raise CourseError(f"{path}, line {line}: the candidate_id is empty; give every "
                              f"candidate an id, or delete the line")
        if not CANDIDATE_ID.match(cid):
            raise CourseError(
                f"{path}, line {line}: candidate id {cid!r} must be letters, digits, '.', "
                f"'_' or '-' (it becomes a folder name)"
            )
        if cid in seen:
            raise CourseError(f"{path}, line {line}: candidate {cid} is listed twice "
                              f"(first on line {seen[cid]})")
        if cid.casefold() in folded:
            other, first = folded[cid.casefold()]
            raise CourseError(
                f"{path}, line {line}: candidate id {cid} differs from {other} (line {first}) "
                f"only in case; their bundles would be the same file on macOS and Windows. "
                f"Make the ids differ in more than case."
            )
        seen[cid] = line
        folded[cid.casefold()] = (cid, line)
        out.append(Candidate(cid, (row.get("name") or "").strip(),
                             (row.get("email") or "").strip()))
    if not out:
        raise CourseError(f"{path}: lists no candidates")
    return out


def _header_problem(first_line: str, found: list[str]) -> str:
    """Why a candidates file's first line is no usable header, and how to fix it."""
    names = ", ".join(repr(f) for f in found) or "none"
    for sep, word in ((";", "semicolons"), ("\t", "tabs")):
        if sep in first_line and "," not in first_line:
            return (f"the columns are separated by {word}, not commas (found one column "
                    f"{first_line.strip()!r}); save it as comma-separated CSV")
    close = [f for f in found
             if re.sub(r"[^a-z]", "", f.lower()) in ("candidateid", "id", "candidate")]
    hint = (f"; rename {close[0]!r} to candidate_id" if close else
            "; the first line must name the columns, such as candidate_id,name,email")
    return f"no candidate_id column (found the columns {names}){hint}"


class Course:
    """An initialised course folder."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        if not (self.root / RECORDS / "secret").exists():
            enclosing = enclosing_course(self.root)
            if enclosing is not None:
                raise CourseError(
                    f"{self.root} is not an evalround course itself: it lies inside the "
                    f"course {enclosing}. Pass --course {enclosing} (or run from there)."
                )
            raise CourseError(
                f"{self.root} is not an evalround course (no {RECORDS}/secret here or in "
                f"any folder above it). Run `evalround init PATH` first, with PATH a new "
                f"folder for the course."
            )

    @property
    def records(self) -> Path:
        return self.root / RECORDS

    @property
    def secret(self) -> bytes:
        return bytes.fromhex((self.records / "secret").read_text().strip())

    @property
    def bank(self) -> Path | None:
        """The course's private exercise bank (a folder of exercise folders), if it names
        one in ``.evalround/bank``; assign and grade read exercises from it."""
        path = self.records / "bank"
        if not path.exists():
            return None
        folder = Path(path.read_text(encoding="utf-8").strip())
        return folder if folder.is_absolute() else (self.root / folder).resolve()

    def set_bank(self, folder: Path) -> None:
        if not folder.is_dir():
            raise CourseError(f"{folder}: no such exercise bank (a folder of exercise folders)")
        write_atomic(self.records / "bank", str(folder.resolve()) + "\n")

    @property
    def is_demo(self) -> bool:
        return (self.records / "demo").exists()

    # -- how graders work ----------------------------------------------------------

    def _grading(self) -> dict[str, Any]:
        path = self.records / GRADING_FILE
        if not path.exists():
            return {}
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise CourseError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(raw, dict):
            raise CourseError(f"{path}: expected an object such as {{\"blind\": true}}")
        return raw

    @property
    def blind(self) -> bool:
        """Whether graders see candidates only as codes, in the formgrader too (set when
        the course is made: ``.evalround/grading.json``; a course made before has none)."""
        return bool(self._grading().get("blind", False))

    @property
    def graders_per_answer(self) -> int:
        """How many graders mark each written answer before its score goes into the
        gradebook, where every grader can see it (1: at the first grader's save)."""
        value = self._grading().get("graders_per_answer", 1)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise CourseError(f"{self.records / GRADING_FILE}: graders_per_answer must be a "
                              f"whole number of at least 1, not {value!r}")
        return value

    def student_id(self, candidate: str) -> str:
        """The candidate's id in nbgrader's gradebook and folders: a blind code in a
        blind course, else the candidate id itself."""
        if not self.blind:
            return candidate
        digest = hmac.new(self.secret, f"student:{candidate}".encode(), hashlib.sha256)
        return "C-" + digest.hexdigest()[:8].upper()

    def candidate_of(self, student: str) -> str:
        """The candidate behind a gradebook student id (the inverse of ``student_id``)."""
        if not self.blind:
            return student
        for cid in self.candidates():
            if self.student_id(cid) == student:
                return cid
        raise CourseError(f"gradebook student {student} is no candidate of {self.root}")

    def by_candidate(self, rows: dict[str, Any]) -> dict[str, Any]:
        """A mapping keyed by gradebook student id, keyed by candidate id instead."""
        if not self.blind:
            return rows
        known = {self.student_id(cid): cid for cid in self.candidates()}
        return {known.get(student, student): value for student, value in rows.items()}

    def source_dir(self, exercise: str) -> Path:
        return self.root / "source" / exercise

    def release_dir(self, exercise: str) -> Path:
        return self.root / "release" / exercise

    def submitted_dir(self, candidate: str, exercise: str) -> Path:
        return self.root / "submitted" / self.student_id(candidate) / exercise

    def autograded_dir(self, candidate: str, exercise: str) -> Path:
        return self.root / "autograded" / self.student_id(candidate) / exercise

    def bundle_dir(self) -> Path:
        return self.root / "bundles"

    def variant_path(self, exercise: str, candidate: str) -> Path:
        return self.records / "variants" / exercise / f"{candidate}.json"

    def grade_path(self, exercise: str, candidate: str) -> Path:
        return self.records / "grades" / exercise / f"{candidate}.json"

    def archive_dir(self, candidate: str, exercise: str) -> Path:
        return self.records / "submissions" / candidate / exercise

    # -- candidates -------------------------------------------------------------

    def candidates(self) -> dict[str, Candidate]:
        path = self.records / "candidates.json"
        if not path.exists():
            return {}
        raw = json.loads(path.read_text())
        return {c["id"]: Candidate(c["id"], c.get("name", ""), c.get("email", "")) for c in raw}

    def save_candidates(self, candidates: dict[str, Candidate]) -> None:
        payload = [c.__dict__ for c in sorted(candidates.values(), key=lambda c: c.id)]
        write_atomic(self.records / "candidates.json", json.dumps(payload, indent=1))

    # -- variants ----------------------------------------------------------------

    def save_variant(
        self, variant: Variant, files_sha256: dict[str, str], key: AnswerKey,
        exercise_version: str | None = None,
    ) -> None:
        payload = {
            "exercise_version": exercise_version,
            "exercise_id": variant.exercise_id,
            "exercise": variant.exercise_slug,
            "candidate": variant.candidate_id,
            "variant_id": variant.variant_id,
            "seed": str(variant.seed),
            "public": variant.public,
            "hidden": variant.hidden,
            "files_sha256": files_sha256,
            "key": key.values,
            "key_sha256": key.sha256,
        }
        write_atomic(
            self.variant_path(variant.exercise_slug, variant.candidate_id),
            json.dumps(payload, indent=1, sort_keys=True),
        )

    def load_variant(self, exercise: str, candidate: str) -> dict[str, Any]:
        path = self.variant_path(exercise, candidate)
        if not path.exists():
            raise CourseError(
                f"candidate {candidate} was never assigned {exercise} in {self.root} "
                f"(no {path.relative_to(self.root)})"
            )
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def assigned(self, exercise: str) -> list[str]:
        folder = self.records / "variants" / exercise
        return sorted(p.stem for p in folder.glob("*.json")) if folder.exists() else []

    def assigned_exercises(self) -> list[str]:
        folder = self.records / "variants"
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.exists() else []


def enclosing_course(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that is a course, if any."""
    for folder in (start.resolve(), *start.resolve().parents):
        if (folder / RECORDS / "secret").exists():
            return folder
    return None


def find_course(start: Path) -> Course:
    """The course at ``start``, or the one ``start`` lies inside (run from a subfolder)."""
    found = enclosing_course(start)
    return Course(found if found is not None else start)


def init_course(root: Path, secret: bytes | None = None, course_id: str | None = None,
                demo: bool = False, db_url: str | None = None, blind: bool = False,
                graders_per_answer: int = 1) -> Course:
    """Create (or reuse) a course folder. An existing secret is never replaced.

    nbgrader's ``course_id`` is the folder's name unless given. ``db_url`` puts the
    gradebook and evalround's records in that database (see ``evalround.store``); an
    existing course's database is never changed. ``blind`` (``evalround init``'s default)
    names candidates in the gradebook by code (see ``Course.student_id``);
    ``graders_per_answer`` is how many graders mark each written answer before its score
    reaches the gradebook. Both are kept in ``.evalround/grading.json``, chosen once.
    """
    root.mkdir(parents=True, exist_ok=True)
    enclosing = enclosing_course(root.resolve().parent)
    if enclosing is not None and not (root / RECORDS / "secret").exists():
        raise CourseError(
            f"{root.resolve()} lies inside the course {enclosing}; a course inside a course "
            f"would mix their submissions. Make the new course somewhere else."
        )
    course_id = course_id or root.resolve().name
    records = root / RECORDS
    records.mkdir(exist_ok=True)
    (records / "exchange").mkdir(exist_ok=True)  # nbgrader's exchange, unused but checked
    secret_path = records / "secret"
    existed = secret_path.exists()
    if not existed:
        value = secret if secret is not None else secrets.token_bytes(32)
        write_atomic(secret_path, value.hex() + "\n")
        secret_path.chmod(0o600)
    elif secret is not None and bytes.fromhex(secret_path.read_text().strip()) != secret:
        raise CourseError(
            f"{root} already has a different course secret; variants would change. "
            f"Use a new folder."
        )
    grading = records / GRADING_FILE
    wanted = {"blind": blind, "graders_per_answer": graders_per_answer}
    if graders_per_answer < 1:
        raise CourseError(f"graders per answer must be at least 1, not {graders_per_answer}")
    # A course made before courses chose stays as it was: not blind, one grader per answer.
    if not grading.exists() and not existed:
        write_atomic(grading, json.dumps(wanted, indent=1) + "\n")
    elif grading.exists() and json.loads(grading.read_text(encoding="utf-8")) != wanted:
        raise CourseError(
            f"{grading} already says {grading.read_text(encoding='utf-8').strip()}; how a "
            f"course is graded (blind, graders per answer) is chosen once, when it is made")
    if demo:
        (records / "demo").write_text("this course was made by `evalround demo`\n")
    config = root / "nbgrader_config.py"
    db_line = DB_LINE.format(url=db_url) if db_url else ""
    if not config.exists():
        config.write_text(NBGRADER_CONFIG.format(course_id=course_id, db_line=db_line))
    elif db_line and db_line not in config.read_text():
        raise CourseError(
            f"{config} already exists and names another database than --db; a course's "
            f"database is chosen once, when it is made. Use a new folder."
        )
    for name in ("source", "release", "submitted", "autograded", "feedback"):
        (root / name).mkdir(exist_ok=True)
    for name in FOLDER_READMES:
        readme = root / name / "README.md"
        if not readme.exists():
            readme.write_bytes((resources.files("evalround") / "templates" /
                                f"folder_{name}.md").read_bytes())
    return Course(root)


def assignment_record_path(course: Course, slug: str) -> Path:
    """Where ``assign`` records an exercise's compiled source hash and folder."""
    return course.records / "assignments" / f"{slug}.json"


def course_exercise(course: Course, slug: str) -> Exercise:
    """The exercise a course assigned as ``slug``: from the folder it was assigned from,
    else from the kit's exercises."""
    record = assignment_record_path(course, slug)
    if record.exists():
        folder = json.loads(record.read_text()).get("folder")
        if folder and Path(folder).is_dir():
            return load_exercise(Path(folder))
    return find_exercise(slug, course.bank)
