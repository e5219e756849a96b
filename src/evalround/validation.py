"""Validate: an exercise checks itself over many variants.

For N variants, in a throw-away course, through the real assign/collect/grade path:

1. the reference solution (the notebook's own solution cells, run on each variant's
   data) scores full marks;
2. a blank submission scores zero on the autograded part;
3. every known wrong approach loses points on the questions it names, in every variant;
4. no expected value appears anywhere in a candidate's bundle;
5. keys differ across variants, and every answer variable takes more than one value.

Where the exercise has judgement questions (``judgement: true``), it also checks that
judgement is what they measure: the ``strong`` persona takes full marks, the ``literal``
persona (every stated definition computed right, every judgement question answered
with its obvious reading) stays at or below ``LITERAL_SHARE_MAX`` of the autograded
points, neither ``literal`` nor ``aggregate_only`` gets more than
``NAIVE_JUDGEMENT_SHARE_MAX`` of any judgement question's points, and each judgement
question's truth varies across the variants. After its checks it prints one line per
persona: its mean autograded points over the variants.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from evalround import notebook as nbtools
from evalround.assignment import assign, notebook_name
from evalround.course import Candidate, Course, init_course
from evalround.execution import Limits, NotebookRunner, default_runner
from evalround.exercise import AnswerField, Exercise
from evalround.grading import grade
from evalround.scoring import score_answers
from evalround.submission import collect
from evalround.variant import canonical_json


@dataclass
class Check:
    """One property, over all variants, with the first failures as evidence."""

    name: str
    failures: list[str] = field(default_factory=list)
    checked: int = 0

    @property
    def passed(self) -> bool:
        return self.checked > 0 and not self.failures

    def line(self) -> str:
        mark = "PASS" if self.passed else "FAIL"
        text = f"[{mark}] {self.name} ({self.checked} checked)"
        for failure in self.failures[:5]:
            text += f"\n       - {failure}"
        if len(self.failures) > 5:
            text += f"\n       - ... and {len(self.failures) - 5} more"
        return text


DEFAULT_SEED = "1"
# The personas whose scores validate prints, in this order (those the exercise has).
PERSONA_LINES = ("strong", "literal", "misses_calibration", "aggregate_only", "blank")
LITERAL_SHARE_MAX = 0.60  # of the autograded points, in every variant
NAIVE_JUDGEMENT_SHARE_MAX = 0.25  # of each judgement question's points, in every variant
NAIVE_PERSONAS = ("literal", "aggregate_only")
# Below this many variants, a judgement truth may repeat by chance: reported, not failed.
MIN_VARIANTS_FOR_SPREAD = 10


@dataclass
class PersonaScores:
    """Each persona's autograded points per variant and question, scored outside any kernel."""

    auto_max: float
    points: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    by_question: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list)))

    def add(self, persona: str, scores: dict[str, Any]) -> None:
        self.points[persona].append(sum(s.points for s in scores.values()))
        for qid, score in scores.items():
            self.by_question[persona][qid].append(score.points)

    def mean(self, persona: str) -> float:
        values = self.points[persona]
        return sum(values) / len(values) if values else 0.0

    def lines(self) -> list[str]:
        return [f"persona {name}: {self.mean(name):.2f} / {self.auto_max:g} autograded "
                f"(mean over variants)" for name in PERSONA_LINES if self.points.get(name)]


@dataclass
class Spread:
    """How equal the variants are: each persona's share, each known mistake's distance
    from the truth, and each planted phenomenon's size, per variant."""

    shares: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    # (question, wrong approach) -> points it keeps, per variant
    kept: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    planted: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def lines(self, band: float, max_points: dict[str, float]) -> list[str]:
        out = []
        for name, values in self.shares.items():
            mean = sum(values) / len(values)
            out.append(f"spread persona {name}: {min(values):.0%} to {max(values):.0%} of the "
                       f"autograded points over the variants (mean {mean:.0%}; band "
                       f"±{band:g} points)")
        for (qid, approach), values in sorted(self.kept.items()):
            if max(values) - min(values) > 1e-9:
                out.append(f"spread {qid} {approach}: keeps {min(values):g} to {max(values):g} "
                           f"of {max_points[qid]:g} points")
        for name, values in sorted(self.planted.items()):
            mean = sum(values) / len(values)
            out.append(f"spread planted {name}: {min(values):.4g} to {max(values):.4g} "
                       f"(mean {mean:.4g})")
        return out


