"""Reports: a scorecard per candidate, a cohort view, and a CSV of every score.

Autograded points come from evalround's grade records; written answers come from the
nbgrader gradebook, where graders score them in the formgrader. Nothing here shows an
expected answer value: the scorecard is read by the hiring team and may be forwarded.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import jinja2

from evalround import nbgrader_adapter
from evalround.course import Course, write_atomic
from evalround.exercise import Exercise, Manifest
from evalround.grading import GradeRecord, load_record
from evalround.rubric import course_checklists
from evalround.safe_text import visible

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.backends.backend_agg import FigureCanvasAgg

GRADED = "graded"
AWAITING = "awaiting manual grading"
NOT_SUBMITTED = "not submitted"
UNSANDBOXED = "unsandboxed"
CSV_NAME = "scores.csv"
INDEX_NAME = "index.html"


@dataclass(frozen=True)
class CandidateResult:
    """One candidate's outcome on one exercise."""

    candidate: str
    name: str
    exercise: str
    variant_id: str
    questions: dict[str, float | None]
    max_points: dict[str, float]
    auto_points: float
    auto_max: float
    manual_points: float | None
    manual_max: float
    total: float
    total_max: float
    skills: dict[str, tuple[float, float]]
    failure: str | None
    sandbox: str
    key_sha256: str
    submission_sha256: str
    status: str
    # Question id -> the grader's comment on it (nbgrader's manual comment, typed in the
    # formgrader); questions without one are absent.
    comments: dict[str, str] = field(default_factory=dict)
    # Written question id -> its rubric items, each {"id", "points", "criterion",
    # "earned": bool}. The criterion is the rubric's text as written, *unfilled*: the
    # numbers a rubric is filled with come from the answer key, so the scorecard shows any
    # {placeholder} left in a criterion as "…" and must never be given filled text.
    rubric: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    """What ``build_report`` wrote."""

    results: list[CandidateResult]
    csv_path: Path
    html_dir: Path


# -- collecting ----------------------------------------------------------------------


