"""Notebook transforms: compile an exercise, inject a variant, rebuild a submission.

Every function takes a notebook and returns a new one; none touches the disk.

- ``compile_source``: the exercise's notebook -> the nbgrader source notebook, with the
  test cells written from the manifest (public checks, then the hidden check).
- ``inject_parameters``: papermill's injection, normalised so the same variant always
  gives the same bytes.
- ``rebuild_for_grading``: a submitted notebook -> the notebook evalround runs. Only
  the candidate's answer cells and the cells they added survive; everything else
  comes from the release copy, and the parameters come from evalround's records.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

import nbformat
from nbformat import NotebookNode
from papermill.parameterize import parameterize_notebook

from evalround.exercise import AnswerField, ExerciseError, Manifest

PUBLIC_CHECKS_ID = "public_checks"
PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
# nbgrader's ClearSolutions.text_stub in every course (course.NBGRADER_CONFIG): what a
# written answer cell reads in the release copy, under the line naming its question.
TEXT_STUB = "YOUR ANSWER HERE"
_ANSWER_LABEL = re.compile(r"\*\*Your answer to [A-Za-z0-9_]+:\*\*")

PUBLIC_CHECKS_SOURCE = '''\
# The public checks' code, collapsed: click the ••• (or the bar to its left) to show it.
# Public checks: they test the type and range of each answer, never its value.
# Do not edit this cell: it is restored when your submission is graded.
import collections.abc as _abc
import numbers as _numbers
import sys as _sys


def public_check(label, checks):
    """True when every (name, value, kind, low, high) passes; else one line on stderr.

    An unanswered question never stops "Run All": it says so in one line, by name.
    """
    problems = []
    for name, value, kind, low, high in checks:
        problem = _public_problem(value, kind, low, high)
        if problem is not None:
            problems.append(f"{name} {problem}")
    if problems:
        print(f"{label}: " + "; ".join(problems) + ".", file=_sys.stderr)
    return not problems


def _public_problem(value, kind, low, high):
    if value is None:
        return "is not answered yet (it is still None)"
    if kind in ("float", "int"):
        if isinstance(value, bool) or not isinstance(value, _numbers.Real):
            return f"should be a number, not {type(value).__name__}"
        if kind == "int" and float(value) != int(value):
            return "should be a whole number"
        if value != value:
            return "is NaN"
        if low is not None and value < low or high is not None and value > high:
            return f"should lie between {low} and {high}"
    elif kind == "str":
        if not isinstance(value, str):
            return f"should be text (a str), not {type(value).__name__}"
    elif kind == "list[str]":
        if (isinstance(value, str) or not isinstance(value, _abc.Iterable)
                or not all(isinstance(v, str) for v in value)):
            return "should be a list of text values"
    return None
'''


def _nbgrader(cell: NotebookNode) -> dict[str, Any]:
    meta: dict[str, Any] = cell.get("metadata", {}).get("nbgrader", {})
    return meta


def grade_id(cell: NotebookNode) -> str | None:
    gid = _nbgrader(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def _tags(cell: NotebookNode) -> list[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def _check_line(field: AnswerField) -> str:
    low = "None" if field.min is None else repr(field.min)
    high = "None" if field.max is None else repr(field.max)
    return f'    ("{field.name}", globals().get("{field.name}"), "{field.type}", {low}, {high}),'


def test_cell_source(question_id: str, title: str, fields: tuple[AnswerField, ...]) -> str:
    """A question's test cell: the public checks (an unanswered or malformed answer is
    one line on stderr, which Validate lists as a failure, and never an exception, so
    Run All goes on), then the hidden check that release copies lose."""
    label = question_id.upper()
    lines = [
        f"# {label} public checks: types and ranges only. Passing them does not mean",
        "# the answer is right; the hidden checks run when your submission is graded.",
        f'if public_check("{label}", [',
        *(_check_line(f) for f in fields),
        "]):",
        f'    print("{label}: public checks passed.")',
        "### BEGIN HIDDEN TESTS",
        f'__import__("evalround.scoring", fromlist=["x"]).stock_check("{question_id}", globals())',
        "### END HIDDEN TESTS",
    ]
    return "\n".join(lines)


def _locked_code_cell(source: str, gid: str) -> NotebookNode:
    cell = nbformat.v4.new_code_cell(source=source)
    cell.metadata["nbgrader"] = {
        "grade": False,
        "grade_id": gid,
        "locked": True,
        "schema_version": 3,
        "solution": False,
        "task": False,
    }
    return cell


def compile_source(manifest: Manifest, exercise_nb: NotebookNode, where: str) -> NotebookNode:
    """The nbgrader source notebook for an exercise, with checked structure.

    Raises ExerciseError naming ``where`` and the cell when the structure is wrong.
    """
    nb = copy.deepcopy(exercise_nb)
    by_id: dict[str, NotebookNode] = {}
    params_index = -1
    for index, cell in enumerate(nb.cells):
        gid = grade_id(cell)
        if gid is None:
            raise ExerciseError(f"{where}: cell {index} has no nbgrader grade_id")
        if gid in by_id:
            raise ExerciseError(f"{where}: grade_id {gid!r} is used by two cells")
        by_id[gid] = cell
        if PARAMETERS_TAG in _tags(cell):
            params_index = index
    if params_index < 0:
        raise ExerciseError(f"{where}: no code cell is tagged 'parameters'")
    params_src = nb.cells[params_index].source
    for name in ["variant_id", "data_dir", *manifest.parameters]:
        if not re.search(rf"^{re.escape(name)}\s*=", params_src, flags=re.M):
            raise ExerciseError(f"{where}: the parameters cell does not set {name}")
    for q in manifest.questions:
        if q.kind == "auto":
            answer = by_id.get(q.answer_cell_id)
            test = by_id.get(q.id)
            if answer is None or not _nbgrader(answer).get("solution"):
                raise ExerciseError(f"{where}: no answer cell {q.answer_cell_id!r} for {q.id}")
            for f in q.answers:
                if not re.search(rf"^{re.escape(f.name)}\s*=\s*None", answer.source, re.M):
                    raise ExerciseError(
                        f"{where}: answer cell {q.answer_cell_id} must first set "
                        f"{f.name} = None"
                    )
            if test is None or not _nbgrader(test).get("grade") or test.cell_type != "code":
                raise ExerciseError(f"{where}: no test cell {q.id!r} (grade: true, code)")
            test.source = test_cell_source(q.id, q.title, q.answers)
            test.outputs = []
            meta = _nbgrader(test)
        else:
            cell = by_id.get(q.id)
            if cell is None or cell.cell_type != "markdown":
                raise ExerciseError(f"{where}: no markdown answer cell {q.id!r}")
            meta = _nbgrader(cell)
            if not (meta.get("solution") and meta.get("grade")):
                raise ExerciseError(f"{where}: cell {q.id} must be solution and grade")
            cell.source = written_answer_source(q.id, _source_text(cell))
        if float(meta.get("points", -1)) != q.points:
            raise ExerciseError(
                f"{where}: cell {q.id} is worth {meta.get('points')} points, "
                f"the manifest says {q.points:g}"
            )
    if PUBLIC_CHECKS_ID not in by_id:
        checks = _locked_code_cell(PUBLIC_CHECKS_SOURCE, PUBLIC_CHECKS_ID)
        checks.metadata["jupyter"] = {"source_hidden": True}  # helper code: one line shows
        nb.cells.insert(params_index + 1, checks)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return normalise(nb)


def answer_label(question_id: str) -> str:
    """The line above a written answer's stub: ``**Your answer to W2:**``."""
    return f"**Your answer to {question_id.upper()}:**"


