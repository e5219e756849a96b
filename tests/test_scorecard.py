"""Reports: results from grade records and the gradebook, CSV, leaderboard, HTML."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest

from evalround import report_charts, scorecard
from evalround.course import Candidate, Course, init_course
from evalround.exercise import Exercise, load_exercise
from evalround.grading import GradeRecord
from evalround.item_analysis import corrected_item_total as corr
from evalround.item_stats import MIN_N, corrected_item_total, item_analysis
from evalround.nbgrader_adapter import GradebookGrade
from evalround.scorecard import CandidateResult

TEMPLATE = Path(__file__).resolve().parents[1] / "exercises" / "_template"
XSS = "<script>alert(1)</script>"
# Values that are in the records' answers: none may reach a scorecard.
ANSWERS = {"q1_p50_ms": 123.456, "q1_p95_ms": 987.654, "q1_share_over_budget": 0.1357,
           "q2_fix_first": "sa-east"}


def _record(cid: str, q1: float, q2: float = 0.0, sandbox: str = "docker",
            failure: str | None = None) -> GradeRecord:
    return GradeRecord(
        candidate=cid, exercise="template", variant_id=f"v-{cid}",
        submission_sha256="s" * 64, key_sha256=f"k{cid}".ljust(64, "0"),
        answers=dict(ANSWERS), scores={"q1": q1, "q2": q2}, max_scores={"q1": 2.0, "q2": 2.0},
        failure=failure, seconds=1.0, sandbox=sandbox, graded_at="2024-01-01T00:00:00+00:00",
    )


def _w1(auto: float | None, manual: float | None, q1: float = 1.0, q2: float = 0.0
        ) -> dict[str, GradebookGrade]:
    return {"w1": GradebookGrade("w1", auto, manual, 2.0),
            "q1": GradebookGrade("q1", q1, None, 2.0),
            "q2": GradebookGrade("q2", q2, None, 2.0)}


@pytest.fixture
def exercise() -> Exercise:
    return load_exercise(TEMPLATE)


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Course:
    """Five candidates on the template exercise (q1 and q2 auto 2 pts each, w1 written
    2 pts).

    alice 2+2+2 graded; bob 1+0 + w1 ungraded, unsandboxed; carol 1+2 + blank w1 (0);
    dave run failed, 0+0+0; erin never submitted.
    """
    c = init_course(tmp_path / "course", secret=b"x")
    people = {
        "alice": Candidate("alice", "Alice Smith"),
        "bob": Candidate("bob", "Bob Jones"),
        "carol": Candidate("carol", XSS),
        "dave": Candidate("dave", "Dave"),
        "erin": Candidate("erin", "Erin"),
    }
    c.save_candidates(people)
    for cid in people:
        c.variant_path("template", cid).parent.mkdir(parents=True, exist_ok=True)
        c.variant_path("template", cid).write_text("{}")
    records = [
        _record("alice", 2.0, 2.0),
        _record("bob", 1.0, sandbox="unsandboxed"),
        _record("carol", 1.0, 2.0),
        _record("dave", 0.0, failure="timed out after 60 s"),
    ]
    for rec in records:
        path = c.grade_path("template", rec.candidate)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(rec)))
    gradebook = {
        "alice": _w1(None, 2.0, q1=2.0, q2=2.0),
        "bob": _w1(None, None),
        "carol": _w1(0.0, None, q2=2.0),
        "dave": _w1(0.0, 0.0, q1=0.0),
    }
    calls: list[tuple[Any, ...]] = []

    def fake_grades(root: Path, assignment: str, notebook_id: str
                    ) -> dict[str, dict[str, GradebookGrade]]:
        calls.append((root, assignment, notebook_id))
        return gradebook

    monkeypatch.setattr(scorecard.nbgrader_adapter, "grades", fake_grades)
    c.gradebook_calls = calls  # type: ignore[attr-defined]
    return c


def _by_id(results: list[CandidateResult]) -> dict[str, CandidateResult]:
    return {r.candidate: r for r in results}


def test_collect_results(course: Course, exercise: Exercise) -> None:
    results = _by_id(scorecard.collect_results(course, [exercise]))
    assert course.gradebook_calls == [(course.root, "template", "template")]  # type: ignore[attr-defined]
    assert sorted(results) == ["alice", "bob", "carol", "dave", "erin"]

    alice = results["alice"]
    assert alice.questions == {"q1": 2.0, "q2": 2.0, "w1": 2.0}
    assert alice.max_points == {"q1": 2.0, "q2": 2.0, "w1": 2.0}
    assert (alice.auto_points, alice.auto_max, alice.manual_points, alice.manual_max) == (
        4.0, 4.0, 2.0, 2.0)
    assert (alice.total, alice.total_max, alice.status) == (6.0, 6.0, "graded")
    assert alice.skills == {"Tail latency": (2.0, 2.0), "Finding what to fix first": (2.0, 2.0),
                            "Written reasoning": (2.0, 2.0)}
    assert alice.name == "Alice Smith" and alice.variant_id == "v-alice"

    bob = results["bob"]
    assert bob.questions == {"q1": 1.0, "q2": 0.0, "w1": None}
    assert bob.manual_points is None and bob.total == 1.0 and bob.total_max == 6.0
    assert bob.status == "pending"
    assert bob.question_status == {"q1": "graded", "q2": "graded", "w1": "pending"}
    assert bob.scored_by == {"q1": "autograded", "q2": "autograded"}
    assert bob.skills == {"Tail latency": (1.0, 2.0), "Finding what to fix first": (0.0, 2.0),
                          "Written reasoning": (0.0, 0.0)}

    carol = results["carol"]  # blank written answer: nbgrader's auto 0 counts as graded
    assert carol.questions == {"q1": 1.0, "q2": 2.0, "w1": 0.0}
    assert carol.manual_points == 0.0 and carol.status == "graded"

    assert results["dave"].status == "run failed: timed out after 60 s"
    assert results["dave"].failure == "timed out after 60 s"

    erin = results["erin"]
    assert erin.status == "not submitted"
    assert erin.total == 0.0 and erin.total_max == 6.0 and erin.sandbox == ""
    assert erin.question_status == {"q1": "not submitted", "q2": "not submitted",
                                    "w1": "not submitted"}


def test_nothing_submitted_never_opens_the_gradebook(
    tmp_path: Path, exercise: Exercise, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = init_course(tmp_path / "c", secret=b"x")
    c.save_candidates({"zed": Candidate("zed")})
    c.variant_path("template", "zed").parent.mkdir(parents=True)
    c.variant_path("template", "zed").write_text(json.dumps({"variant_id": "v9",
                                                             "key_sha256": "abc"}))

    def boom(*args: object) -> None:
        raise AssertionError("gradebook opened")

    monkeypatch.setattr(scorecard.nbgrader_adapter, "grades", boom)
    [r] = scorecard.collect_results(c, [exercise])
    assert (r.status, r.variant_id, r.key_sha256, r.total) == ("not submitted", "v9", "abc", 0.0)
    assert not (c.root / "gradebook.db").exists()


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def test_wide_csv_has_one_row_per_candidate(course: Course, exercise: Exercise,
                                            tmp_path: Path) -> None:
    """Does scores.csv have one row per candidate, an EXERCISE.QUESTION column per
    question, the totals and a plain status?"""
    path = tmp_path / "out" / "scores.csv"
    scorecard.write_wide_csv(scorecard.collect_results(course, [exercise]), path)
    header, rows = _read(path)
    assert header == ["candidate_id", "name", "template.q1", "template.q2", "template.w1",
                      "template.total", "total", "max_points", "graded_max", "status", "late",
                      "late_penalty"]
    by = {r["candidate_id"]: r for r in rows}
    assert list(by) == ["alice", "bob", "carol", "dave", "erin"]
    assert by["alice"] == {"candidate_id": "alice", "name": "Alice Smith", "template.q1": "2",
                           "template.q2": "2", "template.w1": "2", "template.total": "6",
                           "total": "6", "max_points": "6", "graded_max": "6",
                           "status": "graded", "late": "", "late_penalty": ""}
    assert (by["bob"]["template.q2"], by["bob"]["template.w1"], by["bob"]["total"],
            by["bob"]["graded_max"], by["bob"]["status"]) == ("0", "", "1", "4", "pending")
    assert (by["carol"]["template.w1"], by["carol"]["name"]) == ("0", XSS)
    assert by["dave"]["status"] == "run failed"
    assert (by["erin"]["status"], by["erin"]["total"]) == ("not submitted", "0")


def test_long_csv_columns_and_statuses(course: Course, exercise: Exercise,
                                       tmp_path: Path) -> None:
    """Does scores_long.csv start with exactly the documented columns, leave points empty
    while pending, and use plain status words?"""
    path = tmp_path / "scores_long.csv"
    scorecard.write_long_csv(scorecard.collect_results(course, [exercise]), path)
    header, rows = _read(path)
    assert header[:6] == ["candidate_id", "exercise", "question", "points", "max_points",
                          "status"]
    assert header == list(scorecard.LONG_COLUMNS)
    got = {(r["candidate_id"], r["question"]): (r["points"], r["max_points"], r["status"],
                                                r["kind"], r["scored_by"]) for r in rows}
    assert got == {
        ("alice", "q1"): ("2", "2", "graded", "auto", "autograded"),
        ("alice", "q2"): ("2", "2", "graded", "auto", "autograded"),
        ("alice", "w1"): ("2", "2", "graded", "written", "grader"),
        ("bob", "q1"): ("1", "2", "graded", "auto", "autograded"),
        ("bob", "q2"): ("0", "2", "graded", "auto", "autograded"),
        ("bob", "w1"): ("", "2", "pending", "written", ""),
        ("carol", "q1"): ("1", "2", "graded", "auto", "autograded"),
        ("carol", "q2"): ("2", "2", "graded", "auto", "autograded"),
        ("carol", "w1"): ("0", "2", "graded", "written", "autograded"),
        ("dave", "q1"): ("0", "2", "graded", "auto", "autograded"),
        ("dave", "q2"): ("0", "2", "graded", "auto", "autograded"),
        ("dave", "w1"): ("0", "2", "graded", "written", "grader"),
        ("erin", "q1"): ("0", "2", "not submitted", "auto", ""),
        ("erin", "q2"): ("0", "2", "not submitted", "auto", ""),
        ("erin", "w1"): ("0", "2", "not submitted", "written", ""),
    }
    dave = next(r for r in rows if r["candidate_id"] == "dave")
    assert dave["note"] == "timed out after 60 s" and dave["sandbox"] == "docker"


def test_readme_documents_both_csv_files() -> None:
    """Does the README name both CSV files and the long file's first columns?"""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "reports/scores_long.csv" in readme and "reports/scores.csv" in readme
    assert "`candidate_id, exercise, question, points, max_points, status`" in readme
    for word in ("`graded`", "`pending`", "`not submitted`", "`changed since marked`"):
        assert word in readme


