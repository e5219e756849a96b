"""The grading desk: where graders apply rubric items, blind, beside each answer.

A Jupyter server extension, served next to nbgrader's formgrader by the same server
(``evalround desk`` starts one; any ``jupyter lab`` with this extension enabled works
too). Pages, under ``/evalround/desk``:

- the list of graded submissions, each under a blind code, with its autograded score,
  its blank answers and which answers this grader has marked (``?unmarked=1``: only
  those with an answer still waiting for them);
- one submission: its autograded scores, each written answer, and that question's
  rubric items filled with the candidate's own variant numbers, as checkboxes, in one
  form, and a link to the next submission waiting for this grader.

Saving stores the grader's applied items and comment in the rubric store for every
question they changed (and the one whose Save they pressed), and writes the resulting
score into nbgrader's gradebook (``rubric.apply_items``); ``desk.js`` asks before the
page is left with changes unsaved. A score typed into the formgrader by hand is left in
the gradebook until the grader replaces it (``rubric.rescore`` with ``force``).
A grader sees neither the candidate's identity nor another grader's marks. Candidate
text is shown escaped: an answer is data, never markup the grader's browser runs.

The extension also serves MathJax to the formgrader in the same server, which would
otherwise load it from a CDN (``use_local_mathjax``).

Who is grading: behind JupyterHub (docs/jupyterhub.md), the hub user the server
authenticated, whatever a form says; running alone, the name a grader gives once.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

from evalround.course import Course, CourseError, course_exercise
from evalround.deadline import is_late, load_deadlines, received_at
from evalround.exercise import Exercise, ExerciseError
from evalround.grading import load_record
from evalround.notebook import unanswered
from evalround.resubmission import changed_questions
from evalround.rubric import (
    DESK,
    Mark,
    RubricError,
    RubricStore,
    answer_text,
    apply_items,
    blind_code,
    check_grader,
    current_items,
    desk_path,
    mark_score,
    rescore,
    typed_by_hand,
)
from evalround.safe_text import visible

BASE = DESK
COURSE_ENV = "EVALROUND_COURSE"
# No inline script at all (the desk's own is the served desk.js), nothing from another
# origin, and forms that post only back here.
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; "
               "img-src 'self' data:; form-action 'self'; base-uri 'none'; "
               "frame-ancestors 'self'")
DESK_JS = Path(__file__).parent / "templates" / "desk.js"
# nbconvert's MathJax macro, pointed at the copy this server serves (see use_local_mathjax)
FORMGRADER_MATHJAX = Path(__file__).parent / "templates" / "formgrader_mathjax.html.j2"
MATHJAX = "/evalround/mathjax"


def behind_hub() -> bool:
    """Whether this server is a JupyterHub single-user server (the hub sets its API
    token in the environment of every server it spawns)."""
    return bool(os.environ.get("JUPYTERHUB_API_TOKEN"))


def hub_user(user: Any) -> str | None:
    """The hub user name of a request's authenticated user, if the hub vouched for one."""
    hub = getattr(user, "hub_user", None)
    if isinstance(hub, dict) and isinstance(hub.get("name"), str):
        return str(hub["name"])
    return None


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("evalround", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, finalize=visible)
    env.filters["pts"] = lambda v: f"{float(v):g}"
    return env


class DeskHandler(JupyterHandler):  # type: ignore[misc]
    """Shared by the desk's pages: the course, the grader, rendering."""

    @property
    def course(self) -> Course:
        root = os.environ.get(COURSE_ENV) or self.settings["server_root_dir"]
        return Course(Path(root).expanduser())

    def grader(self) -> str | None:
        """Who is grading: behind JupyterHub the hub user this server authenticated (a
        typed name counts for nothing there); running alone, the name the grader gave."""
        if behind_hub():
            name = hub_user(self.current_user)
            if not name:
                raise web.HTTPError(403, "this desk runs behind JupyterHub, and the request "
                                         "has no hub user: log in to the hub to grade")
        else:
            name = self.get_argument("grader", "").strip()
            if not name:
                return None
        try:
            return check_grader(name)
        except RubricError as exc:
            raise web.HTTPError(400, str(exc)) from None

    def page(self, template: str, **context: Any) -> None:
        html = self.settings["evalround_env"].get_template(template).render(
            base=self.base_url.rstrip("/"), from_hub=behind_hub(), **context)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Content-Security-Policy", PAGE_POLICY)
        self.finish(html)

    def submissions(self, slug: str) -> dict[str, str]:
        """Blind code -> candidate, for every graded submission of ``slug``."""
        course = self.course
        return {blind_code(course.secret, slug, cid): cid for cid in course.assigned(slug)
                if load_record(course, slug, cid) is not None}


