"""Collect: every malformed submission is refused with the file, candidate and reason,
and nothing collected earlier is lost or overwritten."""

from __future__ import annotations

import io
import json
import os
import stat
import warnings
import zipfile
from pathlib import Path

import nbformat
import pytest

from evalround.submission import collect

from helpers import bundle_notebook, submit


def _zip(path: Path, entries: dict[str, bytes], links: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


@pytest.fixture()
def collected(course):
    """alice has a first version collected; every test checks it survives."""
    outcomes = submit(course, "alice", bundle_notebook(course, "alice"))
    assert [o.status for o in outcomes] == ["accepted"]
    path = course.submitted_dir("alice", "template") / "template.ipynb"
    return course, path.read_bytes()


def _good_nb(course) -> bytes:
    return nbformat.writes(bundle_notebook(course, "alice")).encode()


CASES = {
    "zip_slip": (lambda c: {"alice/../../evil/template/template.ipynb": _good_nb(c)},
                 "points outside the folder"),
    "absolute_path": (lambda c: {"/tmp/template/template.ipynb": _good_nb(c)},
                      "points outside the folder"),
    "invalid_json": (lambda c: {"alice/template/template.ipynb": b"{not json"},
                     "not valid JSON"),
    "empty_file": (lambda c: {"alice/template/template.ipynb": b""}, "is empty"),
    "old_nbformat": (lambda c: {"alice/template/template.ipynb":
                                json.dumps({"nbformat": 3, "cells": []}).encode()},
                     "nbformat 3"),
    "not_utf8": (lambda c: {"alice/template/template.ipynb":
                            _good_nb(c).replace(b"YOUR ANSWER", b"\xff\xfe ANSWER")},
                 "not UTF-8"),
    "json_not_notebook": (lambda c: {"alice/template/template.ipynb": b"[1, 2, 3]"},
                          "not a notebook"),
    "wrong_exercise": (lambda c: {"alice/template/template.ipynb": nbformat.writes(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])).encode()},
                       "wrong exercise"),
    "no_notebook": (lambda c: {"alice/notes.txt": b"hi"}, "no notebook of an assigned"),
    "renamed_notebook": (lambda c: {"alice/template/my-answers.ipynb": _good_nb(c)},
                         "expected template/template.ipynb, found "
                         "alice/template/my-answers.ipynb: rename it back to template.ipynb"),
    "two_copies": (lambda c: {"alice/template/template.ipynb": _good_nb(c),
                              "x/template/template.ipynb": _good_nb(c)}, "2 copies"),
    "backslash_zip_slip": (lambda c: {"alice\\..\\..\\template\\template.ipynb":
                                      _good_nb(c)}, "points outside the folder"),
    "windows_drive_path": (lambda c: {"C:/template/template.ipynb": _good_nb(c)},
                           "points outside the folder"),
    "invalid_cell_schema": (lambda c: {"alice/template/template.ipynb": _good_nb(c).replace(
        b'"cell_type": "markdown"', b'"cell_type": "weird"', 1)},
                            "does not follow the notebook format"),
    "cells_not_a_list": (lambda c: {"alice/template/template.ipynb":
                                    json.dumps({"nbformat": 4, "cells": {}}).encode()},
                         "not a notebook"),
    "too_many_entries": (lambda c: {f"alice/junk/{i}.txt": b"" for i in range(5001)},
                         "entries, over 5000"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_zip_is_refused_and_nothing_is_lost(collected, tmp_path, case):
    course, before = collected
    entries, reason = CASES[case]
    path = _zip(tmp_path / "alice.zip", entries(course))
    (outcome,) = collect(course, [path])
    assert outcome.status == "rejected"
    assert outcome.candidate == "alice"
    assert "alice.zip" in outcome.message and reason in outcome.message
    assert (course.submitted_dir("alice", "template") / "template.ipynb").read_bytes() == before
    assert len(list(course.archive_dir("alice", "template").glob("*.ipynb"))) == 1
    # The refused file is kept as it came, with the reason, and the message says where.
    (kept,) = (course.records / "quarantine").iterdir()
    assert f"(kept in {kept})" in outcome.message
    assert (kept / "alice.zip").read_bytes() == path.read_bytes()
    assert reason in (kept / "reason.txt").read_text()


def test_symlink_inside_zip_is_refused(collected, tmp_path):
    course, _ = collected
    path = _zip(tmp_path / "alice.zip", {}, links=("alice/template/template.ipynb",))
    (outcome,) = collect(course, [path])
    assert outcome.status == "rejected" and "symbolic link" in outcome.message


def test_symlinked_notebook_in_a_folder_is_refused(collected, tmp_path):
    course, _ = collected
    folder = tmp_path / "alice" / "template"
    folder.mkdir(parents=True)
    os.symlink("/etc/passwd", folder / "template.ipynb")
    (outcome,) = collect(course, [tmp_path / "alice"])
    assert outcome.status == "rejected" and "symbolic link" in outcome.message


def test_zip_bomb_is_refused_without_unpacking_it(collected, tmp_path):
    course, before = collected
    path = tmp_path / "alice.zip"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("alice/template/template.ipynb", "w", force_zip64=True) as fh,
    ):
        for _ in range(64):
            fh.write(b"\0" * (1 << 20))
    assert path.stat().st_size < 1 << 20
    (outcome,) = collect(course, [path])
    assert outcome.status == "rejected" and "zip bomb" in outcome.message


