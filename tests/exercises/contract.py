"""The exercises' contract: what every folder under exercises/ is, built once and shared.

``test_every_exercise.py`` checks the contract on every exercise (the template too); each
exercise's own test file checks only what is specific to it (its planted phenomena, its
scenario text agreeing with its data) and reads its variants from here, so a variant is
generated once per test process. A new exercise gets the whole contract by existing.

Variants are built the way ``evalround.variant.build_variant`` builds them (the
generator's parameters, then its data from the same random generator, the files as the
candidate gets them, parsed back the plain way), from small integer seeds instead of a
course secret, through evalround's own ``Exercise`` (its modules imported by path).
"""

from __future__ import annotations

import ast
import fcntl
import json
import pickle
from functools import cache
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pandas as pd

from evalround.exercise import Exercise, load_exercise
from evalround.scoring import score_answers
from evalround.variant import DEFAULT_SEED, default_data, frames_to_files, read_data_file

ROOT = Path(__file__).resolve().parents[2]
EXERCISES_DIR = ROOT / "exercises"
SEEDS = range(30)
# Exercise, the seed of the variant whose notebook solution runs headless (slow tests).
SOLUTION_SEED = 4


def _all_exercises() -> dict[str, Exercise]:
    """Every exercise folder by slug, the template included (discovery skips it)."""
    found = {}
    for manifest in sorted(EXERCISES_DIR.glob("*/exercise.yaml")):
        exercise = load_exercise(manifest.parent)
        found[exercise.slug] = exercise
    return found


EXERCISES = _all_exercises()
SLUGS = sorted(EXERCISES)
Params = dict[str, Any]
Frames = dict[str, pd.DataFrame]
Key = dict[str, Any]


def generate(slug: str, seed: int) -> tuple[Params, dict[str, bytes]]:
    """A fresh variant: its parameters and the bytes a candidate receives."""
    exercise = EXERCISES[slug]
    rng = np.random.default_rng(seed)
    params = exercise.sample_parameters(rng)
    return params, frames_to_files(exercise.generate(rng, params))


# Set by conftest.py under pytest-xdist: a folder of this run's, shared by its workers.
SHARED: Path | None = None