def test_csv_neutralises_formulas(tmp_path: Path) -> None:
    r = _plain("mallory", "x", 1.0, name="=HYPERLINK(\"http://evil\")")
    scorecard.write_wide_csv([r], tmp_path / "s.csv")
    [row] = _read(tmp_path / "s.csv")[1]
    assert row["name"].startswith("'=")


def test_leaderboard_order_and_ties(course: Course, exercise: Exercise) -> None:
    rows = scorecard.leaderboard(scorecard.collect_results(course, [exercise]))
    assert [(r.rank, r.candidate, r.total, r.total_max, r.status) for r in rows] == [
        (1, "alice", 6.0, 6.0, "graded"),
        (2, "carol", 3.0, 6.0, "graded"),
        (3, "dave", 0.0, 6.0, "run failed: timed out after 60 s"),
        (3, "erin", 0.0, 6.0, "not submitted"),
        (None, "bob", 1.0, 6.0, "pending"),
    ]
    text = scorecard.format_leaderboard(rows)
    lines = text.splitlines()
    assert lines[0].split() == ["rank", "candidate", "auto", "written", "total", "%", "status"]
    alice, bob = rows[0], rows[4]
    assert lines[2].split() == [
        "1", "alice", f"{alice.auto:g}/{alice.auto_max:g}",
        f"{alice.written:g}/{alice.written_max:g}", "6/6", "100", "graded",
    ]
    assert bob.written is None and lines[6].split()[:6] == [
        "-", "bob", "1/4", "pending", "1/6", "so"]
    assert lines[6].split()[6] == "far" and lines[6].split()[7] == "-"
    assert "not submitted" in lines[5] and "erin" in lines[5]
    assert lines[-1].startswith("not ranked: 1 candidate with answers still to grade")
    assert scorecard.format_leaderboard([]) == "no candidates assigned yet"


