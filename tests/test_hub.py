"""Graders on a real JupyterHub: two hub users mark the same submission, blind.

The hub is PyPI's ``jupyterhub`` with its proxy from the npm registry (both installed by
``make install``), run on 127.0.0.1 from the ``jupyterhub_config.py`` that
``evalround hub-config`` writes, with three test-only changes on top: the
DummyAuthenticator with a password (the test's, offline), the SimpleLocalProcessSpawner
(no system users; everything runs as root here, hence ``--allow-root``) and free ports.
Each grader logs in through Chromium, as a person does, and grades in the formgrader and
the desk of their own single-user server over the shared course folder.

The hub starts once for the module; the teardown stops it, its proxy and the graders'
servers, and checks that none of them is left running.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from evalround import nbgrader_adapter, scorecard
from evalround.assignment import assign
from evalround.course import Candidate, Course, init_course
from evalround.exercise import Exercise
from evalround.grading import grade
from evalround.notebook import fill_answers
from evalround.rubric import RubricStore, blind_code, desk_path
from evalround.variant import build_variant

from browser import chromium, free_port, guard_requests, screenshot_path
from helpers import bundle_notebook, submit

pytestmark = pytest.mark.slow
PASSWORD = "test-only-password"  # DummyAuthenticator's: this test's hub only
GRADERS = ("rhea", "sam")
ANA = Candidate("ana-garcia", "Ana García", "ana.garcia@example.com")
# What would tell a grader whose answer this is (as whole words: "Analysis" is fine).
IDENTITY = ("ana-garcia", "Ana", "García", "Garcia", "ana.garcia@example.com")
NAMED = re.compile("|".join(rf"(?<![\w-]){re.escape(w)}(?![\w-])" for w in IDENTITY))
BOB = re.compile(r"\b(bob|Bob|Brown)\b")
TEST_CONFIG = '''\
c = get_config()  # noqa: F821
load_subconfig({config!r})  # what `evalround hub-config` wrote, then the test's changes:
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {home!r}
c.Spawner.args = list(c.Spawner.args) + ["--allow-root"]
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_port}"
c.JupyterHub.db_url = "sqlite:///{state}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{state}/cookie_secret"
c.ConfigurableHTTPProxy.pid_file = "{state}/proxy.pid"
'''


@dataclass
class Hub:
    base: str
    course: Course
    log: Path

    def url(self, user: str, path: str) -> str:
        return f"{self.base}/user/{user}{path}"


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (the hub's proxy and single-user servers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, template: Exercise) -> Iterator[Hub]:
    root = tmp_path_factory.mktemp("hub")
    course = init_course(root / "course", secret=b"hub-secret", blind=True,
                         graders_per_answer=2)
    assign(course, [template], [ANA, Candidate("bob", "Bob Brown")], progress=False)
    key = dict(build_variant(template, course.secret, ANA.id)[2].values)
    submit(course, ANA.id, fill_answers(bundle_notebook(course, ANA.id), template.manifest,
                                        key, {"w1": "The median hides the tail."}))
    grade(course, [template], progress=False)

    config = root / "jupyterhub_config.py"
    made = subprocess.run(
        [sys.executable, "-m", "evalround.cli", "hub-config", "--course", str(course.root),
         "--graders", *GRADERS, "--out", str(config)], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    port = free_port()
    state = root / "state"
    state.mkdir()
    test_config = root / "test_jupyterhub_config.py"
    test_config.write_text(TEST_CONFIG.format(
        config=str(config), password=PASSWORD, home=str(root / "home" / "{username}"),
        port=port, hub_port=free_port(), proxy_port=free_port(), state=state))
    log_path = root / "hub.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f",
                                 str(test_config)], cwd=state, stdout=log,
                                stderr=subprocess.STDOUT)
    hub = Hub(f"http://127.0.0.1:{port}", course, log_path)
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(hub.base + "/hub/api", timeout=10).read()
                break
            except (urllib.error.URLError, ConnectionError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log_path.read_text()[-3000:]) from None
                time.sleep(0.5)
        started.update(_children(proc.pid))
        yield hub
    finally:
        started.update(_children(proc.pid))  # the proxy and each grader's server
        proc.send_signal(signal.SIGTERM)  # the hub stops its servers and its proxy
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        deadline = time.monotonic() + 30
        while any(_alive(p) for p in started) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = [p for p in started if _alive(p)]
        for pid in left:
            os.kill(pid, signal.SIGKILL)
    assert not left, f"the hub left processes {left} running; see {log_path}"


def _log_in(page: Any, hub: Hub, user: str) -> None:
    """Log in through the hub's login page, as a grader does; the hub then starts the
    grader's own server, which opens on the grading desk."""
    page.goto(hub.base + "/hub/login")
    page.locator("input#username_input").fill(user)
    page.locator("input#password_input").fill(PASSWORD)
    page.locator("#login_submit").click()
    page.wait_for_url(f"**/user/{user}/evalround/desk**", timeout=240_000)


