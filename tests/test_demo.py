"""The demo: the whole loop on the simulated cohort ranks candidates by quality."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from evalround.course import Course, CourseError, init_course
from evalround.demo import reset_demo_course, run_demo
from evalround.exercise import find_exercise
from evalround.scoring import score_answers

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    exercise = find_exercise("triage-eval", REPO / "exercises")
    return root, run_demo(root, [exercise], jobs=2, progress=False)


def _points(result):
    return {r.candidate: r.auto_points for r in result.records}


def test_every_submission_is_collected_and_graded(demo):
    _, result = demo
    assert [o.status for o in result.outcomes] == ["accepted"] * 6
    assert sorted(_points(result)) == ["ada", "ben", "chiara", "dev", "eve", "felix"]
    assert all(r.failure is None for r in result.records)


def test_leaderboard_ranks_by_quality(demo):
    """strong > misses calibration > aggregate only > blank, copier below the strong."""
    _, result = demo
    points = _points(result)
    full = result.records[0].auto_max
    assert points["ada"] == full
    assert points["ada"] > points["ben"] > points["chiara"] > points["dev"] == 0.0
    assert points["felix"] < points["ada"]
    order = [line.split()[1] for line in result.leaderboard.splitlines()[2:]]
    assert order.index("ada") < order.index("ben") < order.index("chiara") < order.index("dev")


def test_tamperer_scores_what_its_untampered_answers_score(demo):
    """eve ran the reference code and tampered with everything else: full marks, no more."""
    _, result = demo
    points = _points(result)
    assert points["eve"] == points["ada"] == result.records[0].auto_max


def test_copier_scores_exactly_what_the_copied_answers_earn_on_its_own_variant(demo):
    """felix submits ada's answers: graded against felix's key, not ada's."""
    root, result = demo
    exercise = find_exercise("triage-eval", REPO / "exercises")
    course = Course(root)
    ada_key = course.load_variant("triage-eval", "ada")["key"]
    felix_key = course.load_variant("triage-eval", "felix")["key"]
    expected = score_answers(exercise.manifest, felix_key, ada_key)
    felix = next(r for r in result.records if r.candidate == "felix")
    assert felix.scores == {q: s.points for q, s in expected.items()}
    lost = [q for q, s in felix.scores.items() if s < felix.max_scores[q]]
    assert len(lost) >= 4, felix.scores


def test_report_has_one_row_and_one_scorecard_per_candidate(demo):
    root, result = demo
    rows = list(csv.DictReader(result.report.csv_path.open()))
    assert sorted(r["candidate"] for r in rows) == ["ada", "ben", "chiara", "dev", "eve", "felix"]
    assert {"q1", "q2", "q3", "q4", "q5", "w1"} <= set(rows[0])
    pages = sorted(p.name for p in result.report.html_dir.glob("*.html"))
    assert "index.html" in pages and len(pages) == 7


def test_demo_refuses_to_clear_a_real_course(tmp_path):
    init_course(tmp_path)
    with pytest.raises(CourseError, match="holds a real course"):
        reset_demo_course(tmp_path)