@dataclass
class ValidationReport:
    exercise: str
    variants: int
    checks: list[Check]
    seed: str = DEFAULT_SEED
    personas: PersonaScores | None = None
    # Per judgement question: how many distinct true answers the variants had.
    judgement_truths: dict[str, int] = field(default_factory=dict)
    spread_lines: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def text(self) -> str:
        head = f"validate {self.exercise}: {self.variants} variants (seed {self.seed!r})"
        verdict = "all checks passed" if self.passed else "FAILED"
        extra = self.personas.lines() if self.personas else []
        extra += [f"judgement {qid}: {n} distinct true answer{'s' if n != 1 else ''} over "
                  f"{self.variants} variants" for qid, n in self.judgement_truths.items()]
        extra += self.spread_lines
        return "\n".join([head, *(c.line() for c in self.checks), *extra, verdict])


def _float_forms(value: float) -> list[str]:
    return [repr(value), f"{value:.6f}", f"{value:.4f}", f"{value:.3f}"]


def leaked_values(
    fields: tuple[AnswerField, ...], key: dict[str, Any], files: dict[str, bytes]
) -> list[str]:
    """Key values found in bundle files. Data files are searched as whole CSV cells."""
    found = []
    texts = {path: raw.decode("utf-8", "replace") for path, raw in files.items()}
    csv_cells = {path: set(re.split(r"[,\n]", text)) for path, text in texts.items()
                 if path.endswith(".csv")}
    for spec in fields:
        value = key[spec.name]
        if spec.public_domain:
            continue
        for path, text in texts.items():
            if path.endswith(".csv"):
                cells = csv_cells[path]
                # A value with few decimals (a median, a count) can be a data point
                # by nature; only a full-precision computed value is a leak.
                precise = isinstance(value, float) and round(value, 4) != value
                forms = _float_forms(value)[:2] if precise else []
                hits = [f for f in forms if f in cells]
            elif isinstance(value, float):
                if round(value, 2) == value:
                    # Short numbers (0.9, 0.95) are everywhere: version pins, ranges,
                    # grids. Only their long forms are distinctive.
                    forms = [f"{value:.4f}", f"{value:.6f}"]
                elif abs(value) < 0.01:
                    forms = [repr(value), f"{value:.6f}"]
                else:
                    forms = _float_forms(value)
                hits = [f for f in forms if re.search(rf"(?<![\d.]){re.escape(f)}(?!\d)", text)]
            elif isinstance(value, str):
                hits = [q for q in (f'"{value}"', f"'{value}'") if q in text]
            elif isinstance(value, int) and abs(value) < 100:
                # One- and two-digit counts are in every text (dates, list items,
                # points): finding one there says nothing about the key.
                hits = []
            else:
                hits = [f for f in (repr(value),) if re.search(rf"\b{re.escape(f)}\b", text)]
            found += [f"{spec.name}={f} in {path}" for f in dict.fromkeys(hits)]
    return found