def _variant_info(course: Course, slug: str, candidate: str) -> dict[str, Any]:
    try:
        data = json.loads(course.variant_path(slug, candidate).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _written_points(grade: nbgrader_adapter.GradebookGrade | None) -> float | None:
    """A written answer's points; 0 when left blank, None while a grader has not scored it."""
    if grade is None:
        return None
    if grade.manual_score is not None:
        return float(grade.manual_score)
    if grade.auto_score is not None:  # nbgrader scores an unchanged (blank) answer 0
        return float(grade.auto_score)
    return None


def _result(
    manifest: Manifest,
    candidate: str,
    name: str,
    record: GradeRecord | None,
    written: dict[str, nbgrader_adapter.GradebookGrade],
    variant: dict[str, Any],
) -> CandidateResult:
    questions: dict[str, float | None] = {}
    max_points = {q.id: float(q.points) for q in manifest.questions}
    for q in manifest.questions:
        if record is None:
            questions[q.id] = 0.0
        elif q.kind == "auto":
            questions[q.id] = float(record.scores.get(q.id, 0.0))
        else:
            questions[q.id] = _written_points(written.get(q.id))
    auto_ids = [q.id for q in manifest.auto_questions]
    written_ids = [q.id for q in manifest.written_questions]
    auto_points = round(sum(questions[i] or 0.0 for i in auto_ids), 4)
    auto_max = round(sum(max_points[i] for i in auto_ids), 4)
    manual_max = round(sum(max_points[i] for i in written_ids), 4)
    graded_manual = round(sum(questions[i] or 0.0 for i in written_ids), 4)
    complete = all(questions[i] is not None for i in written_ids)
    skills: dict[str, tuple[float, float]] = {}
    for key, label in manifest.skills.items():
        asked = [q for q in manifest.questions if q.skill == key]
        if not asked:
            continue
        graded = [q for q in asked if questions[q.id] is not None]
        skills[label] = (
            round(sum(questions[q.id] or 0.0 for q in graded), 4),
            round(sum(max_points[q.id] for q in graded), 4),
        )
    comments = {}
    for q in manifest.questions:
        grade = written.get(q.id)
        if grade is not None and grade.comment and grade.comment.strip():
            comments[q.id] = grade.comment.strip()
    if record is None:
        status = NOT_SUBMITTED
    elif record.failure:
        status = f"run failed: {record.failure}"
    elif not complete:
        status = AWAITING
    else:
        status = GRADED
    return CandidateResult(
        candidate=candidate,
        name=name,
        exercise=manifest.slug,
        variant_id=record.variant_id if record else str(variant.get("variant_id", "")),
        questions=questions,
        max_points=max_points,
        auto_points=auto_points,
        auto_max=auto_max,
        manual_points=graded_manual if complete else None,
        manual_max=manual_max,
        total=round(auto_points + graded_manual, 4),
        total_max=round(auto_max + manual_max, 4),
        skills=skills,
        failure=record.failure if record else None,
        sandbox=record.sandbox if record else "",
        key_sha256=record.key_sha256 if record else str(variant.get("key_sha256", "")),
        submission_sha256=record.submission_sha256 if record else "",
        status=status,
        comments=comments,
    )


def collect_results(course: Course, exercises: list[Exercise]) -> list[CandidateResult]:
    """Every assigned candidate on every exercise, submitted or not, in exercise order."""
    people = course.candidates()
    out: list[CandidateResult] = []
    for exercise in exercises:
        manifest = exercise.manifest
        slug = exercise.slug
        assigned = course.assigned(slug)
        records = {cid: load_record(course, slug, cid) for cid in assigned}
        gradebook: dict[str, dict[str, nbgrader_adapter.GradebookGrade]] = {}
        if manifest.written_questions and any(r is not None for r in records.values()):
            gradebook = nbgrader_adapter.grades(course.root, slug, slug)
        checklists = course_checklists(course, exercise) if manifest.written_questions else {}
        for cid in assigned:
            person = people.get(cid)
            result = _result(
                manifest,
                cid,
                person.name if person else "",
                records[cid],
                gradebook.get(cid, {}),
                _variant_info(course, slug, cid),
            )
            if cid in checklists and records[cid] is not None:
                result = replace(result, rubric=checklists[cid])
            out.append(result)
    return out


# -- numbers -------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    """Points as short text: ``2``, ``1.5``; empty for None."""
    if value is None:
        return ""
    rounded = round(float(value), 4)
    if rounded == 0:
        return "0"
    return str(int(rounded)) if rounded.is_integer() else repr(rounded)


def _pct(earned: float, most: float) -> float | None:
    return 100.0 * earned / most if most > 0 else None


def _corr(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson correlation, None when undefined (fewer than 3 points or no spread)."""
    n = len(xs)
    if n < 3 or n != len(ys):
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    r = sxy / math.sqrt(sxx * syy)
    return None if math.isnan(r) else max(-1.0, min(1.0, r))


def _csv_text(value: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# -- CSV -----------------------------------------------------------------------------


def write_csv(results: Iterable[CandidateResult], path: Path) -> None:
    """One row per candidate and exercise, one column per question id.

    Question columns are the union over exercises in first-seen order; a cell is empty
    when the question belongs to another exercise or a written answer awaits a grader.
    """
    rows = list(results)
    qids: list[str] = []
    for r in rows:
        qids.extend(q for q in r.questions if q not in qids)
    header = ["candidate", "name", "exercise", *qids, "auto", "manual", "total", "max",
              "status", "variant_id", "key_sha256", "sandbox"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for r in rows:
        writer.writerow([
            r.candidate, _csv_text(r.name), r.exercise,
            *(_fmt(r.questions.get(q)) for q in qids),
            _fmt(r.auto_points), _fmt(r.manual_points), _fmt(r.total), _fmt(r.total_max),
            _csv_text(r.status), r.variant_id, r.key_sha256, r.sandbox,
        ])
    write_atomic(path, buf.getvalue())


# -- leaderboard ---------------------------------------------------------------------


def _overall_status(results: Sequence[CandidateResult]) -> str:
    if all(r.status == GRADED for r in results):
        return GRADED
    if len(results) == 1:
        return results[0].status
    open_ = [r for r in results if r.status != GRADED]
    statuses = {r.status for r in open_}
    if len(open_) > 1 and len(statuses) == 1:  # the same for every open exercise: say once
        (status,) = statuses
        return f"{status} ({', '.join(r.exercise for r in open_)})"
    return "; ".join(f"{r.exercise}: {r.status}" for r in open_)


def _ranked(totals: dict[str, float]) -> dict[str, int]:
    """Competition ranking (1, 1, 3): equal totals share a rank."""
    ranks: dict[str, int] = {}
    ordered = sorted(totals, key=lambda c: (-round(totals[c], 4), c))
    for i, cid in enumerate(ordered):
        prev = ordered[i - 1] if i else None
        same = prev is not None and round(totals[prev], 4) == round(totals[cid], 4)
        ranks[cid] = ranks[prev] if same and prev is not None else i + 1
    return ranks


class Standing(NamedTuple):
    """One leaderboard row: a candidate's points summed over exercises."""

    rank: int
    candidate: str
    auto: float
    auto_max: float
    written: float | None  # None while a grader has not scored every written answer
    written_max: float
    total: float
    total_max: float
    status: str


def leaderboard(results: Iterable[CandidateResult]) -> list[Standing]:
    """Standings summed over exercises, best total first.

    Ties share a rank (1, 1, 3) and are listed by candidate id. Written answers that
    await a grader count 0 in the total, and the status says so.
    """
    by_candidate: dict[str, list[CandidateResult]] = {}
    for r in results:
        by_candidate.setdefault(r.candidate, []).append(r)
    totals = {c: round(sum(r.total for r in rs), 4) for c, rs in by_candidate.items()}
    ranks = _ranked(totals)
    rows = []
    for c, rs in by_candidate.items():
        written = [r.manual_points for r in rs]
        rows.append(Standing(
            rank=ranks[c],
            candidate=c,
            auto=round(sum(r.auto_points for r in rs), 4),
            auto_max=round(sum(r.auto_max for r in rs), 4),
            written=None if None in written else round(sum(w or 0.0 for w in written), 4),
            written_max=round(sum(r.manual_max for r in rs), 4),
            total=totals[c],
            total_max=round(sum(r.total_max for r in rs), 4),
            status=_overall_status(rs),
        ))
    return sorted(rows, key=lambda row: (row.rank, row.candidate))


def format_leaderboard(rows: Sequence[Standing]) -> str:
    """The leaderboard as a plain-text table for the terminal."""
    header = ("rank", "candidate", "auto", "written", "total", "%", "status")
    body = []

    def short(value: float) -> str:  # two decimals on screen; the CSV keeps four
        return _fmt(round(value, 2))

    for row in rows:
        pct = _pct(row.total, row.total_max)
        body.append((
            str(row.rank), row.candidate,
            f"{short(row.auto)}/{short(row.auto_max)}",
            "pending" if row.written is None else f"{short(row.written)}/{short(row.written_max)}",
            f"{short(row.total)}/{short(row.total_max)}",
            "-" if pct is None else f"{pct:.0f}", row.status,
        ))
    if not body:
        return "no candidates assigned yet"
    widths = [max(len(h), *(len(cells[i]) for cells in body)) for i, h in enumerate(header)]
    right = {0, 2, 3, 4, 5}

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(cells) for cells in body)])


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
    AWAITING: "A grader has not yet scored every written answer. Totals and skills count "
              "only what is graded so far, and the standing may change once grading is "
              "done.",
    "run failed": "The candidate's notebook stopped (an error, or a time or memory limit) "
                  "before it finished. Answers it produced before stopping still count; "
                  "the rest score 0.",
    NOT_SUBMITTED: "No submission was received; the exercise counts 0 points.",
    UNSANDBOXED: "The candidate's code ran without isolation. Do not rely on the score "
                 "until the submission is regraded in a sandbox.",
}


