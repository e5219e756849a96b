"""Rebuilding a submission: only answer cells and added cells survive."""

from __future__ import annotations

import nbformat
import pytest

from evalround.assignment import release_notebook
from evalround.notebook import (
    INJECTED_TAG,
    answer_body,
    grade_id,
    inject_parameters,
    rebuild_for_grading,
    unanswered,
)

from helpers import bundle_notebook

PARAMS = {"variant_id": "v-x", "data_dir": "data", "budget_ms": 900}


@pytest.fixture()
def pair(course):
    return release_notebook(course, "template"), bundle_notebook(course, "alice")


def _by_id(nb):
    return {grade_id(c): c for c in nb.cells if grade_id(c)}


def _injected(nb):
    return next(c for c in nb.cells if INJECTED_TAG in c.metadata.get("tags", []))


def test_locked_test_and_parameter_edits_are_undone(pair):
    """Are edits to locked cells, test cells and the parameters discarded?"""
    template, submitted = pair
    cells = _by_id(submitted)
    cells["setup"].source = "raise SystemExit"
    cells["q1"].source = "print('all passed')"
    cells["public_checks"].source = "def public_check(*a): pass"
    cells["parameters"].source = "budget_ms = 1"
    _injected(submitted).source = "budget_ms = 1"
    rebuilt = rebuild_for_grading(template, submitted, PARAMS)
    rebuilt_cells = _by_id(rebuilt)
    release_cells = _by_id(template)
    for gid in ("setup", "q1", "public_checks", "parameters"):
        assert rebuilt_cells[gid].source == release_cells[gid].source
    assert "budget_ms = 900" in _injected(rebuilt).source
    assert sum(INJECTED_TAG in c.metadata.get("tags", []) for c in rebuilt.cells) == 1


def test_answers_and_added_cells_keep_their_place(pair):
    template, submitted = pair
    cells = submitted.cells
    index = next(i for i, c in enumerate(cells) if grade_id(c) == "q1_answer")
    cells[index].source = "q1_p50_ms = helper()"
    cells.insert(index, nbformat.v4.new_code_cell("def helper():\n    return 1.0"))
    rebuilt = rebuild_for_grading(template, submitted, PARAMS)
    sources = [c.source for c in rebuilt.cells]
    at = sources.index("q1_p50_ms = helper()")
    assert sources[at - 1].startswith("def helper")  # after the prompt it followed
    assert grade_id(rebuilt.cells[at - 2]) == "q1_prompt"


def test_forged_grade_cells_run_as_plain_code_and_are_never_graded(pair):
    """Can a candidate add a test cell of their own, or a second copy of q1? No."""
    template, submitted = pair
    forged = nbformat.v4.new_code_cell("print('bonus')")
    forged.metadata["nbgrader"] = {"grade": True, "grade_id": "bonus", "points": 100}
    duplicate = nbformat.v4.new_code_cell("q1_p50_ms = 0")
    duplicate.metadata["nbgrader"] = {"grade": False, "solution": True, "grade_id": "q1_answer"}
    original = _by_id(submitted)["q1_answer"].source
    submitted.cells += [forged, duplicate]
    rebuilt = rebuild_for_grading(template, submitted, PARAMS)
    graded = [grade_id(c) for c in rebuilt.cells
              if c.metadata.get("nbgrader", {}).get("grade")]
    assert graded == ["q1", "q2", "w1"]
    assert "print('bonus')" in [c.source for c in rebuilt.cells]
    answer = _by_id(rebuilt)["q1_answer"]
    assert answer.source == original  # the first copy counts


def test_deleted_answer_cell_falls_back_to_the_blank_stub(pair):
    template, submitted = pair
    submitted.cells = [c for c in submitted.cells if grade_id(c) != "q1_answer"]
    rebuilt = rebuild_for_grading(template, submitted, PARAMS)
    assert _by_id(rebuilt)["q1_answer"].source == _by_id(template)["q1_answer"].source


def test_injection_is_reproducible_and_leaves_no_paths(pair):
    template, _ = pair
    one = nbformat.writes(inject_parameters(template, PARAMS))
    two = nbformat.writes(inject_parameters(template, PARAMS))
    assert one == two
    assert '"papermill": {' not in one and "/tmp" not in one


def test_only_the_injected_value_of_each_parameter_shows(pair):
    """Does the candidate see one value per parameter: the injected cell open, the
    defaults' cell above it collapsed (and still the cell papermill injects after), and
    the public checks' code collapsed below?"""
    template, _ = pair
    cells = inject_parameters(template, PARAMS).cells
    params = next(i for i, c in enumerate(cells) if "parameters" in c.metadata.get("tags", []))
    assert cells[params].metadata["jupyter"] == {"source_hidden": True}
    assert "budget_ms = 1000" in cells[params].source
    assert INJECTED_TAG in cells[params + 1].metadata["tags"]
    assert "budget_ms = 900" in cells[params + 1].source
    assert "jupyter" not in cells[params + 1].metadata
    # The public checks' helper code is collapsed too; its first line says how to show it.
    checks = cells[params + 2]
    assert grade_id(checks) == "public_checks"
    assert checks.metadata["jupyter"] == {"source_hidden": True}
    assert checks.source.splitlines()[0] == (
        "# The public checks' code, collapsed: click the ••• (or the bar to its left) to show it.")


