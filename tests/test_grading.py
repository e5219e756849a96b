"""End to end over a real course: assign, collect, grade with real kernels and nbgrader."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
import zipfile
from datetime import datetime, timezone

import nbformat
import pytest

from evalround import nbgrader_adapter
from evalround.assignment import assign
from evalround.course import Candidate, init_course
from evalround.grading import GradingIncomplete, grade, history_path, load_record
from evalround.notebook import fill_answers, grade_id, solution_code
from evalround.scoring import score_answers
from evalround.simulation import _tamper, _tamper_data, read_bundle
from evalround.validation import leaked_values
from evalround.variant import build_variant

from helpers import bundle_notebook, submit

pytestmark = pytest.mark.slow


def _key(course, template, cid):
    return build_variant(template, course.secret, cid)[2].values


def _solutions(course):
    src = nbformat.read(course.source_dir("template") / "template.ipynb", as_version=4)
    return solution_code(src)


def _with_reference_code(nb, course):
    nb = nbformat.from_dict(nb)
    code = _solutions(course)
    for cell in nb.cells:
        if grade_id(cell) in ("q1_answer", "q2_answer"):
            cell.source = code[grade_id(cell)]
    return nb


def test_reference_full_blank_zero_and_gradebook_rows(course, template):
    """Do the reference answers get full marks and a blank zero, in the gradebook too?"""
    nb = fill_answers(bundle_notebook(course, "alice"), template.manifest,
                      _key(course, template, "alice"), {"w1": "The tail matters."})
    submit(course, "alice", nb)
    submit(course, "bob", bundle_notebook(course, "bob"))
    records = {r.candidate: r for r in grade(course, [template], progress=False)}
    assert records["alice"].scores == {"q1": 2.0, "q2": 2.0}
    assert records["bob"].scores == {"q1": 0.0, "q2": 0.0}
    rows = nbgrader_adapter.grades(course.root, "template", "template")
    assert rows["alice"]["q1"].auto_score == rows["alice"]["q2"].auto_score == 2.0
    assert rows["bob"]["q2"].auto_score == 0.0
    assert rows["alice"]["w1"].auto_score is None  # answered: waits for a grader
    assert rows["bob"]["w1"].auto_score == 0.0  # left blank: zero, as nbgrader does
    graded = nbformat.read(course.autograded_dir("alice", "template") / "template.ipynb", 4)
    test_cell = next(c for c in graded.cells if grade_id(c) == "q1")
    assert "Hidden checks (evalround): 2 / 2 points" in test_cell.outputs[0]["text"]
    # The grader sees the rubric right after the written answer, with alice's numbers.
    ids = [grade_id(c) for c in graded.cells]
    rubric = graded.cells[ids.index("w1") + 1]
    key = _key(course, template, "alice")
    assert rubric.cell_type == "markdown" and "Rubric for W1" in rubric.source
    assert f"p95 is {key['q1_p95_ms']:.0f} ms" in rubric.source
    assert f"{key['q1_share_over_budget']:.1%} of requests" in rubric.source
    assert records["alice"].key_sha256 == build_variant(template, course.secret, "alice")[2].sha256


def test_tamperer_scores_exactly_what_the_untampered_answers_score(course, template):
    """Does tampering with parameters, data, locked and test cells change the score? No."""
    clean = _with_reference_code(bundle_notebook(course, "alice"), course)
    submit(course, "alice", clean)
    files = read_bundle(course.bundle_dir() / "bob.zip")
    _tamper_data(files, "template")
    tampered = _tamper(bundle_notebook(course, "bob"), _solutions(course))
    folder = course.root.parent / "inbox" / "bob" / "template"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "requests.csv").write_bytes(files["template/data/requests.csv"])
    nbformat.write(tampered, folder / "template.ipynb")
    submit(course, "bob", tampered)
    records = {r.candidate: r for r in grade(course, [template], progress=False)}
    assert records["alice"].auto_points == 4.0
    assert records["bob"].auto_points == 4.0
    # The tampering is real: on the halved data the same code gives other answers.
    from io import BytesIO

    import pandas as pd

    halved = {"requests.csv": pd.read_csv(BytesIO(files["template/data/requests.csv"]))}
    public = {"budget_ms": 1}
    assert template.reference(halved, public) != _key(course, template, "bob")


def test_copier_loses_the_points_of_copied_numbers(course, template):
    alice_key = _key(course, template, "alice")
    submit(course, "carol", fill_answers(bundle_notebook(course, "carol"), template.manifest,
                                         alice_key))
    submit(course, "alice", fill_answers(bundle_notebook(course, "alice"), template.manifest,
                                         alice_key))
    records = {r.candidate: r for r in grade(course, [template], progress=False)}
    assert records["alice"].auto_points == 4.0
    expected = score_answers(template.manifest, _key(course, template, "carol"), alice_key)
    assert records["carol"].scores == {q: s.points for q, s in expected.items()}
    assert records["carol"].auto_points < 4.0


def test_one_ungradable_submission_does_not_stop_the_others(course, template):
    """A variant that no longer matches its record is named; the rest are graded."""
    for cid in ("alice", "bob"):
        submit(course, cid, fill_answers(bundle_notebook(course, cid), template.manifest,
                                         _key(course, template, cid)))
    path = course.variant_path("template", "bob")
    recorded = json.loads(path.read_text())
    recorded["key_sha256"] = "0" * 64
    path.write_text(json.dumps(recorded))
    with pytest.raises(GradingIncomplete) as info:
        grade(course, [template], progress=False)
    assert [r.candidate for r in info.value.records] == ["alice"]
    assert info.value.records[0].auto_points == 4.0
    (problem,) = info.value.problems
    assert problem.startswith("bob, template (") and "no longer matches" in problem
    assert load_record(course, "template", "bob") is None
    assert "bob" not in nbgrader_adapter.grades(course.root, "template", "template")


def test_exiting_the_kernel_early_is_recorded_and_scores_zero(course, template):
    nb = fill_answers(bundle_notebook(course, "alice"), template.manifest,
                      _key(course, template, "alice"))
    cell = next(c for c in nb.cells if grade_id(c) == "q1_answer")
    cell.source += "\nimport os\nos._exit(0)"
    submit(course, "alice", nb)
    (record,) = grade(course, [template], progress=False)
    assert record.auto_points == 0.0
    assert "kernel died" in (record.failure or "")


def test_resubmission_is_archived_and_regraded_once(course, template):
    """Is the newest version graded, the older one kept, and nothing graded twice?"""
    nb = fill_answers(bundle_notebook(course, "alice"), template.manifest,
                      _key(course, template, "alice"))
    submit(course, "alice", nb)
    assert [r.auto_points for r in grade(course, [template], progress=False)] == [4.0]
    assert grade(course, [template], progress=False) == []
    outcomes = submit(course, "alice", bundle_notebook(course, "alice"), tag="2")
    assert outcomes[0].status == "accepted" and "replaces version 1" in outcomes[0].message
    assert [r.auto_points for r in grade(course, [template], progress=False)] == [0.0]
    archive = sorted(p.name for p in course.archive_dir("alice", "template").glob("*.ipynb"))
    assert [name[:3] for name in archive] == ["001", "002"]
    record = load_record(course, "template", "alice")
    current = (course.submitted_dir("alice", "template") / "template.ipynb").read_bytes()
    assert record is not None and record.submission_sha256 == hashlib.sha256(current).hexdigest()
    # The first grade is kept, not overwritten.
    history = history_path(course.grade_path("template", "alice")).read_text().splitlines()
    assert [json.loads(line)["scores"] for line in history] == [{"q1": 2.0, "q2": 2.0}]


def test_stock_nbgrader_commands_keep_working(course, template):
    """Do `nbgrader db student list` and `nbgrader export` read evalround's gradebook?"""
    nb = fill_answers(bundle_notebook(course, "alice"), template.manifest,
                      _key(course, template, "alice"))
    submit(course, "alice", nb)
    grade(course, [template], progress=False)
    students = nbgrader_adapter.run_stock_app(course.root, ["db", "student", "list"])
    assert "alice" in students and "bob" in students
    nbgrader_adapter.run_stock_app(course.root, ["export"])
    rows = list(csv.DictReader((course.root / "grades.csv").open()))
    alice = next(r for r in rows if r["student_id"] == "alice")
    assert float(alice["raw_score"]) == 4.0