def _status_notes(results: Sequence[CandidateResult]) -> list[tuple[str, str]]:
    """The (status, meaning) pairs that apply to these results, in a fixed order."""
    seen = {"run failed" if r.status.startswith("run failed") else r.status for r in results}
    if any(r.sandbox == UNSANDBOXED for r in results):
        seen.add(UNSANDBOXED)
    return [(term, text) for term, text in STATUS_NOTES.items() if term in seen]


def scorecard_filename(candidate: str) -> str:
    """The scorecard file of a candidate, beside the cohort ``index.html``."""
    return f"candidate-{candidate}.html"


def _ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, ..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _standing(cid: str, totals: dict[str, float], ranks: dict[str, int] | None = None
              ) -> dict[str, Any]:
    """Rank of N, and the share of the other candidates with a lower total (ties half)."""
    ranks = ranks if ranks is not None else _ranked(totals)
    mine = round(totals[cid], 4)
    others = [round(t, 4) for c, t in totals.items() if c != cid]
    tied = sum(1 for t in others if t == mine)
    percentile = None
    if others:
        below = sum(1 for t in others if t < mine) + 0.5 * tied
        percentile = math.floor(100.0 * below / len(others) + 0.5)
    rank, n = ranks[cid], len(totals)
    if percentile is None:
        words = "the only candidate so far"
    else:
        words = f"{_ordinal(rank)} of {n}"
        if tied:
            words += f" (tied with {tied} other{'' if tied == 1 else 's'})"
        words += f", ahead of {percentile}% of the cohort"
    return {"rank": rank, "ordinal": _ordinal(rank), "n": n, "percentile": percentile,
            "tied": tied, "words": words}


