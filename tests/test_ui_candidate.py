"""The candidate's path, in a real JupyterLab and Chromium.

A real bundle is assigned and unzipped as a candidate would. In JupyterLab the
candidate opens a notebook on its scenario, runs all cells (the explorers' widgets and
plots render, and the run reaches the last cell: each unanswered question says so in
one line on stderr, by name, and stops nothing),
and presses nbgrader's Validate button, on a blank notebook (it lists the failing
public checks) and on one with the reference answers filled in (it passes).
Screenshots go to tests/artifacts/candidate-*.png.
"""

from __future__ import annotations

import json
import re
import urllib.error
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from playwright.sync_api import expect

from evalround.assignment import assign
from evalround.bundle import INSTRUCTOR_LABEXTENSIONS, JUPYTER_CONFIG_DIR
from evalround.course import Candidate, init_course
from evalround.exercise import Exercise, load_exercise
from evalround.notebook import fill_answers
from evalround.variant import build_variant

from browser import JupyterServer, chromium, jupyter, screenshot_path

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
CID = "dana"
# triage-eval: the flagship; cost-quality: sliders that redraw plots and text.
SLUGS = ("triage-eval", "cost-quality")
# drift too: its query reader prints multi-line queries.
ASSIGNED = (*SLUGS, "drift")
SCENARIO = {
    "triage-eval": ("Triage eval: should the router ship next week?",
                    "Auto-triage v2.", "design the eval that should gate this launch"),
    "cost-quality": ("Premium tier or not? Cost, quality and latency at Ledgerly",
                     "The proposal (from the PM).", "Put numbers on both decisions"),
}
VALIDATE_PASSED = "Success! Your notebook passes all the tests."

# The execution prompts ("[ ]:", "[*]:", "[3]:") of the code cells of the open notebook.
PROMPTS_JS = """() => Array.from(document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt'
)).map(e => e.textContent.trim())"""
RUN_FINISHED_JS = f"""() => {{
    const prompts = ({PROMPTS_JS})();
    return prompts.length > 0 && prompts[0] !== '[ ]:' && !prompts.includes('[*]:');
}}"""
# Errors and stderr both render with this mime type in JupyterLab.
ERROR_OUTPUT = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"


@dataclass(frozen=True)
class Bundles:
    root: Path  # served by JupyterLab
    exercises: dict[str, Exercise]

    def blank(self, slug: str) -> str:
        """The candidate's notebook as they received it, relative to the served root."""
        return f"received/{CID}/{slug}/{slug}.ipynb"

    def solved(self, slug: str) -> str:
        """The same notebook with the reference answers filled in."""
        return f"solved/{CID}/{slug}/{slug}.ipynb"

    def cells(self, slug: str) -> list[Any]:
        return list(nbformat.read(self.root / self.blank(slug), as_version=4).cells)

    def cell_index(self, slug: str, grade_id: str) -> int:
        """Where the cell nbgrader knows as ``grade_id`` is in the candidate's notebook."""
        ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in self.cells(slug)]
        return ids.index(grade_id)


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> Bundles:
    """One candidate's real bundle, unzipped twice: as received, and answered."""
    root = tmp_path_factory.mktemp("ui-candidate")
    course = init_course(root / "course", secret=b"ui-candidate-secret")
    exercises = {slug: load_exercise(REPO / "exercises" / slug) for slug in ASSIGNED}
    assign(course, list(exercises.values()), [Candidate(CID, "Dana D")], progress=False)
    served = root / "served"
    for copy in ("received", "solved"):
        with zipfile.ZipFile(course.bundle_dir() / f"{CID}.zip") as zf:
            zf.extractall(served / copy)
    for slug, exercise in exercises.items():
        key = build_variant(exercise, course.secret, CID)[2].values
        path = served / "solved" / CID / slug / f"{slug}.ipynb"
        written = {q.id: "My written answer." for q in exercise.manifest.written_questions}
        nb = nbformat.read(path, as_version=4)
        nbformat.write(fill_answers(nb, exercise.manifest, key, written), path)
    return Bundles(served, exercises)


