"""Item statistics for the cohort view: how each question did, and whether it separates.

Per question: the mean share of its points, and the *corrected* item-total correlation,
the correlation of the question's points with the rest of the exercise total (the total
without that question). The uncorrected one counts the question in its own total and so
reads high on any small cohort. Each statistic says how many candidates it rests on,
and is left out, with the reason, below ``MIN_N`` graded candidates or without spread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from evalround.exercise import Exercise
from evalround.item_analysis import MIN_N, ExerciseStats, mistake_counts
from evalround.item_analysis import corrected_item_total as pearson_rest
from evalround.results import NOT_SUBMITTED, CandidateResult, share


def corrected_item_total(pairs: Sequence[tuple[float, float]]
                         ) -> tuple[float | None, str]:
    """(r, why it is missing) for (item points, exercise total) pairs of graded candidates."""
    if len(pairs) < MIN_N:
        return None, f"needs {MIN_N} graded candidates, has {len(pairs)}"
    items = [p for p, _ in pairs]
    rest = [t - p for p, t in pairs]
    if max(items) - min(items) <= 1e-9:
        return None, "every candidate scored the same"
    if max(rest) - min(rest) <= 1e-9:
        return None, "the rest of the total has no spread"
    r = pearson_rest(items, rest)
    return (r, "") if r is not None else (None, "undefined")


def item_analysis(results: Sequence[CandidateResult],
                  exercises: Sequence[Exercise]) -> list[dict[str, Any]]:
    """Per exercise and question: n, mean %, and the corrected item-total correlation.

    Only submitted candidates count; a written answer without points (pending, or changed
    since marked) is left out of its question, and a candidate with any answer without
    points is left out of the correlations (their total is not final).
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
        first = next(r for r in results if r.exercise == slug)
        items = []
        for qid, most in first.max_points.items():
            graded = [float(p) for r in rows if (p := r.questions.get(qid)) is not None]
            mean = (sum(graded) / len(graded)) if graded else None
            r_value, why = corrected_item_total(
                [(float(r.questions[qid] or 0.0), r.total) for r in rows if r.complete])
            items.append({
                "id": qid,
                "title": qtitles.get((slug, qid), qid),
                "max": most,
                "n": len(graded),
                "mean_pct": share(mean, most) if mean is not None else None,
                "corr": r_value,
                "corr_note": why,
            })
        out.append({"slug": slug, "title": titles.get(slug, slug), "items": items,
                    "submitted": len(rows),
                    "mistakes": mistake_counts(r.diagnoses for r in rows)})
    return out




def with_full_statistics(items: list[dict[str, Any]], stats: Mapping[str, ExerciseStats]
                         ) -> list[dict[str, Any]]:
    """``item_analysis``'s rows with the fuller statistics of ``item_analysis.analyse``
    (alpha, efficiency, flags) where the report has them, and each question's mistakes."""
    for ex in items:
        full = stats.get(ex["slug"])
        ex["alpha"] = full.alpha if full else None
        ex["n_complete"] = full.n if full else None
        by_q = {i.question: i for i in full.items} if full else {}
        for q in ex["items"]:
            st = by_q.get(q["id"])
            q["efficiency"] = st.efficiency if st else None
            q["flags"] = "; ".join(st.flags) if st else ""
            q["mistakes"] = ex["mistakes"].get(q["id"], [])
    return items
