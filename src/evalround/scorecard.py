"""Reports: a scorecard per candidate and a cohort view, in HTML, beside the CSV files.

The flow: ``results`` reads every score from the gradebook, ``standing`` ranks what is
graded, ``item_stats`` describes each question, ``reports_csv`` writes the CSV files, and
this module draws the charts and writes the HTML. A scorecard shows the candidate's own
variant numbers in the rubric items (as their feedback page does), never an expected
answer value of a check: it is read by the hiring team and may be forwarded.
"""

from __future__ import annotations

import base64
import io
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from evalround import nbgrader_adapter  # noqa: F401  (tests replace its gradebook reads)
from evalround.course import Course, write_atomic
from evalround.deadline import load_deadlines
from evalround.exercise import Exercise
from evalround.item_stats import MIN_N, item_analysis
from evalround.reports_csv import (
    LONG_COLUMNS,
    LONG_NAME,
    WIDE_NAME,
    write_long_csv,
    write_wide_csv,
)
from evalround.results import (
    CHANGED_SINCE_MARKED,
    GRADED,
    NOT_SUBMITTED,
    PENDING,
    RUN_FAILED,
    UNSANDBOXED,
    CandidateResult,
    collect_results,
    points_text,
    share,
    unfilled_as_ellipsis,
)
from evalround.safe_text import visible
from evalround.standing import Standing, format_leaderboard, leaderboard, standing

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.backends.backend_agg import FigureCanvasAgg

__all__ = ["LONG_COLUMNS", "CandidateResult", "Report", "Standing", "build_report",
           "collect_results", "write_long_csv", "write_wide_csv",
           "format_leaderboard", "leaderboard", "write_scorecards"]

CSV_NAME = WIDE_NAME
INDEX_NAME = "index.html"
_fmt = points_text


@dataclass(frozen=True)
class Report:
    """What ``build_report`` wrote."""

    results: list[CandidateResult]
    csv_path: Path  # scores.csv, one row per candidate
    long_csv_path: Path  # scores_long.csv, one row per candidate, exercise and question
    html_dir: Path
    integrity_path: Path | None = None  # integrity.csv, the shared-answer flags
    items_path: Path | None = None  # items.csv, the item statistics
    open_flags: int = 0  # shared-answer flags nobody dismissed


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
    env.filters["pts"] = _fmt
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


# -- charts --------------------------------------------------------------------------
#
# matplotlib's object API on the Agg canvas, never pyplot: it neither switches the
# caller's backend (say, inside Jupyter) nor leaves figures open. Laying out a figure
# (ticks, labels, text) costs far more than drawing a few shapes, so each chart is laid
# out and drawn once for the whole cohort; a candidate's copy is that bitmap with their
# own marks drawn on top ("blitting"), then encoded as a PNG ``data:`` URI.

DPI = 100
ACCENT = "#dd6b20"  # this candidate
BLUE = "#2b6cb0"
GREY = "#a0aec0"


def _png_uri(canvas: FigureCanvasAgg) -> str:
    from PIL import Image

    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="png", compress_level=3)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


class _Blit:
    """A figure drawn once; ``png(artists)`` is that drawing plus ``artists`` on top.

    The per-candidate artists must be created with ``animated=True`` so the one full
    drawing leaves them out.
    """

    def __init__(self, fig: Any) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self.canvas = FigureCanvasAgg(fig)
        self.fig = fig
        self._background: Any = None

    def png(self, artists: Sequence[Artist] = ()) -> str:
        if self._background is None:
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in artists:
            artist.draw(renderer)
        return _png_uri(self.canvas)