def validate_exercise(
    exercise: Exercise,
    variants: int = 20,
    runner: NotebookRunner | None = None,
    jobs: int = 2,
    progress: bool = True,
    workdir: Path | None = None,
    seed: str = DEFAULT_SEED,
    allow_unsandboxed: bool = False,
) -> ValidationReport:
    """Run every self-check of ``exercise`` over ``variants`` variants.

    The variants are those of a course whose secret is ``seed``: the same seed checks
    the same variants, so a failure can be reproduced; another seed checks others.
    """
    runner = runner or default_runner(allow_unsandboxed)  # refuse before doing any work
    secret = f"evalround-validate/{seed}".encode()
    manifest = exercise.manifest
    slug = exercise.slug
    auto_max = sum(q.points for q in manifest.auto_questions)
    checks = {
        name: Check(name)
        for name in (
            "reference solution scores full marks",
            "blank submission scores zero",
            "wrong approaches lose their points",
            "no expected value in the bundle",
            "keys differ across variants",
        )
    }
    judged = manifest.judgement_questions
    if judged:
        for name in ("strong persona takes full marks",
                     f"literal persona takes at most {LITERAL_SHARE_MAX:.0%} of the points",
                     f"naive personas take at most {NAIVE_JUDGEMENT_SHARE_MAX:.0%} of each "
                     f"judgement question",
                     "judgement truths vary across variants"):
            checks[name] = Check(name)
    fair = manifest.fairness
    fair_name = (f"variants are equally hard ({', '.join(fair.personas)} within "
                 f"±{fair.band_points:g} points of the mean share)")
    if any(p in exercise.personas for p in fair.personas):
        checks[fair_name] = Check(fair_name)
    personas = PersonaScores(auto_max)
    spread = Spread()
    truths: dict[str, set[str]] = {q.id: set() for q in judged}
    with tempfile.TemporaryDirectory(prefix="evalround-validate-", dir=workdir) as tmp:
        root = Path(tmp)
        course = init_course(root / "course", secret=secret)
        candidates = [Candidate(f"variant-{i:03d}") for i in range(variants)]
        assignments = assign(course, [exercise], candidates, progress=progress, jobs=jobs)
        source_nb = nbformat.read(course.source_dir(slug) / notebook_name(slug), as_version=4)
        solutions = nbtools.solution_code(source_nb)
        inbox = root / "inbox"
        keys: dict[str, dict[str, Any]] = {}
        for a in assignments:
            cid = a.candidate.id
            record = course.load_variant(slug, cid)
            keys[cid] = record["key"]
            with zipfile.ZipFile(a.bundle) as zf:
                files = {n.split("/", 1)[1]: zf.read(n) for n in zf.namelist()}
            checks["no expected value in the bundle"].checked += 1
            for leak in leaked_values(manifest.answer_fields, record["key"], files):
                checks["no expected value in the bundle"].failures.append(f"{cid}: {leak}")
            released = nbformat.reads(files[f"{slug}/{notebook_name(slug)}"].decode(), 4)
            _wrong_approaches(exercise, course, cid, checks["wrong approaches lose their points"],
                              personas, spread)
            for q in judged:
                truths[q.id].add(canonical_json({f.name: _truth(record["key"][f.name])
                                                 for f in q.answers}))
            reference = nbformat.from_dict(released)
            for cell in reference.cells:
                gid = nbtools.grade_id(cell)
                if gid in solutions and gid.endswith("_answer"):
                    cell.source = solutions[gid]
            _write_submission(inbox / "reference" / cid, slug, reference)
            _write_submission(inbox / "blank" / cid, slug, released)
        for kind, check_name, expected in (
            ("reference", "reference solution scores full marks", auto_max),
            ("blank", "blank submission scores zero", 0.0),
        ):
            outcomes = [o for c in candidates
                        for o in collect(course, [inbox / kind / c.id], candidate=c.id)]
            refused = [o.line() for o in outcomes if o.status == "rejected"]
            checks[check_name].failures.extend(refused)
            for graded in grade(course, [exercise], runner=runner, limits=Limits(),
                                jobs=jobs, progress=progress):
                checks[check_name].checked += 1
                if abs(graded.auto_points - expected) > 1e-9:
                    lost = {q: s for q, s in graded.scores.items()
                            if s != (graded.max_scores[q] if expected else 0.0)}
                    checks[check_name].failures.append(
                        f"{graded.candidate}: {graded.auto_points:g} of {auto_max:g} points "
                        f"(off on {lost}){'; ' + graded.failure if graded.failure else ''}"
                    )
        _distinct_keys(manifest.answer_fields, keys, checks["keys differ across variants"])
    if judged:
        _judgement_checks(exercise, personas, truths, variants, checks)
    if fair_name in checks:
        _fairness(exercise, personas, spread, checks[fair_name])
    max_points = {q.id: q.points for q in manifest.auto_questions}
    return ValidationReport(slug, variants, list(checks.values()), seed, personas,
                            {qid: len(seen) for qid, seen in truths.items()},
                            spread.lines(fair.band_points, max_points))


def _fairness(exercise: Exercise, personas: PersonaScores, spread: Spread,
              check: Check) -> None:
    """Every variant as hard as the others: each persona's share near its own mean."""
    fair = exercise.manifest.fairness
    for name in fair.personas:
        totals = personas.points.get(name)
        if not totals or personas.auto_max <= 0:
            continue  # an exercise without that persona has nothing to compare
        shares = [t / personas.auto_max for t in totals]
        spread.shares[name] = shares
        mean = sum(shares) / len(shares)
        for i, share in enumerate(shares):
            check.checked += 1
            if abs(share - mean) * 100 > fair.band_points + 1e-9:
                check.failures.append(
                    f"variant {i}: {name} takes {share:.0%} of the autograded points, "
                    f"{abs(share - mean) * 100:.0f} points from its mean {mean:.0%} "
                    f"(band ±{fair.band_points:g})")


def _truth(value: Any) -> Any:
    """A key value as a comparable truth: a set answer in any order is the same set."""
    if isinstance(value, list):
        return sorted(str(v).strip().lower() for v in value)
    if isinstance(value, str):
        return value.strip().lower()
    return value


