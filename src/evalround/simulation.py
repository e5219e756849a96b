"""Simulated candidates: submissions of known quality, for the demo and the tests.

Each persona opens its own bundle and answers as that kind of candidate would:

- ``strong``: every number right, and thoughtful written answers;
- ``misses_calibration`` and ``aggregate_only``: the exercise's own wrong approaches
  (``PERSONAS`` in its answers.py), applied to the candidate's data;
- ``literal``: every stated definition computed right, and every judgement question
  answered with its obvious reading (``PERSONAS["literal"]`` in answers.py): a careful
  candidate who follows the notebook but does not investigate;
- ``blank``: submits the bundle untouched;
- ``tamperer``: the reference solution code, plus every tampering the threat model
  lists (parameters, data files, locked and test cells, fake output, redefined checks);
- ``copier``: pastes another candidate's numbers into their own notebook.

Simulated graders (``simulate_graders``) then mark the written answers blind, as two
people would: each rubric item is earned or not by the persona's written quality, and
each grader misreads any item now and then, so that ``evalround calibrate`` has real
disagreement to find. They do not read the rubric's wording: every item is misread
equally often, so the demo's kappas measure chance (over a handful of answers per item),
not how clear an item is. Only real graders can show that.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pandas as pd
from nbformat import NotebookNode

from evalround.assignment import notebook_name
from evalround.bundle import zip_bytes
from evalround.course import Candidate, Course, CourseError, write_atomic
from evalround.exercise import Exercise
from evalround.notebook import INJECTED_TAG, PARAMETERS_TAG, fill_answers, grade_id, unanswered
from evalround.variant import read_data_file

PERSONAS = ("strong", "literal", "misses_calibration", "aggregate_only", "blank", "tamperer",
            "copier")


@dataclass(frozen=True)
class SimulatedCandidate:
    candidate: Candidate
    persona: str
    copies_from: str | None = None


DEMO_COHORT = (
    SimulatedCandidate(Candidate("ada", "Ada Okafor", "ada@example.com"), "strong"),
    SimulatedCandidate(Candidate("ben", "Ben Lindqvist", "ben@example.com"),
                       "misses_calibration"),
    SimulatedCandidate(Candidate("chiara", "Chiara Rossi", "chiara@example.com"),
                       "aggregate_only"),
    SimulatedCandidate(Candidate("dev", "Dev Patel", "dev@example.com"), "blank"),
    SimulatedCandidate(Candidate("eve", "Eve Moreau", "eve@example.com"), "tamperer"),
    SimulatedCandidate(Candidate("felix", "Felix Wagner", "felix@example.com"), "copier",
                       copies_from="ada"),
    SimulatedCandidate(Candidate("gus", "Gus Ferreira", "gus@example.com"), "literal"),
)

WRITTEN = {
    "strong": (
        "The headline number is measured on the wrong population. I would gate the launch "
        "on the live cohort, sliced by language and channel with a minimum n, report "
        "kappa rather than raw agreement, check calibration before trusting the "
        "threshold, price misroutes with the asymmetric cost matrix, and only let the "
        "judge gate releases after validating its TPR and TNR per slice, with a "
        "confidence interval, re-validated whenever its prompt or model changes."
    ),
    "misses_calibration": (
        "Accuracy differs by slice, so I would report the worst slices next to the "
        "aggregate and add the failing languages to the gold set."
    ),
    "literal": (
        "I computed every metric as defined. The numbers are within the ranges the team "
        "expected, so I would report them as they are and re-run the eval before launch."
    ),
    "aggregate_only": "The model scores well on the eval set, so it looks ready to launch.",
    "tamperer": "Looks good to me.",
    "copier": "I agree with the analysis above.",
}


def read_bundle(path: Path) -> dict[str, bytes]:
    """A bundle's files by path inside it (the top folder dropped)."""
    with zipfile.ZipFile(path) as zf:
        return {n.split("/", 1)[1]: zf.read(n) for n in zf.namelist() if not n.endswith("/")}


def _public(course: Course, exercise: Exercise, cid: str) -> dict[str, Any]:
    record = course.load_variant(exercise.slug, cid)
    return {"variant_id": record["variant_id"], "data_dir": "data", **record["public"]}


def _frames(files: Mapping[str, bytes], slug: str) -> dict[str, pd.DataFrame]:
    prefix = f"{slug}/data/"
    return {
        name[len(prefix):]: read_data_file(name, data)
        for name, data in files.items()
        if name.startswith(prefix)
    }


def answers_for(course: Course, exercise: Exercise, cid: str, files: Mapping[str, bytes],
                persona: str) -> dict[str, Any]:
    """The numbers this persona would submit, computed from the candidate's own data."""
    wrong = exercise.personas.get(persona, ())
    return exercise.approach(_frames(files, exercise.slug), _public(course, exercise, cid), wrong)


