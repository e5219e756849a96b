"""The contract every exercise keeps, checked on every folder under exercises/.

Parametrised over the exercises (the template too), so a new exercise gets every check
here by existing; its own test file then checks only what it plants. ``validate`` checks
much the same through the real assign, collect and grade path on a few variants; these
check the exercise's own code, cheaply, on many.
"""

from __future__ import annotations

import ast
import json
import re
import sys

import pytest

from evalround.assignment import default_data_dir
from evalround.bundle import REQUIREMENTS
from evalround.exercise import TEMPLATE_SLUG
from evalround.validation import (
    LITERAL_SHARE_MAX,
    NAIVE_JUDGEMENT_SHARE_MAX,
    NAIVE_PERSONAS,
    leaked_values,
)

from contract import (
    EXERCISES,
    SEEDS,
    SLUGS,
    SOLUTION_SEED,
    assigned_values,
    auto_max,
    cells_by_id,
    default_key,
    default_public,
    generate,
    keyed,
    notebook,
    parameters_cell,
    persona_points,
    persona_totals,
    points,
    public_text,
    solution_answers,
    variant,
)

PY_TYPES = {"float": float, "int": int, "str": str, "list[str]": list}
# The template is a deliberately tiny exercise to copy; the exercises candidates get are
# held to the catalogue's size (docs/exercise-format.md).
FULL = [s for s in SLUGS if EXERCISES[s].folder.name != TEMPLATE_SLUG]
JUDGED = [s for s in SLUGS if EXERCISES[s].manifest.judgement_questions]
EVERY_SEED = [(slug, seed) for slug in SLUGS for seed in SEEDS]


def _bundle_packages() -> set[str]:
    """What the bundle's requirements.txt installs, by name (their import names here)."""
    lines = [line.strip() for line in REQUIREMENTS.splitlines()]
    return {re.split(r"[<>=\[ ]", line)[0] for line in lines if line and line[0] != "#"}


# -- the notebook runs on the candidate's laptop ------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_notebook_runs_on_python_310_with_only_the_bundle_requirements(slug: str) -> None:
    """Does every code cell parse as Python 3.10 and import only the stdlib and the
    bundle's requirements (the candidate's laptop has nothing else)?"""
    imported: set[str] = set()
    for cell in notebook(slug).cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source, feature_version=(3, 10))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    assert imported - set(sys.stdlib_module_names) <= _bundle_packages()
    assert "evalround" not in imported


# -- the generator --------------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("seed", [0, 7])
def test_generation_is_deterministic(slug: str, seed: int) -> None:
    """Does the same seed give the same parameters and the same file bytes?"""
    first = variant(slug, seed)
    again = generate(slug, seed)
    assert json.dumps(first[0], sort_keys=True) == json.dumps(again[0], sort_keys=True)
    assert first[1] == again[1]


@pytest.mark.parametrize("slug", SLUGS)
def test_parameters_are_json_data(slug: str) -> None:
    """Do the parameters survive a JSON round trip (they are recorded with the variant)?"""
    params, _ = variant(slug, 3)
    assert json.loads(json.dumps(params)) == params


@pytest.mark.parametrize("slug", SLUGS)
def test_data_files_are_plain_tables(slug: str) -> None:
    """Is every data file a non-empty table with named, distinct columns and no index
    written by mistake?"""
    _, frames, _ = keyed(slug, 0)
    assert frames
    for name, frame in frames.items():
        assert len(frame) > 0 and len(frame.columns) > 0, name
        assert frame.columns.is_unique, name
        assert not [c for c in frame.columns if str(c).startswith("Unnamed")], name


# -- the key --------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_manifest_lists_exactly_the_reference_answers(slug: str) -> None:
    """Does reference() return every manifest variable, as plain Python values of the
    manifest's type and in its range, and does the generator set exactly the manifest's
    public parameters?"""
    manifest = EXERCISES[slug].manifest
    fields = {f.name: f for f in manifest.answer_fields}
    params, _, key = keyed(slug, 0)
    assert set(key) == set(fields)
    assert set(params["public"]) == set(manifest.parameters)
    for name, value in key.items():
        spec = fields[name]
        assert type(value) is PY_TYPES[spec.type], name
        if spec.type == "list[str]":
            assert all(type(v) is str for v in value), name
            continue
        if spec.min is not None:
            assert value >= spec.min, name
        if spec.max is not None:
            assert value <= spec.max, name


@pytest.mark.parametrize("slug", SLUGS)
def test_every_key_keeps_to_the_stated_choices(slug: str) -> None:
    """In every variant, is each answer with stated choices one of them?"""
    fields = [f for f in EXERCISES[slug].manifest.answer_fields if f.choices]
    for seed in SEEDS:
        key = keyed(slug, seed)[2]
        for spec in fields:
            assert key[spec.name] in spec.choices, (seed, spec.name, key[spec.name])