@pytest.fixture(scope="module")
def lab(bundles: Bundles, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[JupyterServer]:
    work = tmp_path_factory.mktemp("ui-candidate-lab")
    # No news popup over the screenshots and no call out for it, and no autosave
    # writing a run's outputs back into the bundle between tests.
    settings = work / "jupyter-config" / "lab" / "user-settings" / "@jupyterlab"
    _write_json(settings / "apputils-extension" / "notification.jupyterlab-settings",
                {"fetchNews": "false", "checkForUpdates": False})
    _write_json(settings / "docmanager-extension" / "plugin.jupyterlab-settings",
                {"autosave": False})
    # The bundle's own JupyterLab settings, read as the candidate's .venv reads them.
    # window.jupyterapp lets a test run code in the open notebook's kernel.
    with jupyter(bundles.root, work, app="jupyterlab",
                 extra=("--LabApp.expose_app_in_browser=True",),
                 config_path=bundles.root / "received" / CID / JUPYTER_CONFIG_DIR) as server:
        yield server


@pytest.fixture(scope="module")
def page(lab: JupyterServer) -> Iterator[Any]:
    with chromium() as page:
        yield page


def _write_json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))


def _open(page: Any, lab: JupyterServer, path: str) -> Any:
    """Open a notebook in a fresh workspace and wait for its kernel; return the panel."""
    page.goto(lab.url(f"/lab/tree/{path}?reset"))
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    panel.locator(".jp-Cell").first.wait_for()
    page.locator(".jp-StatusBar-Widget").get_by_text("Python 3 (ipykernel) | Idle").wait_for()
    return panel


def _text(locator: Any) -> str:
    """An element's text, also when JupyterLab skips rendering it (off screen)."""
    return str(locator.text_content() or "")


def _prompts(page: Any) -> list[str]:
    prompts: list[str] = page.evaluate(PROMPTS_JS)
    return prompts


def _run_all(page: Any) -> list[str]:
    """Run > Run All Cells, as a candidate would; the prompts once the run has stopped."""
    assert set(_prompts(page)) == {"[ ]:"}, "the notebook should open with nothing run"
    page.get_by_role("menubar").get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(RUN_FINISHED_JS, timeout=120_000)
    return _prompts(page)


def _cell(bundles: Bundles, panel: Any, slug: str, grade_id: str) -> Any:
    """A cell by its nbgrader id. (Not by its code: CodeMirror drops the lines it
    does not show.)"""
    cells = panel.locator(".jp-Notebook .jp-Cell")
    expect(cells).to_have_count(len(bundles.cells(slug)))  # all laid out, also off screen
    return cells.nth(bundles.cell_index(slug, grade_id))


def _scroll_to_top(locator: Any) -> None:
    """Scroll an element to the top of the notebook. Cells off screen are laid out at
    an estimated height until drawn, so scroll again until the element stays put."""
    locator.page.wait_for_function(
        """e => new Promise(done => {
            e.scrollIntoView({block: 'start'});
            const top = e.getBoundingClientRect().top;
            requestAnimationFrame(() => requestAnimationFrame(
                () => done(Math.abs(e.getBoundingClientRect().top - top) < 1)));
        })""", arg=locator.element_handle())