def _judgement_checks(exercise: Exercise, personas: PersonaScores, truths: dict[str, set[str]],
                      variants: int, checks: dict[str, Check]) -> None:
    manifest = exercise.manifest
    auto_max = personas.auto_max
    strong = checks["strong persona takes full marks"]
    for i, total in enumerate(personas.points["strong"]):
        strong.checked += 1
        if total < auto_max - 1e-9:
            strong.failures.append(f"variant {i}: strong scores {total:g} of {auto_max:g}")
    literal = checks[f"literal persona takes at most {LITERAL_SHARE_MAX:.0%} of the points"]
    if "literal" not in exercise.personas:
        literal.failures.append("answers.py defines no 'literal' persona in PERSONAS")
    for i, total in enumerate(personas.points["literal"]):
        literal.checked += 1
        if total > LITERAL_SHARE_MAX * auto_max + 1e-9:
            literal.failures.append(f"variant {i}: literal scores {total:g} of {auto_max:g} "
                                    f"({total / auto_max:.0%})")
    naive = checks[f"naive personas take at most {NAIVE_JUDGEMENT_SHARE_MAX:.0%} of each "
                   f"judgement question"]
    for persona in NAIVE_PERSONAS:
        if persona not in exercise.personas:
            continue
        for q in manifest.judgement_questions:
            for i, got in enumerate(personas.by_question[persona][q.id]):
                naive.checked += 1
                if got > NAIVE_JUDGEMENT_SHARE_MAX * q.points + 1e-9:
                    naive.failures.append(f"variant {i}: {persona} scores {got:g} of "
                                          f"{q.points:g} on judgement question {q.id}")
    spread = checks["judgement truths vary across variants"]
    for qid, seen in truths.items():
        spread.checked += 1
        if variants >= MIN_VARIANTS_FOR_SPREAD and len(seen) < 2:
            spread.failures.append(f"{qid}: the same true answer in all {variants} variants")


def _write_submission(folder: Path, slug: str, nb: nbformat.NotebookNode) -> None:
    (folder / slug).mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / slug / notebook_name(slug))


def _wrong_approaches(exercise: Exercise, course: Course, cid: str, check: Check,
                      personas: PersonaScores, spread: Spread) -> None:
    """Each wrong approach, scored as if submitted: it must lose the points it names.

    Each persona's answers are scored the same way, for the persona lines."""
    from evalround.assignment import variant_for

    variant, data, key = variant_for(course, exercise, cid)
    frames = data.frames()
    public = dict(variant.injected_parameters)
    for persona, wrong in exercise.personas.items():
        if persona in PERSONA_LINES:
            answers = exercise.approach(frames, public, tuple(wrong))
            personas.add(persona, score_answers(exercise.manifest, key.values, answers))
    if "strong" not in exercise.personas:
        strong = exercise.approach(frames, public, ())
        personas.add("strong", score_answers(exercise.manifest, key.values, strong))
    personas.add("blank", score_answers(exercise.manifest, key.values, {}))
    for name, size in exercise.planted({"public": variant.public,
                                        "hidden": variant.hidden}).items():
        spread.planted[name].append(size)
    for name, approach in exercise.wrong_approaches.items():
        check.checked += 1
        answers = exercise.approach(frames, public, (name,))
        scores = score_answers(exercise.manifest, key.values, answers)
        for qid in approach.loses:
            spread.kept[(qid, name)].append(scores[qid].points)
            if scores[qid].points >= scores[qid].max_points:
                check.failures.append(f"{cid}: {name} keeps full marks on {qid}")
        for qid, score in scores.items():
            if qid not in approach.loses and score.points < score.max_points:
                check.failures.append(f"{cid}: {name} also loses points on {qid}, "
                                      f"which it does not declare")


def _distinct_keys(fields: tuple[AnswerField, ...], keys: dict[str, dict[str, Any]],
                   check: Check) -> None:
    check.checked = len(keys)
    shas = defaultdict(list)
    for cid, key in keys.items():
        shas[canonical_json(key)].append(cid)
    for same in shas.values():
        if len(same) > 1:
            check.failures.append(f"identical keys: {', '.join(same)}")
    if len(keys) >= 5:
        for spec in fields:
            values = {repr(k[spec.name]) for k in keys.values()}
            if len(values) < 2:
                check.failures.append(f"{spec.name} is the same in every variant")