_PLACEHOLDER = re.compile(r"\{[A-Za-z_][^{}]*\}")


def _criterion(text: str) -> str:
    """A rubric criterion for the scorecard: one line, every ``{placeholder}`` as "…".

    Rubric placeholders are filled from the answer key; the scorecard never shows them.
    """
    return " ".join(_PLACEHOLDER.sub("…", text).split())


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
    """One exercise's cohort: ranks, and charts made on first use and then reused."""

    def __init__(self, results: Sequence[CandidateResult]) -> None:
        self.results = list(results)
        self.totals = {r.candidate: r.total for r in results}
        self.ranks = _ranked(self.totals)
        self._chart: _CohortChart | None = None
        self._skills: dict[tuple[str, ...], _SkillChart] = {}

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
                          and (p := _pct(*r.skills[label])) is not None]
                medians.append(statistics.median(shares) if shares else None)
            self._skills[labels] = _SkillChart(labels, medians)
        return self._skills[labels]


def _exercise_view(r: CandidateResult, exercise: Exercise | None, cohort: _Cohort,
                   means: dict[tuple[str, str], float | None], standing_chart: bool
                   ) -> dict[str, Any]:
    manifest = exercise.manifest if exercise else None
    titles = {q.id: q.title for q in manifest.questions} if manifest else {}
    kinds = {q.id: q.kind for q in manifest.questions} if manifest else {}
    skills: list[dict[str, Any]] = [
        {"label": label, "earned": earned, "max": most, "pct": _pct(earned, most)}
        for label, (earned, most) in r.skills.items()
    ]
    questions: list[dict[str, Any]] = [
        {"id": qid, "title": titles.get(qid, qid), "kind": kinds.get(qid, ""),
         "points": pts, "max": r.max_points.get(qid, 0.0),
         "cohort_pct": means.get((r.exercise, qid))}
        for qid, pts in r.questions.items()
    ]
    written = []
    for q in questions:
        if q["kind"] != "written" and q["id"] not in r.comments and q["id"] not in r.rubric:
            continue
        items: list[dict[str, Any]] = [
            {"id": str(item.get("id", "")), "points": float(item.get("points", 0.0)),
             "criterion": _criterion(str(item.get("criterion", ""))),
             "earned": bool(item.get("earned"))}
            for item in r.rubric.get(q["id"], [])
        ]
        written.append({
            **q,
            "comment": r.comments.get(q["id"], ""),
            "rubric": items,
            "rubric_earned": sum(i["points"] for i in items if i["earned"]),
            "rubric_max": sum(i["points"] for i in items),
        })
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
        "standing": _standing(r.candidate, cohort.totals, cohort.ranks),
        "standing_chart": cohort.standing_chart().png(r.candidate) if standing_chart else "",
        "pct": _pct(r.total, r.total_max),
        "unsandboxed": r.sandbox == UNSANDBOXED,
        "awaiting": r.status != NOT_SUBMITTED and r.manual_points is None,
    }