ASSIGNED = datetime(2026, 11, 30, 9, 30, 12, tzinfo=timezone.utc)


def test_bundles_are_reproducible_and_hold_no_key(tmp_path, template):
    """Same secret and candidate, two courses: identical zip bytes, and no secrets inside."""
    digests = []
    cohort = [Candidate(f"c{i}") for i in range(5)] + [Candidate("alice")]
    for name, jobs in (("one", 1), ("two", 2)):  # one process, then two worker processes
        course = init_course(tmp_path / name, secret=b"same")
        done = assign(course, [template], cohort, progress=False, jobs=jobs, now=ASSIGNED)
        digests.append([hashlib.sha256(d.bundle.read_bytes()).hexdigest() for d in done])
        a = done[-1]
    assert digests[0] == digests[1] and len(set(digests[0])) == len(cohort)
    with zipfile.ZipFile(a.bundle) as zf:
        names = zf.namelist()
        files = {n.split("/", 1)[1]: zf.read(n) for n in names}
    assert sorted(files) == [".venv/etc/jupyter/jupyter_server_config.json",
                             ".venv/etc/jupyter/labconfig/page_config.json",
                             "README.md", "bundle.json", "requirements.txt",
                             "template/data/requests.csv", "template/template.ipynb"]
    key = build_variant(template, b"same", "alice")
    assert leaked_values(template.manifest.answer_fields, key[2].values, files) == []
    text = files["template/template.ipynb"].decode()
    assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text
    for value in key[0].hidden.values():
        assert repr(value) not in text