def _formgrader_submission(page: Any, hub: Hub, user: str) -> str:
    """Open the one submission in ``user``'s formgrader; return the page's text."""
    page.goto(hub.url(user, "/formgrader/gradebook/template/template"))
    link = page.locator("a[href*='/formgrader/submissions/']").first
    link.wait_for()
    link.click()
    page.locator("input.score#w1").wait_for()
    page.get_by_text("Hidden checks (evalround): 2 / 2 points").first.wait_for()
    return str(page.inner_text("body"))


def _mark(page: Any, hub: Hub, user: str, code: str, items: tuple[str, ...],
          comment: str, typed: str = "") -> str:
    """Apply ``items`` to W1 in ``user``'s desk; with ``typed``, the form says it is that
    grader instead. Returns the page's text before saving."""
    page.goto(hub.url(user, desk_path("template", code) + (f"?grader={typed}" if typed
                                                           else "")))
    page.get_by_role("heading", name=f"TEMPLATE: latency budget: submission {code}").wait_for()
    body = str(page.inner_text("body"))
    assert f"Grading as {user}." in body
    if typed:  # a forged form: every grader field names someone else
        page.evaluate("n => document.querySelectorAll('input[name=grader]')"
                      ".forEach(i => { i.value = n; })", typed)
    for item in items:
        page.get_by_role("checkbox", name=item).check()
    page.get_by_label("Comment for the hiring team").fill(comment)
    page.get_by_role("button", name="Save W1").click()
    page.locator("#saved").wait_for()
    return body