@cache
def variant(slug: str, seed: int) -> tuple[Params, dict[str, bytes]]:
    """``generate``, once per test process, and once per run when its workers share a
    folder: the contract suite and an exercise's own file, run side by side, read the
    same variants instead of each generating them."""
    if SHARED is None:
        return generate(slug, seed)
    SHARED.mkdir(parents=True, exist_ok=True)
    path = SHARED / f"{slug}-{seed}.pickle"
    with (SHARED / f"{slug}-{seed}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other worker waits instead of generating
        if path.exists():
            made: tuple[Params, dict[str, bytes]] = pickle.loads(path.read_bytes())
            return made
        made = generate(slug, seed)
        part = path.with_suffix(".part")
        part.write_bytes(pickle.dumps(made))
        part.replace(path)
        return made


@cache
def keyed(slug: str, seed: int) -> tuple[Params, Frames, Key]:
    """The variant's parameters, its files parsed as a candidate parses them, its key."""
    params, files = variant(slug, seed)
    frames = {name: read_data_file(name, data) for name, data in files.items()}
    return params, frames, EXERCISES[slug].reference(frames, params["public"])


def keyed_public(slug: str, seed: int) -> tuple[Params, Frames, Key]:
    """``keyed`` with only the public parameters, the ones the candidate sees."""
    params, frames, key = keyed(slug, seed)
    return params["public"], frames, key


@cache
def default_key(slug: str) -> Key:
    """The key of the bundled default dataset (``data/<slug>/``, which test_variant checks
    equals this regeneration), with the default seed's public parameters."""
    exercise = EXERCISES[slug]
    frames = default_data(exercise).frames()
    params = exercise.sample_parameters(np.random.default_rng(DEFAULT_SEED))
    key: Key = exercise.reference(frames, params["public"])
    return key


def default_public(slug: str) -> Params:
    """The public parameters of the default dataset: the notebook's parameters cell."""
    exercise = EXERCISES[slug]
    public: Params = exercise.sample_parameters(np.random.default_rng(DEFAULT_SEED))["public"]
    return public


def points(slug: str, key: Key, given: dict[str, Any]) -> dict[str, float]:
    """Autograded points per question, scored as evalround scores a submission."""
    return {q: s.points for q, s in score_answers(EXERCISES[slug].manifest, key, given).items()}


def auto_max(slug: str) -> float:
    return sum(q.points for q in EXERCISES[slug].manifest.auto_questions)


def persona_answers(slug: str, seed: int, persona: str) -> dict[str, Any]:
    """The answers of a simulated candidate: the key with the persona's mistakes on top."""
    exercise = EXERCISES[slug]
    params, frames, key = keyed(slug, seed)
    given = dict(key)
    for name in exercise.personas.get(persona, ()):
        given.update(exercise.wrong_approaches[name].fn(frames, params["public"]))
    return given


@cache
def persona_points(slug: str, seed: int) -> dict[str, dict[str, float]]:
    """persona -> question -> points on this variant, with ``blank`` (no answer at all)."""
    _, _, key = keyed(slug, seed)
    by_persona = {persona: points(slug, key, persona_answers(slug, seed, persona))
                  for persona in EXERCISES[slug].personas}
    by_persona["blank"] = points(slug, key, {})
    return by_persona


def persona_totals(slug: str, seed: int) -> dict[str, float]:
    return {persona: sum(qs.values()) for persona, qs in persona_points(slug, seed).items()}


def notebook(slug: str) -> nbformat.NotebookNode:
    return EXERCISES[slug].notebook()


def public_text(slug: str) -> str:
    """The notebook's text a candidate reads: every cell but those holding a solution."""
    return "\n".join(c.source for c in notebook(slug).cells if "BEGIN SOLUTION" not in c.source)


def cells_by_id(slug: str) -> dict[str, nbformat.NotebookNode]:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in notebook(slug).cells}


def parameters_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))


def assigned_values(source: str) -> dict[str, Any]:
    """``name = literal`` assignments of a cell, evaluated as literals."""
    values = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = ast.literal_eval(node.value)
    return values


_solutions: dict[tuple[str, int], dict[str, Any]] = {}


def solution_answers(slug: str, seed: int, workdir: Path) -> dict[str, Any]:
    """Run the notebook headless, its own solution cells in place, on one variant; return
    every answer variable it sets (once per test process and variant).

    Any error output or anything on stderr fails the run, naming the cell."""
    if (slug, seed) in _solutions:
        return _solutions[(slug, seed)]
    from nbclient import NotebookClient

    params, files = variant(slug, seed)
    data = workdir / "data"
    data.mkdir(parents=True)
    for name, content in files.items():
        (data / name).write_bytes(content)
    nb = notebook(slug)
    parameters_cell(nb).source = (
        f'variant_id = "seed-{seed}"\ndata_dir = {str(data)!r}\n'
        + "".join(f"{name} = {value!r}\n" for name, value in params["public"].items()))
    names = [f.name for f in EXERCISES[slug].manifest.answer_fields]
    nb.cells.append(nbformat.v4.new_code_cell(
        f"import json\nprint(json.dumps({{k: globals()[k] for k in {names!r}}}))"))
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(workdir)}}).execute()
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id", "the answers cell")
        for out in cell.get("outputs", []):
            assert out.output_type != "error", (slug, gid, out.get("evalue"))
            assert not (out.output_type == "stream" and out.name == "stderr"), (slug, gid,
                                                                                 out.text)
    got: dict[str, Any] = json.loads(nb.cells[-1].outputs[0].text)
    _solutions[(slug, seed)] = got
    return got