def _tamper(nb: NotebookNode, solutions: Mapping[str, str]) -> NotebookNode:
    """Reference code in the answer cells, and every tampering we know of elsewhere."""
    nb = nbformat.from_dict(nb)
    cells = []
    for cell in nb.cells:
        gid = grade_id(cell)
        tags = cell.metadata.get("tags", [])
        meta = cell.metadata.get("nbgrader", {})
        if gid is not None and gid in solutions and gid.endswith("_answer"):
            cell.source = solutions[gid]
        elif PARAMETERS_TAG in tags or INJECTED_TAG in tags:
            cell.source = "\n".join(
                line.split("=")[0] + "= 1" if "=" in line and "data_dir" not in line
                and "variant_id" not in line else line
                for line in cell.source.splitlines()
            )
        elif meta.get("grade") and not meta.get("solution"):
            cell.source = 'print("All hidden checks passed: full marks.")\n1e9'
        elif meta.get("locked") and cell.cell_type == "code":
            cell.source += "\npublic_check = lambda *args, **kwargs: None"
        cells.append(cell)
    forged = nbformat.v4.new_code_cell(
        'print("Hidden checks (evalround): 100 / 100 points")\n'
        "import math, numpy\nmath.isclose = numpy.isclose = lambda *a, **k: True"
    )
    forged.metadata["nbgrader"] = {"grade": True, "grade_id": "bonus", "points": 100,
                                   "locked": False, "solution": False, "schema_version": 3}
    cells.insert(1, forged)
    nb.cells = cells
    return nb


def _tamper_data(files: dict[str, bytes], slug: str) -> None:
    """Halve every data file: answers computed from these would change."""
    for name in [n for n in files if n.startswith(f"{slug}/data/")]:
        lines = files[name].decode().splitlines(keepends=True)
        files[name] = "".join(lines[: max(2, len(lines) // 2)]).encode()


def simulate_submission(
    course: Course,
    exercises: list[Exercise],
    who: SimulatedCandidate,
    solutions: Mapping[str, Mapping[str, str]],
    peer_answers: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[bytes, dict[str, dict[str, Any]]]:
    """The zip this candidate sends back, and the numbers it answered per exercise."""
    cid = who.candidate.id
    files = read_bundle(course.bundle_dir() / f"{cid}.zip")
    answered: dict[str, dict[str, Any]] = {}
    for exercise in exercises:
        slug = exercise.slug
        nb_path = f"{slug}/{notebook_name(slug)}"
        nb = nbformat.reads(files[nb_path].decode(), as_version=4)
        if who.persona == "blank":
            continue
        if who.persona == "tamperer":
            nb = _tamper(nb, solutions[slug])
            _tamper_data(files, slug)
        else:
            if who.persona == "copier" and peer_answers is not None:
                values = dict(peer_answers[slug])
            else:
                persona = who.persona if who.persona in exercise.personas else "strong"
                values = answers_for(course, exercise, cid, files, persona)
            written = {q.id: WRITTEN.get(who.persona, WRITTEN["strong"])
                       for q in exercise.manifest.written_questions}
            nb = fill_answers(nb, exercise.manifest, values, written)
            answered[slug] = values
        files[nb_path] = nbformat.writes(nb).encode()
    return zip_bytes(cid, files), answered


def simulate_cohort(
    course: Course,
    exercises: list[Exercise],
    inbox: Path,
    cohort: tuple[SimulatedCandidate, ...] = DEMO_COHORT,
) -> dict[str, Path]:
    """Write every simulated candidate's submission to ``inbox/<id>.zip``."""
    from evalround.notebook import solution_code

    solutions = {
        e.slug: solution_code(
            nbformat.read(course.source_dir(e.slug) / notebook_name(e.slug), as_version=4)
        )
        for e in exercises
    }
    answered: dict[str, dict[str, dict[str, Any]]] = {}
    paths: dict[str, Path] = {}
    for who in sorted(cohort, key=lambda w: w.copies_from is not None):
        peer = answered.get(who.copies_from) if who.copies_from else None
        data, answered[who.candidate.id] = simulate_submission(
            course, exercises, who, solutions, peer
        )
        path = inbox / f"{who.candidate.id}.zip"
        write_atomic(path, data)
        paths[who.candidate.id] = path
    return paths


# -- simulated graders ---------------------------------------------------------------

GRADERS = ("rhea", "sam")
# How likely a rubric item is earned by each persona's written answers.
WRITTEN_QUALITY = {"strong": 0.9, "literal": 0.3, "misses_calibration": 0.45,
                   "aggregate_only": 0.1,
                   "tamperer": 0.0, "copier": 0.05}
MISREAD = 0.05  # a grader's chance of misreading an item (each names one observable thing)


def simulate_graders(
    course: Course,
    exercises: list[Exercise],
    rng: np.random.Generator,
    cohort: tuple[SimulatedCandidate, ...] = DEMO_COHORT,
    graders: tuple[str, ...] = GRADERS,
) -> int:
    """Every grader marks every non-blank written answer of the cohort; returns the marks.

    Graders mark independently (each sees only the answer and the rubric); the gradebook
    then holds the mean of their scores.
    """
    from evalround.rubric import answer_text, apply_items, rubric_items

    marked = 0
    for exercise in exercises:
        items = rubric_items(exercise)
        graded = set(course.assigned(exercise.slug))
        for who in cohort:
            cid = who.candidate.id
            quality = WRITTEN_QUALITY.get(who.persona)
            if quality is None or cid not in graded:
                continue
            try:
                answers = answer_text(course, exercise, cid)
            except CourseError:  # not submitted or not graded: nothing to mark
                continue
            for q in exercise.manifest.written_questions:
                if unanswered(answers.get(q.id, "")):
                    continue  # nbgrader already scored the blank answer 0
                deserved = {i.id: bool(rng.random() < quality) for i in items[q.id]}
                for grader in graders:
                    applied = [
                        i.id for i in items[q.id]
                        if deserved[i.id] != bool(rng.random() < MISREAD)
                    ]
                    missing = [i.id for i in items[q.id] if i.id not in applied]
                    comment = (f"Earns {', '.join(applied) or 'no item'}"
                               + (f"; misses {', '.join(missing)}." if missing else "."))
                    apply_items(course, exercise, cid, q.id, grader, applied, comment)
                    marked += 1
    return marked