class IndexHandler(DeskHandler):
    @web.authenticated  # type: ignore[misc]
    def get(self) -> None:
        grader = self.grader()
        then = self.get_argument("next", "")
        if grader and then.startswith(BASE + "/"):
            self.redirect(url_path_join(self.base_url, then) + "?" + urlencode({"grader": grader}))
            return
        unmarked_only = self.get_argument("unmarked", "") == "1"
        course = self.course
        exercises = []
        if grader:
            store = RubricStore(course)
            for slug in course.assigned_exercises():
                try:
                    exercise = course_exercise(course, slug)
                except ExerciseError:
                    continue
                written = [q.id for q in exercise.manifest.written_questions]
                mine = {(m.candidate, m.question) for m in store.marks(slug, grader=grader)}
                anyone = {(m.candidate, m.question) for m in store.marks(slug)}
                due = load_deadlines(course).get(slug)
                rows = []
                for code, cid in sorted(self.submissions(slug).items()):
                    done = sum((cid, q) in mine for q in written)
                    changed = sorted(q for q in changed_questions(course, slug, cid)
                                     if (cid, q) not in anyone)
                    record = load_record(course, slug, cid)
                    when = received_at(course, cid, slug, record.submission_sha256
                                       ) if record else ""
                    blank = blank_answers(course, exercise, cid)
                    rows.append({"code": code, "done": done, "of": len(written),
                                 "changed": changed, "late": is_late(when, due),
                                 "auto": record.auto_points if record else 0.0,
                                 "auto_max": record.auto_max if record else 0.0,
                                 "failed": bool(record and record.failure),
                                 "blank": blank,
                                 "todo": to_mark(written, blank, {q for c, q in mine
                                                                  if c == cid}),
                                 "href": desk_path(slug, code) + "?" +
                                 urlencode({"grader": grader})})
                # answers changed since they were marked come first: they need a grader
                rows.sort(key=lambda row: not row["changed"])
                waiting = sum(bool(row["todo"]) for row in rows)
                graded = len(rows)
                if unmarked_only:
                    rows = [row for row in rows if row["todo"]]
                exercises.append({"slug": slug, "title": exercise.manifest.title,
                                  "rows": rows, "waiting": waiting, "graded": graded})
        self.page("desk_index.html.j2", grader=grader, exercises=exercises, next=then,
                  unmarked_only=unmarked_only,
                  all_href=BASE + "?" + urlencode({"grader": grader or ""}),
                  unmarked_href=BASE + "?" + urlencode({"grader": grader or "",
                                                        "unmarked": "1"}))


def is_blank(answer: str) -> bool:
    """Whether a written answer was left as it came: empty, or nbgrader's stub (with or
    without the label that names its question)."""
    return unanswered(answer)


def blank_answers(course: Course, exercise: Exercise, cid: str) -> list[str]:
    """The written questions ``cid`` left blank (all of them when no graded notebook)."""
    try:
        answers = answer_text(course, exercise, cid)
    except CourseError:
        answers = {}
    return [q.id for q in exercise.manifest.written_questions
            if is_blank(answers.get(q.id, ""))]


def to_mark(written: list[str], blank: list[str], marked: set[str]) -> list[str]:
    """The written answers of one submission still waiting for one grader: neither
    marked by them nor blank (nbgrader scores a blank answer 0 by itself)."""
    return [q for q in written if q not in marked and q not in blank]


def _shared_answers(course: Course, slug: str, cid: str) -> list[str]:
    """The open shared-answer flags on this submission, from the last integrity report,
    with the other candidate as a blind code: graders never see a name."""
    import csv

    from evalround.integrity_report import KIND_WORDS

    path = course.root / "reports" / "integrity.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("candidate") == cid
                and r.get("exercise") == slug and r.get("dismissed") != "yes"]
    return [f"possible shared answer with {blind_code(course.secret, slug, r['other_candidate'])}"
            f": {KIND_WORDS.get(r['kind'], r['kind'])}" for r in rows]