def _loaded_images(locator: Any) -> list[int]:
    widths: list[int] = locator.locator(".jp-RenderedImage img").evaluate_all(
        "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
    return widths


# Runs code in the open notebook's kernel, as the candidate's next cell would; its stdout.
KERNEL_RUN_JS = """async code => {
    const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    const future = kernel.requestExecute({code, store_history: false});
    let out = '';
    future.onIOPub = m => {
        if (m.header.msg_type === 'stream') { out += m.content.text; }
        if (m.header.msg_type === 'error') { out += m.content.traceback.join('\\n'); }
    };
    await future.done;
    return out;
}"""
# The drawn boxes of the visible tick labels of every axis of a figure, and the pairs that
# intersect (the check tests/exercises/test_cost_quality.py makes outside the browser).
OVERLAPS_PY = """
import json as _json
import matplotlib.pyplot as _plt
def _overlapping_labels(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    pairs, count = [], 0
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            labels = [t for t in axis.get_ticklabels(which="both")
                      if t.get_visible() and t.get_text().strip()]
            count += len(labels)
            boxes = [t.get_window_extent(renderer) for t in labels]
            pairs += [(labels[i].get_text(), labels[j].get_text())
                      for i in range(len(labels)) for j in range(i + 1, len(labels))
                      if boxes[i].overlaps(boxes[j])]
    return pairs, count
_shown, _plt.show = _plt.show, (lambda *a, **k: None)
_result = {}
for _budget in (500, 2500, 6000):
    for _log_x in (True, False):
        explore_latency(_budget, _log_x)
        _result[f"{_budget} {_log_x}"] = _overlapping_labels(_plt.gcf())
        _plt.close("all")
_plt.show = _shown
print(_json.dumps(_result))
"""


def _validate(page: Any, panel: Any) -> Any:
    """Press nbgrader's Validate button in the notebook toolbar; return its dialog."""
    panel.locator(".jp-Toolbar").get_by_role("button", name="Validate").click()
    dialog = page.locator(".jp-Dialog")
    dialog.get_by_text("Validation Results").wait_for(timeout=120_000)
    dialog.locator("#validation-message").wait_for()
    return dialog


def _close(dialog: Any) -> None:
    dialog.get_by_role("button", name="Ok").click()
    dialog.wait_for(state="detached")


@pytest.mark.parametrize("slug", SLUGS)
def test_the_bundle_opens_on_its_scenario(bundles, lab, page, slug):
    panel = _open(page, lab, bundles.blank(slug))
    title, opening, task = SCENARIO[slug]
    scenario = panel.locator(".jp-MarkdownCell").first
    assert scenario.locator("h1").inner_text().startswith(title)
    assert scenario.locator("h1").is_visible()
    text = scenario.inner_text()
    for phrase in (opening, "Your task.", task, "Time budget: 90 minutes.",
                   "How answers are read.", "public checks"):
        assert phrase in text, phrase
    # Markdown renders: no raw markup left in the scenario the candidate reads.
    assert "**" not in text and "# " not in text
    # The candidate's own variant is injected under the defaults, and nothing has run.
    injected = panel.locator(".jp-Notebook .jp-Cell").nth(
        bundles.cell_index(slug, "parameters") + 1)
    assert re.search(r'variant_id = "v-[0-9a-f]+"', _text(injected))
    assert set(_prompts(page)) == {"[ ]:"}
    assert panel.locator(".jp-Toolbar").get_by_role("button", name="Validate").is_visible()
    page.screenshot(path=screenshot_path(f"candidate-{slug}-opened"))


def test_nbgraders_instructor_tools_are_hidden_and_validate_is_kept(bundles, lab, page):
    """With the bundle's JupyterLab settings, does the candidate see nbgrader's Validate
    button but no Create Assignment panel, no Nbgrader menu (formgrader, assignment and
    course lists) and no formgrader page?"""
    panel = _open(page, lab, bundles.blank("triage-eval"))
    config = page.evaluate(
        "() => JSON.parse(document.getElementById('jupyter-config-data').textContent)")
    # nbgrader's labextension is installed and loaded: its Validate button is there.
    assert "@jupyter/nbgrader" in [e["name"] for e in config["federated_extensions"]]
    expect(panel.locator(".jp-Toolbar").get_by_role("button", name="Validate")).to_be_visible()
    assert set(INSTRUCTOR_LABEXTENSIONS) <= set(config["disabledExtensions"])
    assert "@jupyter/nbgrader:validate-assignment" not in config["disabledExtensions"]
    menubar = page.get_by_role("menubar")
    expect(menubar.get_by_role("menuitem", name="Run", exact=True)).to_be_visible()
    expect(menubar.get_by_role("menuitem", name="Nbgrader")).to_have_count(0)
    expect(page.locator("#jp-mainmenu-nbgrader")).to_have_count(0)
    right = page.locator(".jp-SideBar.jp-mod-right")
    expect(right.get_by_role("tab")).not_to_have_count(0)  # the sidebar is drawn
    expect(right.get_by_role("tab", name="Create Assignment")).to_have_count(0)
    expect(page.locator("#nbgrader-create_assignemnt")).to_have_count(0)  # nbgrader's id
    page.screenshot(path=screenshot_path("candidate-no-instructor-tools"))
    # The command palette, which lists every command, offers none of them either.
    page.keyboard.press("Control+Shift+C")
    palette = page.locator(".lm-CommandPalette")
    expect(palette.locator(".lm-CommandPalette-item").first).to_be_attached()
    headers = [h.lower() for h in palette.locator(".lm-CommandPalette-header").all_inner_texts()]
    assert "notebook operations" in headers and "nbgrader" not in headers
    labels = palette.locator(".lm-CommandPalette-itemLabel").all_text_contents()
    for tool in ("Formgrader", "Formgrader (local)", "Create assignment", "Assignment List",
                 "Course List"):
        assert tool not in labels
    page.screenshot(path=screenshot_path("candidate-no-instructor-tools-palette"))
    page.keyboard.press("Escape")
    # The formgrader's server extension is off too: its page is not served.
    with pytest.raises(urllib.error.HTTPError) as missing:
        lab.get("/formgrader")
    assert missing.value.code == 404


def test_run_all_on_the_fresh_bundle_renders_triage_evals_explorer(bundles, lab, page):
    panel = _open(page, lab, bundles.blank("triage-eval"))
    prompts = _run_all(page)
    check = _cell(bundles, panel, "triage-eval", "q1")
    _assert_ran_to_the_end(bundles, "triage-eval", panel, prompts)

    output = _cell(bundles, panel, "triage-eval", "explore").locator(".jp-Cell-outputArea")
    slider = output.locator(".widget-slider")
    expect(slider).to_have_count(1)  # how many tickets to read
    expect(output.locator(".jp-RenderedImage img")).to_have_count(1)  # accuracy by slice
    _scroll_to_top(output)
    expect(output.locator(".widget-toggle-buttons")).to_be_visible()  # cohort
    expect(output.locator(".widget-dropdown")).to_have_count(2)  # by, language
    expect(slider).to_be_visible()
    assert _loaded_images(output) and all(w > 0 for w in _loaded_images(output))
    page.screenshot(path=screenshot_path("candidate-triage-eval-explorer"))

    # The ticket reader: one more on the slider, one more ticket printed.
    expect(slider.locator(".widget-readout")).to_have_text("5")
    assert _text(output).count("gold=") == 5
    slider.get_by_role("slider").focus()
    page.keyboard.press("ArrowRight")
    expect(slider.locator(".widget-readout")).to_have_text("6")
    page.wait_for_function(
        "([e, n]) => (e.textContent.match(/gold=/g) || []).length === n",
        arg=[output.element_handle(), 6])
    page.screenshot(path=screenshot_path("candidate-triage-eval-explorer-slider-moved"))
    # Drawn last: the explorer above it has settled. Q1 says, in one line, it is not
    # answered yet, and the run went on past it.
    _screenshot_at(page, check, "candidate-triage-eval-run-all-q1-not-answered")


def test_run_all_on_the_fresh_bundle_renders_cost_qualitys_sliders(bundles, lab, page):
    panel = _open(page, lab, bundles.blank("cost-quality"))
    prompts = _run_all(page)
    _assert_ran_to_the_end(bundles, "cost-quality", panel, prompts)

    output = _cell(bundles, panel, "cost-quality", "explore").locator(".jp-Cell-outputArea")
    sliders = output.locator(".widget-slider")
    images = output.locator(".jp-RenderedImage img")
    expect(sliders).to_have_count(2)  # tau, budget
    expect(images).to_have_count(2)  # the cascade, the latency curves
    _scroll_to_top(output)
    tau = sliders.first
    expect(tau).to_be_visible()
    expect(tau.locator(".widget-label")).to_have_text("tau")
    expect(tau.locator(".widget-readout")).to_have_text("0.50")
    expect(output.get_by_text("τ = 0.50:")).to_be_visible()
    assert all(w > 0 for w in _loaded_images(output))
    page.screenshot(path=screenshot_path("candidate-cost-quality-explorer"))

    # Moving τ redraws the cascade plot and its line of text.
    before = images.first.get_attribute("src")
    tau.get_by_role("slider").focus()
    page.keyboard.press("ArrowRight")
    expect(tau.locator(".widget-readout")).to_have_text("0.55")
    expect(output.get_by_text("τ = 0.55:")).to_be_visible()
    expect(output.get_by_text("τ = 0.50:")).to_have_count(0)
    expect(images).to_have_count(2)
    assert images.first.get_attribute("src") != before
    assert all(w > 0 for w in _loaded_images(output))
    page.screenshot(path=screenshot_path("candidate-cost-quality-explorer-slider-moved"))

    # The log-scale latency plot: tick labels clear of each other, as drawn by the
    # candidate's own kernel, at the lowest, the default and the highest budget.
    latency = images.nth(1)
    _scroll_to_top(latency)
    latency.screenshot(path=screenshot_path("candidate-cost-quality-latency-plot"))
    drawn = json.loads(page.evaluate(KERNEL_RUN_JS, OVERLAPS_PY).strip().splitlines()[-1])
    assert len(drawn) == 6
    for setting, (pairs, count) in drawn.items():
        assert count >= 6, setting  # labels were drawn on both axes
        assert pairs == [], setting


def test_cost_qualitys_cost_formula_renders_as_a_formula(bundles, lab, page):
    """Does cost-quality's cost formula render as a block of text with every "+" and
    bracket, and do no list items or emphasis come out of its formulas?"""
    slug = "cost-quality"
    panel = _open(page, lab, bundles.blank(slug))
    q1 = _cell(bundles, panel, slug, "q1_doc")
    _scroll_to_top(q1)
    formula = q1.locator("pre")
    expect(formula).to_have_count(1)
    text = formula.inner_text()
    for line in ("cost (USD) = ( input_usd_per_mtok × ( uncached_input_tokens",
                 "+ cache_write_multiplier × cache_write_input_tokens",
                 "+ cache_read_multiplier × cache_read_input_tokens )",
                 "+ output_usd_per_mtok × output_tokens ) / 1 000 000"):
        assert line in text, line
    items = q1.locator("li").all_inner_texts()
    assert [i.split(":")[0] for i in items] == [
        "q1_cost_per_1k_tasks_standard", "q1_cost_per_1k_tasks_premium"]
    _scroll_to_top(q1)  # again: the cells above it have been drawn at their real height
    expect(formula).to_be_in_viewport()
    page.screenshot(path=screenshot_path("candidate-cost-quality-q1-formula"))
    # Every markdown cell, rendered on screen: list items and emphasis are words, not parts
    # of a formula.
    cells = panel.locator(".jp-Notebook .jp-Cell")
    for index, source in enumerate(bundles.cells(slug)):
        if source.cell_type != "markdown":
            continue
        cells.nth(index).scroll_into_view_if_needed()
        cell = cells.nth(index).locator(".jp-RenderedMarkdown")
        expect(cell).to_have_count(1)
        for item in cell.locator("li").all_text_contents():
            assert not re.match(r"\s*[×=+*/)(−]", item), item
        for emphasis in cell.locator("em, strong").all_text_contents():
            assert not set("×=+/<>Σ·*−") & set(emphasis), emphasis


@pytest.mark.parametrize("slug", ASSIGNED)
def test_explorer_and_default_parameters_are_collapsed(bundles, lab, page, slug):
    """Does the explorer cell open with its helper code collapsed, one line above it
    saying how to show it, and does each parameter show one value (the injected one, the
    defaults' cell collapsed)? The public checks' helper code is collapsed too."""
    panel = _open(page, lab, bundles.blank(slug))
    params = _cell(bundles, panel, slug, "parameters")
    injected = panel.locator(".jp-Notebook .jp-Cell").nth(
        bundles.cell_index(slug, "parameters") + 1)
    explore = _cell(bundles, panel, slug, "explore")
    checks = _cell(bundles, panel, slug, "public_checks")
    for collapsed in (params, checks, explore):
        expect(collapsed.locator(".jp-InputPlaceholder")).to_be_visible()
        expect(collapsed.locator(".jp-InputArea-editor")).to_be_hidden()
    expect(injected.locator(".jp-InputArea-editor")).to_be_visible()
    names = [c for c in bundles.cells(slug)
             if c.metadata.get("nbgrader", {}).get("grade_id") == "parameters"][0].source
    for name in re.findall(r"^(\w+)\s*=", names, flags=re.M):
        assert f"{name} = " in _text(injected), name  # CodeMirror: one div per line
    assert "click the •••" in _text(checks.locator(".jp-InputPlaceholder"))
    _scroll_to_top(params)
    page.screenshot(path=screenshot_path(f"candidate-{slug}-parameters-one-value"))
    doc = _cell(bundles, panel, slug, "explore_doc")
    doc.scroll_into_view_if_needed()
    expect(doc.locator(".jp-RenderedMarkdown")).to_contain_text("click")
    how = [p for p in doc.locator(".jp-RenderedMarkdown p").all_inner_texts()
           if "collapsed" in p or "hidden" in p]
    assert len(how) == 1 and "click" in how[0], how
    _scroll_to_top(explore)
    page.screenshot(path=screenshot_path(f"candidate-{slug}-explorer-collapsed"))


def test_drifts_query_reader_separates_multi_line_queries(bundles, lab, page):
    """After Run All on drift's fresh bundle, does the query reader print each query as
    its own block (a rule between blocks, a header line, the query indented), so that the
    lines of a multi-line query stay together and apart from the next?"""
    slug = "drift"
    panel = _open(page, lab, bundles.blank(slug))
    prompts = _run_all(page)
    _assert_ran_to_the_end(bundles, slug, panel, prompts)
    output = _cell(bundles, panel, slug, "explore").locator(".jp-Cell-outputArea")
    expect(output.locator(".widget-dropdown")).to_have_count(2)  # language, client
    # A seed whose sample (the reader's first language, this week, 8 queries) holds a
    # multi-line query, typed into the reader's seed box as a candidate would.
    seed = page.evaluate(KERNEL_RUN_JS, """
_monday = stamp.dt.normalize() - pd.to_timedelta(stamp.dt.day_of_week, unit="D")
_week = logs[(_monday == sorted(_monday.unique())[-1])
             & (logs["language"] == sorted(logs["language"].unique())[0])]
print(next(s for s in range(1, 1000)
           if _week.sample(min(8, len(_week)), random_state=s)["query"].str.contains("\\n").any()))
""").strip()
    assert seed.isdigit(), seed
    before = _text(output)
    box = output.locator(".widget-text input")
    box.fill(seed)
    box.press("Enter")
    page.wait_for_function(
        "([e, before]) => e.textContent !== before && e.textContent.includes('logged requests')",
        arg=[output.element_handle(), before])
    reader = _text(output.locator(".jp-OutputArea-output").last)
    rule = "─" * 78
    blocks = reader.split(rule)
    records = [b.strip("\n") for b in blocks[1:-1]]
    assert blocks[-1].strip() == "" and len(records) == 8, reader  # how_many=8
    multi_line = 0
    for record in records:
        header, *query = record.splitlines()
        assert re.match(r"\S+ · \S+.* · .* · \d+ tokens$", header), header
        lines = [line for line in query if line.strip()]
        assert lines and all(line.startswith("    ") for line in lines), record
        multi_line += len(lines) > 1
    output.locator(".jp-OutputArea-output").last.scroll_into_view_if_needed()
    page.screenshot(path=screenshot_path("candidate-drift-query-reader"))
    assert multi_line >= 1, reader  # the sample holds multi-line queries to separate


def test_validate_on_a_blank_notebook_lists_the_failing_public_checks(bundles, lab, page):
    slug = "triage-eval"
    manifest = bundles.exercises[slug].manifest
    panel = _open(page, lab, bundles.blank(slug))
    dialog = _validate(page, panel)
    message = dialog.locator("#validation-message")
    assert "nbgrader-ErrorDialog" in (dialog.get_attribute("class") or "")
    text = message.inner_text()
    failed = len(manifest.auto_questions) + len(manifest.written_questions)
    assert text.count("The following cell failed:") == failed
    for q in manifest.auto_questions:
        label = q.id.upper()
        assert f"# {label} public checks: types and ranges only." in text
        assert f'print("{label}: public checks passed.")' in text
        assert f"{label}: {q.answers[0].name} is not answered yet" in text
    assert text.count("You did not provide a response.") == len(manifest.written_questions)
    # Each blank written answer by name (W1, W2, ...), not "YOUR ANSWER HERE" n times.
    blank = [pre.inner_text().strip() for pre in message.locator("pre").all()]
    named = [blank[i - 1] for i, t in enumerate(blank)
             if t == "You did not provide a response."]
    assert named == [f"**Your answer to {q.id.upper()}:**\nYOUR ANSWER HERE"
                     for q in manifest.written_questions]
    # Only the public checks: nothing of the hidden checks reaches the candidate.
    for hidden in ("HIDDEN TESTS", "stock_check", "evalround.scoring"):
        assert hidden not in text
    # The first failure down to its last line, as the candidate reads it; then the end
    # of the list: the written answers left blank.
    first_error = message.locator("pre").nth(1)
    # Its whole error, one line naming each unanswered variable: no traceback.
    assert first_error.inner_text().strip() == (
        "Q1: q1_raw_agreement is not answered yet (it is still None); "
        "q1_kappa is not answered yet (it is still None).")
    assert "Traceback" not in text and "AssertionError" not in text
    first_error.evaluate("e => e.scrollIntoView({block: 'end'})")
    expect(first_error.get_by_text("Q1: q1_raw_agreement is not answered")).to_be_in_viewport()
    page.screenshot(path=screenshot_path("candidate-triage-eval-validate-blank"))
    last = message.locator("pre").last
    last.evaluate("e => e.scrollIntoView({block: 'end'})")
    expect(last).to_have_text("You did not provide a response.")
    expect(last).to_be_in_viewport()
    last_written = manifest.written_questions[-1].id.upper()
    expect(message.get_by_text(f"**Your answer to {last_written}:**")).to_be_in_viewport()
    page.screenshot(path=screenshot_path("candidate-triage-eval-validate-blank-end"))
    _close(dialog)


def test_the_solved_notebook_runs_all_and_passes_validate(bundles, lab, page):
    slug = "triage-eval"
    manifest = bundles.exercises[slug].manifest
    panel = _open(page, lab, bundles.solved(slug))
    prompts = _run_all(page)
    assert all(re.fullmatch(r"\[\d+\]:", p) for p in prompts), prompts
    assert panel.locator(ERROR_OUTPUT).count() == 0
    for q in manifest.auto_questions:
        check = _cell(bundles, panel, slug, q.id)
        assert _text(check.locator(".jp-Cell-outputArea")).strip() == (
            f"{q.id.upper()}: public checks passed.")
    explore = _cell(bundles, panel, "triage-eval", "explore").locator(".jp-Cell-outputArea")
    assert all(w > 0 for w in _loaded_images(explore))

    last = _cell(bundles, panel, slug, manifest.auto_questions[-1].id)
    _scroll_to_top(last)
    page.screenshot(path=screenshot_path("candidate-triage-eval-solved-run-all"))
    dialog = _validate(page, panel)
    assert "nbgrader-SuccessDialog" in (dialog.get_attribute("class") or "")
    # nbgrader's labextension words a pass itself (no setting changes it); the
    # bundle's README says it means the public checks passed, and the notebook's own
    # check cells, behind the dialog, say "public checks passed".
    assert dialog.locator("#validation-message").inner_text().strip() == VALIDATE_PASSED
    page.screenshot(path=screenshot_path("candidate-triage-eval-validate-solved"))
    _close(dialog)

    # Validate saved the notebook first: on disk every code cell ran, none failed.
    saved = nbformat.read(bundles.root / bundles.solved(slug), as_version=4)
    code = [c for c in saved.cells if c.cell_type == "code"]
    assert code and all(isinstance(c.execution_count, int) for c in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    readme = " ".join((bundles.root / "solved" / CID / "README.md").read_text().split())
    assert f'"{VALIDATE_PASSED}" means only that: every *public* check passed' in readme


def _assert_ran_to_the_end(bundles: Bundles, slug: str, panel: Any, prompts: list[str]
                           ) -> None:
    """A fresh bundle runs every code cell, down to the last; each question's check cell
    says in one line on stderr, by name, that it is not answered yet, and nothing else
    (no setup or explorer cell) writes to stderr or fails."""
    assert prompts and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts), prompts
    questions = bundles.exercises[slug].manifest.auto_questions
    for q in questions:
        check = _cell(bundles, panel, slug, q.id)
        expect(check.locator(ERROR_OUTPUT)).to_have_count(1)
        text = _text(check.locator(ERROR_OUTPUT)).strip()
        assert text.startswith(f"{q.id.upper()}: {q.answers[0].name} is not answered yet "
                               "(it is still None)"), text
        assert len(text.splitlines()) == 1, text
        assert "Traceback" not in text
        assert "public checks passed" not in _text(check.locator(".jp-Cell-outputArea"))
    assert panel.locator(ERROR_OUTPUT).count() == len(questions)


def _screenshot_at(page: Any, cell: Any, name: str) -> None:
    _scroll_to_top(cell)
    page.screenshot(path=screenshot_path(name))