def written_answer_source(question_id: str, authored: str) -> str:
    """A written answer cell of the source notebook: the line naming its question, then
    the author's text as the solution region.

    nbgrader's release keeps the line and puts its stub in place of the region, so each
    blank answer reads ``**Your answer to W2:**`` / ``YOUR ANSWER HERE``, and nbgrader's
    Validate, which lists a blank answer by its cell's text, names the question.
    """
    label = answer_label(question_id)
    body = authored.strip()
    if body.startswith(label):
        return authored
    if "BEGIN SOLUTION" not in body:
        body = f"### BEGIN SOLUTION\n{body}\n### END SOLUTION"
    return f"{label}\n{body}"


def answer_body(text: str) -> str:
    """A written answer without the line naming its question (if the candidate kept it)."""
    lines = text.strip().splitlines()
    if lines and _ANSWER_LABEL.fullmatch(lines[0].strip()):
        lines = lines[1:]
    return "\n".join(lines).strip()


def unanswered(text: str) -> bool:
    """Is a written answer blank: empty, or nbgrader's stub, with or without its label?"""
    return answer_body(text) in ("", TEXT_STUB)


def normalise(nb: NotebookNode) -> NotebookNode:
    """Drop papermill's run metadata and number the cell ids, for stable bytes."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("papermill", None)
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("papermill", None)
        if "execution" in cell.metadata:
            cell.metadata.pop("execution")
        cell["id"] = f"cell-{index:03d}"
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def inject_parameters(nb: NotebookNode, parameters: Mapping[str, Any]) -> NotebookNode:
    """papermill's injection (``--prepare-only``), normalised for reproducible bytes."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])  # papermill reads tags on every cell
    nb.metadata.setdefault("papermill", {})
    injected = parameterize_notebook(nb, dict(parameters))
    for cell in injected.cells:
        if not cell.metadata.get("tags"):
            cell.metadata.pop("tags", None)
    for cell in injected.cells:
        if INJECTED_TAG in _tags(cell):
            cell.source = (
                "# Parameters of your variant, injected by evalround (papermill).\n"
                "# Editing them changes nothing at grading: they are re-injected.\n"
                + cell.source
            )
        elif PARAMETERS_TAG in _tags(cell):
            # One visible value per parameter: the defaults above the injected values
            # are collapsed (metadata only: nbgrader's checksum and papermill ignore it).
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
    return normalise(injected)


