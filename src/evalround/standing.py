"""Standing: the leaderboard, and where one candidate stands, in words that hold with ties.

Only what is graded is ranked: a candidate with a written answer still pending (or
changed since marked) gets no rank and no percentage until a grader has scored it, and
everything that shows their points says they are graded points so far.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from evalround.results import GRADED, CandidateResult, points_text, share


def overall_status(results: Sequence[CandidateResult]) -> str:
    """One candidate's status over several exercises; a status several share is said once."""
    if all(r.status == GRADED for r in results):
        return GRADED
    if len(results) == 1:
        return results[0].status
    open_ = [r for r in results if r.status != GRADED]
    statuses = {r.status for r in open_}
    if len(open_) > 1 and len(statuses) == 1:
        (status,) = statuses
        return f"{status} ({', '.join(r.exercise for r in open_)})"
    return "; ".join(f"{r.exercise}: {r.status}" for r in open_)


def ranked(totals: dict[str, float]) -> dict[str, int]:
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

    rank: int | None  # None until every answer is graded
    candidate: str
    auto: float
    auto_max: float
    written: float | None  # None while any written answer has no points
    written_max: float
    total: float  # graded points only
    total_max: float
    status: str
    graded_max: float  # the points of the questions graded so far
    late: bool = False


def leaderboard(results: Iterable[CandidateResult]) -> list[Standing]:
    """Standings summed over exercises: ranked candidates by total, then the unranked.

    Ties share a rank (1, 1, 3) and are listed by candidate id. A candidate with any
    answer still without points is not ranked; their total counts graded answers only.
    """
    by_candidate: dict[str, list[CandidateResult]] = {}
    for r in results:
        by_candidate.setdefault(r.candidate, []).append(r)
    totals = {c: round(sum(r.total for r in rs), 4) for c, rs in by_candidate.items()}
    complete = {c for c, rs in by_candidate.items() if all(r.complete for r in rs)}
    ranks = ranked({c: t for c, t in totals.items() if c in complete})
    rows = []
    for c, rs in by_candidate.items():
        written = [r.manual_points for r in rs]
        rows.append(Standing(
            rank=ranks.get(c),
            candidate=c,
            auto=round(sum(r.auto_points for r in rs), 4),
            auto_max=round(sum(r.auto_max for r in rs), 4),
            written=None if None in written else round(sum(w or 0.0 for w in written), 4),
            written_max=round(sum(r.manual_max for r in rs), 4),
            total=totals[c],
            total_max=round(sum(r.total_max for r in rs), 4),
            status=overall_status(rs),
            graded_max=round(sum(r.graded_max for r in rs), 4),
            late=any(r.late for r in rs),
        ))
    return sorted(rows, key=lambda row: (row.rank is None, row.rank or 0,
                                         -row.total if row.rank is None else 0, row.candidate))


def format_leaderboard(rows: Sequence[Standing]) -> str:
    """The leaderboard as a plain-text table for the terminal."""
    header = ("rank", "candidate", "auto", "written", "total", "%", "status")
    body = []

    def short(value: float) -> str:  # two decimals on screen; the CSV keeps four
        return points_text(round(value, 2))

    for row in rows:
        pct = share(row.total, row.total_max)
        graded = row.rank is not None
        status = row.status + ("; late" if row.late else "")
        body.append((
            str(row.rank) if graded else "-", row.candidate,
            f"{short(row.auto)}/{short(row.auto_max)}",
            "pending" if row.written is None else f"{short(row.written)}/{short(row.written_max)}",
            f"{short(row.total)}/{short(row.total_max)}" + ("" if graded else " so far"),
            "-" if pct is None or not graded else f"{pct:.0f}", status,
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
    lines = [line(header), rule, *(line(cells) for cells in body)]
    unranked = sum(row.rank is None for row in rows)
    if unranked:
        lines.append(f"not ranked: {unranked} candidate{'' if unranked == 1 else 's'} with "
                     f"answers still to grade (totals 'so far' count graded answers only); "
                     f"ranks are among fully graded candidates")
    return "\n".join(lines)


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, ..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def standing(cid: str, totals: dict[str, float], unranked: Sequence[str] = (),
             graded: tuple[float, float] | None = None) -> dict[str, Any]:
    """Where ``cid`` stands among the ranked ``totals``, in words that hold with ties.

    ``unranked`` are the candidates left out because answers await a grader; when
    ``cid`` is one of them, ``graded`` is (points, of how many graded points) so far.
    """
    waiting = len([c for c in unranked if c != cid])
    if cid not in totals:
        points, most = graded or (0.0, 0.0)
        return {"rank": None, "ordinal": "", "short": "not ranked yet", "n": len(totals),
                "below": None, "others": 0, "tied": 0, "percentile": None,
                "words": f"not ranked yet: answers await a grader ({points_text(points)} "
                         f"points on the {points_text(most)} graded so far)"}
    mine = round(totals[cid], 4)
    others = [round(t, 4) for c, t in totals.items() if c != cid]
    above = sum(1 for t in others if t > mine)
    tied = sum(1 for t in others if t == mine)
    below = len(others) - above - tied
    rank, n = above + 1, len(totals)
    if not others:
        words = "the only candidate graded so far" if waiting else "the only candidate so far"
    else:
        words = (f"tied {ordinal(rank)}–{ordinal(rank + tied)} of {n} with {tied} "
                 f"other{'' if tied == 1 else 's'}" if tied else f"{ordinal(rank)} of {n}")
        ahead = "none" if below == 0 else "all" if below == len(others) else str(below)
        words += f", ahead of {ahead} of the {len(others)} other{'' if len(others) == 1 else 's'}"
    if waiting:
        words += (f" (among fully graded candidates; {waiting} more not ranked until "
                  f"graded)")
    percentile = (None if not others else
                  int(100.0 * below / len(others) + 0.5))
    short = f"tied {ordinal(rank)}–{ordinal(rank + tied)}" if tied else ordinal(rank)
    return {"rank": rank, "ordinal": ordinal(rank), "short": short, "n": n, "below": below,
            "others": len(others), "tied": tied, "percentile": percentile, "words": words}
