"""Collect: take submitted bundles into ``submitted/``, refusing anything unsafe or wrong.

A submission is a zip (``<candidate>.zip``) or a folder (``<candidate>/``), as the
bundle was sent. Only the exercise notebooks are taken. Every accepted version is
archived under ``.evalround/submissions/`` before ``submitted/`` is updated, so no
earlier submission is ever lost; the newest accepted version is the one graded.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

import nbformat

from evalround.assignment import notebook_name, release_notebook
from evalround.course import Course, write_atomic
from evalround.deadline import is_late, load_deadlines
from evalround.notebook import grade_id
from evalround.safe_text import printable

MAX_ARCHIVE_BYTES = 50 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_MEMBERS = 5000
ENVIRONMENT_DIR = ".venv"  # the bundle README's environment: never part of a submission
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"


class SubmissionError(Exception):
    """A submission cannot be taken. The message names the file, candidate and reason."""


@dataclass(frozen=True)
class CollectOutcome:
    """What happened to one notebook (or one whole submission, when it was refused)."""

    source: Path
    candidate: str
    exercise: str
    status: str  # accepted | unchanged | rejected
    message: str

    def line(self) -> str:
        text = f"{self.status:9} {self.candidate or '?'} {self.exercise or '-'}: {self.message}"
        return printable(text)  # file names come from candidates: no terminal escapes


def _candidate_from_path(path: Path) -> str:
    return path.name[: -len(".zip")] if path.name.endswith(".zip") else path.name


_BROWSER_COPY = re.compile(r"^(.+?)\s*\(\d+\)$")  # "zoe-muller (1)": a second download


def _guess_candidate(name: str, files: dict[str, bytes], known: set[str]
                     ) -> tuple[str | None, str]:
    """The candidate a submission named ``name`` belongs to, with a note; (None, "") when
    it cannot be told for certain."""
    copy = _BROWSER_COPY.match(name)
    if copy and copy.group(1) in known:
        return copy.group(1), f"taken as {copy.group(1)}'s (a browser's duplicate file name)"
    folders = {part for rel in files for part in PurePosixPath(rel).parts[:-1]} & known
    if len(folders) == 1:
        (cid,) = folders
        return cid, f"taken as {cid}'s (the folder inside is {cid}/)"
    return None, ""


def _in_environment(name: str) -> bool:
    """Is a zip entry inside the Python environment the bundle's README has the candidate
    make (``.venv``)? Not their work: it is never read."""
    return ENVIRONMENT_DIR in PurePosixPath(name.replace("\\", "/")).parts


_LEAVE_OUT_ENVIRONMENT = f"zip the folder without {ENVIRONMENT_DIR}, as the bundle's README says"


def _environment_hint(entries: int) -> str:
    return (f"; {entries} of its entries are in {ENVIRONMENT_DIR}, the Python environment: "
            f"{_LEAVE_OUT_ENVIRONMENT}" if entries else "")


def _read_zip(path: Path) -> dict[str, bytes]:
    """Safe members of a zip, by relative path. Refuses zip slip, links and bombs.

    Entries in ``.venv`` (the candidate's Python environment, zipped by mistake) are
    skipped, links included; a refusal for size or count says when they are the cause.
    """
    size = path.stat().st_size
    if size > MAX_ARCHIVE_BYTES:  # not opened: its directory alone could be huge
        raise SubmissionError(
            f"the archive is {size} bytes, over {MAX_ARCHIVE_BYTES}: a submission is the "
            f"notebooks and data (if it holds {ENVIRONMENT_DIR}, the Python environment, "
            f"{_LEAVE_OUT_ENVIRONMENT})")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError):
        raise SubmissionError("not a valid zip archive") from None
    with zf:
        members = zf.infolist()
        environment = sum(_in_environment(m.filename) for m in members)
        if len(members) - environment > MAX_MEMBERS or len(members) > 20 * MAX_MEMBERS:
            raise SubmissionError(f"the archive has {len(members)} entries, over {MAX_MEMBERS}"
                                  + _environment_hint(environment))
        total = 0
        out: dict[str, bytes] = {}
        for info in members:
            name = info.filename
            pure = PurePosixPath(name.replace("\\", "/"))
            if not pure.parts or pure.parts == (".",):
                raise SubmissionError(f"entry {name!r} names no file")
            if pure.is_absolute() or ".." in pure.parts or ":" in pure.parts[0]:
                raise SubmissionError(f"entry {name!r} points outside the folder (zip slip)")
            if _in_environment(name):
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                raise SubmissionError(f"entry {name!r} is a symbolic link")
            if info.is_dir() or not name.endswith(".ipynb"):
                continue
            total += info.file_size
            if info.file_size > MAX_NOTEBOOK_BYTES or total > MAX_UNPACKED_BYTES:
                raise SubmissionError(f"entry {name!r} unpacks too large (zip bomb?)")
            if str(pure) in out:
                raise SubmissionError(
                    f"entry {name!r} is in the archive twice: which copy is meant is "
                    f"ambiguous, so neither is taken")
            try:
                with zf.open(info) as fh:
                    data = fh.read(MAX_NOTEBOOK_BYTES + 1)
            except Exception as exc:  # zipfile, zlib, bz2, lzma: each fails its own way
                raise SubmissionError(
                    f"entry {name!r} is damaged and cannot be unpacked "
                    f"({type(exc).__name__}: {str(exc)[:120]})") from None
            if len(data) > MAX_NOTEBOOK_BYTES:
                raise SubmissionError(f"entry {name!r} unpacks too large (zip bomb?)")
            out[str(pure)] = data
        return out


def _read_folder(path: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for file in sorted(path.rglob("*.ipynb")):
        rel = file.relative_to(path)
        if ".ipynb_checkpoints" in rel.parts or ENVIRONMENT_DIR in rel.parts:
            continue
        linked = [path.joinpath(*rel.parts[: i + 1]) for i in range(len(rel.parts))]
        if any(p.is_symlink() for p in linked):
            raise SubmissionError(f"{rel.as_posix()} is or lies under a symbolic link")
        if file.stat().st_size > MAX_NOTEBOOK_BYTES:
            raise SubmissionError(f"{rel.as_posix()} is over {MAX_NOTEBOOK_BYTES} bytes")
        out[rel.as_posix()] = file.read_bytes()
    return out


def _find_notebook(files: dict[str, bytes], exercise: str) -> tuple[bytes, str] | None:
    """The exercise's notebook and where it was, at ``<ex>/<ex>.ipynb`` under any folders.

    More than one copy is refused: which one the candidate meant cannot be told.
    """
    wanted = f"{exercise}/{notebook_name(exercise)}"
    hits = [
        name
        for name in files
        if ".ipynb_checkpoints" not in name and (name == wanted or name.endswith("/" + wanted))
    ]
    if len(hits) > 1:
        raise SubmissionError(f"{len(hits)} copies of {wanted}: {', '.join(sorted(hits))}")
    return (files[hits[0]], hits[0]) if hits else None


def _strays(files: dict[str, bytes], matched: set[str]) -> list[str]:
    """Notebooks that are no exercise's notebook (renamed ones, say)."""
    return sorted(name for name in files if name not in matched
                  and ".ipynb_checkpoints" not in name and name.endswith(".ipynb"))


def check_notebook(data: bytes, expected_ids: set[str], exercise: str) -> nbformat.NotebookNode:
    """Parse and check a submitted notebook, or say in plain words what is wrong."""
    if not data.strip():
        raise SubmissionError("the notebook file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SubmissionError("the notebook is not UTF-8 text") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SubmissionError(f"the notebook is not valid JSON ({exc.msg}, line {exc.lineno})")\
            from None
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        raise SubmissionError("the file is JSON but not a notebook (no cell list)")
    if raw.get("nbformat") != 4:
        raise SubmissionError(
            f"the notebook uses nbformat {raw.get('nbformat')}; only version 4 "
            f"(Jupyter 4.x and later) is accepted"
        )
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise SubmissionError(f"the notebook does not follow the notebook format: {first}")\
            from None
    present = {gid for cell in nb.cells if (gid := grade_id(cell)) is not None}
    if not present & expected_ids:
        raise SubmissionError(
            f"the notebook has none of the cells of {exercise}: is it the wrong exercise?"
        )
    return nb


def _file_time(path: Path) -> datetime:
    """When a submission was received, as its files say: the zip's (or the newest
    notebook's) modification time."""
    times = [path.stat().st_mtime]
    if path.is_dir():
        times = [f.stat().st_mtime for f in path.rglob("*.ipynb")] or times
    return datetime.fromtimestamp(max(times), timezone.utc)


def collect_one(course: Course, path: Path, candidate: str | None = None,
                received: datetime | None = None) -> list[CollectOutcome]:
    """Collect one submitted zip or folder. Never raises for bad input: it reports it.

    ``received`` is when it was received (default: its file time).
    """
    cid = candidate or _candidate_from_path(path)
    notes: list[str] = []

    def refused(message: str, exercise: str = "") -> list[CollectOutcome]:
        kept = quarantine(course, path, cid, message)
        where = f" (kept in {kept})" if kept else ""
        return [CollectOutcome(path, cid, exercise, "rejected",
                               f"{path.name}: {message}{where}")]

    known = set(course.candidates())
    stranger = (f"{cid!r} is not a candidate of this course (name the file "
                f"<candidate>.zip or pass --candidate)")
    if cid not in known and candidate is not None:
        return refused(stranger)
    try:
        if path.is_symlink():
            raise SubmissionError("the submission is a symbolic link")
        if path.is_dir():
            files = _read_folder(path)
        elif path.is_file():
            files = _read_zip(path)
        else:
            raise SubmissionError("no such file or folder")
    except SubmissionError as exc:
        return refused(str(exc) if cid in known else stranger)
    except OSError as exc:
        return refused(f"cannot be read ({exc.strerror})" if cid in known else stranger)
    if cid not in known:
        guess, note = _guess_candidate(cid, files, known)
        if guess is None:
            return refused(stranger)
        cid = guess
        notes.append(note)
    when = received or _file_time(path)
    outcomes: list[CollectOutcome] = []
    assigned = [ex for ex in course.assigned_exercises() if cid in course.assigned(ex)]
    found: dict[str, tuple[bytes, str]] = {}
    for exercise in assigned:
        try:
            hit = _find_notebook(files, exercise)
        except SubmissionError as exc:
            outcomes.extend(refused(str(exc), exercise))
            continue
        if hit is not None:
            found[exercise] = hit
    strays = _strays(files, {where for _, where in found.values()})
    missing = [e for e in assigned if e not in found and not any(
        o.exercise == e for o in outcomes)]
    for exercise in missing:
        # another notebook in the exercise's folder: the exercise's, renamed
        mine = [n for n in strays if f"/{exercise}/" in f"/{n}"]
        if mine:
            outcomes.extend(refused(
                f"expected {exercise}/{notebook_name(exercise)}, found "
                f"{', '.join(mine)}: rename it back to {notebook_name(exercise)} (keep its "
                f"folder), zip the folder again and send it", exercise))
    for exercise, (data, where) in found.items():
        try:
            template = release_notebook(course, exercise)
            ids = {gid for c in template.cells if (gid := grade_id(c)) is not None}
            check_notebook(data, ids, exercise)
        except SubmissionError as exc:
            outcomes.extend(refused(str(exc), exercise))
            continue
        extra = [] if where.count("/") <= 2 else [
            f"found under extra folders, at {where}"]
        outcomes.append(_store(course, path, cid, exercise, data, when, [*notes, *extra]))
    if not outcomes:
        names = ", ".join(f"{e}/{e}.ipynb" for e in assigned) or "nothing (no exercise assigned)"
        seen = ", ".join(strays) or "no notebook at all"
        return refused(f"no notebook of an assigned exercise found; expected {names}, "
                       f"found {seen}")
    return outcomes


def quarantine(course: Course, path: Path, cid: str, reason: str) -> Path | None:
    """Keep a refused submission as it came, with the reason, so nothing is lost.

    Symbolic links are kept as links, never followed; what is not there or is too
    large to keep is only named in the reason file.
    """
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    folder = course.records / "quarantine" / f"{stamp}-{cid or 'unknown'}"
    folder.mkdir(parents=True, exist_ok=True)
    kept: Path | None = folder
    try:
        if path.is_symlink():
            (folder / path.name).symlink_to(path.readlink())
        elif path.is_dir():
            shutil.copytree(path, folder / path.name, symlinks=True)
        elif path.is_file() and path.stat().st_size <= 2 * MAX_ARCHIVE_BYTES:
            shutil.copy2(path, folder / path.name)
    except OSError as exc:
        reason += f"\n(not kept: {exc.strerror})"
    write_atomic(folder / "reason.txt", f"{path}\ncandidate: {cid}\n{reason}\n")
    return kept


def _store(course: Course, path: Path, cid: str, exercise: str, data: bytes,
           received: datetime, notes: list[str]) -> CollectOutcome:
    digest = hashlib.sha256(data).hexdigest()
    said = "".join(f" ({n})" for n in notes)
    archive = course.archive_dir(cid, exercise)
    history_path = archive / "history.json"
    history: list[dict[str, str]] = (
        json.loads(history_path.read_text()) if history_path.exists() else []
    )
    if history and history[-1]["sha256"] == digest:
        return CollectOutcome(path, cid, exercise, "unchanged",
                              f"{path.name}: identical to the version already collected, "
                              f"not taken again{said}")
    now = datetime.now(timezone.utc)
    stamp = now.strftime(TIMESTAMP_FORMAT)
    got = received.astimezone(timezone.utc)
    version = len(history) + 1
    kept = archive / f"{version:03d}-{digest[:12]}.ipynb"
    write_atomic(kept, data)
    history.append({"version": str(version), "sha256": digest, "file": kept.name,
                    "source": str(path), "collected_at": stamp,
                    "received_at": got.isoformat(timespec="seconds")})
    write_atomic(history_path, json.dumps(history, indent=1))
    target = course.submitted_dir(cid, exercise)
    write_atomic(target / notebook_name(exercise), data)
    # nbgrader's submission time: when it was received, which nbgrader compares with
    # the assignment's duedate
    write_atomic(target / "timestamp.txt", got.strftime(TIMESTAMP_FORMAT))
    note = "" if version == 1 else f"; replaces version {version - 1}, which stays archived"
    deadline = load_deadlines(course).get(exercise)
    late = (f"; late: received {got:%Y-%m-%d %H:%M} UTC, due {deadline.text()} "
            f"({deadline.penalty_text()})" if is_late(got.isoformat(), deadline) and deadline
            else "")
    return CollectOutcome(path, cid, exercise, "accepted",
                          f"{path.name}: version {version} is the one graded{note}{late}{said}")


def collect(course: Course, paths: list[Path], candidate: str | None = None,
            received: datetime | None = None) -> list[CollectOutcome]:
    """Collect every path; one outcome per notebook taken or submission refused.

    ``received`` is when they were received (default: each file's modification time).
    """
    if candidate is not None and len(paths) != 1:
        raise SubmissionError("--candidate names one candidate, so give exactly one path")
    out: list[CollectOutcome] = []
    for path in paths:
        out.extend(collect_one(course, path, candidate, received))
    return out