@pytest.mark.parametrize("slug", SLUGS)
def test_keys_differ_across_variants(slug: str) -> None:
    """Is every variant's key its own, and does every answer variable take more than one
    value over the variants?"""
    keys = [keyed(slug, seed)[2] for seed in SEEDS]
    assert len({json.dumps(k, sort_keys=True) for k in keys}) == len(keys)
    for spec in EXERCISES[slug].manifest.answer_fields:
        assert len({json.dumps(k[spec.name]) for k in keys}) > 1, spec.name


@pytest.mark.parametrize("slug", JUDGED)
def test_judgement_truths_vary_across_variants(slug: str) -> None:
    """Does every judgement question have more than one true answer over the variants?"""
    keys = [keyed(slug, seed)[2] for seed in SEEDS]
    for q in EXERCISES[slug].manifest.judgement_questions:
        truths = {json.dumps([k[f.name] for f in q.answers], sort_keys=True) for k in keys}
        assert len(truths) > 1, q.id


# -- the known mistakes and the personas -----------------------------------------------------


@pytest.mark.parametrize(("slug", "seed"), EVERY_SEED)
def test_every_wrong_approach_loses_exactly_its_questions(slug: str, seed: int) -> None:
    """Scored as evalround scores a submission, does the key take full marks and each
    known wrong approach lose points on every question it names, and only there?"""
    exercise = EXERCISES[slug]
    params, frames, key = keyed(slug, seed)
    full = points(slug, key, key)
    assert full == {q.id: q.points for q in exercise.manifest.auto_questions}
    assert exercise.wrong_approaches
    for name, wrong in exercise.wrong_approaches.items():
        assert wrong.loses and set(wrong.loses) <= set(full), name
        given = wrong.fn(frames, params["public"])
        assert given and set(given) <= set(key), name
        lost = {q for q, p in points(slug, key, key | given).items() if p < full[q]}
        assert lost == set(wrong.loses), f"seed {seed}: {name} loses {lost}"


@pytest.mark.parametrize("slug", JUDGED)
def test_every_wrong_approach_is_described(slug: str) -> None:
    """Does every wrong approach say in one line what it looks like, for the hiring
    manager ("looks like: ..." in the reports)?"""
    for name, wrong in EXERCISES[slug].wrong_approaches.items():
        assert 10 < len(wrong.description) < 100 and "\n" not in wrong.description, name


@pytest.mark.parametrize(("slug", "seed"), EVERY_SEED)
def test_personas_score_as_validate_requires(slug: str, seed: int) -> None:
    """Does strong take full marks and a blank submission zero, every persona in between;
    on an exercise with judgement questions, do they carry at least 40% of the autograded
    points, does literal (every stated definition right) take full marks on the others and
    at most 60% in all, and do the naive personas take at most a quarter of each judgement
    question?"""
    exercise = EXERCISES[slug]
    most = auto_max(slug)
    totals = persona_totals(slug, seed)
    assert totals.get("strong", most) == most
    assert totals["blank"] == 0.0
    assert all(0.0 <= t <= most for t in totals.values()), totals
    if "aggregate_only" in totals:
        assert totals["aggregate_only"] > totals["blank"]
    judged = exercise.manifest.judgement_questions
    if not judged:
        return
    assert sum(q.points for q in judged) >= 0.4 * most
    assert "literal" in exercise.personas
    assert totals["literal"] <= LITERAL_SHARE_MAX * most, totals["literal"]
    by_question = persona_points(slug, seed)
    for q in exercise.manifest.auto_questions:
        if not q.judgement:
            assert by_question["literal"][q.id] == q.points, q.id
    for persona in NAIVE_PERSONAS:
        for q in judged:
            if persona in by_question:
                assert by_question[persona][q.id] <= NAIVE_JUDGEMENT_SHARE_MAX * q.points, (
                    persona, q.id)


# -- the rubric -------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_rubric_items_add_up_and_fill_from_the_key(slug: str) -> None:
    """Does every written question, and only those, have rubric items adding up to its
    points (three to five of them in an exercise candidates get), each filling its
    placeholders from a variant's key?"""
    exercise = EXERCISES[slug]
    rubric = exercise.rubric
    written = exercise.manifest.written_questions
    assert set(rubric) == {q.id for q in written}
    for seed in (0, 1):
        key = keyed(slug, seed)[2]
        for q in written:
            items = rubric[q.id]
            assert sum(i["points"] for i in items) == q.points, q.id
            if slug in FULL:
                assert 3 <= len(items) <= 5, q.id
            for item in items:
                item["criterion"].format(**key)


