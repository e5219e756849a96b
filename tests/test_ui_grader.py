"""A grader in the real UI: the formgrader, then evalround's grading desk, in Chromium.

The grader opens alice's submission in the formgrader, sees the autograded score and
the rubric filled with alice's numbers, follows the rubric's link to the grading desk,
applies items blind, and the score lands in the gradebook and back in the formgrader.
A second grader sees neither the candidate nor the first grader's marks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evalround import nbgrader_adapter
from evalround.course import Course
from evalround.grading import grade
from evalround.notebook import fill_answers, grade_id
from evalround.rubric import blind_code, desk_path
from evalround.variant import build_variant

from browser import chromium, guard_requests, jupyter, offline_mathjax, screenshot_path
from helpers import bundle_notebook, submit

pytestmark = pytest.mark.slow
DESK = ("--ServerApp.jpserver_extensions", "evalround.grading_desk=True")
# Output that would run script as the grader if the formgrader rendered it as it came.
HOSTILE_OUTPUT = """
from IPython.display import HTML, SVG, Javascript, display
display(HTML("<b id='kept'>bold table</b><img src=x onerror='window.pwned = 2'>"
             "<script>window.pwned = 3</script>"))
display(Javascript("window.pwned = 4"))
display(SVG("<svg xmlns='http://www.w3.org/2000/svg'><script>window.pwned = 5</script></svg>"))
"""
ANSWER = "The median hides the tail <script>window.pwned = 1</script>; p95 is what users feel."


def test_grader_applies_rubric_items_and_the_score_lands_in_the_gradebook(
        course: Course, template, tmp_path: Path):
    key = dict(build_variant(template, course.secret, "alice")[2].values)
    nb = fill_answers(bundle_notebook(course, "alice"), template.manifest, key, {"w1": ANSWER})
    answer = next(c for c in nb.cells if grade_id(c) == "q1_answer")
    answer.source += HOSTILE_OUTPUT
    submit(course, "alice", nb)
    bob_key = dict(build_variant(template, course.secret, "bob")[2].values)
    submit(course, "bob", fill_answers(bundle_notebook(course, "bob"), template.manifest,
                                       bob_key, {"w1": "Looks fine to me."}))
    grade(course, [template], progress=False)
    code = blind_code(course.secret, "template", "alice")
    p95 = f"{key['q1_p95_ms']:.0f} ms"

    with jupyter(course.root, tmp_path / "server", extra=DESK) as server, chromium() as page:
        rows = server.json("/formgrader/api/submitted_notebooks/template/template")
        alice = next(r for r in rows if r["student"] == "alice")
        assert (alice["code_score"], alice["written_score"], alice["needs_manual_grade"]) == (
            4.0, 0.0, True)  # q1 and q2 right

        # 1. the formgrader: autograded result and the rubric with this variant's numbers
        offline_mathjax(page)
        server.login(page)
        page.goto(server.base + f"/formgrader/submissions/{alice['id']}/")
        # one per autograded question (q1, q2)
        page.get_by_text("Hidden checks (evalround): 2 / 2 points").first.wait_for()
        assert page.get_by_text("Hidden checks (evalround): 2 / 2 points").count() == 2
        page.get_by_text("Rubric for W1").wait_for()
        assert p95 in page.inner_text("body")
        # the candidate's markup and outputs are shown, never run, in the grader's browser
        assert page.evaluate("window.pwned") is None
        assert page.locator("script:text('window.pwned')").count() == 0
        assert page.locator("b#kept, b:text('bold table')").count() == 1  # safe HTML stays
        assert "<script>window.pwned = 1</script>" in page.inner_text("body")
        page.screenshot(path=str(screenshot_path("grader-formgrader-before")), full_page=True)

        # 2. the rubric's link leads to the desk, which asks who is grading
        page.get_by_role("link", name="Apply these items in evalround's grading desk").click()
        page.get_by_label("Your grader name").fill("rhea")
        page.get_by_role("button", name="Start grading").click()
        page.get_by_role("heading", name=f"TEMPLATE: latency budget: submission {code}"
                         ).wait_for()
        body = page.inner_text("body")
        assert "alice" not in body.lower()  # blind: the candidate is not named
        assert "Q1: " in body and "2 / 2" in page.inner_text("#auto")
        # the answer is shown as text; its markup never runs in the grader's browser
        assert "<script>window.pwned = 1</script>" in page.inner_text("#w1 .answer")
        assert page.evaluate("window.pwned") is None
        assert p95 in page.inner_text("#w1")  # items filled with alice's numbers
        page.get_by_role("checkbox", name="w1-tail").check()
        assert page.inner_text("#w1 [data-live]") == "1 / 2"
        page.get_by_label("Comment for the hiring team").fill("Names the tail; no users.")
        page.screenshot(path=str(screenshot_path("grader-desk-applying")), full_page=True)
        page.get_by_role("button", name="Save W1").click()
        page.locator("#saved").wait_for()
        assert "Saved your marks on W1: 1 point." in page.inner_text("#saved")
        assert page.get_by_role("checkbox", name="w1-tail").is_checked()
        page.screenshot(path=str(screenshot_path("grader-desk-saved")), full_page=True)

        # 3. the score is in the gradebook, and the formgrader shows the new total
        held = nbgrader_adapter.grades(course.root, "template", "template")["alice"]["w1"]
        assert (held.manual_score, held.comment) == (1.0, "Names the tail; no users.")
        rows = server.json("/formgrader/api/submitted_notebooks/template/template")
        alice = next(r for r in rows if r["student"] == "alice")
        assert (alice["score"], alice["needs_manual_grade"]) == (5.0, False)
        page.goto(server.base + f"/formgrader/submissions/{alice['id']}/")
        score_box = page.locator("input.score#w1")
        score_box.wait_for()
        page.wait_for_function("document.querySelector('input.score#w1').value === '1'")
        page.screenshot(path=str(screenshot_path("grader-formgrader-after")), full_page=True)

        # 4. a second grader: blind to the candidate and to rhea's marks
        page.goto(server.base + "/evalround/desk?grader=sam")
        codes = page.locator("table a").all_inner_texts()
        assert sorted(codes) == sorted(
            [code, blind_code(course.secret, "template", "bob")])
        assert "0 of 1" in page.inner_text("body")
        page.get_by_role("link", name=code).click()
        assert not page.get_by_role("checkbox", name="w1-tail").is_checked()
        assert page.get_by_label("Comment for the hiring team").input_value() == ""
        assert "Names the tail" not in page.inner_text("body")
        page.get_by_role("checkbox", name="w1-tail").check()
        page.get_by_role("checkbox", name="w1-users").check()
        page.get_by_role("button", name="Save W1").click()
        page.locator("#saved").wait_for()
        page.screenshot(path=str(screenshot_path("grader-desk-second-grader")), full_page=True)
    held = nbgrader_adapter.grades(course.root, "template", "template")["alice"]["w1"]
    assert held.manual_score == 1.5  # the mean of rhea's 1 and sam's 2


def test_evalround_desk_serves_the_desk_and_the_formgrader(course: Course, tmp_path: Path):
    """`evalround desk` starts one server with both, on the port asked for."""
    import os
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    from browser import TOKEN, free_port

    port = free_port()
    env = {**os.environ, "JUPYTER_TOKEN": TOKEN,
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    log = (tmp_path / "desk.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "evalround.cli", "desk", "--course", str(course.root),
         "--port", str(port), "--no-browser"], env=env, stdout=log, stderr=subprocess.STDOUT)
    pages = {}
    try:
        deadline = time.monotonic() + 90
        for path in ("/evalround/desk?grader=rhea", "/formgrader/api/assignments"):
            while True:
                request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                                 headers={"Authorization": f"token {TOKEN}"})
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        pages[path] = response.read().decode()
                    break
                except (urllib.error.URLError, ConnectionError):
                    assert proc.poll() is None, (tmp_path / "desk.log").read_text()[-2000:]
                    assert time.monotonic() < deadline, "evalround desk did not start"
                    time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
    # stopping `evalround desk` stops the server: nothing is left listening
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=5)
    assert "Grading as <b>rhea</b>" in pages["/evalround/desk?grader=rhea"]
    assert "No graded submissions yet" in pages["/evalround/desk?grader=rhea"]
    assert '"name": "template"' in pages["/formgrader/api/assignments"]


# A written answer and outputs that each tried to run script in the grader's browser,
# style or overlay the page, or call an outside host (see docs/grading-security.md).
HOSTILE_ANSWER = (
    "Tail first. [click me](javascript:window.pwned=1) [data](data:text/html,<script>"
    "window.pwned=2</script>) [entity](javascript&#58;window.pwned=3) [ref][r] "
    "![pixel](https://tracker.example/pixel.png) "
    "$\\href{javascript:window.pwned=4}{math link}$ "
    "$\\style{position:fixed;top:0;left:0;width:100%;height:100%}{styled}$ "
    "\\(\\class{navbar-fixed-top}{classed}\\) $$\\href{https://tracker.example}{out}$$"
    "\n\n[r]: vbscript:window.pwned=5\n")
HOSTILE_OUTPUTS = r"""
from IPython.display import HTML, Latex, Markdown, display
display(Markdown("[md link](javascript:window.pwned=6) $\\href{javascript:window.pwned=7}{md}$"))
display(HTML('<a href="javascript:window.pwned=8">html link</a>'
             '<a href="data:text/html,x">data link</a>'
             '<img src="https://tracker.example/html.png">'
             '<b onmouseover="window.pwned=9" style="position:fixed">hover</b>'
             ' $\\href{javascript:window.pwned=10}{html math}$'))