def _item_analysis(results: Sequence[CandidateResult],
                   exercises: Sequence[Exercise]) -> list[dict[str, Any]]:
    """Per exercise and question: mean % and correlation with the exercise total.

    Only submitted candidates count; a written answer still awaiting a grader is left
    out of that question's mean and correlation.
    """
    titles = {e.slug: e.manifest.title for e in exercises}
    qtitles = {(e.slug, q.id): q.title for e in exercises for q in e.manifest.questions}
    slugs: list[str] = []
    for r in results:
        if r.exercise not in slugs:
            slugs.append(r.exercise)
    out = []
    for slug in slugs:
        rows = [r for r in results if r.exercise == slug and r.status != NOT_SUBMITTED]
        first = next((r for r in results if r.exercise == slug), None)
        if first is None:
            continue
        items = []
        for qid, most in first.max_points.items():
            pairs = [(r.questions.get(qid), r.total) for r in rows]
            graded = [(float(p), t) for p, t in pairs if p is not None]
            mean = (sum(p for p, _ in graded) / len(graded)) if graded else None
            items.append({
                "id": qid,
                "title": qtitles.get((slug, qid), qid),
                "max": most,
                "n": len(graded),
                "mean_pct": _pct(mean, most) if mean is not None else None,
                "corr": _corr([p for p, _ in graded], [t for _, t in graded]),
            })
        out.append({"slug": slug, "title": titles.get(slug, slug), "items": items,
                    "submitted": len(rows)})
    return out


def write_scorecards(results: Sequence[CandidateResult], exercises: Sequence[Exercise],
                     out_dir: Path) -> list[Path]:
    """Write one self-contained HTML scorecard per candidate, then the cohort ``index.html``.

    Returns the scorecards in candidate order, followed by the index.
    """
    env = _environment()
    card = env.get_template("scorecard.html.j2")
    by_slug = {e.slug: e for e in exercises}
    board = leaderboard(results)
    totals = {row.candidate: row.total for row in board}
    maxes = {row.candidate: row.total_max for row in board}
    statuses = {row.candidate: row.status for row in board}
    ranks = {row.candidate: row.rank for row in board}
    names = {r.candidate: r.name for r in results}
    mine: dict[str, list[CandidateResult]] = {}
    per_exercise: dict[str, list[CandidateResult]] = {}
    for r in results:
        mine.setdefault(r.candidate, []).append(r)
        per_exercise.setdefault(r.exercise, []).append(r)
    cohorts = {slug: _Cohort(rs) for slug, rs in per_exercise.items()}
    absent = {c for c, rs in mine.items() if all(r.status == NOT_SUBMITTED for r in rs)}
    overall = _CohortChart(totals, max(maxes.values(), default=0.0), absent)
    items = _item_analysis(results, exercises)
    means = {(ex["slug"], q["id"]): q["mean_pct"] for ex in items for q in ex["items"]}
    paths: list[Path] = []
    for cid in sorted(totals):
        views = [
            _exercise_view(r, by_slug.get(r.exercise), cohorts[r.exercise], means,
                           standing_chart=len(mine[cid]) > 1)
            for r in mine[cid]
        ]
        html = card.render(
            candidate=cid,
            name=names[cid],
            total=totals[cid],
            total_max=maxes[cid],
            pct=_pct(totals[cid], maxes[cid]),
            status=statuses[cid],
            standing=_standing(cid, totals, ranks),
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
             "points": row.total, "max": row.total_max, "pct": _pct(row.total, row.total_max),
             "auto": row.auto, "auto_max": row.auto_max, "written": row.written,
             "written_max": row.written_max, "status": row.status,
             "href": scorecard_filename(row.candidate)}
            for row in board
        ],
        items=items,
        chart=overall.png() if board else "",
        exercises=[by_slug[s].manifest.title for s in per_exercise if s in by_slug],
    )
    index_path = out_dir / INDEX_NAME
    write_atomic(index_path, index)
    paths.append(index_path)
    return paths


def build_report(course: Course, exercises: list[Exercise], out_dir: Path | None = None
                 ) -> Report:
    """Collect every result, then write ``scores.csv``, the scorecards and ``index.html``.

    ``out_dir`` defaults to ``<course>/reports``.
    """
    out = out_dir if out_dir is not None else course.root / "reports"
    results = collect_results(course, exercises)
    csv_path = out / CSV_NAME
    write_csv(results, csv_path)
    write_scorecards(results, exercises, out)
    return Report(results=results, csv_path=csv_path, html_dir=out)
