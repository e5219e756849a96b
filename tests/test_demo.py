"""The demo: the whole loop on the simulated cohort ranks candidates by quality."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from evalround.course import Course, CourseError, init_course
from evalround.demo import reset_demo_course, run_demo
from evalround.exercise import discover_exercises, find_exercise
from evalround.scoring import score_answers
from evalround.simulation import DEMO_COHORT

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


EXERCISES = sorted(discover_exercises(REPO / "exercises"))
COHORT = tuple(who.candidate.id for who in DEMO_COHORT)
MARKED = ("ada", "ben", "chiara", "felix", "gus")  # wrote something for the graders to mark


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo as `make demo` runs it: every exercise, the simulated cohort."""
    root = tmp_path_factory.mktemp("demo")
    exercises = list(discover_exercises(REPO / "exercises").values())
    return root, run_demo(root, exercises, jobs=2, progress=False)


def _points(result, slug):
    return {r.candidate: r.auto_points for r in result.records if r.exercise == slug}


def test_every_submission_is_collected_and_graded(demo):
    _, result = demo
    assert [o.status for o in result.outcomes] == ["accepted"] * len(COHORT) * len(EXERCISES)
    assert sorted((r.exercise, r.candidate) for r in result.records) == sorted(
        (slug, c) for slug in EXERCISES for c in COHORT)
    assert all(r.failure is None for r in result.records)
    assert all(r.sandbox == "bubblewrap" for r in result.records)


@pytest.mark.parametrize("slug", EXERCISES)
def test_each_exercise_ranks_by_quality(demo, slug):
    """strong > misses the subtle point > aggregate only > blank, copier below the strong."""
    _, result = demo
    points = _points(result, slug)
    full = next(r.auto_max for r in result.records if r.exercise == slug)
    assert points["ada"] == full
    assert points["ada"] > points["ben"] > points["chiara"] > points["dev"] == 0.0
    assert points["felix"] < points["ada"]


def test_leaderboard_ranks_by_quality(demo):
    _, result = demo
    order = [line.split()[1] for line in result.leaderboard.splitlines()[2:]]
    assert order.index("ada") < order.index("ben") < order.index("chiara") < order.index("dev")


@pytest.mark.parametrize("slug", EXERCISES)
def test_tamperer_scores_what_its_untampered_answers_score(demo, slug):
    """eve ran the reference code and tampered with everything else: full marks, no more."""
    _, result = demo
    points = _points(result, slug)
    full = next(r.auto_max for r in result.records if r.exercise == slug)
    assert points["eve"] == points["ada"] == full


@pytest.mark.parametrize("slug", EXERCISES)
def test_copier_scores_exactly_what_the_copied_answers_earn_on_its_own_variant(demo, slug):
    """felix submits ada's answers: graded against felix's key, not ada's."""
    root, result = demo
    exercise = find_exercise(slug, REPO / "exercises")
    course = Course(root)
    ada_key = course.load_variant(slug, "ada")["key"]
    felix_key = course.load_variant(slug, "felix")["key"]
    expected = score_answers(exercise.manifest, felix_key, ada_key)
    felix = next(r for r in result.records if r.candidate == "felix" and r.exercise == slug)
    assert felix.scores == {q: s.points for q, s in expected.items()}
    assert felix.auto_points < felix.auto_max


def test_report_has_one_row_and_one_scorecard_per_candidate(demo):
    root, result = demo
    rows = list(csv.DictReader(result.report.csv_path.open()))
    assert [r["candidate_id"] for r in rows] == sorted(COHORT)
    assert {f"{slug}.{q}" for slug in EXERCISES for q in ("q1", "q2", "w1")} <= set(rows[0])
    assert all(r["status"] == "graded" for r in rows)
    pages = sorted(p.name for p in result.report.html_dir.glob("*.html"))
    assert "index.html" in pages and len(pages) == len(COHORT) + 1


