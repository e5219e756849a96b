"""Exercises: one folder each under ``exercises/``, found by scanning manifests.

An exercise folder holds a fixed set of files (see ``docs/exercise-format.md``). This
module loads and validates them, and imports the exercise's generator and answers
modules by path (folder names contain dashes, so they are not packages).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import string
import sys
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import nbformat
import numpy as np
import pandas as pd
import yaml

EXERCISE_FILES = (
    "exercise.yaml",
    "generator.py",
    "answers.py",
    "notebook.ipynb",
    "rubric.yaml",
    "README.md",
)
TEMPLATE_SLUG = "_template"
_SCHEMA = json.loads((Path(__file__).parent / "manifest.schema.json").read_text())

Frames = dict[str, pd.DataFrame]
Answers = dict[str, Any]


class ExerciseError(Exception):
    """An exercise folder is missing a file or its manifest is invalid."""


@dataclass(frozen=True)
class AnswerField:
    """One variable the candidate assigns, and how it is checked."""

    name: str
    type: str
    min: float | None = None
    max: float | None = None
    tolerance: float = 0.0
    choices: tuple[str, ...] = ()
    public_domain: bool = False
    weight: float = 1.0


@dataclass(frozen=True)
class Question:
    """A question of the exercise: autograded (``auto``) or manually graded (``written``)."""

    id: str
    kind: str
    title: str
    skill: str
    points: float
    answers: tuple[AnswerField, ...] = ()
    # A judgement question names a finding or a decision, never the method: its truth
    # is planted per variant, and the literal reading of the notebook gets it wrong.
    judgement: bool = False

    @property
    def answer_cell_id(self) -> str:
        """The nbgrader grade_id of the cell where the candidate answers."""
        return f"{self.id}_answer" if self.kind == "auto" else self.id


@dataclass(frozen=True)
class Fairness:
    """How equally hard the variants must be: each named persona's share of the
    autograded points stays within ``band_points`` percentage points of its mean."""

    band_points: float = 10.0
    personas: tuple[str, ...] = ("literal",)


@dataclass(frozen=True)
class Manifest:
    """The validated contents of ``exercise.yaml``."""

    id: str
    slug: str
    title: str
    round: str
    time_budget_minutes: int
    summary: str
    skills: Mapping[str, str]
    parameters: Mapping[str, str]
    questions: tuple[Question, ...]
    fairness: Fairness = Fairness()
    # A public sample: its reference solution ships with the open-source kit, so it is
    # for trying the kit out, never for real candidates (use a private bank).
    sample: bool = False

    @property
    def auto_questions(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.kind == "auto")

    @property
    def judgement_questions(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.judgement)

    @property
    def written_questions(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.kind == "written")

    @property
    def answer_fields(self) -> tuple[AnswerField, ...]:
        return tuple(f for q in self.auto_questions for f in q.answers)

    @property
    def total_points(self) -> float:
        return float(sum(q.points for q in self.questions))

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)


def parse_manifest(raw: Any, source: str = "exercise.yaml") -> Manifest:
    """Validate a manifest against the schema and return typed values."""
    try:
        jsonschema.validate(raw, _SCHEMA)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        raise ExerciseError(f"{source}: invalid manifest at {where}: {exc.message}") from None
    questions = []
    seen: set[str] = set()
    for q in raw["questions"]:
        if q["id"] in seen:
            raise ExerciseError(f"{source}: question id {q['id']!r} appears twice")
        seen.add(q["id"])
        if q["skill"] not in raw["skills"]:
            raise ExerciseError(
                f"{source}: question {q['id']} names skill {q['skill']!r}, "
                f"which is not listed under skills"
            )
        answers = q.get("answers", {})
        if q["kind"] == "auto" and not answers:
            raise ExerciseError(f"{source}: autograded question {q['id']} lists no answers")
        if q["kind"] == "written" and answers:
            raise ExerciseError(f"{source}: written question {q['id']} cannot list answers")
        if q.get("judgement") and q["kind"] != "auto":
            raise ExerciseError(
                f"{source}: question {q['id']} is marked judgement but is not autograded "
                f"(a judgement question is scored exactly; written answers have rubrics)"
            )
        fields = tuple(
            AnswerField(
                name=name,
                type=spec["type"],
                min=spec.get("min"),
                max=spec.get("max"),
                tolerance=float(spec.get("tolerance", 0.0)),
                choices=tuple(spec.get("choices", ())),
                public_domain=bool(spec.get("public_domain", False)),
                weight=float(spec.get("weight", 1.0)),
            )
            for name, spec in answers.items()
        )
        questions.append(
            Question(
                id=q["id"],
                kind=q["kind"],
                title=q["title"],
                skill=q["skill"],
                points=float(q["points"]),
                answers=fields,
                judgement=bool(q.get("judgement", False)),
            )
        )
    names = [f.name for q in questions for f in q.answers]
    if len(names) != len(set(names)):
        raise ExerciseError(f"{source}: an answer variable is listed under two questions")
    return Manifest(
        id=raw["id"],
        slug=raw["slug"],
        title=raw["title"],
        round=raw["round"],
        time_budget_minutes=int(raw["time_budget_minutes"]),
        summary=raw["summary"].strip(),
        skills=dict(raw["skills"]),
        parameters={k: v["type"] for k, v in raw["parameters"].items()},
        questions=tuple(questions),
        sample=bool(raw.get("sample", False)),
        fairness=Fairness(
            band_points=float(raw.get("fairness", {}).get("band_points", Fairness.band_points)),
            personas=tuple(raw.get("fairness", {}).get("personas", Fairness.personas)),
        ),
    )


@dataclass(frozen=True)
class WrongApproachSpec:
    """A known wrong approach and the questions it must lose points on."""

    name: str
    fn: Callable[[Frames, dict[str, Any]], Answers]
    loses: tuple[str, ...]
    # One line a hiring manager understands ("gold-set accuracy used instead of live").
    description: str = ""


@dataclass
class Exercise:
    """An exercise folder, loaded."""

    folder: Path
    manifest: Manifest
    _modules: dict[str, ModuleType] = field(default_factory=dict, repr=False)

    @property
    def slug(self) -> str:
        return self.manifest.slug

    @cached_property
    def version(self) -> str:
        """A digest of the exercise's files: an author's edit to any of them (generator,
        key, notebook, manifest, rubric) makes a new version."""
        digest = hashlib.sha256()
        for name in sorted(EXERCISE_FILES):
            digest.update(name.encode() + b"\0" + (self.folder / name).read_bytes() + b"\0")
        return digest.hexdigest()[:12]

    def preload(self) -> None:
        """Import the generator and answers now, before worker threads use them."""
        self._module("generator")
        self._module("answers")

    def _module(self, name: str) -> ModuleType:
        if name not in self._modules:
            path = self.folder / f"{name}.py"
            mod_name = f"evalround_exercise_{self.slug.replace('-', '_')}_{name}"
            spec = importlib.util.spec_from_file_location(mod_name, path)
            if spec is None or spec.loader is None:
                raise ExerciseError(f"{path}: cannot be imported")
            module = importlib.util.module_from_spec(spec)
            # Registered before running, as dataclasses in the module look it up.
            sys.modules[mod_name] = module
            spec.loader.exec_module(module)
            self._modules[name] = module
        return self._modules[name]

    def _call(self, module: str, name: str, *args: Any) -> Any:
        """An author's function, whose failure names the file and the function."""
        try:
            return getattr(self._module(module), name)(*args)
        except ExerciseError:
            raise
        except Exception as exc:
            raise ExerciseError(f"{self.folder}/{module}.py: {name}() failed: "
                                f"{type(exc).__name__}: {exc}") from exc

    def sample_parameters(self, rng: np.random.Generator) -> dict[str, dict[str, Any]]:
        params = self._call("generator", "sample_parameters", rng)
        if set(params) != {"public", "hidden"}:
            raise ExerciseError(
                f"{self.folder}/generator.py: sample_parameters must return "
                f"{{'public': ..., 'hidden': ...}}, got keys {sorted(params)}"
            )
        missing = set(self.manifest.parameters) - set(params["public"])
        if missing:
            raise ExerciseError(
                f"{self.folder}/generator.py: public parameters {sorted(missing)} are in the "
                f"manifest but sample_parameters does not set them"
            )
        return dict(params)

    def planted(self, params: dict[str, Any]) -> dict[str, float]:
        """The size of each planted phenomenon in a variant, if the generator says
        (an optional ``planted(params)`` in generator.py); else nothing."""
        fn = getattr(self._module("generator"), "planted", None)
        return {str(k): float(v) for k, v in fn(params).items()} if fn else {}

    def generate(self, rng: np.random.Generator, params: dict[str, Any]) -> Frames:
        frames: Frames = self._call("generator", "generate", rng, params)
        for name in frames:
            if not name.endswith((".csv", ".jsonl")) or "/" in name or name.startswith("."):
                raise ExerciseError(f"{self.folder}/generator.py: bad data file name {name!r}")
        return frames

    def reference(self, data: Frames, public: dict[str, Any]) -> Answers:
        answers: Answers = self._call("answers", "reference", data, public)
        expected = {f.name for f in self.manifest.answer_fields}
        if set(answers) != expected:
            raise ExerciseError(
                f"{self.folder}/answers.py: reference() returns {sorted(answers)}, "
                f"the manifest lists {sorted(expected)}"
            )
        return answers

    @cached_property
    def wrong_approaches(self) -> dict[str, WrongApproachSpec]:
        raw = getattr(self._module("answers"), "WRONG_APPROACHES", {})
        return {
            name: WrongApproachSpec(name=name, fn=w.fn, loses=tuple(w.loses),
                                    description=str(getattr(w, "description", "") or ""))
            for name, w in raw.items()
        }

    @cached_property
    def personas(self) -> dict[str, tuple[str, ...]]:
        """Simulated-candidate personas: name -> wrong approaches combined."""
        return dict(getattr(self._module("answers"), "PERSONAS", {"strong": ()}))

    def approach(self, data: Frames, public: dict[str, Any], wrong: tuple[str, ...]) -> Answers:
        """The reference answers with the given wrong approaches applied on top."""
        answers = self.reference(data, public)
        for name in wrong:
            answers.update(self.wrong_approaches[name].fn(data, public))
        return answers

    def raw_manifest(self) -> dict[str, Any]:
        raw: dict[str, Any] = yaml.safe_load((self.folder / "exercise.yaml").read_text("utf-8"))
        return raw

    def notebook(self) -> nbformat.NotebookNode:
        return nbformat.read(self.folder / "notebook.ipynb", as_version=4)

    @cached_property
    def rubric(self) -> dict[str, list[dict[str, Any]]]:
        raw = yaml.safe_load((self.folder / "rubric.yaml").read_text(encoding="utf-8")) or {}
        for q in self.manifest.written_questions:
            items = raw.get(q.id)
            if not items:
                raise ExerciseError(f"{self.folder}/rubric.yaml: no rubric items for {q.id}")
            total = sum(float(i["points"]) for i in items)
            if abs(total - q.points) > 1e-9:
                raise ExerciseError(
                    f"{self.folder}/rubric.yaml: items for {q.id} add up to {total} points, "
                    f"the question is worth {q.points}"
                )
            known = {f.name for f in self.manifest.answer_fields}
            for item in items:
                names = {n for _, n, _, _ in string.Formatter().parse(str(item["criterion"]))
                         if n}
                if names - known:
                    raise ExerciseError(
                        f"{self.folder}/rubric.yaml: item {item.get('id')} of {q.id} names "
                        f"{', '.join(sorted(names - known))}, which is not an answer field"
                    )
        return raw