class SubmissionHandler(DeskHandler):
    def _lookup(self, slug: str, code: str) -> tuple[Exercise, str, dict[str, str]]:
        """The exercise, the candidate behind ``code``, and every graded submission."""
        try:
            exercise = course_exercise(self.course, slug)
        except ExerciseError:
            raise web.HTTPError(404, f"no exercise {slug} in this course") from None
        graded = self.submissions(slug)
        cid = graded.get(code)
        if cid is None:
            raise web.HTTPError(404, f"no graded submission {code} of {slug}")
        return exercise, cid, graded

    def _render(self, slug: str, code: str, grader: str, saved: dict[str, Any] | None = None
                ) -> None:
        exercise, cid, graded = self._lookup(slug, code)
        course = self.course
        record = load_record(course, slug, cid)
        key = course.load_variant(slug, cid).get("key", {})
        items = current_items(course, exercise)
        marks = {m.question: m for m in RubricStore(course).marks(slug, cid, grader=grader)}
        try:
            answers = answer_text(course, exercise, cid)
        except CourseError as exc:
            raise web.HTTPError(404, str(exc)) from None
        auto = []
        if record is not None:
            for q in exercise.manifest.auto_questions:
                auto.append({"id": q.id, "title": q.title,
                             "points": record.scores.get(q.id, 0.0),
                             "max": record.max_scores.get(q.id, q.points),
                             "diagnoses": record.diagnoses.get(q.id, [])})
        written = []
        for q in exercise.manifest.written_questions:
            mark = marks.get(q.id)
            applied = set(mark.items) if mark else set()
            answer = answers.get(q.id, "")
            written.append({
                "id": q.id, "title": q.title, "max": q.points,
                "answer": answer.strip(),
                "blank": is_blank(answer),
                "items": [{"id": i.id, "points": i.points, "text": i.text(key),
                           "applied": i.id in applied} for i in items[q.id]],
                "comment": mark.comment if mark else "",
                "score": mark_score(items[q.id], applied, q.points) if mark else None,
                # only on an answer this grader marked: their save was the one left aside
                "by_hand": mark is not None and typed_by_hand(course, exercise, cid, q.id),
            })
        nxt = self._next_unmarked(exercise, code, graded, grader)
        self.page(
            "desk_submission.html.j2", grader=grader, slug=slug, code=code,
            title=exercise.manifest.title, auto=auto,
            auto_points=sum(a["points"] for a in auto), auto_max=sum(a["max"] for a in auto),
            failure=record.failure if record else None, written=written, saved=saved,
            shared=_shared_answers(course, slug, cid),
            xsrf=self.xsrf_form_html(),
            index=BASE + "?" + urlencode({"grader": grader}),
            next=desk_path(slug, nxt) + "?" + urlencode({"grader": grader}) if nxt else None,
            action=desk_path(slug, code),
        )

    def _next_unmarked(self, exercise: Exercise, code: str, graded: dict[str, str],
                       grader: str) -> str | None:
        """The next submission, in code order and round to the first, with an answer
        ``grader`` has still to mark; None when every other one is done."""
        course = self.course
        written = [q.id for q in exercise.manifest.written_questions]
        mine: dict[str, set[str]] = {}
        for m in RubricStore(course).marks(exercise.slug, grader=grader):
            mine.setdefault(m.candidate, set()).add(m.question)
        codes = sorted(graded)
        at = codes.index(code)
        for other in codes[at + 1:] + codes[:at]:
            marked = mine.get(graded[other], set())
            if set(written) <= marked:  # all marked: no need to read its answers
                continue
            if to_mark(written, blank_answers(course, exercise, graded[other]), marked):
                return other
        return None

    @web.authenticated  # type: ignore[misc]
    def get(self, slug: str, code: str) -> None:
        grader = self.grader()
        if grader is None:  # ask who is grading, then come back here
            self.redirect(url_path_join(self.base_url, BASE) + "?" +
                          urlencode({"next": desk_path(slug, code)}))
            return
        self._render(slug, code, grader)

    @web.authenticated  # type: ignore[misc]
    def post(self, slug: str, code: str) -> None:
        """Save every question whose ticks or comment changed, and the one whose Save was
        pressed even unchanged (a deliberate 0); or, with ``replace``, put the rubric's
        score in place of one typed into the formgrader by hand."""
        grader = self.grader()
        if grader is None:
            raise web.HTTPError(400, "say who is grading: the grader field is empty")
        exercise, cid, _ = self._lookup(slug, code)
        course = self.course
        mine = {m.question: m for m in RubricStore(course).marks(slug, cid, grader=grader)}
        replace = self.get_argument("replace", "")
        if replace:
            if replace not in mine:
                raise web.HTTPError(400, f"{code}/{replace}: save your marks on "
                                         f"{replace.upper()} before replacing its score")
            try:
                scored = rescore(course, exercise, cid, replace, force=True, forced_by=grader)
            except RubricError as exc:
                raise web.HTTPError(400, str(exc).replace(cid, code)) from None
            refresh_formgrader(self.settings)
            self._render(slug, code, grader, saved={
                "questions": [], "replaced": replace if scored.replaced else None,
                "already": None if scored.replaced else replace, "unchanged": False})
            return
        pressed = self.get_argument("save", "")
        points = {q.id: q.points for q in exercise.manifest.written_questions}
        chosen: list[tuple[str, list[str], str]] = []
        for question in dict.fromkeys(self.get_arguments("question")):
            if question not in points:
                raise web.HTTPError(400, f"{slug} has no written question {question!r}")
            items = self.get_arguments(f"item-{question}")
            # a browser sends a textarea's line ends as CRLF
            comment = self.get_argument(f"comment-{question}", "").replace("\r\n", "\n")
            if question == pressed or changed_mark(mine.get(question), items, comment):
                chosen.append((question, items, comment))
        saved = []
        for question, items, comment in chosen:
            try:
                scored = apply_items(course, exercise, cid, question, grader, items, comment)
            except RubricError as exc:
                # the questions before this one are saved; say which one was refused
                raise web.HTTPError(400, str(exc).replace(cid, code)) from None
            # The grader's own score only: the gradebook's is the mean of every grader's.
            saved.append({"question": question, "conflict": bool(scored.conflict),
                          "waiting": scored.waiting,
                          "score": mark_score(current_items(course, exercise)[question],
                                              items, points[question])})
        if saved:
            refresh_formgrader(self.settings)
        self._render(slug, code, grader, saved={"questions": saved, "replaced": None,
                                                "already": None, "unchanged": not saved})