def test_long_csv_totals_equal_stock_nbgrader_export(demo):
    """Does reports/scores_long.csv add up, per candidate and exercise, to the scores stock
    `nbgrader export` reads from the same gradebook, for every exercise?"""
    from evalround import nbgrader_adapter

    root, result = demo
    assert result.report.long_csv_path == root / "reports" / "scores_long.csv"
    totals: dict[tuple[str, str], float] = {}
    for row in csv.DictReader(result.report.long_csv_path.open()):
        key = (row["candidate_id"], row["exercise"])
        totals[key] = round(totals.get(key, 0.0) + float(row["points"] or 0), 4)
    out = root / "stock-export.csv"
    nbgrader_adapter.run_stock_app(root, ["export", "--to", str(out)])
    # the demo course is blind: the gradebook knows candidates by code, with no names
    course = Course(root)
    rows = list(csv.DictReader(out.open()))
    assert {r["student_id"] for r in rows} == {course.student_id(c) for c in COHORT}
    assert not any(r["first_name"] or r["last_name"] or r["email"] for r in rows)
    stock = {(course.candidate_of(r["student_id"]), r["assignment"]): round(float(r["score"]), 4)
             for r in rows}
    assert {slug for _, slug in stock} == set(EXERCISES)
    assert totals == stock
    assert any(v > 0 for v in totals.values())


def test_demo_refuses_to_clear_a_real_course(tmp_path):
    init_course(tmp_path)
    with pytest.raises(CourseError, match="holds a real course"):
        reset_demo_course(tmp_path)


KEPT = ("source", "release", "autograded")


def _folder_readme(name: str) -> str:
    from importlib import resources

    return (resources.files("evalround") / "templates" / f"folder_{name}.md").read_text()


def test_a_demo_reset_keeps_the_folders_readmes(tmp_path):
    """Does a reset clear what a demo wrote in source/, release/ and autograded/, and
    keep the README.md `evalround init` wrote into each?"""
    init_course(tmp_path, demo=True)
    for name in KEPT:
        (tmp_path / name / "triage-eval").mkdir()
        (tmp_path / name / "triage-eval" / "triage-eval.ipynb").write_text("{}")
        (tmp_path / name / "stray.txt").write_text("made by a run")
    reset_demo_course(tmp_path)
    for name in KEPT:
        assert sorted(p.name for p in (tmp_path / name).iterdir()) == ["README.md"]
        assert (tmp_path / name / "README.md").read_text() == _folder_readme(name)


@pytest.mark.parametrize("name", KEPT)
def test_every_course_gets_the_folders_readme_and_git_ignores_the_course_output(
        name, tmp_path):
    """Does `evalround init` write source/ (release/, autograded/) with a README saying
    what nbgrader keeps there and that `make demo` fills it here, while everything in the
    folder, the README included, stays out of git?"""
    import subprocess

    init_course(tmp_path)
    readme = (tmp_path / name / "README.md").read_text()
    assert readme == _folder_readme(name)
    assert readme.startswith(f"# {name}/") and "`make demo`\nfills the folder" in readme

    def ignored(path: str) -> bool:
        proc = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=REPO,
                              timeout=60)
        assert proc.returncode in (0, 1), proc
        return proc.returncode == 0

    for generated in (f"{name}/README.md", f"{name}/triage-eval/triage-eval.ipynb",
                      f"{name}/dana/drift", f"{name}/notes.txt"):
        assert ignored(generated), generated


def test_two_simulated_graders_mark_every_written_answer_blind(demo):
    """rhea and sam mark each non-blank written answer; the gradebook holds their mean."""
    from evalround import nbgrader_adapter
    from evalround.rubric import RubricStore, current_items, mark_score

    root, result = demo
    course = Course(root)
    store = RubricStore(course)
    for slug in EXERCISES:
        exercise = find_exercise(slug, REPO / "exercises")
        written = exercise.manifest.written_questions
        items = current_items(course, exercise)
        marks = store.marks(slug)
        assert sorted({(m.candidate, m.question) for m in marks}) == sorted(
            (c, q.id) for c in MARKED for q in written)
        gradebook = course.by_candidate(nbgrader_adapter.grades(root, slug, slug))
        for cid in MARKED:
            for q in written:
                mine = [m for m in marks if (m.candidate, m.question) == (cid, q.id)]
                assert [m.grader for m in mine] == ["rhea", "sam"]
                mean = sum(mark_score(items[q.id], m.items, q.points) for m in mine) / 2
                assert gradebook[cid][q.id].manual_score == pytest.approx(mean)
                assert gradebook[cid][q.id].comment.startswith("rhea: Earns")
        for cid in ("dev", "eve"):  # blank written answers: nbgrader's 0, nothing to mark
            assert all(gradebook[cid][q.id].score == 0 for q in written)
    assert "pending" not in result.leaderboard
    assert all(line.rstrip().endswith("graded") for line in result.leaderboard.splitlines()[2:])