def test_garbage_archive_and_unknown_candidate(collected, tmp_path):
    course, _ = collected
    (tmp_path / "alice.zip").write_bytes(b"PK\x03\x04 this is not a zip")
    (tmp_path / "mallory.zip").write_bytes(io.BytesIO().getvalue())
    outcomes = collect(course, [tmp_path / "alice.zip", tmp_path / "mallory.zip",
                                tmp_path / "missing.zip"])
    assert [o.status for o in outcomes] == ["rejected"] * 3
    assert "not a valid zip" in outcomes[0].message
    assert "'mallory' is not a candidate" in outcomes[1].message
    assert "'missing' is not a candidate" in outcomes[2].message


def test_identical_resubmission_is_reported_unchanged(collected):
    course, _ = collected
    (outcome,) = submit(course, "alice", bundle_notebook(course, "alice"), tag="again")
    assert outcome.status == "unchanged"
    assert len(list(course.archive_dir("alice", "template").glob("*.ipynb"))) == 1


def test_a_candidate_cannot_submit_for_another(collected, tmp_path):
    """A zip named after bob replaces bob's work only; alice's is untouched."""
    course, before = collected
    path = _zip(tmp_path / "bob.zip", {"bob/template/template.ipynb": _good_nb(course)})
    (outcome,) = collect(course, [path])
    assert outcome.status == "accepted" and outcome.candidate == "bob"
    assert (course.submitted_dir("alice", "template") / "template.ipynb").read_bytes() == before


def test_oversized_archive_is_refused_and_not_unpacked(collected, tmp_path, monkeypatch):
    from evalround import submission

    course, before = collected
    monkeypatch.setattr(submission, "MAX_ARCHIVE_BYTES", 1000)
    path = _zip(tmp_path / "alice.zip", {"alice/template/template.ipynb": os.urandom(4000)})
    (outcome,) = collect(course, [path])
    assert outcome.status == "rejected" and "bytes, over 1000" in outcome.message
    assert (course.submitted_dir("alice", "template") / "template.ipynb").read_bytes() == before


def test_refused_folder_with_a_symlink_is_quarantined_without_following_it(collected, tmp_path):
    course, _ = collected
    folder = tmp_path / "alice" / "template"
    folder.mkdir(parents=True)
    os.symlink("/etc/passwd", folder / "template.ipynb")
    (outcome,) = collect(course, [tmp_path / "alice"])
    (kept,) = (course.records / "quarantine").iterdir()
    link = kept / "alice" / "template" / "template.ipynb"
    assert link.is_symlink() and os.readlink(link) == "/etc/passwd"
    assert "symbolic link" in (kept / "reason.txt").read_text()


def test_resubmissions_are_all_kept_and_the_newest_is_the_one_graded(collected, tmp_path):
    course, before = collected
    nb = bundle_notebook(course, "alice")
    nb.cells[0].source += "\n\nsecond try"
    (second,) = submit(course, "alice", nb, tag="2")
    assert second.status == "accepted"
    assert "version 2 is the one graded; replaces version 1, which stays archived" in \
        second.message
    history = json.loads((course.archive_dir("alice", "template") / "history.json").read_text())
    assert [h["version"] for h in history] == ["1", "2"]
    first = course.archive_dir("alice", "template") / history[0]["file"]
    assert first.read_bytes() == before