def test_two_hub_graders_mark_one_submission_blind_and_calibrate_names_them(hub: Hub):
    """On a real hub, do two graders who log in through Chromium mark the same
    submission without seeing the candidate or each other's marks, in the formgrader
    and in the desk, with the hub user on every mark, and does `evalround calibrate`
    report the pair by their hub names?"""
    course = hub.course
    code = blind_code(course.secret, "template", ANA.id)
    student = course.student_id(ANA.id)
    with chromium() as rhea:
        sam = rhea.context.browser.new_context(viewport={"width": 1400, "height": 1000}
                                               ).new_page()
        sam.set_default_timeout(60_000)
        outside_rhea, outside_sam = guard_requests(rhea, hub.base), guard_requests(sam, hub.base)

        # rhea: the desk knows her from the hub, and shows a code, never the candidate
        _log_in(rhea, hub, "rhea")
        index = rhea.inner_text("body")
        assert "Grading as rhea" in index and "Your grader name" not in index
        assert code in index and not NAMED.search(index)
        # the formgrader too: the gradebook's student is a code, with no name or email
        page = _formgrader_submission(rhea, hub, "rhea")
        assert not NAMED.search(page)
        rhea.screenshot(path=str(screenshot_path("hub-rhea-formgrader")), full_page=True)
        rhea.goto(hub.url("rhea", "/formgrader/manage_students"))
        rhea.get_by_text(student).first.wait_for()
        students = rhea.inner_text("body")
        assert not NAMED.search(students)
        assert not BOB.search(students)

        # a typed name counts for nothing behind the hub: the mark is rhea's
        desk = _mark(rhea, hub, "rhea", code, ("w1-tail",), "Names the tail; no users.",
                     typed="sam")
        assert not NAMED.search(desk)
        saved = rhea.inner_text("#saved")
        assert "Saved your marks on W1: 1 point." in saved
        assert "once 1 more grader marks it" in saved
        rhea.screenshot(path=str(screenshot_path("hub-rhea-desk-saved")), full_page=True)
        # the gradebook waits for the second grader: nothing of rhea's is there to see
        held = nbgrader_adapter.grade(course.root, "template", "template", student, "w1")
        assert held is not None and (held.manual_score, held.comment) == (None, None)

        # sam: sees neither the candidate nor rhea's mark, score or comment
        _log_in(sam, hub, "sam")
        assert "Grading as sam" in sam.inner_text("body")
        page = _formgrader_submission(sam, hub, "sam")
        assert not NAMED.search(page)
        assert "Names the tail" not in page and "rhea" not in page
        assert sam.locator("input.score#w1").input_value() == ""
        sam.screenshot(path=str(screenshot_path("hub-sam-formgrader-before")), full_page=True)
        sam.goto(hub.url("sam", desk_path("template", code)))
        sam.get_by_role("heading", name=f"TEMPLATE: latency budget: submission {code}"
                        ).wait_for()
        assert not sam.get_by_role("checkbox", name="w1-tail").is_checked()
        assert sam.get_by_label("Comment for the hiring team").input_value() == ""
        assert "Names the tail" not in sam.inner_text("body")
        desk = _mark(sam, hub, "sam", code, ("w1-tail", "w1-users"), "Tail and users.")
        assert not NAMED.search(desk) and "rhea" not in desk
        assert "Saved your marks on W1: 2 points." in sam.inner_text("#saved")
        sam.screenshot(path=str(screenshot_path("hub-sam-desk-saved")), full_page=True)

        # both have marked: the gradebook gets their mean, and the formgrader shows it
        held = nbgrader_adapter.grade(course.root, "template", "template", student, "w1")
        assert held is not None and held.manual_score == 1.5
        _formgrader_submission(sam, hub, "sam")
        sam.wait_for_function("document.querySelector('input.score#w1').value === '1.5'")
        assert outside_rhea == [] and outside_sam == []

    # every mark is the hub user's; calibrate and graders name the pair so
    marks = RubricStore(course).marks("template")
    assert sorted((m.grader, m.items) for m in marks) == [
        ("rhea", ("w1-tail",)), ("sam", ("w1-tail", "w1-users"))]
    calibrated = subprocess.run([sys.executable, "-m", "evalround.cli", "calibrate",
                                 "--course", str(course.root)], capture_output=True, text=True)
    assert calibrated.returncode == 0, calibrated.stderr
    assert "template: 2 graders (rhea, sam), 1 answers marked by two or more" in (
        calibrated.stdout)
    assert f"{code}: applied by sam; not by rhea" in calibrated.stdout
    listed = subprocess.run([sys.executable, "-m", "evalround.cli", "graders", "--course",
                             str(course.root)], capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert f"rhea: 1 mark\n  template: 1 ({code} w1)" in listed.stdout
    assert f"sam: 1 mark\n  template: 1 ({code} w1)" in listed.stdout

    # the hiring manager's reports name the candidate
    report = scorecard.build_report(course, [course_exercise_of(course)])
    page = (report.html_dir / f"candidate-{ANA.id}.html").read_text(encoding="utf-8")
    assert "Ana García" in page
    long_rows = report.long_csv_path.read_text(encoding="utf-8")
    assert f"{ANA.id},template,w1,1.5,2,graded" in long_rows


def course_exercise_of(course: Course) -> Exercise:
    from evalround.course import course_exercise

    return course_exercise(course, "template")
