"""Candidate bundles: one self-contained zip per candidate. Pure, except ``write_bundle``.

A bundle holds the variant notebooks, their data, a README with the time budgets and
how to submit, the requirements, and JupyterLab settings that hide nbgrader's
instructor tools. It holds no part of evalround, no generator,
no reference answers and no hidden parameter.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import nbformat
from nbformat import NotebookNode

from evalround.course import Candidate, write_atomic
from evalround.exercise import Manifest

BUNDLE_INFO = "bundle.json"
REQUIREMENTS = """\
# Packages for the evalround take-home. Python 3.10 or newer.
jupyterlab>=4
pandas>=2.0
numpy>=1.24
scipy>=1.10
matplotlib>=3.7
ipywidgets>=8
# Optional: nbgrader adds a Validate button that runs the public checks.
nbgrader>=0.9
"""
# The candidate needs nbgrader's Validate button only: its instructor tools (the Create
# Assignment panel, the Nbgrader menu with the formgrader, the exchange's assignment and
# course lists) are switched off where JupyterLab reads its settings in the environment
# the README has the candidate create, `.venv` in the bundle folder (its sys.prefix).
JUPYTER_CONFIG_DIR = ".venv/etc/jupyter"
INSTRUCTOR_LABEXTENSIONS = (
    "@jupyter/nbgrader:menu",
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:course-list",
)
INSTRUCTOR_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
)
VALIDATE_SERVER_EXTENSION = "nbgrader.server_extensions.validate_assignment"
_ZIP_DATE = (2026, 1, 1, 0, 0, 0)
ZIP_LEVEL = 1  # zlib: fastest (see zip_bytes)
# A take-home longer than this is a lot to ask of a candidate: ``assign`` warns.
LONG_TAKE_HOME_MINUTES = 4 * 60
_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("evalround", "templates"),
    keep_trailing_newline=True,
    autoescape=False,
)


@dataclass(frozen=True)
class BundleExercise:
    """One exercise inside a bundle: its notebook (variant injected) and data files."""

    manifest: Manifest
    notebook: NotebookNode
    data: Mapping[str, bytes]


def duration_text(minutes: int) -> str:
    """``90`` -> ``1 h 30 min``; ``240`` -> ``4 h``; ``45`` -> ``45 min``."""
    hours, rest = divmod(minutes, 60)
    parts = ([f"{hours} h"] if hours else []) + ([f"{rest} min"] if rest or not hours else [])
    return " ".join(parts)


def take_home_minutes(manifests: list[Manifest]) -> int:
    """The whole take-home's time: the exercises' time budgets added up."""
    return sum(m.time_budget_minutes for m in manifests)


def long_take_home_warning(manifests: list[Manifest]) -> str | None:
    """A warning for the hiring team when the take-home passes four hours, else None."""
    total = take_home_minutes(manifests)
    if total <= LONG_TAKE_HOME_MINUTES:
        return None
    each = ", ".join(f"{m.slug} {m.time_budget_minutes} min" for m in manifests)
    return (f"the take-home totals {duration_text(total)} ({total} minutes: {each}), more "
            f"than {LONG_TAKE_HOME_MINUTES // 60} hours. Consider assigning fewer exercises.")


def candidate_jupyter_config() -> dict[str, bytes]:
    """The bundle's JupyterLab settings, by path inside the bundle: nbgrader's instructor
    labextensions disabled (``labconfig/page_config.json``, as ``jupyter labextension
    disable`` writes it) and its instructor server extensions off, Validate kept."""
    page_config = {"disabledExtensions": {ext: True for ext in INSTRUCTOR_LABEXTENSIONS}}
    server = {"ServerApp": {"jpserver_extensions": {
        **{ext: False for ext in INSTRUCTOR_SERVER_EXTENSIONS},
        VALIDATE_SERVER_EXTENSION: True}}}
    return {
        f"{JUPYTER_CONFIG_DIR}/labconfig/page_config.json":
            (json.dumps(page_config, indent=2) + "\n").encode(),
        f"{JUPYTER_CONFIG_DIR}/jupyter_server_config.json":
            (json.dumps(server, indent=2) + "\n").encode(),
    }


def bundle_files(candidate: Candidate, exercises: list[BundleExercise], due: str = "",
                 contact: str = "", late_penalty: str = "") -> dict[str, bytes]:
    """Path inside the bundle -> bytes. The same inputs give the same bytes.

    ``due`` (the due date as text), ``contact`` and ``late_penalty`` (what a late version
    loses, in words) go into the README when given.
    """
    rows = [
        {
            "slug": e.manifest.slug,
            "title": e.manifest.title,
            "round": e.manifest.round,
            "time_budget_minutes": e.manifest.time_budget_minutes,
            "total_points": e.manifest.total_points,
            "auto_points": sum(q.points for q in e.manifest.auto_questions),
            "written_points": sum(q.points for q in e.manifest.written_questions),
        }
        for e in exercises
    ]
    total = take_home_minutes([e.manifest for e in exercises])
    readme = _ENV.get_template("bundle_README.md.j2").render(
        candidate=candidate, exercises=rows, due=due, contact=contact,
        late_penalty=late_penalty,
        total_minutes=total, total_text=duration_text(total))
    info = {"format": 1, "candidate_id": candidate.id,
            "exercises": [e.manifest.slug for e in exercises]}
    files: dict[str, bytes] = {
        "README.md": readme.encode(),
        "requirements.txt": REQUIREMENTS.encode(),
        BUNDLE_INFO: (json.dumps(info, indent=1) + "\n").encode(),
        **candidate_jupyter_config(),
    }
    for e in exercises:
        slug = e.manifest.slug
        files[f"{slug}/{slug}.ipynb"] = nbformat.writes(e.notebook).encode("utf-8")
        for name, data in e.data.items():
            files[f"{slug}/data/{name}"] = data
    return files


def zip_bytes(top: str, files: Mapping[str, bytes],
              dates: Mapping[str, datetime] | None = None) -> bytes:
    """A zip with fixed dates and order, so identical files give identical bytes.

    ``dates`` (exercise slug -> when it was first assigned) dates each exercise's files;
    the files at the top (README, requirements) take the latest of them. Without it,
    every entry is dated 2026-01-01.

    Deflated at zlib's fastest level: on the data files of a bundle it costs a third of the
    CPU of the default level for a zip about a fifth larger (2.7 against 2.2 MB), and
    ``assign`` writes one per candidate.
    """
    buffer = io.BytesIO()
    latest = max(dates.values()) if dates else None
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED,
                         compresslevel=ZIP_LEVEL) as zf:
        for name in sorted(files):
            when = (dates or {}).get(name.split("/", 1)[0]) if "/" in name else None
            info = _zip_info(f"{top}/{name}", when or latest)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[name], compresslevel=ZIP_LEVEL)
    return buffer.getvalue()


def _zip_info(name: str, when: datetime | None) -> zipfile.ZipInfo:
    """An entry dated ``when``: its UTC time in the zip's own (local, zoneless) field,
    and the exact instant in the extended-timestamp field unzip tools read."""
    if when is None:
        return zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    utc = when.astimezone(timezone.utc)
    info = zipfile.ZipInfo(name, date_time=utc.timetuple()[:6])
    info.extra = struct.pack("<HHBl", 0x5455, 5, 1, int(utc.timestamp()))
    return info


def write_bundle(bundle_dir: Path, candidate: Candidate, files: Mapping[str, bytes],
                 dates: Mapping[str, datetime] | None = None) -> Path:
    path = bundle_dir / f"{candidate.id}.zip"
    write_atomic(path, zip_bytes(candidate.id, files, dates))
    return path