def load_exercise(folder: Path) -> Exercise:
    """Load one exercise folder, checking that every required file is there."""
    missing = [name for name in EXERCISE_FILES if not (folder / name).is_file()]
    if missing:
        raise ExerciseError(f"{folder}: missing {', '.join(missing)}")
    raw = yaml.safe_load((folder / "exercise.yaml").read_text(encoding="utf-8"))
    manifest = parse_manifest(raw, source=str(folder / "exercise.yaml"))
    if manifest.slug != folder.name and folder.name != TEMPLATE_SLUG:
        raise ExerciseError(
            f"{folder}/exercise.yaml: slug {manifest.slug!r} differs from the folder name"
        )
    return Exercise(folder=folder, manifest=manifest)


def default_exercises_dir() -> Path:
    """``$EVALROUND_EXERCISES``, else the ``exercises/`` folder of this checkout."""
    env = os.environ.get("EVALROUND_EXERCISES")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "exercises"


def discover_exercises(root: Path | None = None) -> dict[str, Exercise]:
    """Every exercise under ``root`` by slug, skipping the template."""
    root = root or default_exercises_dir()
    found: dict[str, Exercise] = {}
    for manifest in sorted(root.glob("*/exercise.yaml")):
        if manifest.parent.name == TEMPLATE_SLUG:
            continue
        exercise = load_exercise(manifest.parent)
        found[exercise.slug] = exercise
    return found


