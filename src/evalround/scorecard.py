"""The scorecards: one HTML page per candidate and the cohort's ``index.html``.

The flow: ``results`` reads every score from the gradebook, ``standing`` ranks what is
graded, ``item_stats`` describes each question, ``report_charts`` draws the charts and
this module renders the pages; ``report`` writes the whole report (the CSV files too). A
scorecard shows the candidate's own variant numbers in the rubric items (as their
feedback page does), never an expected answer value of a check: it is read by the
hiring team and may be forwarded.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2

from evalround import nbgrader_adapter  # noqa: F401  (tests replace its gradebook reads)
from evalround import report_charts as charts
from evalround.course import write_atomic
from evalround.exercise import Exercise
from evalround.item_stats import MIN_N, item_analysis, with_full_statistics
from evalround.report import Report, build_report  # noqa: F401  (kept importable from here)
from evalround.reports_csv import LONG_COLUMNS, write_long_csv, write_wide_csv  # noqa: F401
from evalround.results import (
    CHANGED_SINCE_MARKED,
    GRADED,
    NOT_SUBMITTED,
    PENDING,
    RUN_FAILED,
    UNSANDBOXED,
    CandidateResult,
    collect_results,  # noqa: F401  (kept importable from here)
    points_text,
    share,
    unfilled_as_ellipsis,
)
from evalround.safe_text import visible
from evalround.standing import Standing, format_leaderboard, leaderboard, standing  # noqa: F401

__all__ = ["LONG_COLUMNS", "CandidateResult", "Report", "Standing", "build_report",
           "collect_results",
           "format_leaderboard", "leaderboard", "scorecard_filename", "write_long_csv",
           "write_scorecards", "write_wide_csv"]

INDEX_NAME = "index.html"


# -- HTML ----------------------------------------------------------------------------


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("evalround", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=visible,  # a kernel's escape sequences never reach a report
    )
    env.filters["pts"] = points_text
    return env


# What each status means, in plain words; a scorecard explains the ones it shows.
STATUS_NOTES = {
    GRADED: "Every answer is scored: autograded answers by evalround, written answers "
            "by a grader.",
    PENDING: "A grader has not yet scored every written answer. Totals and skills count "
             "only what is graded so far, and the candidate is not ranked until grading "
             "is done.",
    CHANGED_SINCE_MARKED: "The candidate sent a new version after their written answers "
                          "were marked. Those marks belong to the earlier version and are "
                          "kept in its history; the new answers count no points until a "
                          "grader marks them, and the candidate is not ranked until then.",
    RUN_FAILED: "The candidate's notebook stopped (an error, or a time or memory limit) "
                "before it finished. Answers it produced before stopping still count; "
                "the rest score 0.",
    NOT_SUBMITTED: "No submission was received; the exercise counts 0 points.",
    UNSANDBOXED: "The candidate's code ran without isolation. Do not rely on the score "
                 "until the submission is regraded in a sandbox.",
    "late": "The graded version was received after the exercise's due date. No penalty "
            "is applied unless the hiring team configured one (assign --late-penalty); "
            "a penalty shows as its own line, and the totals are after it.",
    "override": "A grader changed an autograded answer's score in the formgrader; the "
                "score shown is the grader's.",
}


def _status_notes(results: Sequence[CandidateResult]) -> list[tuple[str, str]]:
    """The (status, meaning) pairs that apply to these results, in a fixed order."""
    seen = {RUN_FAILED if r.status.startswith(RUN_FAILED) else r.status for r in results}
    if any(r.sandbox == UNSANDBOXED for r in results):
        seen.add(UNSANDBOXED)
    if any(r.late for r in results):
        seen.add("late")
    if any("override" in r.scored_by.values() for r in results):
        seen.add("override")
    return [(term, text) for term, text in STATUS_NOTES.items() if term in seen]


def scorecard_filename(candidate: str) -> str:
    """The scorecard file of a candidate, beside the cohort ``index.html``."""
    return f"candidate-{candidate}.html"


class _Cohort:
    """One exercise's cohort: standings, and charts made on first use and then reused."""

    def __init__(self, results: Sequence[CandidateResult]) -> None:
        self.results = list(results)
        self.totals = {r.candidate: r.total for r in results}
        self.ranked = {r.candidate: r.total for r in results if r.complete}
        self.unranked = [r.candidate for r in results if not r.complete]
        self._chart: charts.CohortChart | None = None
        self._skills: dict[tuple[str, ...], charts.SkillChart] = {}

    def standing(self, r: CandidateResult) -> dict[str, Any]:
        return standing(r.candidate, self.ranked, self.unranked, (r.total, r.graded_max))

    def standing_chart(self) -> charts.CohortChart:
        if self._chart is None:
            self._chart = charts.CohortChart(
                self.totals, max((r.total_max for r in self.results), default=0.0),
                {r.candidate for r in self.results if r.status == NOT_SUBMITTED})
        return self._chart

    def skill_chart(self, labels: tuple[str, ...]) -> charts.SkillChart:
        if labels not in self._skills:
            medians: list[float | None] = []
            for label in labels:
                shares = [p for r in self.results if r.status != NOT_SUBMITTED
                          and label in r.skills
                          and (p := share(*r.skills[label])) is not None]
                medians.append(statistics.median(shares) if shares else None)
            self._skills[labels] = charts.SkillChart(labels, medians)
        return self._skills[labels]


