"""The command line: thin over the library, every command helped and documented."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from evalround import cli
from evalround.deadline import LatePenalty

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_every_command_has_help_and_is_in_the_readme(name, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([name, "--help"])
    assert exc.value.code == 0
    assert "Example: evalround" in capsys.readouterr().out
    assert f"evalround {name}" in (REPO / "README.md").read_text()


def test_readme_opens_with_the_two_commands():
    head = (REPO / "README.md").read_text().splitlines()[:6]
    assert any(line.startswith("make demo") for line in head)
    assert any(line.startswith("make test") for line in head)


def test_assign_passes_its_arguments_to_the_library(tmp_path, monkeypatch):
    from evalround.course import init_course

    init_course(tmp_path / "c")
    (tmp_path / "cands.csv").write_text("candidate_id\nx1\nx2\n")
    seen = {}

    def fake_assign(course, exercises, candidates, progress, jobs, new_version):
        seen.update(root=course.root, exercises=[e.slug for e in exercises],
                    candidates=[c.id for c in candidates], progress=progress, jobs=jobs,
                    new_version=new_version)
        return []

    monkeypatch.setattr("evalround.assignment.assign", fake_assign)
    code = cli.main(["-q", "assign", "--course", str(tmp_path / "c"), "--candidates",
                     str(tmp_path / "cands.csv"), "--exercises", "triage-eval", "--jobs", "3"])
    assert code == 0
    assert seen == {"root": (tmp_path / "c").resolve(), "exercises": ["triage-eval"],
                    "candidates": ["x1", "x2"], "progress": False, "jobs": 3,
                    "new_version": False}


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [("name\nx\n", "no candidate_id column (found the columns 'name')"),
     ("candidate_id\nx\nx\n", "candidate x is listed twice (first on line 2)"),
     ("candidate_id\n../etc\n", "must be letters, digits")],
)
def test_bad_candidates_file_names_the_line_and_reason(tmp_path, capsys, csv_text, message):
    from evalround.course import init_course

    init_course(tmp_path / "c")
    (tmp_path / "cands.csv").write_text(csv_text)
    code = cli.main(["assign", "--course", str(tmp_path / "c"), "--candidates",
                     str(tmp_path / "cands.csv"), "--exercises", "triage-eval"])
    assert code == 2
    err = capsys.readouterr().err
    assert "cands.csv" in err and message in err


def test_commands_outside_a_course_say_how_to_start(tmp_path, capsys):
    assert cli.main(["grade", "--course", str(tmp_path)]) == 2
    assert "Run `evalround init" in capsys.readouterr().err


def test_new_exercise_copies_the_template_with_a_fresh_id(tmp_path):
    import shutil

    shutil.copytree(REPO / "exercises" / "_template", tmp_path / "_template")
    assert cli.main(["--exercises-dir", str(tmp_path), "new-exercise", "latency"]) == 0
    from evalround.exercise import load_exercise

    made = load_exercise(tmp_path / "latency")
    assert made.slug == "latency" and "template" not in made.manifest.id


# -- inputs a new user gets wrong (issue 15, items 10-16) -----------------------------


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [("candidate_id,name\nann,Ann\n,Nobody\n",
      "line 3: the candidate_id is empty; give every candidate an id, or delete the line"),
     ("candidate_id\nann\nbo\nANN\n",
      "line 4: candidate id ANN differs from ann (line 2) only in case"),
     ("Candidate ID,Name\nann,Ann\n",
      "no candidate_id column (found the columns 'Candidate ID', 'Name'); rename "
      "'Candidate ID' to candidate_id"),
     ("candidate_id;name\nann;Ann\n",
      "the columns are separated by semicolons, not commas"),
     ("id,name\nann,Ann\n", "rename 'id' to candidate_id")],
)
def test_candidates_file_mistakes_are_named(tmp_path, csv_text, message):
    """Are an empty id, ids differing only in case, a spelled-out header and semicolons
    refused with the line or the columns found, and the fix?"""
    from evalround.course import CourseError, read_candidates

    path = tmp_path / "cands.csv"
    path.write_text(csv_text)
    with pytest.raises(CourseError) as exc:
        read_candidates(path)
    assert str(exc.value).startswith(f"{path}") and message in str(exc.value)


def test_blank_lines_in_the_candidates_file_are_not_candidates(tmp_path):
    from evalround.course import read_candidates

    (tmp_path / "c.csv").write_text("candidate_id,name\nann,Ann\n\n,\nbo,Bo\n")
    assert [c.id for c in read_candidates(tmp_path / "c.csv")] == ["ann", "bo"]


def test_a_command_run_in_a_course_subfolder_finds_the_course(tmp_path, capsys, monkeypatch):
    """Run from inside a course's subfolder, does a command use the enclosing course
    rather than suggest `evalround init .`, which would nest a course?"""
    from evalround.course import init_course

    course = init_course(tmp_path / "hiring")
    (course.root / "inbox").mkdir()
    monkeypatch.chdir(course.root / "inbox")
    assert cli.main(["grade"]) == 2
    err = capsys.readouterr().err
    assert f"no exercise is assigned in {course.root} yet" in err and "init" not in err
    course.variant_path("template", "ann").parent.mkdir(parents=True)
    course.variant_path("template", "ann").write_text("{}")
    assert cli.main(["grade", "--exercises", "_template"]) == 1
    err = capsys.readouterr().err
    assert "no submission has been collected yet" in err and "init" not in err
    assert cli.main(["init", "nested"]) == 2
    assert f"lies inside the course {course.root}" in capsys.readouterr().err


def test_outside_any_course_commands_say_so(tmp_path, capsys):
    assert cli.main(["report", "--course", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no .evalround/secret here or in any folder above it" in err
    assert "evalround init ." not in err


def test_grade_with_nothing_collected_says_what_to_do(tmp_path, capsys):
    from evalround.course import Candidate, init_course

    course = init_course(tmp_path / "c")
    course.save_candidates({"ann": Candidate("ann")})
    folder = course.variant_path("template", "ann").parent
    folder.mkdir(parents=True)
    course.variant_path("template", "ann").write_text("{}")
    code = cli.main(["grade", "--course", str(course.root), "--exercises", "_template"])
    out = capsys.readouterr()
    assert code == 1 and "graded 0" not in out.out
    assert "Collect the candidates' zips first: evalround collect inbox/*.zip" in out.err


def test_quiet_after_the_command_and_plurals(tmp_path, monkeypatch, capsys):
    """Is `-q` taken after the command too, and is one candidate "1 candidate"?"""
    from evalround.course import init_course

    init_course(tmp_path / "c")
    (tmp_path / "cands.csv").write_text("candidate_id\nx1\n")
    seen = {}

    def fake_assign(course, exercises, candidates, progress, jobs, **kwargs):
        seen.update(progress=progress, **kwargs)
        return [SimpleNamespace(candidate=candidates[0],
                                bundle=course.root / "bundles" / "x1.zip")]

    monkeypatch.setattr("evalround.assignment.assign", fake_assign)
    code = cli.main(["assign", "-q", "--course", str(tmp_path / "c"), "--candidates",
                     str(tmp_path / "cands.csv"), "--exercises", "triage-eval"])
    assert code == 0 and seen == {"progress": False, "new_version": False}
    assert "assigned 1 candidate;" in capsys.readouterr().out
    assert cli.plural(1, "submission") == "1 submission"
    assert cli.plural(2, "submission") == "2 submissions"


def test_due_date_reaches_the_library(tmp_path, monkeypatch, capsys):
    from datetime import datetime, timezone

    from evalround.course import init_course

    init_course(tmp_path / "c")
    (tmp_path / "cands.csv").write_text("candidate_id\nx1\n")
    seen = {}

    def fake_assign(course, exercises, candidates, progress, jobs, new_version,
                    deadline=None):
        seen["deadline"] = deadline
        return []

    monkeypatch.setattr("evalround.assignment.assign", fake_assign)
    assert cli.main(["assign", "--course", str(tmp_path / "c"), "--candidates",
                     str(tmp_path / "cands.csv"), "--exercises", "triage-eval",
                     "--due", "2026-12-08 17:00", "--timezone", "Europe/Berlin",
                     "--contact", "hiring@example.com"]) == 0
    d = seen["deadline"]
    assert d.due == datetime(2026, 12, 8, 16, 0, tzinfo=timezone.utc)
    assert (d.timezone, d.contact) == ("Europe/Berlin", "hiring@example.com")
    assert "due 2026-12-08 17:00 Europe/Berlin (16:00 UTC)" in capsys.readouterr().out
    assert cli.main(["assign", "--course", str(tmp_path / "c"), "--candidates",
                     str(tmp_path / "cands.csv"), "--exercises", "triage-eval",
                     "--due", "next friday"]) == 2
    assert "is not a date and time" in capsys.readouterr().err
    assert cli.main(["assign", "--course", str(tmp_path / "c"), "--candidates",
                     str(tmp_path / "cands.csv"), "--exercises", "triage-eval",
                     "--late-penalty", "10%"]) == 2
    assert "--late-penalty goes with --due" in capsys.readouterr().err
    assert cli.main(["assign", "--course", str(tmp_path / "c"), "--candidates",
                     str(tmp_path / "cands.csv"), "--exercises", "triage-eval",
                     "--due", "2026-12-08 17:00", "--late-penalty", "10%/day"]) == 0
    assert seen["deadline"].penalty == LatePenalty(10.0, per_day=True)
    assert "(penalty: 10% of the exercise's points per day late" in capsys.readouterr().out


def test_grade_lines_say_the_points_are_autograded_ones(capsys):
    """Does a grade line for 15 of 15 autograded points, out of 30, say so, rather than
    read as full marks?"""
    from evalround.grading import GradeRecord

    record = GradeRecord(candidate="ann", exercise="drift", variant_id="v", answers={},
                         submission_sha256="s", key_sha256="k", scores={"q1": 15.0},
                         max_scores={"q1": 15.0}, failure=None, seconds=1.0, sandbox="x",
                         graded_at="")
    cli._print_grades([record], {"drift": 15.0})
    line = capsys.readouterr().out.split()
    assert line[2:] == ["15", "/", "15", "autograded", "+", "15", "written", "points", "to",
                        "grade,", "of", "30"]


def test_collect_counts_an_identical_resend_apart(course, capsys):
    """Is a zip sent again unchanged counted as identical, not as taken?"""
    import nbformat

    from helpers import bundle_notebook

    folder = course.root.parent / "inbox" / "alice" / "template"
    folder.mkdir(parents=True)
    nbformat.write(bundle_notebook(course, "alice"), folder / "template.ipynb")
    args = ["collect", "--course", str(course.root), str(folder.parent)]
    assert cli.main(args) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "1 taken, 0 identical to a version already collected (not taken again), 0 rejected")
    assert cli.main(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert "identical to the version already collected, not taken again" in out[0]
    assert out[-1] == (
        "0 taken, 1 identical to a version already collected (not taken again), 0 rejected")


def test_importing_the_cli_loads_no_heavy_library():
    """Do `evalround --help` and argument errors come before any notebook, nbgrader or
    data library is imported?"""
    import subprocess
    import sys

    heavy = ("pandas", "nbformat", "nbgrader", "numpy", "jupyter_server", "matplotlib")
    probe = (
        "import sys, evalround.cli\n"
        "for argv in (['--help'], ['grade', '--no-such-option'], ['assign', '--help']):\n"
        "    try:\n"
        "        evalround.cli.main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, check=True)
    assert proc.stdout.splitlines()[-1] == "[]", proc.stdout
    assert "unrecognized arguments: --no-such-option" in proc.stderr


def test_assign_says_what_it_does_before_compiling(tmp_path, capsys):
    """Does `assign` print a line before it loads anything, then one per exercise before
    nbgrader compiles it?"""
    from evalround.course import init_course

    init_course(tmp_path / "c")
    (tmp_path / "cands.csv").write_text("candidate_id\nx1\n")
    code = cli.main(["--exercises-dir", str(REPO / "exercises"), "assign", "--course",
                     str(tmp_path / "c"), "--candidates", str(tmp_path / "cands.csv"),
                     "--exercises", "_template", "--jobs", "1"])
    assert code == 0
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "assign: reading the course, the candidates and the exercises..."
    compiling = "assign: compiling template (nbgrader generate_assignment)..."
    assert lines[1] == compiling  # before the progress bar over the candidates
    assert any("1/1" in line for line in lines[2:])


def test_assign_warns_when_the_take_home_passes_four_hours(tmp_path, monkeypatch, capsys):
    """Does `assign` warn on stderr, naming the total, when the exercises add up to more
    than four hours, and stay quiet about it at three?"""
    from evalround.course import init_course

    init_course(tmp_path / "c")
    (tmp_path / "cands.csv").write_text("candidate_id\nx1\n")
    monkeypatch.setattr("evalround.assignment.assign", lambda *a, **k: [])
    base = ["-q", "assign", "--course", str(tmp_path / "c"), "--candidates",
            str(tmp_path / "cands.csv"), "--exercises", "triage-eval", "cost-quality"]
    assert cli.main(base) == 0
    assert "take-home totals" not in capsys.readouterr().err
    assert cli.main([*base, "drift"]) == 0
    err = capsys.readouterr().err
    assert ("evalround: warning: the take-home totals 4 h 30 min (270 minutes: "
            "triage-eval 90 min, cost-quality 90 min, drift 90 min), more than 4 hours") in err


def test_desk_urls_name_the_address_the_server_listens_on():
    """Does `evalround desk` print an address for its --ip, with the token, bracketing an
    IPv6 address, and for every interface both this machine's name and 127.0.0.1?"""
    import socket

    assert cli.desk_urls("127.0.0.1", 8890, "abc") == [
        "http://127.0.0.1:8890/evalround/desk?token=abc"]
    assert cli.desk_urls("::1", 8890, "abc") == ["http://[::1]:8890/evalround/desk?token=abc"]
    assert cli.desk_urls("0.0.0.0", 8890, "abc") == [
        f"http://{socket.gethostname()}:8890/evalround/desk?token=abc",
        "http://127.0.0.1:8890/evalround/desk?token=abc"]