def solution_ids(template: NotebookNode) -> set[str]:
    return {
        gid
        for cell in template.cells
        if (gid := grade_id(cell)) is not None and _nbgrader(cell).get("solution")
    }


CANDIDATE_CELL = "evalround_candidate"  # metadata: this cell's source is the candidate's
# metadata of the graders' copy: what the candidate wrote, before it was made inert
# (the desk shows it as text; nbgrader's "unchanged answer" checksum is taken on it)
CANDIDATE_SOURCE = "evalround_candidate_source"
# What a grader's browser may render from a candidate's HTML or markdown: layout and
# tables. No scripts, event handlers, frames, forms, classes or styles (which could
# overlay the page), no link (a link shows as its text and its address, as text) and no
# image but an inline PNG, JPEG or GIF (an outside image tells its host who looked).
SAFE_TAGS = frozenset({
    "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
    "details", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "summary",
    "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
})
SAFE_ATTRIBUTES = {"*": ["title"], "img": ["src", "alt", "width", "height"],
                   "td": ["colspan", "rowspan"], "th": ["colspan", "rowspan"]}
# The output types a graders' copy keeps (a figure's PNG stays; its SVG, which can carry
# script, goes). Everything else (JavaScript, SVG, LaTeX, widgets, PDFs...) is dropped.
KEPT_OUTPUTS = ("text/plain", "text/html", "image/png", "image/jpeg", "image/gif")
_INLINE_IMAGE = re.compile(r"data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=\s]*\Z")
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*\Z")
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?(</\1\s*>|$)", re.I | re.S)
# MathJax skips what lies in this class: candidate TeX never becomes a link or a style.
NO_MATH = "tex2jax_ignore"


def _clean_html(html: str) -> str:
    """Candidate HTML reduced to inert layout, with no TeX left for MathJax."""
    import bleach
    from bs4 import BeautifulSoup

    html = _SCRIPT_OR_STYLE.sub("", html)  # bleach alone would keep their text as text
    html = bleach.clean(html, tags=SAFE_TAGS | {"a"}, attributes={**SAFE_ATTRIBUTES,
                        "a": ["href"]}, protocols={"http", "https", "mailto", "data"},
                        strip=True)
    soup = BeautifulSoup(html, "html.parser")
    for link in soup.find_all("a"):
        href = str(link.get("href") or "")
        link.insert_after(f" ({href[:300]})" if href else "")
        link.unwrap()
    for image in soup.find_all("img"):
        src = str(image.get("src") or "")
        if not _INLINE_IMAGE.match(src):
            image.replace_with(f"[image: {str(image.get('alt') or '')[:100]} ({src[:300]})]")
    # Every dollar and backslash as an entity: no TeX delimiter survives in the markup,
    # and the browser still shows the characters.
    text = str(soup).replace("$", "&#36;").replace("\\", "&#92;")
    return f'<div class="{NO_MATH}">{text}</div>'


def _markdown_html(text: str) -> str:
    """Candidate markdown rendered here, with its HTML shown as text, then made inert."""
    import mistune

    render = mistune.create_markdown(escape=True, plugins=["strikethrough", "table"])
    return _clean_html(str(render(text)))


def defang_markdown(text: str) -> str:
    """Candidate markdown as the formgrader may render it: already rendered to inert HTML
    on one line (one HTML block, so no markdown, link or TeX is read from it again)."""
    return _markdown_html(text).replace("\r", "").replace("\n", "&#10;")


def _joined(value: Any) -> str:
    return "".join(str(v) for v in value) if isinstance(value, list) else str(value)


