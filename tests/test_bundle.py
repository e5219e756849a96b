"""The bundle as a candidate uses it: unzipped on their machine, with nbgrader's Validate."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from evalround.notebook import fill_answers
from evalround.variant import build_variant

pytestmark = pytest.mark.slow


def _validate(folder: Path) -> str:
    """Stock `nbgrader validate`, run in the unzipped bundle as a candidate would."""
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", "validate", "template.ipynb"],
        cwd=folder, capture_output=True, text=True, timeout=300,
    )
    return proc.stdout + proc.stderr


def _unzip(course, cid: str, into: Path) -> Path:
    with zipfile.ZipFile(course.bundle_dir() / f"{cid}.zip") as zf:
        zf.extractall(into)
    return into / cid / "template"


def test_validate_says_public_checks_passed_and_never_shows_a_value(course, template, tmp_path):
    key = build_variant(template, course.secret, "alice")[2].values
    folder = _unzip(course, "alice", tmp_path)
    blank = _validate(folder)
    assert "VALIDATION FAILED" in blank
    assert "q1_p50_ms is not answered yet" in blank

    nb = nbformat.read(folder / "template.ipynb", as_version=4)
    nbformat.write(fill_answers(nb, template.manifest, key, {"w1": "The tail."}),
                   folder / "template.ipynb")
    filled = _validate(folder)
    assert "Success! Your notebook passes all the tests." in filled

    # Wrong values pass the public checks too: they never compare against the key.
    wrong = {name: value + 1000.0 if isinstance(value, float) else value
             for name, value in key.items() if name != "q1_share_over_budget"}
    wrong["q1_share_over_budget"] = 0.5
    (region,) = template.manifest.question("q2").answers
    wrong["q2_fix_first"] = next(c for c in region.choices if c != key["q2_fix_first"])
    nbformat.write(fill_answers(nb, template.manifest, wrong, {"w1": "The tail."}),
                   folder / "template.ipynb")
    assert "Success!" in _validate(folder)
    for value in key.values():
        if isinstance(value, str):
            continue  # q2's region: one of the four choices the notebook names
        for text in (f"{value:.3f}", f"{value:.4f}", repr(value)):
            assert text not in blank and text not in filled


def test_bundle_files_are_dated_with_the_first_assignment_time(course, template):
    """Are a bundle's files dated when the exercise was first assigned in the course (not
    a fixed 2026-01-01), and does assigning again later keep that date and the bytes?"""
    import json
    import struct
    from datetime import datetime, timedelta, timezone

    from evalround.assignment import assign
    from evalround.course import Candidate, assignment_record_path

    record = json.loads(assignment_record_path(course, "template").read_text())
    first = datetime.fromisoformat(record["assigned_at"])
    assert abs(datetime.now(timezone.utc) - first) < timedelta(days=1)
    path = course.bundle_dir() / "alice.zip"
    before = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    assert len(infos) == 7  # README, requirements, bundle.json, 2 settings, notebook, data
    for info in infos:
        assert info.date_time[:5] == first.timetuple()[:5], info.filename
        assert info.date_time[5] // 2 == first.second // 2  # the zip keeps 2-second steps
        tag, size, flags, stamp = struct.unpack("<HHBl", info.extra[:9])
        assert (tag, size, flags, stamp) == (0x5455, 5, 1, int(first.timestamp()))

    later = first + timedelta(days=3)
    assign(course, [template], [Candidate("alice", "Alice A"), Candidate("dora")],
           progress=False, now=later)
    assert path.read_bytes() == before
    assert json.loads(assignment_record_path(course, "template").read_text()) == record
    with zipfile.ZipFile(course.bundle_dir() / "dora.zip") as zf:
        assert {i.date_time[:5] for i in zf.infolist()} == {first.timetuple()[:5]}


def test_the_same_files_and_dates_give_the_same_zip_bytes():
    """Does zip_bytes give identical bytes for identical inputs, and date each
    exercise's files with its own time and the top files with the latest?"""
    from datetime import datetime, timezone

    from evalround.bundle import zip_bytes

    files = {"README.md": b"read me", "a/a.ipynb": b"{}", "b/b.ipynb": b"[]"}
    dates = {"a": datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc),
             "b": datetime(2026, 11, 30, 17, 4, 10, tzinfo=timezone.utc)}
    one = zip_bytes("dana", files, dates)
    assert one == zip_bytes("dana", dict(reversed(files.items())), dict(dates))
    assert one != zip_bytes("dana", files, {**dates, "a": datetime(2026, 11, 3,
                                                                    tzinfo=timezone.utc)})
    with zipfile.ZipFile(__import__("io").BytesIO(one)) as zf:
        stamps = {i.filename: i.date_time for i in zf.infolist()}
    assert stamps == {"dana/README.md": (2026, 11, 30, 17, 4, 10),
                      "dana/a/a.ipynb": (2026, 11, 2, 8, 0, 0),
                      "dana/b/b.ipynb": (2026, 11, 30, 17, 4, 10)}


