"""Item analysis: each statistic against a hand computation and against scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from evalround.item_analysis import (
    MIN_N,
    analyse,
    corrected_item_total,
    cronbach_alpha,
    discriminative_efficiency,
)

MAX = {"q1": 2.0, "q2": 3.0, "q3": 1.0}
# Six candidates; q3 is earned by everyone but the weakest, q2 only by the strongest.
POINTS = {
    "ada": {"q1": 2.0, "q2": 3.0, "q3": 1.0},
    "ben": {"q1": 2.0, "q2": 1.5, "q3": 1.0},
    "chi": {"q1": 1.0, "q2": 1.5, "q3": 1.0},
    "dev": {"q1": 1.0, "q2": 0.0, "q3": 1.0},
    "eve": {"q1": 0.0, "q2": 0.0, "q3": 1.0},
    "fay": {"q1": 0.0, "q2": 0.0, "q3": 0.0},
}


def test_a_small_cohort_by_hand():
    """Do facility, sd and the corrected item-total r of q1 match a hand computation?"""
    result = analyse("ex", MAX, POINTS)
    q1 = next(i for i in result.items if i.question == "q1")
    assert q1.n == 6
    # q1 shares: 1, 1, .5, .5, 0, 0 -> mean .5; sample variance = 4 x .25 / 5 = .2
    assert q1.facility == pytest.approx(0.5)
    assert q1.sd == pytest.approx(math.sqrt(0.2))
    # rest (q2 + q3): 4, 2.5, 2.5, 1, 1, 0 -> mean 11/6
    item = [2, 2, 1, 1, 0, 0]
    rest = [4, 2.5, 2.5, 1, 1, 0]
    mi, mr = 1.0, 11 / 6
    cov = sum((a - mi) * (b - mr) for a, b in zip(item, rest, strict=True)) / 5
    var_i = sum((a - mi) ** 2 for a in item) / 5
    var_r = sum((b - mr) ** 2 for b in rest) / 5
    assert q1.discrimination == pytest.approx(cov / math.sqrt(var_i * var_r))


def test_discrimination_equals_scipy_pearson_on_the_rest_score():
    """Is the discrimination of every item scipy's pearsonr with the item left out?"""
    result = analyse("ex", MAX, POINTS)
    for item in result.items:
        col = [POINTS[c][item.question] for c in POINTS]
        rest = [sum(POINTS[c].values()) - POINTS[c][item.question] for c in POINTS]
        expected = stats.pearsonr(col, rest).statistic
        assert item.discrimination == pytest.approx(expected)
        # ...which is lower than the uncorrected item-total r that counts the item twice
        total = [sum(POINTS[c].values()) for c in POINTS]
        assert item.discrimination < stats.pearsonr(col, total).statistic


def test_efficiency_is_covariance_over_its_maximum():
    """Is a perfectly ordered item at efficiency 1, and a shuffled one below?"""
    assert discriminative_efficiency([0, 1, 2, 3], [1, 2, 5, 9]) == pytest.approx(1.0)
    shuffled = discriminative_efficiency([3, 1, 2, 0], [1, 2, 5, 9])
    most = np.cov(sorted([3, 1, 2, 0]), [1, 2, 5, 9])[0, 1]
    assert shuffled == pytest.approx(np.cov([3, 1, 2, 0], [1, 2, 5, 9])[0, 1] / most)
    assert shuffled < 1


def test_cronbach_alpha_against_the_variance_formula():
    """Does alpha equal k/(k-1)(1 - sum var_i / var_total) computed with numpy?"""
    cols = [[POINTS[c][q] for c in POINTS] for q in MAX]
    arr = np.array(cols)
    expected = 3 / 2 * (1 - arr.var(axis=1, ddof=1).sum() / arr.sum(axis=0).var(ddof=1))
    assert cronbach_alpha(cols) == pytest.approx(expected)
    assert analyse("ex", MAX, POINTS).alpha == pytest.approx(expected)


def test_too_few_candidates_give_no_numbers():
    """Below the minimum n, is every statistic withheld and the reason given?"""
    few = dict(list(POINTS.items())[: MIN_N - 1])
    result = analyse("ex", MAX, few)
    assert result.alpha is None
    for item in result.items:
        assert (item.facility, item.sd, item.discrimination, item.efficiency) == (None,) * 4
        assert item.flags == (f"too few candidates (n={MIN_N - 1}, statistics need {MIN_N})",)


def test_pending_candidates_are_left_out_and_flat_items_flagged():
    """Is a candidate with a pending question left out of n, and an item everyone scored
    the same on flagged as not discriminating rather than given an r?"""
    points = {c: dict(p) for c, p in POINTS.items()}
    points["ben"]["q2"] = None  # type: ignore[assignment]
    points["zoe"] = {"q1": 2.0, "q2": 3.0, "q3": 1.0}
    flat = {c: {**p, "q3": 1.0} for c, p in points.items() if p["q2"] is not None}
    result = analyse("ex", MAX, flat)
    assert result.n == 6
    q3 = next(i for i in result.items if i.question == "q3")
    assert q3.discrimination is None and q3.facility == 1.0
    assert "does not discriminate (every candidate scored the same)" in q3.flags
    assert "too easy (facility above 90%)" in q3.flags
    assert corrected_item_total([1, 1, 1], [0, 1, 2]) is None


@pytest.mark.slow
def test_items_on_a_small_course_say_too_few(course, template, capsys):
    """On a course of three graded candidates, does `evalround items` write the CSV and
    print "too few" instead of numbers?"""
    import csv

    from evalround import cli
    from evalround.grading import grade
    from evalround.notebook import fill_answers

    from helpers import bundle_notebook, submit

    for cid in ("alice", "bob", "carol"):
        key = course.load_variant("template", cid)["key"]
        submit(course, cid, fill_answers(bundle_notebook(course, cid), template.manifest, key))
    grade(course, [template], jobs=2, progress=False)
    assert cli.main(["items", "--course", str(course.root)]) == 0
    out = capsys.readouterr().out
    assert "template: n=3, Cronbach's alpha too few" in out
    assert "  q1           3  too few" in out and "  q2           3  too few" in out
    rows = list(csv.DictReader((course.root / "reports" / "items.csv").open()))
    assert [(r["question"], r["n"], r["facility"], r["flags"]) for r in rows] == [
        ("q1", "3", "", f"too few candidates (n=3, statistics need {MIN_N})"),
        ("q2", "3", "", f"too few candidates (n=3, statistics need {MIN_N})"),
        ("w1", "3", "", f"too few candidates (n=3, statistics need {MIN_N})")]
