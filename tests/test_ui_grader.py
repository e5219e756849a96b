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
from evalround.rubric import blind_code
from evalround.variant import build_variant

from browser import chromium, jupyter, offline_mathjax, screenshot_path
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
            2.0, 0.0, True)

        # 1. the formgrader: autograded result and the rubric with this variant's numbers
        offline_mathjax(page)
        server.login(page)
        page.goto(server.base + f"/formgrader/submissions/{alice['id']}/")
        page.get_by_text("Hidden checks (evalround): 2 / 2 points").wait_for()
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
        assert (alice["score"], alice["needs_manual_grade"]) == (3.0, False)
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