def test_demo_calibration_reports_every_exercise(demo):
    _, result = demo
    assert sorted(c.exercise for c in result.calibration) == EXERCISES
    for cal in result.calibration:
        exercise = find_exercise(cal.exercise, REPO / "exercises")
        assert cal.graders == ("rhea", "sam")
        assert cal.answers == len(MARKED) * len(exercise.manifest.written_questions)
        assert all(r.kappa is None or -1 <= r.kappa <= 1 for r in cal.items)
        assert "kappa" in cal.summary()
    # the graders' misreads make them disagree somewhere, and the report lists where
    assert any(r.disagreements for cal in result.calibration for r in cal.items)


def test_scorecards_show_rubric_checklists_and_grader_comments(demo):
    _, result = demo
    ada = (result.report.html_dir / "candidate-ada.html").read_text()
    assert "rhea: Earns" in ada and ": rubric items met" in ada


def test_the_copier_and_only_the_copier_is_flagged_key_match(demo):
    """Does reports/integrity.csv flag felix (who pasted ada's numbers) key_match with ada
    in every exercise, and no honest candidate key_match at all?"""
    root, _ = demo
    with (root / "reports" / "integrity.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    key_rows = [r for r in rows if r["kind"] == "key_match"]
    assert sorted((r["exercise"], r["candidate"], r["other_candidate"]) for r in key_rows) == [
        (slug, "felix", "ada") for slug in EXERCISES]
    for row in key_rows:
        assert row["evidence"].split(" of ")[0].isdigit() and "equal ada's key" in row["evidence"]
        assert row["dismissed"] == "no"


def test_the_literal_candidate_stays_below_the_strong_one(demo):
    """Does gus (every stated definition right, every judgement question answered with its
    obvious reading) score below ada wherever the exercise has judgement questions?"""
    _, result = demo
    for slug in EXERCISES:
        if not find_exercise(slug).manifest.judgement_questions:
            continue
        points = _points(result, slug)
        full = next(r.auto_max for r in result.records if r.exercise == slug)
        assert points["gus"] < points["ada"] == full
        assert points["gus"] <= 0.6 * full + 1e-9


def test_the_demo_writes_item_statistics_for_every_question(demo):
    """Does reports/items.csv hold every question of every exercise, over all seven
    graded candidates, with the corrected item-total correlation in [-1, 1]?"""
    root, _ = demo
    with (root / "reports" / "items.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    expected = sorted((slug, q.id) for slug in EXERCISES
                      for q in find_exercise(slug).manifest.questions)
    assert sorted((r["exercise"], r["question"]) for r in rows) == expected
    assert {r["n"] for r in rows} == {"7"}
    for r in rows:
        assert 0.0 <= float(r["facility"]) <= 1.0
        if r["discrimination"]:
            assert -1.0 <= float(r["discrimination"]) <= 1.0


def test_named_mistakes_and_flags_reach_the_reports(demo):
    """Do the weak candidates' scorecards and scores_long.csv name the known mistakes they
    made, felix's scorecard and the cohort page flag his shared answers, and items.csv count
    the mistakes?"""
    root, result = demo
    rows = list(csv.DictReader((root / "reports" / "scores_long.csv").open()))
    named = [r for r in rows if r["diagnosis"]]
    assert {r["candidate_id"] for r in named} >= {"ben", "chiara"}
    assert not [r for r in named if r["candidate_id"] == "ada"]
    assert all(r["diagnosis"].startswith("looks like: ") for r in named)
    for r in named:  # a named mistake is a wrong answer
        assert float(r["points"]) < float(r["max_points"])
    ben = (result.report.html_dir / "candidate-ben.html").read_text()
    assert 'class="diagnosis small">looks like: ' in ben
    felix = (result.report.html_dir / "candidate-felix.html").read_text()
    assert "possible shared answer with ada" in felix
    index = (result.report.html_dir / "index.html").read_text()
    assert "felix (" in index and "Shared answers" in index
    items = list(csv.DictReader((root / "reports" / "items.csv").open()))
    assert any(r["known_mistakes"] for r in items)