def _plain(cid: str, exercise: str, total: float, status: str = "graded", name: str = ""
           ) -> CandidateResult:
    return CandidateResult(
        candidate=cid, name=name, exercise=exercise, variant_id="v", questions={"q1": total},
        max_points={"q1": 10.0}, auto_points=total, auto_max=10.0, manual_points=0.0,
        manual_max=0.0, total=total, total_max=10.0, skills={"S": (total, 10.0)}, failure=None,
        sandbox="docker", key_sha256="k", submission_sha256="s", status=status,
    )


def test_leaderboard_sums_across_exercises() -> None:
    results = [
        _plain("b", "one", 5.0), _plain("b", "two", 5.0),
        _plain("a", "one", 9.0), _plain("a", "two", 1.0, status="not submitted"),
        _plain("c", "one", 2.0),
    ]
    assert [(r.rank, r.candidate, r.total, r.total_max, r.status)
            for r in scorecard.leaderboard(results)] == [
        (1, "a", 10.0, 20.0, "two: not submitted"),
        (1, "b", 10.0, 20.0, "graded"),
        (3, "c", 2.0, 10.0, "graded"),
    ]


def test_scorecards(course: Course, exercise: Exercise, tmp_path: Path) -> None:
    out = tmp_path / "html"
    results = scorecard.collect_results(course, [exercise])
    paths = scorecard.write_scorecards(results, [exercise], out)
    assert [p.name for p in paths] == [
        "candidate-alice.html", "candidate-bob.html", "candidate-carol.html",
        "candidate-dave.html", "candidate-erin.html", "index.html",
    ]
    html = {p.name.removeprefix("candidate-").removesuffix(".html"): p.read_text()
            for p in paths}

    for cid in ("alice", "bob", "carol", "dave", "erin"):
        page = html[cid]
        assert "Tail latency" in page and "Written reasoning" in page
        assert "Median, p95 and the share over budget" in page
        assert "data:image/png;base64,iVBORw0KGgo" in page
        assert 'href="index.html"' in page
        for value in ANSWERS.values():  # no answer values, in any spelling
            assert str(value) not in page
        assert "123.5" not in page and "987.7" not in page and "13.6%" not in page
        assert ("graded without a sandbox" in page) == (cid == "bob")
        assert "<link" not in page and "<script src" not in page  # self-contained

    among = " (among fully graded candidates; 1 more not ranked until graded)"
    assert f"is 1st of 4, ahead of all of the 3 others{among}." in html["alice"]
    assert "is not ranked yet: answers await a grader (1 points on the 4 graded so far)" \
        in html["bob"]
    assert f"is tied 3rd–4th of 4 with 1 other, ahead of none of the 3 others{among}." \
        in html["erin"]
    assert "Written answers not graded yet" in html["bob"]
    assert "Written answers not graded yet" not in html["alice"]
    assert "<dt>run failed</dt>" in html["dave"] and "<dt>run failed</dt>" not in html["alice"]
    assert "<dt>unsandboxed</dt>" in html["bob"] and "<dt>not submitted</dt>" in html["erin"]
    assert "Run failed: timed out after 60 s" in html["dave"]
    assert "Not submitted" in html["erin"]

    assert XSS not in html["carol"] and "&lt;script&gt;alert(1)&lt;/script&gt;" in html["carol"]

    index = html["index"]
    assert XSS not in index and "&lt;script&gt;" in index
    for cid in ("alice", "bob", "carol", "dave", "erin"):
        assert f'href="candidate-{cid}.html"' in index
    assert index.index("candidate-alice.html") < index.index("candidate-erin.html")
    assert "Is the median enough?" in index and "item-rest corr." in index
    for value in ANSWERS.values():
        assert str(value) not in index