def test_graders_copy_shows_candidate_markup_as_text_and_drops_runnable_outputs():
    from evalround.notebook import CANDIDATE_CELL, CANDIDATE_SOURCE, safe_for_graders

    nb = nbformat.v4.new_notebook()
    authored = nbformat.v4.new_markdown_cell("<details>exercise markup</details>")
    answer = nbformat.v4.new_markdown_cell(
        "Fine <script>alert(1)</script> [x](JavaScript:alert(2)) <img src=x onerror=alert(3)>")
    answer.metadata[CANDIDATE_CELL] = True
    code = nbformat.v4.new_code_cell("display(...)")
    code.outputs = [
        nbformat.v4.new_output("display_data", data={
            "text/html": "<style>.x { color: red }</style>"
                         "<table><tr><td onclick='alert(4)'>1</td></tr></table>"
                         "<SCRIPT type='module'>alert(5)</script ><iframe src='x'></iframe>"
                         "<script>alert(8)",
            "text/plain": "table"}),
        nbformat.v4.new_output("display_data", data={"application/javascript": "alert(6)"}),
        nbformat.v4.new_output("display_data", data={"image/svg+xml": "<svg onload=alert(7)/>",
                                                     "image/png": "iVBOR"}),
    ]
    nb.cells = [authored, answer, code]
    safe = safe_for_graders(nb)
    assert safe.cells[0].source == "<details>exercise markup</details>"  # trusted: as is
    assert safe.cells[1].source == (
        '<div class="tex2jax_ignore"><p>Fine &lt;script&gt;alert(1)&lt;/script&gt; '
        "x (#harmful-link) &lt;img src=x onerror=alert(3)&gt;</p>&#10;</div>")
    assert safe.cells[1].metadata[CANDIDATE_SOURCE] == answer.source  # for the desk
    html, js, svg = (o.data for o in safe.cells[2].outputs)
    assert html == {"text/html": '<div class="tex2jax_ignore"><table><tbody><tr><td>1</td>'
                                 "</tr></tbody></table></div>",
                    "text/plain": "table"}
    assert js == {"text/plain": "[output removed: it could run script in a grader's browser]"}
    assert svg == {"image/png": "iVBOR"}
    assert nb.cells[1].source.startswith("Fine <script>")  # the input is not changed


def test_graders_copy_leaves_no_link_outside_image_or_tex_from_the_candidate():
    """Do javascript:, data: and entity-encoded links, reference links, outside images,
    MathJax's \\href/\\style, LaTeX and markdown outputs, widget state and image
    attributes all come out inert in the graders' copy?"""
    from evalround.notebook import CANDIDATE_CELL, safe_for_graders

    nb = nbformat.v4.new_notebook(metadata={"widgets": {"state": {}}})
    answer = nbformat.v4.new_markdown_cell(
        "[a](javascript:x) [b](data:text/html,x) [c](java&#115;cript&#58;x) [d][r] "
        "![e](https://tracker.example/p.png) $\\href{javascript:x}{f}$ "
        "\\(\\style{position:fixed}{g}\\)\n\n[r]: vbscript:x")
    answer.metadata[CANDIDATE_CELL] = True
    code = nbformat.v4.new_code_cell("display(...)")
    code.outputs = [
        nbformat.v4.new_output("display_data", data={"text/markdown": "[m](javascript:x) $x$"}),
        nbformat.v4.new_output("display_data", data={"text/latex": "$\\href{javascript:x}{l}$",
                                                     "text/plain": "latex"}),
        nbformat.v4.new_output("display_data", data={
            "text/html": '<a href="https://tracker.example">h</a><img src="https://t.example/i">'
                         '<b onmouseover="x" class="navbar" style="position:fixed">b</b>'}),
        nbformat.v4.new_output("display_data", data={"image/png": 'x" onerror="alert(1)'}),
        nbformat.v4.new_output("display_data", data={"image/png": "iVBOR"},
                               metadata={"image/png": {"width": "1 onerror=alert(1)"}}),
        nbformat.v4.new_output("display_data", data={
            "application/vnd.jupyter.widget-view+json": {"model_id": "m"}, "text/plain": "w"}),
    ]
    nb.cells = [answer, code]
    safe = safe_for_graders(nb)
    from bs4 import BeautifulSoup

    pieces = [safe.cells[0].source] + [o.data["text/html"] for o in safe.cells[1].outputs
                                       if "text/html" in o.data]
    assert len(pieces) == 3
    for html in pieces:
        assert "$" not in html and "\\" not in html  # no TeX delimiter for MathJax
        for element in BeautifulSoup(html, "html.parser").find_all(True):
            assert element.name != "a"
            assert set(element.attrs) <= {"class", "title", "alt", "colspan", "rowspan"}, (
                element)
            assert element.get("class") in (None, ["tex2jax_ignore"])
    outs = [o.data for o in safe.cells[1].outputs]
    assert outs[1] == {"text/plain": "latex"}
    assert "[image:  (https://t.example/i)]" in outs[2]["text/html"]
    assert outs[3] == {"text/plain": "[output removed: it could run script in a grader's browser]"}
    assert safe.cells[1].outputs[4].metadata == {}
    assert "widgets" not in safe.metadata