def changed_mark(mark: Mark | None, items: list[str], comment: str) -> bool:
    """Whether what a form holds differs from the grader's saved mark (no mark: whether
    anything was ticked or written)."""
    if mark is None:
        return bool(items) or bool(comment.strip())
    return set(items) != set(mark.items) or comment.replace("\r\n", "\n").strip() != (
        mark.comment.replace("\r\n", "\n"))


class ScriptHandler(JupyterHandler):  # type: ignore[misc]
    """The desk's one script, as a file, so that its pages can forbid inline script."""

    def get(self) -> None:
        self.set_header("Content-Type", "text/javascript; charset=utf-8")
        self.finish(DESK_JS.read_bytes())


def refresh_formgrader(settings: dict[str, Any]) -> None:
    """Make the formgrader in this server read the gradebook afresh.

    The formgrader keeps one long-lived gradebook session and serves the grades it
    loaded once, so a score written elsewhere (this desk, ``evalround mark`` or
    ``evalround grade``) would not show until the server restarted.
    """
    gb = settings.get("nbgrader_gradebook")
    if gb is not None:
        # the formgrader owns it; a failed refresh must not break a save
        with contextlib.suppress(Exception):
            gb.db.expire_all()


def mathjax_files() -> Path:
    """MathJax 2, as PyPI's jupyter-server-mathjax ships it (TeX and MathML input,
    HTML-CSS and SVG output): what the formgrader loads instead of the CDN's."""
    import jupyter_server_mathjax.app

    return Path(jupyter_server_mathjax.app.STATIC_ASSETS_PATH)


def use_local_mathjax(settings: dict[str, Any]) -> bool:
    """Make the formgrader in this server load MathJax from this server, not a CDN.

    Stock nbgrader renders its grading page through nbconvert's ``mathjax`` macro, which
    loads MathJax from cdnjs; behind a firewall the page's own script then stops at the
    missing ``MathJax`` and no score shows. The macro is looked up through the
    formgrader's exporter, so a loader put before its own gives ours. Returns whether
    there was a formgrader to change.
    """
    exporter = settings.get("nbgrader_exporter")
    if exporter is None:
        return False
    loader = jinja2.DictLoader({"mathjax.html.j2": FORMGRADER_MATHJAX.read_text()})
    exporter.extra_loaders = [loader, *exporter.extra_loaders]  # resets its templates
    return True


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "evalround.grading_desk"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    web_app = serverapp.web_app
    base = web_app.settings["base_url"]
    web_app.settings["evalround_env"] = _env()
    web_app.add_handlers(".*$", [
        (url_path_join(base, BASE), IndexHandler),
        (url_path_join(base, BASE, "static", "desk.js"), ScriptHandler),
        (url_path_join(base, BASE, r"([^/]+)/(S-[0-9A-F]{6})"), SubmissionHandler),
        (url_path_join(base, MATHJAX, "(.*)"), web.StaticFileHandler,
         {"path": str(mathjax_files())}),
    ])
    # nbgrader's formgrader loads after this extension (extensions load in name order):
    # change its exporter once it is there. Run as JupyterHub's single-user server, the
    # loop may already run while extensions load, so look again for a while.
    from tornado.ioloop import IOLoop

    def local_mathjax(tries: int = 100) -> None:
        if use_local_mathjax(web_app.settings):
            return
        if tries > 0:
            IOLoop.current().call_later(0.1, local_mathjax, tries - 1)
        else:
            serverapp.log.info("evalround: no formgrader in this server to serve MathJax to")

    IOLoop.current().add_callback(local_mathjax)
    # Outside writes (evalround mark, evalround grade) reach an open formgrader too.
    from tornado.ioloop import PeriodicCallback

    refresher = PeriodicCallback(lambda: refresh_formgrader(web_app.settings), 2000)
    refresher.start()
    web_app.settings["evalround_refresher"] = refresher
    serverapp.log.info("evalround grading desk at %s", url_path_join(base, BASE))


load_jupyter_server_extension = _load_jupyter_server_extension
