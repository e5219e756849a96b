"""Scorecards as a hiring manager reads them: the rendered pages in headless Chromium.

A cohort of six on two exercises (drift and the template), built from fabricated grade
records and gradebook grades with the grader's comments and rubric items. Each page is
opened from disk and read as a person would: who, how many points, where they stand,
the skills, the charts, what the grader wrote and which rubric items were met.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from evalround import results as _results
from evalround import scorecard
from evalround.exercise import Exercise, load_exercise
from evalround.grading import GradeRecord
from evalround.nbgrader_adapter import GradebookGrade
from evalround.scorecard import CandidateResult
from evalround.standing import ordinal

from browser import chromium, screenshot_path

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
LINUS = "<i>Linus</i> O'Neil & co"  # must read as typed, never as markup
ADA_DRIFT_W1 = "Good monitor design; misses the small-sample false alarm. <b>not bold</b>"
ADA_DRIFT_W2 = "Clear decision,\nwith a rollback plan."
ADA_TEMPLATE_W1 = "Names the tail, but not the users over budget."
ADA_W1_EARNED = [True, False, True, True]

# candidate -> (name, {exercise: (auto scores, written scores, failure, sandbox)});
# a missing exercise was not submitted. Written None: awaiting a grader.
COHORT: dict[str, tuple[str, dict[str, Any]]] = {
    "grace": ("Grace Hopper", {
        "drift": ({"q1": 2, "q2": 1, "q3": 2, "q4": 2, "q5": 3, "q6": 2},
                  {"w1": 4, "w2": 4, "w3": 3}, None,
                  "docker"),
        "template": ({"q1": 2, "q2": 2}, {"w1": 2}, None, "docker")}),
    "ada": ("Ada Lovelace", {
        "drift": ({"q1": 2, "q2": 1, "q3": 1, "q4": 2, "q5": 3, "q6": 2},
                  {"w1": 3, "w2": 4, "w3": 2}, None,
                  "docker"),
        "template": ({"q1": 2, "q2": 2}, {"w1": 1}, None, "docker")}),
    "barbara": ("Barbara Liskov", {
        "drift": ({"q1": 2, "q2": 1, "q3": 2, "q4": 1, "q5": 3, "q6": 0},
                  {"w1": 2, "w2": 3, "w3": 2}, None,
                  "docker"),
        "template": ({"q1": 1, "q2": 0}, {"w1": 2}, None, "docker")}),  # q2: the busiest region
    "ken": ("Ken Thompson", {
        "drift": ({"q1": 2, "q2": 0, "q3": 0, "q4": 0, "q5": 0, "q6": 0},
                  {"w1": 0, "w2": 0, "w3": 0},
                  "timed out after 600 s", "docker"),
        "template": ({"q1": 2, "q2": 2}, {"w1": 1}, None, "docker")}),
    "linus": (LINUS, {
        "drift": ({"q1": 1, "q2": 1, "q3": 1, "q4": 0, "q5": 0, "q6": 0},
                  {"w1": None, "w2": None, "w3": None},
                  None, "unsandboxed"),
        "template": ({"q1": 1, "q2": 0}, {"w1": None}, None, "docker")}),
    "dennis": ("Dennis Ritchie", {}),
}
TOTALS = {"grace": "29", "ada": "25", "barbara": "19", "ken": "7", "linus": "4",
          "dennis": "0"}  # of 29 (drift 23, template 6), over both exercises
RANK_ORDER = list(TOTALS)
# linus's written answers await a grader: he is not ranked, and listed after the ranked
RANKED = ["grace", "ada", "barbara", "ken", "dennis"]
AMONG = " (among fully graded candidates; 1 more not ranked until graded)"


def _result(exercise: Exercise, cid: str, name: str, outcome: Any) -> CandidateResult:
    manifest = exercise.manifest
    if outcome is None:
        return _results._result(manifest, cid, name, None, {}, {})
    auto, written, failure, sandbox = outcome
    record = GradeRecord(
        candidate=cid, exercise=manifest.slug, variant_id=f"v-{cid}",
        submission_sha256="s" * 64, key_sha256="k" * 64, answers={},
        scores={q: float(p) for q, p in auto.items()},
        max_scores={q.id: q.points for q in manifest.auto_questions},
        failure=failure, seconds=1.0, sandbox=sandbox, graded_at="2024-01-01T00:00:00+00:00",
    )
    comments = {("ada", "drift", "w1"): ADA_DRIFT_W1, ("ada", "drift", "w2"): ADA_DRIFT_W2,
                ("ada", "template", "w1"): ADA_TEMPLATE_W1}
    grades = {
        q.id: GradebookGrade(q.id, None, None if written[q.id] is None else float(written[q.id]),
                             q.points, comments.get((cid, manifest.slug, q.id)))
        for q in manifest.written_questions
    }
    return _results._result(manifest, cid, name, record, grades, {})


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    drift = load_exercise(REPO / "exercises" / "drift")
    template = load_exercise(REPO / "exercises" / "_template")
    results = []
    for exercise in (drift, template):
        for cid, (name, outcomes) in COHORT.items():
            r = _result(exercise, cid, name, outcomes.get(exercise.slug))
            if (cid, exercise.slug) == ("ada", "drift"):
                items = [{**item, "earned": earned}
                         for item, earned in zip(drift.rubric["w1"], ADA_W1_EARNED, strict=True)]
                r = replace(r, rubric={"w1": [{"grader": "rhea", "score": 3.0,
                                               "items": items}]})
            results.append(r)
    out = tmp_path_factory.mktemp("scorecards")
    paths = scorecard.write_scorecards(results, [drift, template], out)
    return {p.stem.removeprefix("candidate-"): p for p in paths}


def _charts_loaded(page: Any) -> list[bool]:
    return list(page.eval_on_selector_all(
        "img.chart", "imgs => imgs.map(i => i.complete && i.naturalWidth > 0)"))


def test_every_scorecard_shows_who_what_and_where(pages: dict[str, Path]) -> None:
    with chromium() as page:
        for cid, (name, outcomes) in COHORT.items():
            page.goto(pages[cid].as_uri())
            heading = page.get_by_role("heading", level=1)
            assert heading.is_visible() and heading.inner_text() == name
            total = page.locator(".summary .total .big")
            standing = page.locator("p.standing")
            assert standing.is_visible()
            if cid == "linus":
                assert total.is_visible() and total.inner_text() == f"{TOTALS[cid]} so far"
                assert f"{name} is not ranked yet: answers await a grader" in \
                    standing.inner_text()
            else:
                assert total.is_visible() and total.inner_text() == f"{TOTALS[cid]} / 29"
                rank = RANKED.index(cid) + 1
                assert f"{name} is {ordinal(rank)} of 5" in standing.inner_text()
            loaded = _charts_loaded(page)
            # overall standing, then per exercise a standing chart and a skill chart
            assert loaded == [True] * 5, cid
            statuses = page.locator(".exsummary").all_inner_texts()
            assert len(statuses) == 2
            if not outcomes:
                assert page.get_by_text("Not submitted: no graded submission").count() == 2


def test_ada_reads_as_a_hiring_manager_would(pages: dict[str, Path]) -> None:
    with chromium() as page:
        page.goto(pages["ada"].as_uri())
        assert page.locator(".summary .total .big").inner_text() == "25 / 29"
        assert page.locator(".summary .rank").inner_text().split("\n")[1:] == [
            "2nd of 5", "ahead of 3 of the 4 others"]
        assert page.locator("p.standing").inner_text() == (
            f"Ada Lovelace is 2nd of 5, ahead of 3 of the 4 others{AMONG}, over all "
            f"exercises.")

        drift = page.locator("#ex-drift")
        assert drift.locator(".exsummary").inner_text() == (
            f"20 / 23 points (87%) · 2nd of 5, ahead of 3 of the 4 others{AMONG} on this "
            f"exercise · graded")
        skills = {}
        for row in drift.locator("table.skills tr").all()[1:]:
            assert row.is_visible()
            label, pts, share = row.locator("td").all_inner_texts()
            skills[label] = (pts, share)
        assert skills == {
            "Drift detection (PSI)": ("2 / 2", "100%"),
            "Two-sample tests": ("1 / 1", "100%"),
            "Reweighting and coverage": ("1 / 2", "50%"),
            "Model migration against an audit": ("2 / 2", "100%"),
            "Explaining a drift alarm": ("3 / 3", "100%"),
            "Finding the drift the monitor misses": ("2 / 2", "100%"),
            "Drift monitor design": ("3 / 4", "75%"),
            "Migration decision": ("4 / 4", "100%"),
            "Eval-set refresh": ("2 / 3", "67%"),
        }
        template = page.locator("#ex-template")
        # template: grace 6, ada and ken 5, barbara 3 (the busiest region for q2), dennis 0
        assert "tied 2nd–3rd of 5 with 1 other, ahead of 2 of the 4 others" in (
            template.locator(".exsummary").inner_text())

        # the grader's comment sits in the block of its question, as typed
        w1 = page.locator("#drift-w1")
        assert "A daily drift monitor" in w1.locator("h4").inner_text()
        assert "3 / 4" in w1.locator("h4").inner_text()
        comment = w1.locator(".comment p")
        assert comment.is_visible() and comment.inner_text() == ADA_DRIFT_W1
        assert page.locator("#drift-w2 .comment p").inner_text() == ADA_DRIFT_W2
        assert page.locator("#template-w1 .comment p").inner_text() == ADA_TEMPLATE_W1
        assert page.locator("#drift-w3").get_by_text("No comment from the grader.").is_visible()

        # rubric items: ticked where earned, unticked where not, no key values
        items = w1.locator("ul.rubric li")
        assert items.count() == len(ADA_W1_EARNED)
        for i, earned in enumerate(ADA_W1_EARNED):
            item = items.nth(i)
            assert item.is_visible()
            assert item.locator(".tick").inner_text() == ("✓" if earned else "")
            assert item.get_attribute("class") == ("earned" if earned else "missed")
        assert "{" not in w1.inner_text() and "…" in items.nth(0).inner_text()
        assert w1.locator(".rubric-total").inner_text() == (
            "rhea: rubric items met 3 of 4 points")
        assert page.locator("#drift-w2 ul.rubric").count() == 0

        page.screenshot(path=str(screenshot_path("scorecard-ada")), full_page=True)
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 720, "height": 1000})  # about an A4 page
        assert not page.get_by_role("link", name="cohort overview").is_visible()
        assert page.locator("p.standing").is_visible()
        page.screenshot(path=str(screenshot_path("scorecard-ada-print")), full_page=True)


def test_statuses_are_spelled_out(pages: dict[str, Path]) -> None:
    with chromium() as page:
        page.goto(pages["linus"].as_uri())
        assert page.get_by_role("heading", level=1).inner_text() == LINUS
        assert page.locator("#ex-drift").get_by_text(
            "Warning: graded without a sandbox").is_visible()
        assert page.locator("#ex-drift").get_by_text(
            "Written answers not graded yet").is_visible()
        assert page.locator("#drift-w1").get_by_text("Not graded yet.").is_visible()
        notes = page.locator(".notes dt").all_inner_texts()
        assert notes == ["pending", "unsandboxed", "standing"]
        page.screenshot(path=str(screenshot_path("scorecard-linus")), full_page=True)

        page.goto(pages["ken"].as_uri())
        banner = page.locator("#ex-drift .banner.fail")
        assert banner.is_visible() and banner.inner_text().startswith(
            "Run failed: timed out after 600 s.")
        assert "run failed" in page.locator(".notes dt").all_inner_texts()


def test_cohort_index_ranks_and_links(pages: dict[str, Path]) -> None:
    with chromium() as page:
        page.goto(pages["index"].as_uri())
        assert _charts_loaded(page) == [True]
        links = page.locator("table.leaderboard a")
        names = [COHORT[c][0] for c in [*RANKED, "linus"]]
        assert links.all_inner_texts() == names
        ranks = page.locator("table.leaderboard tr td:first-child").all_inner_texts()
        assert ranks == ["1", "2", "3", "4", "5", "–"]
        assert "Not ranked: 1 candidate with answers still to grade" in \
            page.locator("p.unranked").inner_text()
        page.screenshot(path=str(screenshot_path("scorecard-cohort-index")), full_page=True)

        page.get_by_role("link", name="Barbara Liskov").click()
        page.wait_for_url("**/candidate-barbara.html")
        assert page.get_by_role("heading", level=1).inner_text() == "Barbara Liskov"
        assert "3rd of 5" in page.locator("p.standing").inner_text()
        page.get_by_role("link", name="cohort overview").click()
        page.wait_for_url("**/index.html")
        page.get_by_role("link", name=LINUS).click()
        page.wait_for_url("**/candidate-linus.html")
        assert page.get_by_role("heading", level=1).inner_text() == LINUS