def _run_public_checks(answers):
    """Run the released public checks and Q2's check cell (hidden tests stripped, as
    in the bundle) in one namespace; return (stdout, stderr)."""
    import contextlib
    import io
    import re

    from evalround.exercise import AnswerField
    from evalround.notebook import PUBLIC_CHECKS_SOURCE, test_cell_source

    fields = (AnswerField("q2_live_accuracy", "float", 0, 1), AnswerField("q2_slice", "str"))
    cell = re.sub(r"### BEGIN HIDDEN TESTS.*### END HIDDEN TESTS", "",
                  test_cell_source("q2", "Live accuracy", fields), flags=re.S)
    namespace = dict(answers)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        exec(PUBLIC_CHECKS_SOURCE, namespace)  # noqa: S102 - the notebook's own code
        exec(cell, namespace)  # noqa: S102
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("answers", "stderr"),
    [
        ({"q2_live_accuracy": None, "q2_slice": None},
         "Q2: q2_live_accuracy is not answered yet (it is still None); "
         "q2_slice is not answered yet (it is still None).\n"),
        ({"q2_live_accuracy": 0.9},
         "Q2: q2_slice is not answered yet (it is still None).\n"),
        ({"q2_live_accuracy": "0.9", "q2_slice": "pt"},
         "Q2: q2_live_accuracy should be a number, not str.\n"),
        ({"q2_live_accuracy": 1.5, "q2_slice": 3},
         "Q2: q2_live_accuracy should lie between 0 and 1; "
         "q2_slice should be text (a str), not int.\n"),
    ],
)
def test_an_unanswered_or_malformed_answer_is_one_line_on_stderr(answers, stderr):
    """Does a check cell say what is wrong in one line, by name, without raising (so
    Run All goes on), and keep "public checks passed" for when they did?"""
    out, err = _run_public_checks(answers)
    assert err == stderr
    assert out == ""


def test_a_well_formed_answer_passes_the_public_checks_quietly():
    """Does a well-formed answer print only "public checks passed", nothing on stderr?"""
    out, err = _run_public_checks({"q2_live_accuracy": 0.9, "q2_slice": "pt"})
    assert (out, err) == ("Q2: public checks passed.\n", "")


def test_a_blank_written_answer_names_its_question(course, template, tmp_path):
    """Does each blank written answer say which question it is, in the release copy,
    and does nbgrader's Validate (run on the candidate's bundle) list it by that name?"""
    from nbgrader.validator import Validator

    from evalround.simulation import read_bundle

    written = [q.id for q in template.manifest.written_questions]
    released = _by_id(release_notebook(course, "template"))
    for qid in written:
        assert released[qid].source == f"**Your answer to {qid.upper()}:**\nYOUR ANSWER HERE"
    for name, data in read_bundle(course.bundle_dir() / "alice.zip").items():
        (tmp_path / "bundle" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "bundle" / name).write_bytes(data)
    failed = Validator().validate(str(tmp_path / "bundle" / "template" / "template.ipynb"))
    blank = [f["source"] for f in failed["failed"]
             if f["raw_error"] == "You did not provide a response."]
    assert blank == [f"**Your answer to {qid.upper()}:**\nYOUR ANSWER HERE" for qid in written]


@pytest.mark.parametrize(
    ("text", "blank"),
    [("", True), ("YOUR ANSWER HERE", True), ("**Your answer to W2:**\nYOUR ANSWER HERE", True),
     ("  **Your answer to W2:**  \n\n", True), ("**Your answer to W2:**\nThe tail.", False),
     ("The tail.", False), ("YOUR ANSWER HERE, and the tail.", False)],
)
def test_a_blank_written_answer_is_told_from_a_written_one(text, blank):
    """Is a written answer blank when it is empty or the stub, with or without its label,
    and is its label dropped from what the candidate wrote?"""
    assert unanswered(text) is blank
    assert "Your answer to" not in answer_body(text)