def _damaged(course, path: Path, case: str) -> Path:
    """A zip that a careless reader would crash on, built byte by byte."""
    good = _good_nb(course)
    name = "alice/template/template.ipynb"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            if case == "dot_member":
                zf.writestr(".", good)
                zf.writestr(name, good)
            elif case == "duplicate_member":
                zf.writestr(name, good)
                zf.writestr(name, good.replace(b"YOUR ANSWER HERE", b"the other copy"))
            elif case == "bad_crc":
                zf.writestr(name, good, compress_type=zipfile.ZIP_STORED)
            else:
                zf.writestr(name, good)
    raw = bytearray(path.read_bytes())
    if case in ("bad_crc", "corrupt_deflate"):
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo(name)
        # the data starts after the 30-byte local header, the name and the extra field
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        if case == "bad_crc":
            raw[start + 10] ^= 0x01  # one flipped bit: the stored CRC no longer matches
        else:
            raw[start:start + 4] = b"\xff\xff\xff\xff"  # deflate block type 3: invalid
    path.write_bytes(bytes(raw))
    return path


DAMAGED = {
    "dot_member": "entry '.' names no file",
    "duplicate_member": "is in the archive twice",
    "bad_crc": "is damaged and cannot be unpacked (BadZipFile: Bad CRC-32",
    "corrupt_deflate": "is damaged and cannot be unpacked (error: Error -3",
}


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_damaged_or_ambiguous_zip_is_refused_and_nothing_is_lost(collected, tmp_path, case):
    """Does a zip with a '.' member, a bad CRC, corrupt deflate data or two members of
    one name get refused with its reason and quarantined, leaving alice's work alone?"""
    course, before = collected
    path = _damaged(course, tmp_path / "alice.zip", case)
    (outcome,) = collect(course, [path])
    assert outcome.status == "rejected" and outcome.candidate == "alice"
    assert DAMAGED[case] in outcome.message, outcome.message
    assert (course.submitted_dir("alice", "template") / "template.ipynb").read_bytes() == before
    assert len(list(course.archive_dir("alice", "template").glob("*.ipynb"))) == 1
    (kept,) = (course.records / "quarantine").iterdir()
    assert (kept / "alice.zip").read_bytes() == path.read_bytes()
    assert DAMAGED[case] in (kept / "reason.txt").read_text()


