"""The command line: thin over the library, every command helped and documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalround import cli

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

    monkeypatch.setattr(cli.assignment, "assign", fake_assign)
    code = cli.main(["-q", "assign", "--course", str(tmp_path / "c"), "--candidates",
                     str(tmp_path / "cands.csv"), "--exercises", "triage-eval", "--jobs", "3"])
    assert code == 0
    assert seen == {"root": (tmp_path / "c").resolve(), "exercises": ["triage-eval"],
                    "candidates": ["x1", "x2"], "progress": False, "jobs": 3,
                    "new_version": False}


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [("name\nx\n", "must name a candidate_id column"),
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
