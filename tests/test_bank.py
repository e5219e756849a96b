"""Private exercise banks: a course assigns and grades exercises from outside the kit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalround import cli
from evalround.course import Course
from evalround.exercise import discover_exercises, load_exercise
from evalround.notebook import fill_answers

from helpers import bundle_notebook, submit

pytestmark = pytest.mark.slow


def _candidates(path: Path, *ids: str) -> Path:
    path.write_text("candidate_id,name\n" + "".join(f"{i},{i.title()}\n" for i in ids))
    return path


def test_a_course_assigns_and_grades_from_its_private_bank(tmp_path, capsys):
    """Does a course whose config names a bank outside the kit assign that bank's exercise
    (no public-sample warning), and grade a strong submission full and a blank one zero?"""
    bank = tmp_path / "hiring-bank"
    assert cli.main(["new-exercise", "latency", "--into", str(bank)]) == 0
    assert (bank / "latency" / "exercise.yaml").is_file()
    root = tmp_path / "q4"
    assert cli.main(["init", str(root), "--bank", str(bank)]) == 0
    course = Course(root)
    assert course.bank == bank.resolve()
    capsys.readouterr()
    assert cli.main(["-q", "assign", "--course", str(root), "--candidates",
                     str(_candidates(tmp_path / "c.csv", "ana", "bo")),
                     "--exercises", "latency"]) == 0
    assert "public sample" not in capsys.readouterr().err
    record = json.loads((course.records / "assignments" / "latency.json").read_text())
    assert Path(record["folder"]) == (bank / "latency").resolve()
    exercise = load_exercise(bank / "latency")
    key = course.load_variant("latency", "ana")["key"]
    written = {q.id: "The median hides the tail." for q in exercise.manifest.written_questions}
    submit(course, "ana", fill_answers(bundle_notebook(course, "ana", "latency"),
                                       exercise.manifest, key, written), slug="latency")
    submit(course, "bo", bundle_notebook(course, "bo", "latency"), slug="latency")
    assert cli.main(["-q", "grade", "--course", str(root), "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    auto_max = sum(q.points for q in exercise.manifest.auto_questions)
    grades = {cid: json.loads(course.grade_path("latency", cid).read_text())
              for cid in ("ana", "bo")}
    assert sum(grades["ana"]["scores"].values()) == auto_max
    assert sum(grades["bo"]["scores"].values()) == 0
    assert "ana" in out and "bo" in out


def test_assigning_a_public_sample_warns_and_names_it(tmp_path, capsys):
    """Does assigning a shipped sample to real candidates warn, naming the exercise?"""
    samples = [slug for slug, ex in discover_exercises().items() if ex.manifest.sample]
    assert sorted(samples) == sorted(discover_exercises())  # every shipped one is a sample
    root = tmp_path / "c"
    assert cli.main(["init", str(root)]) == 0
    assert cli.main(["-q", "assign", "--course", str(root), "--candidates",
                     str(_candidates(tmp_path / "c.csv", "ana")),
                     "--exercises", "drift", "--jobs", "1"]) == 0
    err = capsys.readouterr().err
    assert "drift is a public sample" in err and "private bank" in err


def test_a_missing_bank_is_refused(tmp_path, capsys):
    """Is a bank folder that does not exist refused with its path?"""
    assert cli.main(["init", str(tmp_path / "c"), "--bank", str(tmp_path / "nope")]) == 2
    assert "no such exercise bank" in capsys.readouterr().err


def test_a_copy_of_a_sample_is_no_sample(tmp_path):
    """Does `new-exercise --from` copy a sample under a new id and slug, unmarked?"""
    assert cli.main(["new-exercise", "our-triage", "--from", "triage-eval",
                     "--into", str(tmp_path)]) == 0
    made = load_exercise(tmp_path / "our-triage")
    original = discover_exercises()["triage-eval"]
    assert made.slug == "our-triage" and made.manifest.id != original.manifest.id
    assert not made.manifest.sample
    assert made.manifest.questions == original.manifest.questions