def test_item_analysis_means_and_hidden_correlation(course: Course, exercise: Exercise
                                                    ) -> None:
    """Below the minimum n, is the correlation hidden with its reason, and n shown?"""
    results = scorecard.collect_results(course, [exercise])
    [ex] = item_analysis(results, [exercise])
    q1, q2, w1 = ex["items"]
    # submitted: alice 2, bob 1, carol 1, dave 0 on q1 -> mean 1 of 2
    assert q1["n"] == 4 and q1["mean_pct"] == pytest.approx(50.0)
    # alice 2, bob 0, carol 2, dave 0 on q2 -> mean 1 of 2
    assert q2["n"] == 4 and q2["mean_pct"] == pytest.approx(50.0)
    # w1 graded for alice 2, carol 0, dave 0 (bob awaits) -> mean 2/3 of 2
    assert w1["n"] == 3 and w1["mean_pct"] == pytest.approx(100.0 / 3)
    assert q1["corr"] is None and q1["corr_note"] == f"needs {MIN_N} graded candidates, has 3"
    assert corr([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]) is None


def test_item_total_correlation_leaves_the_item_out_of_the_total() -> None:
    """Is the correlation taken against the rest of the total, so that one candidate
    scoring an item no longer reads as a near-perfect correlation?"""
    # one of six candidates scored q1 (3 points); the rest of the total is unrelated
    pairs = [(3.0, 3.0 + 1.0), (0.0, 5.0), (0.0, 2.0), (0.0, 4.0), (0.0, 1.0), (0.0, 3.0)]
    uncorrected = corr([p for p, _ in pairs], [t for _, t in pairs])
    assert uncorrected is not None and uncorrected > 0.2
    r, why = corrected_item_total(pairs)
    assert why == "" and r == pytest.approx(corr([3.0, 0, 0, 0, 0, 0], [1.0, 5, 2, 4, 1, 3]))
    assert r is not None and r < 0
    assert corrected_item_total([(1.0, 2.0)] * 6) == (None, "every candidate scored the same")
    same_rest = [(float(i % 2), 1.0 + i % 2) for i in range(6)]
    assert corrected_item_total(same_rest) == (None, "the rest of the total has no spread")