def _checklists(r: CandidateResult, qid: str, points: float | None) -> dict[str, Any]:
    """The graders' checklists of one written answer, and how they make its score.

    Graders who applied the same items share one list; each list adds up to that
    grader's score, and the answer's score is the mean of the graders' scores.
    """
    lists = r.rubric.get(qid, [])
    groups: list[dict[str, Any]] = []
    for checklist in lists:
        applied = [i["earned"] for i in checklist["items"]]
        same = next((g for g in groups if g["applied"] == applied), None)
        if same is not None:
            same["graders"].append(checklist["grader"])
            continue
        shown = [{**i, "criterion": unfilled_as_ellipsis(str(i["criterion"]))}
                 for i in checklist["items"]]
        groups.append({"graders": [checklist["grader"]], "applied": applied,
                       "score": checklist["score"], "items": shown,
                       "max": sum(i["points"] for i in checklist["items"])})
    scores = [c["score"] for c in lists]
    mean = round(sum(scores) / len(scores), 4) if scores else None
    return {"groups": groups, "mean": mean,
            "by_hand": points is not None and mean is not None and abs(points - mean) > 1e-6}


def _exercise_view(r: CandidateResult, exercise: Exercise | None, cohort: _Cohort,
                   means: dict[tuple[str, str], float | None], standing_chart: bool,
                   due: str = "") -> dict[str, Any]:
    manifest = exercise.manifest if exercise else None
    titles = {q.id: q.title for q in manifest.questions} if manifest else {}
    skills: list[dict[str, Any]] = [
        {"label": label, "earned": earned, "max": most, "pct": share(earned, most)}
        for label, (earned, most) in r.skills.items()
    ]
    questions: list[dict[str, Any]] = [
        {"id": qid, "title": titles.get(qid, qid), "kind": r.kinds.get(qid, ""),
         "points": pts, "max": r.max_points.get(qid, 0.0),
         "status": r.question_status.get(qid, ""),
         "override": r.scored_by.get(qid) == "override",
         "cohort_pct": means.get((r.exercise, qid))}
        for qid, pts in r.questions.items()
    ]
    written = []
    for q in questions:
        if q["kind"] != "written" and q["id"] not in r.comments and q["id"] not in r.rubric:
            continue
        written.append({**q, "comment": r.comments.get(q["id"], ""),
                        "rubric": _checklists(r, q["id"], q["points"])})
    chart = ""
    if skills:
        labels = tuple(s["label"] for s in skills)
        chart = cohort.skill_chart(labels).png([s["pct"] for s in skills])
    return {
        "slug": r.exercise,
        "title": manifest.title if manifest else r.exercise,
        "result": r,
        "skills": skills,
        "chart": chart,
        "questions": questions,
        "written": written,
        "standing": cohort.standing(r),
        "standing_chart": cohort.standing_chart().png(r.candidate) if standing_chart else "",
        "pct": share(r.total, r.total_max) if r.complete else None,
        "unsandboxed": r.sandbox == UNSANDBOXED,
        "awaiting": r.status != NOT_SUBMITTED and not r.complete,
        "changed": CHANGED_SINCE_MARKED in r.question_status.values(),
        "due": due,
    }