def test_terminal_escapes_in_a_file_name_never_reach_the_terminal(collected, tmp_path,
                                                                   capsys):
    """Does `evalround collect` print a file name's escape sequences as visible text?"""
    from evalround.cli import main

    course, _ = collected
    name = "alice\x1b]0;pwned\x07\x1b[2J\u202e.zip"
    (tmp_path / name).write_bytes(b"not a zip")
    assert main(["collect", "--course", str(course.root), "--candidate", "alice",
                 str(tmp_path / name)]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "alice\\x1b]0;pwned\\x07\\x1b[2J\\u202e.zip" in out


# -- names and folders as browsers and candidates make them (issue 15, item 13) ---------


def test_a_renamed_notebook_beside_a_good_one_is_named_not_ignored(course, tmp_path):
    """With two exercises, is a renamed notebook of one reported (expected and found)
    while the other is taken?"""
    from evalround.assignment import assign
    from evalround.exercise import load_exercise

    REPO = Path(__file__).resolve().parents[1]
    drift = load_exercise(REPO / "exercises" / "drift")
    good = _good_nb(course)
    assign(course, [drift], [c for c in course.candidates().values() if c.id == "alice"],
           progress=False)
    path = _zip(tmp_path / "alice.zip", {
        "alice/template/template.ipynb": good,
        "alice/drift/drift-final.ipynb": b"{}",
    })
    outcomes = {o.exercise: o for o in collect(course, [path])}
    assert outcomes["template"].status == "accepted"
    assert outcomes["drift"].status == "rejected"
    assert ("expected drift/drift.ipynb, found alice/drift/drift-final.ipynb: rename it back "
            "to drift.ipynb") in outcomes["drift"].message


def test_a_browsers_duplicate_name_is_taken_with_a_note(course, tmp_path):
    """Is `alice (1).zip` taken as alice's, saying so?"""
    path = _zip(tmp_path / "alice (1).zip",
                {"alice/template/template.ipynb": _good_nb(course)})
    (outcome,) = collect(course, [path])
    assert (outcome.status, outcome.candidate) == ("accepted", "alice")
    assert "taken as alice's (a browser's duplicate file name)" in outcome.message


def test_an_extra_parent_folder_is_taken_with_a_note(course, tmp_path):
    """Is a zip holding Downloads/alice/template/template.ipynb taken, saying where?"""
    path = _zip(tmp_path / "Downloads.zip",
                {"Downloads/alice/template/template.ipynb": _good_nb(course)})
    (outcome,) = collect(course, [path])
    assert (outcome.status, outcome.candidate) == ("accepted", "alice")
    assert "taken as alice's (the folder inside is alice/)" in outcome.message
    assert "found under extra folders, at Downloads/alice/template/template.ipynb" in \
        outcome.message


def test_an_ambiguous_submission_is_still_refused(course, tmp_path):
    path = _zip(tmp_path / "Downloads.zip", {
        "Downloads/alice/template/template.ipynb": _good_nb(course),
        "Downloads/bob/template/x.ipynb": _good_nb(course)})
    (outcome,) = collect(course, [path])
    assert outcome.status == "rejected" and "'Downloads' is not a candidate" in outcome.message


def test_received_time_is_the_file_time_or_given(course, tmp_path):
    """Does collect record when each version was received: the zip's modification time,
    or the time given, also as nbgrader's timestamp?"""
    from datetime import datetime, timezone

    path = _zip(tmp_path / "alice.zip", {"alice/template/template.ipynb": _good_nb(course)})
    when = datetime(2026, 12, 8, 13, 0, tzinfo=timezone.utc).timestamp()
    os.utime(path, (when, when))
    (outcome,) = collect(course, [path])
    history = json.loads((course.archive_dir("alice", "template") / "history.json").read_text())
    assert history[-1]["received_at"] == "2026-12-08T13:00:00+00:00"
    stamp = (course.submitted_dir("alice", "template") / "timestamp.txt").read_text()
    assert stamp.startswith("2026-12-08 13:00:00")
    nb = bundle_notebook(course, "bob")
    nb.cells[0].source += "\n\nv2"
    (second,) = submit(course, "bob", nb)
    given = datetime(2026, 12, 9, 8, 30, tzinfo=timezone.utc)
    folder = tmp_path / "bob2" / "bob" / "template"
    folder.mkdir(parents=True)
    nb.cells[0].source += "\n\nv3"
    nbformat.write(nb, folder / "template.ipynb")
    (third,) = collect(course, [tmp_path / "bob2" / "bob"], received=given)
    history = json.loads((course.archive_dir("bob", "template") / "history.json").read_text())
    assert history[-1]["received_at"] == "2026-12-09T08:30:00+00:00"


def test_a_zip_with_the_candidates_python_environment_is_taken_without_it(collected, tmp_path):
    """A candidate who zips the whole folder, ``.venv`` and its links included (the README
    says to leave it out): is the notebook taken, and nothing of .venv read?"""
    course, before = collected
    nb = _good_nb(course)
    venv = {f"alice/.venv/lib/python3.11/site-packages/pkg/{i}.py": b"" for i in range(5001)}
    venv["alice/.venv/share/template/template.ipynb"] = b"not the candidate's"
    path = _zip(tmp_path / "alice.zip", {"alice/template/template.ipynb": nb, **venv},
                links=("alice/.venv/bin/python", "alice/.venv/lib64"))
    (outcome,) = collect(course, [path])
    assert outcome.status == "accepted", outcome.message
    taken = (course.submitted_dir("alice", "template") / "template.ipynb").read_bytes()
    assert taken == nb != before


def test_too_many_entries_outside_the_environment_are_refused_and_the_environment_named(
        collected, tmp_path):
    course, _ = collected
    entries = {f"alice/junk/{i}.txt": b"" for i in range(5001)}
    entries.update({f"alice/.venv/x/{i}.py": b"" for i in range(10)})
    (outcome,) = collect(course, [_zip(tmp_path / "alice.zip", entries)])
    assert outcome.status == "rejected"
    assert ("the archive has 5011 entries, over 5000; 10 of its entries are in .venv, the "
            "Python environment: zip the folder without .venv" in outcome.message)