display(Latex(r"$\href{javascript:window.pwned=11}{latex}$"))
display({"image/png": "x\" onerror=\"window.pwned=12"}, raw=True)
"""
CONTROL_MATH = "Control, written by the test: $x^2$"


def _settle_mathjax(page) -> None:
    page.wait_for_function("window.MathJax && MathJax.isReady === true")
    page.evaluate("new Promise(done => MathJax.Hub.Queue(done))")


def _click_every_link(page, url: str, scope: str, ready) -> list[str]:
    """Open ``url`` afresh for each link in ``scope``, click it, and check that no
    script ran; returns the links' addresses."""
    page.goto(url)
    ready()
    hrefs = page.locator(f"{scope} a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    for index in range(len(hrefs)):
        page.goto(url)
        ready()
        page.locator(f"{scope} a").nth(index).click(no_wait_after=True)
        assert _pwned(page) is None, hrefs[index]
    return hrefs


def _pwned(page):
    """``window.pwned`` once the page a click led to (if any) has loaded."""
    from playwright.sync_api import Error

    for _ in range(10):
        page.wait_for_timeout(200)  # a navigation the click started has begun by now
        page.wait_for_load_state()
        try:
            return page.evaluate("window.pwned")
        except Error as exc:
            if "context was destroyed" not in str(exc):
                raise
    raise AssertionError("the page kept navigating")


def test_a_hostile_submission_runs_no_script_and_calls_no_outside_host(
        course: Course, template, tmp_path: Path):
    """In the formgrader (typesetting with a real MathJax) and in the desk: do
    javascript:, data: and entity links, MathJax's \\href/\\style/\\class, an event
    handler and an outside image all stay inert when every link is clicked, with no
    request leaving the machine?"""
    import nbformat

    key = dict(build_variant(template, course.secret, "alice")[2].values)
    nb = fill_answers(bundle_notebook(course, "alice"), template.manifest, key,
                      {"w1": HOSTILE_ANSWER})
    next(c for c in nb.cells if grade_id(c) == "q1_answer").source += HOSTILE_OUTPUTS
    submit(course, "alice", nb)
    (record,) = grade(course, [template], progress=False)
    assert record.scores == {"q1": 2.0, "q2": 2.0}
    # A markdown cell of the kit's own (not the candidate's), to prove MathJax typesets.
    graded = course.autograded_dir("alice", "template") / "template.ipynb"
    copy = nbformat.read(graded, as_version=4)
    copy.cells.insert(0, nbformat.v4.new_markdown_cell(CONTROL_MATH))
    nbformat.write(copy, graded)
    code = blind_code(course.secret, "template", "alice")

    with jupyter(course.root, tmp_path / "server", extra=DESK) as server, chromium() as page:
        outside = guard_requests(page, server.base)
        server.login(page)
        alice = next(r for r in server.json(
            "/formgrader/api/submitted_notebooks/template/template") if r["student"] == "alice")
        formgrader = server.base + f"/formgrader/submissions/{alice['id']}/"

        def formgrader_ready() -> None:
            page.get_by_text("Hidden checks (evalround): 2 / 2 points").first.wait_for()
            _settle_mathjax(page)

        page.goto(formgrader)
        formgrader_ready()
        notebook = page.locator("#notebook-container").first
        assert "click me" in notebook.inner_text() and "hover" in notebook.inner_text()
        # MathJax ran (the control is typeset), and none of the candidate's TeX was
        assert page.locator("#notebook-container .MathJax_CHTML").count() == 1
        assert "\\href{javascript:window.pwned=4}{math link}" in notebook.inner_text()
        # nothing the candidate wrote carries a handler, a style, a class or a link
        assert page.evaluate("""[...document.querySelectorAll('#notebook-container *')]
            .filter(e => [...e.attributes].some(a => a.name.startsWith('on')
                || a.name === 'style' && e.closest('.tex2jax_ignore'))).length""") == 0
        page.locator("b:text('hover')").hover()
        page.screenshot(path=str(screenshot_path("grader-hostile-formgrader")), full_page=True)
        hrefs = _click_every_link(page, formgrader, "#notebook-container", formgrader_ready)
        assert hrefs and all(h.startswith(("/", "#", server.base)) for h in hrefs), hrefs

        desk = server.base + desk_path("template", code) + "?grader=rhea"
        response = page.goto(desk)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "default-src 'none'" in policy
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]

        def desk_ready() -> None:
            page.locator("#w1 .answer").wait_for()

        assert "[click me](javascript:window.pwned=1)" in page.inner_text("#w1 .answer")
        page.get_by_role("checkbox", name="w1-tail").check()  # the desk's own script runs
        assert page.inner_text("#w1 [data-live]") == "1 / 2"
        _click_every_link(page, desk, "body", desk_ready)
        assert page.evaluate("window.pwned") is None
    assert outside == []  # no tracking image, no outside page, nothing left the machine