def test_item_analysis_small_or_flat_cohort(exercise: Exercise, tmp_path: Path) -> None:
    same = [replace(_plain(c, "template", 1.0), max_points={"q1": 2.0}) for c in "ab"]
    paths = scorecard.write_scorecards(same, [exercise], tmp_path)
    index = paths[-1].read_text()
    assert "nan" not in index.lower()
    assert f"needs {MIN_N} graded candidates, has 2" in index
    for path in paths[:2]:
        assert "tied 1st–2nd of 2 with 1 other, ahead of none of the 1 other" in \
            path.read_text()


def test_build_report(course: Course, exercise: Exercise) -> None:
    report = scorecard.build_report(course, [exercise])
    assert report.html_dir == course.root / "reports"
    assert report.csv_path == course.root / "reports" / "scores.csv"
    assert report.long_csv_path == course.root / "reports" / "scores_long.csv"
    assert report.csv_path.exists() and report.long_csv_path.exists()
    assert (report.html_dir / "index.html").exists()
    assert (report.html_dir / "candidate-erin.html").exists()
    assert len(report.results) == 5


def test_a_status_shared_by_several_exercises_is_said_once():
    from types import SimpleNamespace

    from evalround.results import GRADED
    from evalround.standing import overall_status

    def r(exercise, status):
        return SimpleNamespace(exercise=exercise, status=status)

    waiting = "pending"
    assert overall_status([r("a", waiting), r("b", waiting), r("c", GRADED)]) == \
        "pending (a, b)"
    assert overall_status([r("a", waiting), r("b", "not submitted")]) == \
        "a: pending; b: not submitted"
    assert overall_status([r("a", GRADED), r("b", GRADED)]) == GRADED


# -- grader comments, rubric items, standing, charts ---------------------------------


def test_defaults_for_comments_and_rubric() -> None:
    r = _plain("a", "x", 1.0)
    assert r.comments == {} and r.rubric == {}
    assert _plain("b", "x", 1.0).comments is not r.comments  # no shared mutable default