class _CohortChart:
    """The cohort's totals as a dot plot, one dot per candidate, stacked where close.

    Hollow dots are candidates who did not submit (they count 0); the dashed line is the
    median of those who did. A candidate's copy marks their own dot and total in orange.
    """

    BINS = 30

    def __init__(self, totals: dict[str, float], most: float, absent: set[str]) -> None:
        from matplotlib.figure import Figure
        from matplotlib.transforms import blended_transform_factory

        span = most if most > 0 else (max(totals.values(), default=0.0) or 1.0)
        width = span / self.BINS
        stacks: dict[int, int] = {}
        self.where: dict[str, tuple[float, int]] = {}
        for cid in sorted(totals, key=lambda c: (totals[c], c)):
            b = min(self.BINS - 1, max(0, math.floor(totals[cid] / width + 1e-9)))
            stacks[b] = stacks.get(b, 0) + 1
            self.where[cid] = (totals[cid], stacks[b])
        tallest = max(stacks.values(), default=1)

        fig = Figure(figsize=(7.2, 1.75), dpi=DPI)
        self.blit = _Blit(fig)
        fig.subplots_adjust(left=0.03, right=0.97, bottom=0.32, top=0.8)
        ax = fig.add_subplot(1, 1, 1)
        height_pt = 1.75 * 72 * (0.8 - 0.32)
        bin_pt = 7.2 * 72 * 0.94 / self.BINS
        size = min(9.0, 0.85 * height_pt / tallest, 0.9 * bin_pt)
        present = [c for c in self.where if c not in absent]
        gone = [c for c in self.where if c in absent]
        if present:
            ax.scatter([self.where[c][0] for c in present], [self.where[c][1] for c in present],
                       s=size**2, color=GREY, edgecolors="white", linewidths=0.5, zorder=2)
            ax.axvline(statistics.median(totals[c] for c in present), color="#4a5568",
                       linestyle="--", linewidth=1, zorder=1)
        if gone:
            ax.scatter([self.where[c][0] for c in gone], [self.where[c][1] for c in gone],
                       s=size**2, facecolors="white", edgecolors=GREY, linewidths=1, zorder=2)
        ax.set_xlim(-0.03 * span, 1.03 * span)
        ax.set_ylim(0.4, tallest + 0.6)
        ax.set_yticks([])
        ax.set_xlabel(f"points (of {_fmt(span)})", fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
        for side in ("left", "top", "right"):
            ax.spines[side].set_visible(False)
        self.span = span
        self.line = ax.axvline(0, color=ACCENT, linewidth=1.5, zorder=3, animated=True)
        self.dot = ax.scatter([0], [1], s=(size * 1.25) ** 2, color=ACCENT,
                              edgecolors="#7b341e", linewidths=0.8, zorder=4, animated=True)
        self.label = ax.text(0, 1.04, "", transform=blended_transform_factory(
            ax.transData, ax.transAxes), fontsize=8.5, color="#7b341e", va="bottom",
            fontweight="bold", animated=True, parse_math=False)

    def png(self, cid: str | None = None) -> str:
        """The cohort alone (``None``) or with ``cid`` marked."""
        if cid is None:
            return self.blit.png()
        x, y = self.where[cid]
        self.line.set_xdata([x, x])
        self.dot.set_offsets([[x, y]])
        self.label.set_x(x)
        self.label.set_text(f"{_fmt(x)} pt{'' if x == 1 else 's'}")
        pos = x / self.span if self.span else 0.0
        self.label.set_horizontalalignment("right" if pos > 0.85 else
                                           "left" if pos < 0.15 else "center")
        return self.blit.png([self.line, self.dot, self.label])


class _SkillChart:
    """Per skill, a candidate's share of the points as a bar; a tick at the cohort median.

    The numbers are in the table beside the chart: text is the costly part of a drawing,
    so only a skill still awaiting a grader gets a label.
    """

    def __init__(self, labels: Sequence[str], medians: Sequence[float | None]) -> None:
        from matplotlib.figure import Figure

        n = len(labels)
        fig = Figure(figsize=(6.0, 0.7 + 0.3 * max(1, n)), dpi=DPI)
        self.blit = _Blit(fig)
        ax = fig.add_subplot(1, 1, 1)
        ys = list(range(n))
        ax.barh(ys, [100.0] * n, height=0.62, color="#edf2f7", zorder=1)
        ax.set_yticks(ys)
        ax.set_yticklabels(labels, fontsize=9, parse_math=False)
        ax.invert_yaxis()
        ax.set_xlim(0, 102)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.tick_params(axis="x", labelsize=8)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel("% of the skill's points", fontsize=9)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
        self.bars = list(ax.barh(ys, [0.0] * n, height=0.62, color=BLUE, zorder=2,
                                 animated=True))
        self.waiting = [ax.text(1.5, y, "awaiting grading", va="center", fontsize=8,
                                color="#4a5568", animated=True) for y in ys]
        marked = [(m, y) for m, y in zip(medians, ys, strict=True) if m is not None]
        self.medians = ax.scatter([m for m, _ in marked], [y for _, y in marked],
                                  marker="|", s=260, linewidths=2.2, color="#1a202c",
                                  zorder=3, animated=True)

    def png(self, pcts: Sequence[float | None]) -> str:
        for bar, pct in zip(self.bars, pcts, strict=True):
            bar.set_width(min(pct or 0.0, 100.0))
        waiting = [text for text, pct in zip(self.waiting, pcts, strict=True) if pct is None]
        return self.blit.png([*self.bars, self.medians, *waiting])


class _Cohort:
    """One exercise's cohort: standings, and charts made on first use and then reused."""

    def __init__(self, results: Sequence[CandidateResult]) -> None:
        self.results = list(results)
        self.totals = {r.candidate: r.total for r in results}
        self.ranked = {r.candidate: r.total for r in results if r.complete}
        self.unranked = [r.candidate for r in results if not r.complete]
        self._chart: _CohortChart | None = None
        self._skills: dict[tuple[str, ...], _SkillChart] = {}

    def standing(self, r: CandidateResult) -> dict[str, Any]:
        return standing(r.candidate, self.ranked, self.unranked, (r.total, r.graded_max))

    def standing_chart(self) -> _CohortChart:
        if self._chart is None:
            self._chart = _CohortChart(
                self.totals, max((r.total_max for r in self.results), default=0.0),
                {r.candidate for r in self.results if r.status == NOT_SUBMITTED})
        return self._chart

    def skill_chart(self, labels: tuple[str, ...]) -> _SkillChart:
        if labels not in self._skills:
            medians: list[float | None] = []
            for label in labels:
                shares = [p for r in self.results if r.status != NOT_SUBMITTED
                          and label in r.skills
                          and (p := share(*r.skills[label])) is not None]
                medians.append(statistics.median(shares) if shares else None)
            self._skills[labels] = _SkillChart(labels, medians)
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
    overall = _CohortChart(totals, max((row.total_max for row in board), default=0.0), absent)
    items = item_analysis(results, exercises)
    for ex in items:  # the fuller statistics of item_analysis, where the report has them
        full = (stats or {}).get(ex["slug"])
        ex["alpha"] = full.alpha if full else None
        ex["n_complete"] = full.n if full else None
        by_q = {i.question: i for i in full.items} if full else {}
        for q in ex["items"]:
            st = by_q.get(q["id"])
            q["efficiency"] = st.efficiency if st else None
            q["flags"] = "; ".join(st.flags) if st else ""
            q["mistakes"] = ex["mistakes"].get(q["id"], [])
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


def build_report(course: Course, exercises: list[Exercise], out_dir: Path | None = None
                 ) -> Report:
    """Collect every result from the gradebook, then write ``scores.csv``,
    ``scores_long.csv``, the scorecards and ``index.html``.

    ``out_dir`` defaults to ``<course>/reports``.
    """
    from dataclasses import replace

    from evalround.integrity_report import flag_line, open_flags, write_integrity
    from evalround.items_report import write_items

    out = out_dir if out_dir is not None else course.root / "reports"
    results = collect_results(course, exercises)
    integrity_path, flags = write_integrity(course, exercises, out)
    still = open_flags(course, flags)
    mine: dict[tuple[str, str], list[str]] = {}
    for f in still:
        mine.setdefault((f.candidate, f.exercise), []).append(flag_line(f))
    results = [replace(r, flags=mine.get((r.candidate, r.exercise), [])) for r in results]
    items_path, stats = write_items(course, exercises, out)
    csv_path, long_path = out / WIDE_NAME, out / LONG_NAME
    write_wide_csv(results, csv_path)
    write_long_csv(results, long_path)
    due = {slug: d.text() + (f" (late penalty: {d.penalty.text()})" if d.penalty else "")
           for slug, d in load_deadlines(course).items()}
    write_scorecards(results, exercises, out, due,
                     {e.exercise: e for e in stats}, [flag_line(f, True) for f in still])
    return Report(results=results, csv_path=csv_path, long_csv_path=long_path, html_dir=out,
                  integrity_path=integrity_path, items_path=items_path,
                  open_flags=len(still))