def safe_for_graders(nb: NotebookNode) -> NotebookNode:
    """The notebook as graders' browsers may render it (the formgrader runs any script in
    it as the logged-in grader): candidate markdown and HTML become inert markup with no
    link, outside image or TeX; outputs keep only text, inert HTML and inline images.
    Sources are untouched but for candidate markdown; code is always shown as text."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)  # rendering it loads the widget manager from a CDN
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.get("metadata", {}).get(CANDIDATE_CELL):
            cell.metadata[CANDIDATE_SOURCE] = _source_text(cell)
            cell.source = defang_markdown(_source_text(cell))
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            data = output.get("data")
            if not isinstance(data, dict):
                continue
            if "metadata" in output:
                output["metadata"] = {}  # sizes and flags go into attributes unescaped
            if "text/markdown" in data and "text/html" not in data:
                data["text/html"] = _markdown_html(_joined(data["text/markdown"]))
            for mime in [m for m in data if m not in KEPT_OUTPUTS]:
                data.pop(mime)
            if "text/html" in data:
                data["text/html"] = _clean_html(_joined(data["text/html"]))
            for mime in ("image/png", "image/jpeg", "image/gif"):
                if mime in data and not _BASE64.match(_joined(data[mime])):
                    data.pop(mime)
            if not data:
                data["text/plain"] = "[output removed: it could run script in a grader's browser]"
    return nb


def rebuild_for_grading(
    template: NotebookNode, submitted: NotebookNode, parameters: Mapping[str, Any]
) -> NotebookNode:
    """The notebook evalround executes for a submission.

    ``template`` is the release notebook (no variant injected). From ``submitted`` it
    keeps the answer cells (by grade_id) and the cells the candidate added, each placed
    after the template cell it followed. Locked cells, test cells and the parameters
    come from the template and ``parameters``, whatever the submission did to them.
    """
    answers = solution_ids(template)
    known = {gid for cell in template.cells if (gid := grade_id(cell)) is not None}
    answer_source: dict[str, str] = {}
    added: dict[str | None, list[NotebookNode]] = {}
    anchor: str | None = None
    for cell in submitted.cells:
        tags = _tags(cell)
        if PARAMETERS_TAG in tags or INJECTED_TAG in tags:
            continue
        gid = grade_id(cell)
        if gid in known:
            anchor = gid
            if gid in answers and gid not in answer_source:
                answer_source[gid] = _source_text(cell)
            continue
        if cell.get("cell_type") not in ("code", "markdown"):
            continue
        # A cell the candidate added, or one claiming a grade_id the exercise does not
        # have: it runs as plain candidate code and is never graded.
        fresh = (
            nbformat.v4.new_code_cell(source=_source_text(cell))
            if cell.get("cell_type") == "code"
            else nbformat.v4.new_markdown_cell(source=_source_text(cell))
        )
        fresh.metadata[CANDIDATE_CELL] = True
        added.setdefault(anchor, []).append(fresh)
    cells: list[NotebookNode] = list(added.get(None, []))
    for cell in template.cells:
        cell = copy.deepcopy(cell)
        gid = grade_id(cell)
        if gid in answer_source:
            cell.source = answer_source[gid]
            cell.metadata[CANDIDATE_CELL] = True
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
        cells.extend(added.get(gid, []))
    rebuilt = copy.deepcopy(template)
    rebuilt.cells = cells
    return inject_parameters(rebuilt, parameters)


def _source_text(cell: NotebookNode) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(str(s) for s in source)
    return str(source)


def answer_cell_sources(nb: NotebookNode) -> dict[str, str]:
    """grade_id -> source of every answer cell in a notebook."""
    return {
        gid: _source_text(cell)
        for cell in nb.cells
        if (gid := grade_id(cell)) is not None and _nbgrader(cell).get("solution")
    }


def fill_answers(
    nb: NotebookNode,
    manifest: Manifest,
    values: Mapping[str, Any],
    written: Mapping[str, str] | None = None,
) -> NotebookNode:
    """A copy of ``nb`` whose answer cells assign ``values`` as literals.

    Used by simulated candidates and by ``validate``. Variables missing from
    ``values`` are left unanswered (None).
    """
    nb = copy.deepcopy(nb)
    by_id = {grade_id(c): c for c in nb.cells}
    for q in manifest.auto_questions:
        lines = [f"{f.name} = {values.get(f.name)!r}" for f in q.answers]
        by_id[q.answer_cell_id].source = "\n".join(lines) + "\n"
    for qid, text in (written or {}).items():
        by_id[qid].source = text
    return nb


def solution_code(source_nb: NotebookNode) -> dict[str, str]:
    """The reference solution of every answer cell, from the source notebook."""
    out: dict[str, str] = {}
    for gid, src in answer_cell_sources(source_nb).items():
        out[gid] = re.sub(r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", "", src, flags=re.M)
    return out