def test_comments_carried_and_shown_beside_their_question(
    course: Course, exercise: Exercise, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    comment = f"Names the tail, not the users. {XSS}"
    book = {
        "alice": {**_w1(None, 2.0), "w1": GradebookGrade("w1", None, 2.0, 2.0, comment)},
        "bob": {**_w1(None, None), "w1": GradebookGrade("w1", None, None, 2.0, "  \n ")},
        "carol": _w1(0.0, None),
    }
    monkeypatch.setattr(scorecard.nbgrader_adapter, "grades", lambda *a: book)
    results = _by_id(scorecard.collect_results(course, [exercise]))
    assert results["alice"].comments == {"w1": comment}
    assert results["bob"].comments == {}  # a blank comment is no comment
    assert results["erin"].comments == {}

    paths = scorecard.write_scorecards(list(results.values()), [exercise], tmp_path)
    alice = (tmp_path / "candidate-alice.html").read_text()
    assert XSS not in alice
    escaped = "Names the tail, not the users. &lt;script&gt;alert(1)&lt;/script&gt;"
    block = alice[alice.index('id="template-w1"'):]
    block = block[:block.index("</div>")]
    assert "Is the median enough?" in block and "2 / 2" in block and escaped in block
    assert "Grader's comment" in block
    bob = (tmp_path / "candidate-bob.html").read_text()
    assert "Not graded yet." in bob and "Grader's comment" not in bob
    carol = (tmp_path / "candidate-carol.html").read_text()
    assert "No comment from the grader." in carol
    assert len(paths) == 6


@pytest.mark.slow
def test_comments_come_from_the_nbgrader_gradebook(
    tmp_path: Path, template: Exercise
) -> None:
    """A comment typed in the formgrader (nbgrader's manual_comment) reaches the scorecard."""
    from datetime import datetime, timezone

    from evalround import nbgrader_adapter
    from evalround.assignment import assign, release_notebook

    c = init_course(tmp_path / "course", secret=b"test-secret")
    assign(c, [template], [Candidate("alice", "Alice A"), Candidate("bob")], progress=False)
    nb = release_notebook(c, "template")
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "w1":
            cell.source = "The median hides the tail."
    for cid in ("alice", "bob"):
        nbgrader_adapter.record_autograde(c.root, "template", cid, "template",
                                          {"q1": 2.0, "q2": 2.0}, nb,
                                          datetime.now(timezone.utc))
        path = c.grade_path("template", cid)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(_record(cid, 2.0, 2.0))))
    nbgrader_adapter.set_manual_score(c.root, "template", "template", "alice", "w1", 1.5)
    with nbgrader_adapter.gradebook(c.root) as gb:
        gb.find_comment("w1", "template", "template", "alice").manual_comment = (
            "Sees the tail; says nothing of <em>users</em>.")
        gb.db.commit()

    results = _by_id(scorecard.collect_results(c, [template]))
    assert results["alice"].comments == {"w1": "Sees the tail; says nothing of <em>users</em>."}
    assert results["alice"].questions == {"q1": 2.0, "q2": 2.0, "w1": 1.5}
    assert results["bob"].comments == {} and results["bob"].status == "pending"
    scorecard.write_scorecards(list(results.values()), [template], tmp_path / "html")
    page = (tmp_path / "html" / "candidate-alice.html").read_text()
    assert "Sees the tail; says nothing of &lt;em&gt;users&lt;/em&gt;." in page


def _items(tail: bool, users: bool, criterion: str = "Says p95 is {q1_p95_ms:.0f} ms."
           ) -> list[dict[str, Any]]:
    return [{"id": "w1-tail", "points": 1.0, "earned": tail, "criterion": criterion},
            {"id": "w1-users", "points": 1.5, "earned": users, "criterion": f"Users {XSS}."}]


def test_each_graders_checklist_adds_up_to_their_score(
    course: Course, exercise: Exercise, tmp_path: Path
) -> None:
    """With two graders who disagree, does each checklist add up to that grader's score,
    and the shown score to their mean, instead of one union list of every item?"""
    results = _by_id(scorecard.collect_results(course, [exercise]))
    rubric = {"w1": [{"grader": "rhea", "score": 1.0, "items": _items(True, False)},
                     {"grader": "sam", "score": 2.0, "items": _items(True, True)}]}
    book = {"w1": 1.5}
    results["alice"] = replace(results["alice"], rubric=rubric,
                               questions={**results["alice"].questions, **book})
    scorecard.write_scorecards(list(results.values()), [exercise], tmp_path)
    page = (tmp_path / "candidate-alice.html").read_text()
    block = page[page.index('id="template-w1"'):]
    block = block[:block.index("</div>")]
    assert "rhea: rubric items met 1 of 2.5 points" in block
    assert "sam: rubric items met 2 of 2.5 points" in block  # clipped to 2 by mark_score
    assert block.count("✓") == 3 and block.count('class="missed"') == 1
    assert "1.5 / 2" in block and "the mean of their scores, 1.5" in block
    assert f"Users {XSS}" not in page and "Users &lt;script&gt;" in block
    assert 'class="rubric"' not in (tmp_path / "candidate-bob.html").read_text()