def find_exercise(slug: str, root: Path | None = None) -> Exercise:
    """The exercise with this slug, or an error that lists the ones there are."""
    root = root or default_exercises_dir()
    if slug in (TEMPLATE_SLUG, TEMPLATE_SLUG.lstrip("_")):  # folder name, or its slug
        return load_exercise(root / TEMPLATE_SLUG)
    exercises = discover_exercises(root)
    if slug not in exercises:
        known = ", ".join(sorted(exercises)) or "none"
        raise ExerciseError(f"no exercise {slug!r} under {root} (known: {known})")
    return exercises[slug]


def new_exercise(origin: Path, root: Path, slug: str) -> tuple[Path, str]:
    """Copy the exercise folder ``origin`` to ``root/slug`` under a fresh id and that slug,
    no longer marked as a public sample. Returns the new folder and the origin's slug."""
    target = root / slug
    if not re.fullmatch(r"[a-z][a-z0-9-]*", slug):
        raise ExerciseError(f"{slug!r}: a slug is lower-case letters, digits and '-', "
                            f"starting with a letter")
    if target.exists():
        raise ExerciseError(f"{target} already exists")
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = target / "exercise.yaml"
    text = manifest.read_text(encoding="utf-8")
    origin_slug = str(yaml.safe_load(text)["slug"])
    lines = []
    for line in text.splitlines(keepends=True):
        if line.startswith("id:"):
            line = f"id: {uuid.uuid4()}\n"
        elif line.startswith("slug:"):
            line = f"slug: {slug}\n"
        elif line.startswith("sample:"):
            continue
        lines.append(line)
    manifest.write_text("".join(lines), encoding="utf-8")
    return target, origin_slug