def test_cli_runs_the_loop(tmp_path):
    """Does the installed `evalround` command run init, assign, collect and grade?"""
    root = tmp_path / "c"
    (tmp_path / "candidates.csv").write_text("candidate_id,name\nzoe,Zoe Z\n")

    def run(*args: str) -> str:
        proc = subprocess.run([sys.executable, "-m", "evalround.cli", "-q", *args],
                              capture_output=True, text=True, cwd=tmp_path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout

    run("init", str(root))
    run("--exercises-dir", str(template_dir()), "assign", "--course", str(root),
        "--candidates", "candidates.csv", "--exercises", "_template")
    assert (root / "bundles" / "zoe.zip").exists()
    out = run("collect", "--course", str(root), str(root / "bundles" / "zoe.zip"))
    assert "accepted  zoe template" in out
    out = run("--exercises-dir", str(template_dir()), "grade", "--course", str(root),
              "--exercises", "_template")
    assert "zoe" in out and "0 / 4" in out


def template_dir():
    from pathlib import Path

    return Path(__file__).resolve().parents[1] / "exercises"


def test_scores_match_stock_nbgrader_autograde_given_the_same_key(course, template):
    """With the key placed beside the notebook, does stock autograde give the same score?"""
    variant, data, key = build_variant(template, course.secret, "alice")
    values = dict(key.values)
    values["q1_p95_ms"] += 5.0  # one of three answers wrong: partial credit on both sides
    submit(course, "alice", fill_answers(bundle_notebook(course, "alice"), template.manifest,
                                         values))
    (ours,) = grade(course, [template], progress=False)
    assert ours.scores["q1"] == pytest.approx(4 / 3, abs=1e-3)
    assert ours.scores["q2"] == 2.0  # the judgement question's one answer is right
    nbgrader_adapter.write_stock_key(course.root, "template", template.raw_manifest(),
                                     key.values, data.files)
    nbgrader_adapter.run_stock_app(course.root, ["autograde", "template", "--student",
                                                 "alice", "--force"])
    stock = nbgrader_adapter.grades(course.root, "template", "template")["alice"]
    assert stock["q1"].auto_score == pytest.approx(ours.scores["q1"], abs=1e-9)
    assert stock["q2"].auto_score == ours.scores["q2"]


def test_stock_autograde_without_a_key_scores_the_hidden_check_zero(course, template):
    """Stock autograde has no per-candidate key: it must say so, never give free points."""
    submit(course, "alice", fill_answers(bundle_notebook(course, "alice"), template.manifest,
                                         _key(course, template, "alice")))
    nbgrader_adapter.run_stock_app(course.root, ["autograde", "template", "--student",
                                                 "alice", "--force"])
    stock = nbgrader_adapter.grades(course.root, "template", "template")["alice"]["q1"]
    assert stock.auto_score == 0.0
    graded = nbformat.read(course.autograded_dir("alice", "template") / "template.ipynb", 4)
    cell = next(c for c in graded.cells if grade_id(c) == "q1")
    assert "graded with `evalround grade`" in cell.outputs[-1]["evalue"]


def test_a_warning_on_stderr_does_not_zero_a_correct_answer(course, template):
    """Stock nbgrader scores any stderr output 0; evalround scores the answers."""
    nb = fill_answers(bundle_notebook(course, "alice"), template.manifest,
                      _key(course, template, "alice"))
    cell = next(c for c in nb.cells if grade_id(c) == "q1_answer")
    cell.source += ("\nimport sys, warnings\nwarnings.warn('deprecated')"
                    "\nprint('x', file=sys.stderr)")
    submit(course, "alice", nb)
    (record,) = grade(course, [template], progress=False)
    assert record.auto_points == 4.0
