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

from browser import chromium, guard_requests, jupyter, screenshot_path
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
        # the network is blocked: only this server answers, and the scores still show
        outside = guard_requests(page, server.base)
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
    assert outside == []  # MathJax came from this server, not a CDN


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


def test_evalround_desk_prints_an_address_whose_token_opens_the_desk(course: Course,
                                                                      tmp_path: Path):
    """Does `evalround desk --ip --port` listen there, print an address that logs the
    browser in with its token (and nothing opens without it), and stop when stopped?"""
    import os
    import re
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    from browser import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_TOKEN")}
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    out_path = tmp_path / "desk.out"
    with out_path.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "evalround.cli", "desk", "--course", str(course.root),
             "--ip", "127.0.0.1", "--port", str(port), "--no-browser"],
            env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while not (found := re.search(r"grading desk: (\S+)", out_path.read_text())):
            assert proc.poll() is None and time.monotonic() < deadline, out_path.read_text()
            time.sleep(0.2)
        url = found.group(1)
        assert re.fullmatch(rf"http://127\.0\.0\.1:{port}/evalround/desk\?token=[0-9a-f]{{48}}",
                            url), url
        while True:
            try:
                with urllib.request.urlopen(url + "&grader=rhea", timeout=10) as response:
                    status, page = response.status, response.read().decode()
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, out_path.read_text()[-2000:]
                assert time.monotonic() < deadline, "evalround desk did not start"
                time.sleep(0.3)
        assert status == 200 and "Grading as <b>rhea</b>" in page
        # without the token, or with another, the desk is not shown: the server asks for
        # a login
        tokenless = url.split("?")[0] + "?grader=rhea"
        for wrong in (tokenless, url.replace("token=", "token=0") + "&grader=rhea"):
            with urllib.request.urlopen(wrong, timeout=10) as response:
                assert "/login" in response.url, wrong
                assert "Grading as" not in response.read().decode()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=5)