def _readme(slugs):
    from evalround.bundle import BundleExercise, bundle_files
    from evalround.course import Candidate
    from evalround.exercise import load_exercise

    repo = Path(__file__).resolve().parents[1]
    parts = [BundleExercise(load_exercise(repo / "exercises" / s).manifest,
                            nbformat.v4.new_notebook(), {}) for s in slugs]
    return bundle_files(Candidate("dana"), parts)["README.md"].decode()


def test_the_readme_totals_the_time_of_several_exercises():
    """Does the bundle README add up the time budgets when several exercises are
    assigned, and leave the total out for one?"""
    two = _readme(["triage-eval", "_template"])
    assert "**In all: 105 minutes (1 h 45 min)** for the 2 exercises." in two
    assert "In all" not in _readme(["triage-eval"])


def test_a_take_home_over_four_hours_warns_the_hiring_team():
    """Is a take-home of more than four hours named with its total, and four hours not?"""
    from evalround.bundle import duration_text, long_take_home_warning
    from evalround.exercise import load_exercise

    repo = Path(__file__).resolve().parents[1]
    m = {s: load_exercise(repo / "exercises" / s).manifest
         for s in ("triage-eval", "cost-quality", "drift", "_template")}
    assert long_take_home_warning([m["triage-eval"], m["cost-quality"]]) is None
    warning = long_take_home_warning([m["triage-eval"], m["cost-quality"], m["drift"]])
    assert warning is not None
    assert warning.startswith("the take-home totals 4 h 30 min (270 minutes: triage-eval "
                              "90 min, cost-quality 90 min, drift 90 min), more than 4 hours")
    assert [duration_text(n) for n in (45, 60, 90, 240)] == ["45 min", "1 h", "1 h 30 min",
                                                             "4 h"]


def _nbgrader_lab_plugins() -> set[str]:
    """The plugin ids of the nbgrader labextension installed here (its built JavaScript)."""
    import re

    from jupyter_core.paths import jupyter_path

    found: set[str] = set()
    for root in jupyter_path("labextensions"):
        for js in (Path(root) / "@jupyter" / "nbgrader" / "static").glob("*.js"):
            found |= set(re.findall(r'"(@jupyter/nbgrader:[a-z-]+)"', js.read_text()))
    return found


def test_the_bundle_hides_nbgraders_instructor_tools_and_keeps_validate(course):
    """Does the bundle carry JupyterLab settings, where the candidate's .venv reads them,
    that disable every plugin of the installed nbgrader labextension but Validate, and
    switch off its instructor server extensions but Validate's?"""
    import json

    from evalround.bundle import INSTRUCTOR_LABEXTENSIONS, JUPYTER_CONFIG_DIR
    from evalround.simulation import read_bundle

    files = read_bundle(course.bundle_dir() / "alice.zip")
    page = json.loads(files[f"{JUPYTER_CONFIG_DIR}/labconfig/page_config.json"])
    plugins = _nbgrader_lab_plugins()
    assert "@jupyter/nbgrader:validate-assignment" in plugins
    disabled = {p for p, off in page["disabledExtensions"].items() if off}
    assert disabled == set(INSTRUCTOR_LABEXTENSIONS)
    assert disabled == plugins - {"@jupyter/nbgrader:validate-assignment"}
    server = json.loads(files[f"{JUPYTER_CONFIG_DIR}/jupyter_server_config.json"])
    assert server["ServerApp"]["jpserver_extensions"] == {
        "nbgrader.server_extensions.formgrader": False,
        "nbgrader.server_extensions.assignment_list": False,
        "nbgrader.server_extensions.course_list": False,
        "nbgrader.server_extensions.validate_assignment": True,
    }
    # ... which are the server extensions nbgrader's own install enables.
    installed = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_server_config.d" / "nbgrader.json"
    assert set(server["ServerApp"]["jpserver_extensions"]) == set(
        json.loads(installed.read_text())["ServerApp"]["jpserver_extensions"])
    readme = " ".join(files["README.md"].decode().split())
    assert "`JUPYTER_CONFIG_PATH` set to that `.venv/etc/jupyter` folder" in readme
    assert "leaving out `.venv`" in readme