def write_scorecards(results: Sequence[CandidateResult], exercises: Sequence[Exercise],
                     out_dir: Path, due: dict[str, str] | None = None,
                     stats: dict[str, Any] | None = None,
                     flags: Sequence[str] = ()) -> list[Path]:
    """Write one self-contained HTML scorecard per candidate, then the cohort ``index.html``.

    ``due`` gives each exercise's due date as text. Returns the scorecards in candidate
    order, followed by the index.
    """
    due = due or {}
    env = _environment()
    card = env.get_template("scorecard.html.j2")
    by_slug = {e.slug: e for e in exercises}
    board = leaderboard(results)
    rows = {row.candidate: row for row in board}
    totals = {row.candidate: row.total for row in board}
    rankable = {row.candidate: row.total for row in board if row.rank is not None}
    unranked = [row.candidate for row in board if row.rank is None]
    names = {r.candidate: r.name for r in results}
    mine: dict[str, list[CandidateResult]] = {}
    per_exercise: dict[str, list[CandidateResult]] = {}
    versions: dict[str, set[str]] = {}
    for r in results:
        versions.setdefault(r.exercise, set()).add(r.exercise_version)

    def group(r: CandidateResult) -> str:
        """Candidates of one exercise version are compared with each other only."""
        return r.exercise if len(versions[r.exercise]) < 2 else \
            f"{r.exercise}@{r.exercise_version}"

    for r in results:
        mine.setdefault(r.candidate, []).append(r)
        per_exercise.setdefault(group(r), []).append(r)
    cohorts = {slug: _Cohort(rs) for slug, rs in per_exercise.items()}
    absent = {c for c, rs in mine.items() if all(r.status == NOT_SUBMITTED for r in rs)}
    overall = charts.CohortChart(totals, max((row.total_max for row in board), default=0.0),
                                 absent)
    items = with_full_statistics(item_analysis(results, exercises), stats or {})
    means = {(ex["slug"], q["id"]): q["mean_pct"] for ex in items for q in ex["items"]}
    paths: list[Path] = []
    for cid in sorted(totals):
        row = rows[cid]
        views = [
            _exercise_view(r, by_slug.get(r.exercise), cohorts[group(r)], means,
                           standing_chart=len(mine[cid]) > 1, due=due.get(r.exercise, ""))
            for r in mine[cid]
        ]
        html = card.render(
            candidate=cid,
            name=names[cid],
            total=row.total,
            total_max=row.total_max,
            graded_max=row.graded_max,
            ranked=row.rank is not None,
            pct=share(row.total, row.total_max) if row.rank is not None else None,
            status=row.status,
            late=row.late,
            standing=standing(cid, rankable, unranked, (row.total, row.graded_max)),
            standing_chart=overall.png(cid),
            exercises=views,
            notes=_status_notes(mine[cid]),
            index=INDEX_NAME,
        )
        path = out_dir / scorecard_filename(cid)
        write_atomic(path, html)
        paths.append(path)
    index = env.get_template("cohort.html.j2").render(
        rows=[
            {"rank": row.rank, "candidate": row.candidate, "name": names[row.candidate],
             "points": row.total, "max": row.total_max,
             "pct": share(row.total, row.total_max) if row.rank is not None else None,
             "graded_max": row.graded_max,
             "auto": row.auto, "auto_max": row.auto_max, "written": row.written,
             "written_max": row.written_max, "status": row.status, "late": row.late,
             "href": scorecard_filename(row.candidate)}
            for row in board
        ],
        unranked=len(unranked),
        items=items,
        flags=list(flags),
        min_n=MIN_N,
        chart=overall.png() if board else "",
        exercises=[by_slug[s].manifest.title for s in versions if s in by_slug],
        mixed_versions={slug: sorted(v or "unrecorded" for v in vs)
                        for slug, vs in versions.items() if len(vs) > 1},
    )
    index_path = out_dir / INDEX_NAME
    write_atomic(index_path, index)
    paths.append(index_path)
    return paths