def test_evalround_desk_stops_on_a_port_already_taken(course: Course, tmp_path: Path):
    """Does `evalround desk --port` on a port in use stop with an error naming it, rather
    than serve on another port than the address it printed?"""
    import os
    import socket
    import subprocess
    import sys

    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "evalround.cli", "desk", "--course", str(course.root),
             "--ip", "127.0.0.1", "--port", str(port), "--no-browser"],
            env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr[-2000:]
    assert f"http://127.0.0.1:{port}/evalround/desk?token=" in done.stdout
    assert f"port {port} is not available" in done.stderr


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
    """In the formgrader (typesetting with the MathJax its server serves) and in the desk: do
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
        assert page.locator("#notebook-container span.MathJax").count() == 1
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


def _two_question_course(tmp_path: Path):
    """The template with a second written question (W2), assigned to alice, bob and carol
    in a course of its own: the desk's work across questions and submissions."""
    import shutil

    import nbformat
    import yaml

    from evalround.assignment import assign
    from evalround.course import Candidate, init_course
    from evalround.exercise import load_exercise

    folder = tmp_path / "exercises" / "twoq"
    shutil.copytree(Path(__file__).resolve().parents[1] / "exercises" / "_template", folder,
                    ignore=shutil.ignore_patterns("__pycache__"))
    manifest = yaml.safe_load((folder / "exercise.yaml").read_text())
    manifest.update(id="00000000-twoq-0000-0000-000000000000", slug="twoq",
                    title="Two written questions")
    manifest["questions"].append({"id": "w2", "kind": "written", "title": "Who feels it?",
                                  "skill": "reasoning", "points": 2})
    (folder / "exercise.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    rubric = yaml.safe_load((folder / "rubric.yaml").read_text())
    rubric["w2"] = [{"id": "w2-who", "points": 1, "criterion": "Names the users who wait."},
                    {"id": "w2-fix", "points": 1, "criterion": "Proposes a fix for the tail."}]
    (folder / "rubric.yaml").write_text(yaml.safe_dump(rubric, sort_keys=False))
    nb = nbformat.read(folder / "notebook.ipynb", as_version=4)
    cell = {"grade": False, "locked": True, "schema_version": 3, "solution": False,
            "task": False}
    prompt = nbformat.v4.new_markdown_cell("## W2 (2 points)\n\nWho feels the tail?",
                                           metadata={"nbgrader": {**cell, "grade_id": "w2_prompt"}})
    answer = nbformat.v4.new_markdown_cell("YOUR ANSWER HERE", metadata={"nbgrader": {
        **cell, "grade": True, "locked": False, "solution": True, "points": 2,
        "grade_id": "w2"}})
    nb.cells += [prompt, answer]
    nbformat.write(nb, folder / "notebook.ipynb")
    exercise = load_exercise(folder)
    course = init_course(tmp_path / "course2", secret=b"test-secret")
    assign(course, [exercise], [Candidate("alice", "Alice A"), Candidate("bob"),
                                Candidate("carol")], progress=False)
    return course, exercise


def test_the_desk_keeps_every_tick_and_leads_to_the_unmarked_work(tmp_path: Path):
    """Does Save on one question keep the ticks made on another, does leaving with
    unsaved ticks ask first, does the list show autograded scores and blank answers, show
    only unmarked work, and does "next" lead to the next unmarked submission? And can a
    grader replace a score typed into the formgrader (with the network blocked) from the
    desk, told nothing of the other graders?"""
    from evalround.rubric import RubricStore

    course, twoq = _two_question_course(tmp_path)
    key = dict(build_variant(twoq, course.secret, "alice")[2].values)
    submit(course, "alice", fill_answers(bundle_notebook(course, "alice", "twoq"),
                                         twoq.manifest, key,
                                         {"w1": "The tail.", "w2": "Users on slow phones."}),
           slug="twoq")
    submit(course, "bob", fill_answers(bundle_notebook(course, "bob", "twoq"), twoq.manifest,
                                       {}, {"w1": "Fine."}), slug="twoq")
    submit(course, "carol", bundle_notebook(course, "carol", "twoq"), slug="twoq")
    records = {r.candidate: r.auto_points for r in grade(course, [twoq], progress=False)}
    assert records == {"alice": 4.0, "bob": 0.0, "carol": 0.0}  # q1 and q2, 2 points each
    code = {cid: blind_code(course.secret, "twoq", cid) for cid in ("alice", "bob", "carol")}

    def marks(grader: str) -> dict[tuple[str, str], tuple[str, ...]]:
        return {(m.candidate, m.question): m.items
                for m in RubricStore(course).marks("twoq", grader=grader)}

    with jupyter(course.root, tmp_path / "server", extra=DESK) as server, chromium() as page:
        outside = guard_requests(page, server.base)
        server.login(page)

        # 1. the list: autograded scores, blank answers, and only the unmarked work
        page.goto(server.base + "/evalround/desk?grader=rhea")
        row = {cid: page.locator(f"tr[data-code='{c}']") for cid, c in code.items()}
        assert row["alice"].locator("td.auto").inner_text() == "4 / 4"
        assert row["bob"].locator("td.auto").inner_text() == "0 / 4"
        assert row["alice"].locator(".blank").count() == 0
        assert row["bob"].locator(".blank").inner_text() == "blank: W2"
        assert row["carol"].locator(".blank").inner_text() == "blank: W1, W2"
        assert row["alice"].locator(".waits").inner_text() == "waiting: W1, W2"
        assert row["bob"].locator(".waits").inner_text() == "waiting: W1"
        assert row["carol"].locator(".done").inner_text() == "nothing waits for you"
        assert "2 submissions wait for your marks." in page.inner_text("body")
        page.screenshot(path=str(screenshot_path("desk-list")), full_page=True)
        page.get_by_role("link", name="Show only unmarked work").click()
        shown = page.locator("tr[data-code] a").all_inner_texts()
        assert sorted(shown) == sorted([code["alice"], code["bob"]])  # carol: all blank

        # 2. Save on W1 keeps the ticks made on W2
        page.get_by_role("link", name=code["alice"]).click()
        page.get_by_role("checkbox", name="w1-tail").check()
        page.get_by_role("checkbox", name="w2-who").check()
        assert page.locator("#w2 [data-unsaved]").is_visible()
        assert page.inner_text("[data-unsaved-list]") == "unsaved: W1, W2"
        page.screenshot(path=str(screenshot_path("desk-unsaved")), full_page=True)
        page.get_by_role("button", name="Save W1").click()
        page.locator("#saved").wait_for()
        assert "Saved your marks on W1: 1 point." in page.inner_text("#saved")
        assert "Saved your marks on W2: 1 point." in page.inner_text("#saved")
        assert marks("rhea") == {("alice", "w1"): ("w1-tail",), ("alice", "w2"): ("w2-who",)}
        assert not page.locator("#w2 [data-unsaved]").is_visible()

        # 3. leaving with an unsaved tick asks first; staying keeps the tick
        page.get_by_role("checkbox", name="w2-fix").check()
        asked: list[str] = []

        def stay(dialog) -> None:
            asked.append(dialog.type)
            dialog.dismiss()

        page.once("dialog", stay)
        page.get_by_role("link", name="next unmarked").click(no_wait_after=True)
        page.wait_for_timeout(500)
        assert asked == ["beforeunload"]
        assert f"submission {code['alice']}" in page.inner_text("h1")
        assert page.get_by_role("checkbox", name="w2-fix").is_checked()
        page.get_by_role("button", name="Save all").click()
        page.locator("#saved").wait_for()
        assert page.inner_text("#saved").strip() == "Saved your marks on W2: 2 points."
        assert marks("rhea")[("alice", "w2")] == ("w2-fix", "w2-who")
        page.get_by_role("button", name="Save all").click()  # nothing changed: nothing saved
        page.locator("#saved").wait_for()
        assert "Nothing to save" in page.inner_text("#saved")
        assert len(RubricStore(course).history("twoq")) == 1  # W2's first mark, kept

        # 4. "next unmarked" skips carol (all blank) and leads to bob; then none is left
        page.get_by_role("link", name="next unmarked").click()
        page.get_by_role("heading", name=f"Two written questions: submission {code['bob']}"
                         ).wait_for()
        page.get_by_role("checkbox", name="w1-tail").check()
        page.get_by_role("button", name="Save W1").click()
        page.locator("#saved").wait_for()
        assert page.locator("#next").count() == 0 and page.locator("#next-none").is_visible()
        page.goto(server.base + "/evalround/desk?grader=rhea&unmarked=1")
        assert page.locator("tr[data-code]").count() == 0
        assert "Every submission has your marks." in page.inner_text("body")

        # 5. a score typed into the formgrader by hand, with no network
        alice = next(r for r in server.json("/formgrader/api/submitted_notebooks/twoq/twoq")
                     if r["student"] == "alice")
        page.goto(server.base + f"/formgrader/submissions/{alice['id']}/")
        page.get_by_text("Hidden checks (evalround): 2 / 2 points").first.wait_for()
        page.wait_for_function("document.querySelector('input.score#w1').value === '1'")
        page.locator("input.score#w1").fill("0.5")
        page.locator("input.score#w1").press("Tab")
        page.wait_for_function("document.querySelector('input.score#w1').value === '0.5'")
        for _ in range(100):  # the formgrader saves it as the field loses focus
            held = nbgrader_adapter.grade(course.root, "twoq", "twoq", "alice", "w1")
            if held is not None and held.manual_score == 0.5:
                break
            page.wait_for_timeout(100)
        assert held is not None and held.manual_score == 0.5
        page.screenshot(path=str(screenshot_path("desk-formgrader-by-hand")), full_page=True)

        # 6. a second grader saves on it: told of the score typed by hand, not whose it is
        page.goto(server.base + desk_path("twoq", code["alice"]) + "?grader=sam")
        page.get_by_role("checkbox", name="w1-tail").check()
        page.get_by_role("checkbox", name="w1-users").check()
        page.get_by_role("button", name="Save W1").click()
        page.locator("#by-hand-w1").wait_for()
        told = page.inner_text("#by-hand-w1") + page.inner_text("#saved")
        assert "typed into the formgrader by hand" in told
        assert "Saved your marks on W1: 2 points." in told  # sam's own score, no other
        for secret in ("0.5", "1.5", "1 point"):  # nobody else's score, nor the mean
            assert secret not in told, secret
        assert "rhea" not in page.inner_text("body") and "alice" not in page.inner_text("body")
        assert nbgrader_adapter.grade(course.root, "twoq", "twoq", "alice", "w1"
                                      ).manual_score == 0.5  # left as it was
        page.screenshot(path=str(screenshot_path("desk-by-hand")), full_page=True)
        page.get_by_role("button", name="Replace it with the rubric's score on W1").click()
        page.locator("#saved").wait_for()
        assert "is replaced by the rubric's score" in page.inner_text("#saved")
        assert page.locator("#by-hand-w1").count() == 0
        for secret in ("0.5", "1.5", "rhea"):
            assert secret not in page.inner_text("#saved"), secret
        page.screenshot(path=str(screenshot_path("desk-replaced")), full_page=True)
    # the mean of rhea's 1 and sam's 2; the score typed by hand is kept, not lost
    assert nbgrader_adapter.grade(course.root, "twoq", "twoq", "alice", "w1"
                                  ).manual_score == 1.5
    (kept,) = RubricStore(course).replaced("twoq")
    assert (kept["candidate"], kept["question"], kept["score"], kept["replaced_by"]) == (
        "alice", "w1", 0.5, "sam")
    assert outside == []  # nothing, MathJax included, came from outside this server