# -- the notebook ------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_notebook_structure(slug: str) -> None:
    """Does every cell carry nbgrader's metadata under a distinct id, no code cell an output,
    every autograded question an unlocked answer cell setting each variable to None and an
    empty test cell worth its points, every written question a markdown answer cell worth
    its points, and no answer, test or parameters cell hidden?"""
    nb = notebook(slug)
    for cell in nb.cells:
        assert set(cell.metadata["nbgrader"]) >= {"grade", "grade_id", "locked",
                                                  "schema_version", "solution", "task"}
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells]
    assert len(ids) == len(set(ids))
    by_id = cells_by_id(slug)
    graded = []
    for q in EXERCISES[slug].manifest.questions:
        if q.kind == "auto":
            answer, test = by_id[f"{q.id}_answer"], by_id[q.id]
            assert answer.metadata["nbgrader"]["solution"]
            assert not answer.metadata["nbgrader"]["locked"]
            for f in q.answers:
                assert f"\n{f.name} = None" in "\n" + answer.source, f.name
            meta = test.metadata["nbgrader"]
            assert meta["points"] == q.points and test.source == ""
            assert meta["locked"] and meta["grade"]
            graded += [answer, test]
        else:
            cell = by_id[q.id]
            assert cell.cell_type == "markdown" and cell.metadata["nbgrader"]["grade"]
            assert cell.metadata["nbgrader"]["points"] == q.points
            graded.append(cell)
    for cell in [*graded, parameters_cell(nb)]:
        assert not cell.metadata.get("jupyter", {}).get("source_hidden"), cell.metadata


@pytest.mark.parametrize("slug", SLUGS)
def test_parameters_cell_holds_the_default_datasets_parameters(slug: str) -> None:
    """Is there exactly one parameters cell, locked, setting variant_id, data_dir and every
    public parameter, to the bundled default dataset's values where the exercise bundles
    one (data/<slug>/)?"""
    nb = notebook(slug)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1 and cells[0].metadata["nbgrader"]["locked"]
    values = assigned_values(cells[0].source)
    assert set(values) == {"variant_id", "data_dir", *EXERCISES[slug].manifest.parameters}
    if default_data_dir(EXERCISES[slug]).is_dir():
        public = {k: v for k, v in values.items() if k not in ("variant_id", "data_dir")}
        assert public == default_public(slug)


@pytest.mark.parametrize("slug", SLUGS)
def test_nothing_in_the_notebook_gives_a_key_away(slug: str) -> None:
    """By the bundle leak check's rules, does the notebook's text hold no value of the
    default dataset's key or of any test variant's, and no key float at 3 or 4 decimals?"""
    text = public_text(slug)
    manifest = EXERCISES[slug].manifest
    files = {f"{slug}/{slug}.ipynb": text.encode()}
    for key in [default_key(slug), *(keyed(slug, seed)[2] for seed in SEEDS)]:
        assert leaked_values(manifest.answer_fields, key, files) == []
    for spec in manifest.answer_fields:
        value = default_key(slug)[spec.name]
        if isinstance(value, float) and not spec.public_domain:
            for digits in (3, 4):
                assert f"{value:.{digits}f}" not in text, spec.name


@pytest.mark.parametrize(("slug", "seed"), EVERY_SEED)
def test_no_key_value_in_the_variants_data(slug: str, seed: int) -> None:
    """Does no data file a candidate receives hold one of their key's computed values
    (the bundle leak check on the data files)?"""
    manifest = EXERCISES[slug].manifest
    _, files = variant(slug, seed)
    key = keyed(slug, seed)[2]
    assert leaked_values(manifest.answer_fields, key, files) == []


@pytest.mark.slow
@pytest.mark.parametrize("slug", SLUGS)
def test_notebook_solution_matches_the_key(slug: str, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    """Run headless on a variant, does the notebook's own solution code take full marks
    against reference(), with no error and nothing on stderr?"""
    got = solution_answers(slug, SOLUTION_SEED, tmp_path_factory.mktemp(slug))
    key = keyed(slug, SOLUTION_SEED)[2]
    assert points(slug, key, got) == {q.id: q.points
                                      for q in EXERCISES[slug].manifest.auto_questions}


# Operators of a formula: in rendered emphasis or at the start of a list item, they mean a
# formula's "*", "+" or "-" was read as markdown.
FORMULA_CHARS = set("×=+/<>Σ·*−")


def _outside_code_fences(source: str) -> list[str]:
    lines, fenced = [], False
    for line in source.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


@pytest.mark.parametrize("slug", sorted(EXERCISES))
def test_markdown_renders_no_list_or_emphasis_born_of_a_formula(slug: str) -> None:
    """Rendered as markdown (CommonMark, as JupyterLab does), is every list item of every
    markdown cell one its source writes as an item ("- " or "1. "), none made of a formula's
    continuation line ("+ x", "* y"), and does no emphasis hold a formula's operators?"""
    import mistune

    for cell in EXERCISES[slug].notebook().cells:
        if cell.cell_type != "markdown":
            continue
        gid = cell.metadata["nbgrader"]["grade_id"]
        lines = _outside_code_fences(cell.source)
        assert not [ln for ln in lines if re.match(r"\s*[+*] ", ln)], gid
        bullets = [ln for ln in lines if re.match(r"\s*(- |\d+[.)] )", ln)]
        html = str(mistune.html(cell.source))
        assert html.count("<li>") == len(bullets), gid
        for item in re.findall(r"<li>(.*?)</li>", html, flags=re.S):
            assert not re.match(r"\s*(<p>)?\s*[×=+*/)(−]", item), (gid, item)
        for tag in ("em", "strong"):
            for inner in re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.S):
                text = re.sub(r"<code>.*?</code>", "", inner)
                assert not FORMULA_CHARS & set(text), (gid, inner)