def test_graders_who_agree_share_one_checklist(course: Course, exercise: Exercise,
                                                tmp_path: Path) -> None:
    results = _by_id(scorecard.collect_results(course, [exercise]))
    rubric = {"w1": [{"grader": g, "score": 1.0, "items": _items(True, False)}
                     for g in ("rhea", "sam")]}
    results["alice"] = replace(results["alice"], rubric=rubric,
                               questions={**results["alice"].questions, "w1": 1.0})
    scorecard.write_scorecards(list(results.values()), [exercise], tmp_path)
    page = (tmp_path / "candidate-alice.html").read_text()
    block = page[page.index('id="template-w1"'):]
    assert "rhea and sam: rubric items met 1 of 2.5 points" in block
    assert block.index('data-item="w1-tail"') < block.index('data-item="w1-users"')
    assert block[:block.index("</div>")].count("✓") == 1


def test_rubric_criteria_show_the_candidates_own_numbers() -> None:
    """Are the candidate's variant numbers filled into rubric items, as on the feedback
    page, and only a placeholder the key lacks shown as an ellipsis?"""
    from evalround.results import criterion_text
    from evalround.rubric import RubricItem

    item = RubricItem("w1-tail", "w1", 1.0,
                      "p95 is {q1_p95_ms:.0f} ms against a median of {q1_p50_ms:.0f} ms.")
    assert criterion_text(item, {"q1_p95_ms": 412.3, "q1_p50_ms": 120.0}) == (
        "p95 is 412 ms against a median of 120 ms.")
    assert criterion_text(item, {}) == "p95 is … ms against a median of … ms."


def test_standing_in_words() -> None:
    from evalround.standing import ordinal, standing

    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112)
            ] == ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd",
                  "101st", "111th", "112th"]
    totals = {f"c{i}": float(i) for i in range(12)}  # c11 first ... c0 last
    assert standing("c9", totals)["words"] == "3rd of 12, ahead of 9 of the 11 others"
    assert standing("c0", totals)["words"] == "12th of 12, ahead of none of the 11 others"
    assert standing("c11", totals)["words"] == "1st of 12, ahead of all of the 11 others"
    tied = {"a": 3.0, "b": 3.0, "c": 3.0, "d": 1.0}
    assert standing("b", tied)["words"] == (
        "tied 1st–3rd of 4 with 2 others, ahead of 1 of the 3 others")
    assert standing("a", {"a": 2.0})["words"] == "the only candidate so far"


def test_a_tie_at_the_bottom_reads_as_a_tie_ahead_of_nobody() -> None:
    """0 of 22, tied with six others: not "2nd of 8, ahead of 43% of the cohort"."""
    from evalround.standing import standing

    totals = {"top": 18.0, **{f"z{i}": 0.0 for i in range(7)}}
    words = standing("z0", totals)
    assert words["words"] == "tied 2nd–8th of 8 with 6 others, ahead of none of the 7 others"
    assert words["below"] == 0 and words["percentile"] == 0


def test_pending_written_answers_are_not_ranked_as_zero() -> None:
    """Is a candidate with pending written answers left unranked, with graded points
    labelled as such, rather than ranked as if pending scored 0?"""
    done = replace(_plain("a", "x", 6.0), questions={"q1": 6.0, "w1": 2.0},
                   max_points={"q1": 10.0, "w1": 4.0}, total=8.0, total_max=14.0)
    waiting = replace(_plain("b", "x", 7.0), questions={"q1": 7.0, "w1": None},
                      max_points={"q1": 10.0, "w1": 4.0}, total=7.0, total_max=14.0,
                      manual_points=None, status="pending")
    rows = scorecard.leaderboard([done, waiting])
    assert [(r.candidate, r.rank, r.graded_max) for r in rows] == [("a", 1, 14.0),
                                                                   ("b", None, 10.0)]
    text = scorecard.format_leaderboard(rows)
    b_line = text.splitlines()[3].split()
    assert b_line[:7] == ["-", "b", "7/10", "pending", "7/14", "so", "far"]
    assert b_line[7] == "-"  # no percentage that mixes graded and pending points
    assert "not ranked: 1 candidate" in text


def _png(uri: str) -> Any:
    import base64
    import io

    from PIL import Image

    assert uri.startswith("data:image/png;base64,")
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGB")


def _orange_pixels(image: Any) -> int:
    import numpy as np

    accent = np.array([int(report_charts.ACCENT[i:i + 2], 16) for i in (1, 3, 5)])
    close = np.abs(np.asarray(image, dtype=int) - accent).max(axis=2) < 12
    return int(close.sum())


