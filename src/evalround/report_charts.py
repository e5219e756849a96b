"""The report's charts: the cohort's dot plot and a candidate's skill bars, as PNG
``data:`` URIs the scorecards embed.

matplotlib's object API on the Agg canvas, never pyplot: it neither switches the
caller's backend (say, inside Jupyter) nor leaves figures open. Laying out a figure
(ticks, labels, text) costs far more than drawing a few shapes, so each chart is laid
out and drawn once for the whole cohort; a candidate's copy is that bitmap with their
own marks drawn on top ("blitting"), then encoded as a PNG ``data:`` URI.
"""

from __future__ import annotations

import base64
import io
import math
import statistics
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from evalround.results import points_text

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.backends.backend_agg import FigureCanvasAgg

DPI = 100
ACCENT = "#dd6b20"  # this candidate
BLUE = "#2b6cb0"
GREY = "#a0aec0"


def png_uri(canvas: FigureCanvasAgg) -> str:
    from PIL import Image

    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="png", compress_level=3)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


class Blit:
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
        return png_uri(self.canvas)


class CohortChart:
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
        self.blit = Blit(fig)
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
        ax.set_xlabel(f"points (of {points_text(span)})", fontsize=9)
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
        self.label.set_text(f"{points_text(x)} pt{'' if x == 1 else 's'}")
        pos = x / self.span if self.span else 0.0
        self.label.set_horizontalalignment("right" if pos > 0.85 else
                                           "left" if pos < 0.15 else "center")
        return self.blit.png([self.line, self.dot, self.label])


class SkillChart:
    """Per skill, a candidate's share of the points as a bar; a tick at the cohort median.

    The numbers are in the table beside the chart: text is the costly part of a drawing,
    so only a skill still awaiting a grader gets a label.
    """

    def __init__(self, labels: Sequence[str], medians: Sequence[float | None]) -> None:
        from matplotlib.figure import Figure

        n = len(labels)
        fig = Figure(figsize=(6.0, 0.7 + 0.3 * max(1, n)), dpi=DPI)
        self.blit = Blit(fig)
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


