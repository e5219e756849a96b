"""docs/authoring.md, followed step by step with its own snippets."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from evalround import cli
from evalround.course import Course
from evalround.exercise import load_exercise
from evalround.notebook import fill_answers

from helpers import bundle_notebook, submit

pytestmark = pytest.mark.slow

DOC = Path(__file__).resolve().parents[1] / "docs" / "authoring.md"
SNIPPET = re.compile(r"<!-- file: (?P<name>[\w.]+) -->\n```\w*\n(?P<body>.*?)\n```", re.S)


def _snippets() -> dict[str, str]:
    return {m["name"]: m["body"] + "\n" for m in SNIPPET.finditer(DOC.read_text())}


def _build_from_doc(bank: Path) -> Path:
    snippets = _snippets()
    assert set(snippets) == {"exercise.yaml", "generator.py", "answers.py",
                             "build_notebook.py", "rubric.yaml", "README.md"}
    assert cli.main(["new-exercise", "region-latency", "--into", str(bank)]) == 0  # step 1
    folder = bank / "region-latency"
    manifest = folder / "exercise.yaml"
    id_line = next(line for line in manifest.read_text().splitlines()
                   if line.startswith("id:"))
    manifest.write_text(id_line + "\n" + snippets["exercise.yaml"])  # step 2
    for name in ("generator.py", "answers.py", "rubric.yaml", "README.md"):  # 3, 4, 6
        (folder / name).write_text(snippets[name])
    script = folder / "build_notebook.py"  # step 5
    script.write_text(snippets["build_notebook.py"])
    subprocess.run([sys.executable, script.name], cwd=folder, check=True)
    script.unlink()
    return folder


def test_the_tutorial_builds_an_exercise_that_validates_assigns_and_grades(tmp_path, capsys):
    """Following docs/authoring.md: does the scaffolded exercise, filled from the doc's own
    snippets, pass validate with the persona lines the doc shows, and grade a strong
    submission full and a blank one zero from a private bank?"""
    bank = tmp_path / "hiring-bank"
    exercise = load_exercise(_build_from_doc(bank))
    assert [q.id for q in exercise.manifest.judgement_questions] == ["q2"]

    capsys.readouterr()
    assert cli.main(["-q", "--exercises-dir", str(bank), "preview", "region-latency",
                     "--seed", "1", "--out", str(tmp_path / "pv")]) == 0  # step 7
    assert (tmp_path / "pv" / "planted.md").read_text().count("busiest_region") >= 1
    assert cli.main(["-q", "--exercises-dir", str(bank), "validate", "region-latency",
                     "--variants", "10", "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    assert "persona strong: 4.00 / 4 autograded (mean over variants)" in out
    assert "persona literal: 2.00 / 4 autograded (mean over variants)" in out
    assert "all checks passed" in out

    root = tmp_path / "hiring-q1"  # step 8
    assert cli.main(["init", str(root), "--bank", str(bank)]) == 0
    (tmp_path / "candidates.csv").write_text("candidate_id,name\nana,Ana\nbo,Bo\n")
    assert cli.main(["-q", "assign", "--course", str(root), "--candidates",
                     str(tmp_path / "candidates.csv"), "--exercises", "region-latency"]) == 0
    course = Course(root)
    key = course.load_variant("region-latency", "ana")["key"]
    written = {"w1": "The median hides the tail."}
    submit(course, "ana", fill_answers(bundle_notebook(course, "ana", "region-latency"),
                                       exercise.manifest, key, written), slug="region-latency")
    submit(course, "bo", bundle_notebook(course, "bo", "region-latency"),
           slug="region-latency")
    assert cli.main(["-q", "grade", "--course", str(root)]) == 0
    points = {cid: sum(json.loads(course.grade_path("region-latency", cid).read_text())
                       ["scores"].values()) for cid in ("ana", "bo")}
    assert points == {"ana": 4.0, "bo": 0.0}


def test_validate_fails_a_judgement_question_the_literal_reading_gets_right(tmp_path, capsys):
    """When the literal persona answers the judgement question like the strong one, does
    validate fail the literal and naive-persona checks and say by how much?"""
    bank = tmp_path / "bank"
    answers = _build_from_doc(bank) / "answers.py"
    answers.write_text(answers.read_text().replace('"literal": ("busiest_region",)',
                                                   '"literal": ()'))
    code = cli.main(["-q", "--exercises-dir", str(bank), "validate", "region-latency",
                     "--variants", "2", "--jobs", "2"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert "[FAIL] literal persona takes at most 60% of the points (2 checked)" in lines
    assert "       - variant 0: literal scores 4 of 4 (100%)" in lines
    assert ("[FAIL] naive personas take at most 25% of each judgement question (4 checked)"
            in lines)
    assert "       - variant 0: literal scores 2 of 2 on judgement question q2" in lines
    assert "persona literal: 4.00 / 4 autograded (mean over variants)" in lines
    assert "[PASS] reference solution scores full marks (2 checked)" in lines
    assert lines[-1] == "FAILED"


def test_a_generator_that_fails_is_named_in_one_line(tmp_path, capsys):
    """Does a generator that raises stop validate with the file, the function and the
    error, instead of a traceback?"""
    bank = tmp_path / "bank"
    generator = _build_from_doc(bank) / "generator.py"
    generator.write_text(generator.read_text().replace(
        "    n = 4000\n", "    n = 4000\n    raise ValueError('no such region')\n"))
    code = cli.main(["-q", "--exercises-dir", str(bank), "validate", "region-latency",
                     "--variants", "2", "--jobs", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == [f"evalround: error: {generator.parent}/generator.py: generate() failed: "
                   f"ValueError: no such region"]