def test_charts_drawn_once_per_cohort_and_marked_per_candidate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []

    class CountedCohort(report_charts.CohortChart):
        def __init__(self, *args: Any) -> None:
            made.append("cohort")
            super().__init__(*args)

    class CountedSkills(report_charts.SkillChart):
        def __init__(self, *args: Any) -> None:
            made.append("skills")
            super().__init__(*args)

    monkeypatch.setattr(report_charts, "CohortChart", CountedCohort)
    monkeypatch.setattr(report_charts, "SkillChart", CountedSkills)
    results = [_plain(f"c{i:02d}", ex, float((i * 7) % 11), name=f"Cand {i}")
               for ex in ("one", "two") for i in range(12)]
    paths = scorecard.write_scorecards(results, [], tmp_path)
    # one overall chart, one standing chart and one skill chart per exercise: not per page
    assert sorted(made) == ["cohort"] * 3 + ["skills"] * 2
    srcs = [re.findall(r'src="(data:image/png;base64,[^"]+)"', p.read_text()) for p in paths]
    assert all(len(s) == 5 for s in srcs[:-1]) and len(srcs[-1]) == 1
    overall = [_png(s[0]) for s in srcs[:-1]]
    assert all(im.size == overall[0].size for im in overall)
    assert len({im.tobytes() for im in overall}) == 12  # each candidate marked in their own
    assert all(_orange_pixels(im) > 50 for im in overall)
    assert _orange_pixels(_png(srcs[-1][0])) == 0  # the index shows the cohort unmarked


def _stock_export(root: Path) -> dict[tuple[str, str], float]:
    """(student, assignment) -> score, as stock ``nbgrader export`` writes it."""
    from evalround import nbgrader_adapter

    out = root / "stock-export.csv"
    nbgrader_adapter.run_stock_app(root, ["export", "--to", str(out)])
    with out.open(newline="") as fh:
        return {(r["student_id"], r["assignment"]): float(r["score"])
                for r in csv.DictReader(fh)}


def _long_totals(path: Path) -> dict[tuple[str, str], float]:
    totals: dict[tuple[str, str], float] = {}
    for row in _read(path)[1]:
        key = (row["candidate_id"], row["exercise"])
        totals[key] = totals.get(key, 0.0) + float(row["points"] or 0)
    return totals


@pytest.mark.slow
def test_a_formgrader_override_of_an_autograded_cell_is_reported_as_one(
    tmp_path: Path, template: Exercise
) -> None:
    """When a grader overrides an autograded cell in the formgrader, do the report, the
    CSV and the scorecard read the gradebook's score, say it is an override, and agree
    with stock nbgrader export?"""
    from datetime import datetime, timezone

    from evalround import nbgrader_adapter
    from evalround.assignment import assign, release_notebook

    c = init_course(tmp_path / "course", secret=b"test-secret")
    assign(c, [template], [Candidate("alice", "Alice A"), Candidate("bob")], progress=False)
    nb = release_notebook(c, "template")
    for cid in ("alice", "bob"):
        nbgrader_adapter.record_autograde(c.root, "template", cid, "template",
                                          {"q1": 2.0, "q2": 2.0}, nb,
                                          datetime.now(timezone.utc))
        path = c.grade_path("template", cid)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(_record(cid, 2.0, 2.0))))
    # the formgrader's manual score on the autograded cell q1
    nbgrader_adapter.set_manual_score(c.root, "template", "template", "alice", "q1", 0.5)

    report = scorecard.build_report(c, [template])
    alice = _by_id(report.results)["alice"]
    assert alice.questions["q1"] == 0.5 and alice.scored_by["q1"] == "override"
    assert alice.auto_points == 0.5 + 2.0  # q2 keeps its autograded score
    rows = {(r["candidate_id"], r["question"]): r for r in _read(report.long_csv_path)[1]}
    assert (rows[("alice", "q1")]["points"], rows[("alice", "q1")]["scored_by"]) == (
        "0.5", "override")
    assert rows[("bob", "q1")]["scored_by"] == "autograded"
    page = (report.html_dir / "candidate-alice.html").read_text()
    assert "0.5 / 2 <span class=\"override\">(override)</span>" in page
    assert "<dt>override</dt>" in page
    assert _long_totals(report.long_csv_path) == _stock_export(c.root)
