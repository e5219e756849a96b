"""Hostile submissions: one candidate per attack, graded together in the sandbox.

Every attack runs as the candidate's own answer cell (the rest of the notebook is
the candidate's bundle, tampered with where the attack says so). Each test asserts
the exact score that must come out of it, and, where the attack aims at a secret,
that the secret stayed where it was.

The template exercise has two autograded questions: q1 (2 points, three numbers,
scored by share of numbers right), where every attack runs, and q2 (2 points, the
judgement question: one region), which every notebook answers with the reference
solution code. ``{right}`` is q1's reference solution code: it computes the right
numbers from the candidate's own data. So q2 shows what an attack in an earlier cell
does to an honest later answer: it scores 2 unless the run fails (a replaced builtin, a
dead kernel or runner, a kernel that can no longer send its messages) or the attack
rewrites the cells after it.
"""

from __future__ import annotations

import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from evalround import nbgrader_adapter
from evalround.assignment import assign
from evalround.course import Candidate, Course, init_course
from evalround.execution import Limits
from evalround.exercise import Exercise
from evalround.grading import GradeRecord, GradingIncomplete, grade
from evalround.notebook import PARAMETERS_TAG, grade_id, solution_code
from evalround.sandbox import probe

from helpers import bundle_notebook, submit

# On Linux the sandbox must work (make install brings bubblewrap): a broken one fails
# here rather than skipping the attacks.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox needs Linux"),
]

WRONG = "q1_p50_ms, q1_p95_ms, q1_share_over_budget = 1.0, 2.0, 0.5\n"
ZERO_ANSWERS = "q1_p50_ms = q1_p95_ms = q1_share_over_budget = None\n"


@dataclass(frozen=True)
class Attack:
    name: str
    code: str  # the answer cell; {right}, {course}, {port} are filled in
    score: float  # the exact q1 score that must come out
    doc: str
    tamper: str = ""  # "params", "setup", "test", "delete-test", "bonus-cell"
    q2: float = 2.0  # the exact q2 score: its honest answer stands unless the run fails


ATTACKS = [
    Attack("read_answer_key", """
import glob, json
found = glob.glob("{course}/.evalround/**/*.json", recursive=True)
print("found", found)
for path in found:
    data = json.load(open(path))
    if "key" in data:
        globals().update(data["key"])
""", 0.0, "reads every variant record under the course folder"),
    Attack("read_gradebook", """
try:
    print(open("{course}/gradebook.db", "rb").read(16))
except OSError as exc:
    print("blocked", exc)
""" + WRONG, 0.0, "opens the gradebook to read other grades"),
    Attack("write_gradebook", """
import sqlite3
try:
    db = sqlite3.connect("{course}/gradebook.db")
    db.execute("update grade set auto_score = 2")
    db.commit()
except Exception as exc:
    print("blocked", exc)
""" + WRONG, 0.0, "opens the gradebook for writing and sets every score to full"),
    Attack("read_other_submission", """
import glob
for path in glob.glob("{course}/submitted/*/template/*.ipynb"):
    print(open(path).read()[:100])
""" + WRONG, 0.0, "copies a peer's submitted notebook"),
    Attack("read_source_with_solutions", """
exec(compile(open("{course}/source/template/template.ipynb").read(), "x", "exec"))
""", 0.0, "reads the instructor notebook"),
    Attack("list_root_for_secrets", """
import os
seen = []
for root, dirs, files in os.walk("/"):
    if root.startswith(("/proc", "/sys", "/usr", "/dev")):
        dirs[:] = []
        continue
    if "site-packages" in root:  # nbgrader ships a test gradebook of its own
        continue
    seen += [f for f in files if f == "gradebook.db" or ".evalround" in root]
print("seen", seen)
""" + WRONG, 0.0, "walks the whole file system for records"),
    Attack("network_to_grader_host", """
import socket
import sys
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3).sendall(b"key please")
except OSError as exc:
    print("blocked", exc)
""" + WRONG, 0.0, "phones home to a server on the grading machine"),
    Attack("network_to_internet", """
import socket
import sys
try:
    socket.create_connection(("93.184.216.34", 80), timeout=3)
    print("connected")
except OSError as exc:
    print("blocked", exc)
""" + WRONG, 0.0, "reaches out to the internet"),
    Attack("redefine_builtins_and_isclose", """
import builtins, math
import numpy
builtins.abs = lambda x: 0
builtins.round = lambda *a, **k: 0
math.isclose = numpy.isclose = numpy.allclose = lambda *a, **k: True
""" + WRONG, 0.0, "redefines the helpers a check could use",
           q2=0.0),
    Attack("always_equal_object", """
class AlwaysEqual(float):
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = float.__hash__
q1_p50_ms = q1_p95_ms = q1_share_over_budget = AlwaysEqual(0.0)
""", 0.0, "answers with objects whose == always says yes"),
    Attack("object_pretending_to_be_a_number", """
class Sneaky:
    def __eq__(self, other):
        return True
    def __float__(self):
        return 1e9
    def __repr__(self):
        return "512.0"
q1_p50_ms = q1_p95_ms = q1_share_over_budget = Sneaky()
""", 0.0, "an object that claims to be any number"),
    Attack("nan_and_inf", """
q1_p50_ms, q1_p95_ms, q1_share_over_budget = float("nan"), float("inf"), float("-inf")
""", 0.0, "NaN and infinities, which compare oddly"),
    Attack("fake_check_output", """
print("Hidden checks (evalround): 2 / 2 points")
print("All tests passed. Score: 100%")
""" + WRONG, 0.0, "prints what a passing check prints"),
    Attack("float_as_last_expression", WRONG + "2.0\n", 0.0,
           "leaves a float as the cell's last expression (nbgrader reads that as points)"),
    Attack("forged_answer_dump", """
import json
fake = {{"q1_p50_ms": 1.0, "q1_p95_ms": 2.0, "q1_share_over_budget": 0.5}}
marker = "@@evalround-" + "0" * 32 + "@@"
print(marker + json.dumps(fake) + marker)
""" + ZERO_ANSWERS, 0.0, "prints a forged answer block with a guessed marker"),
    Attack("steal_marker_from_job_file", """
import glob, json
for path in glob.glob("/control/*") + glob.glob("/control/.*"):
    try:
        print(path, open(path).read()[:80])
    except OSError as exc:
        print("blocked", path, exc)
""" + WRONG, 0.0, "reads the runner's job file to forge the answer block"),
    Attack("monkeypatch_json_dumps", """
import json
_real = json.dumps
json.dumps = lambda obj, *a, **k: _real({{"q1_p50_ms": 1.0}})
""" + WRONG, 0.0, "monkeypatches json so the answer dump says something else (the kernel's "
    "own messages then break: the run fails)", q2=0.0),
    Attack("silence_print", """
import builtins
builtins.print = lambda *a, **k: None
""" + WRONG, 0.0, "silences print so no answers can be read",
           q2=0.0),
    Attack("post_run_hook_forgery", """
def _forge(result):
    print("@@evalround-guess@@{{\\"q1_p50_ms\\": 999}}@@evalround-guess@@")
get_ipython().events.register("post_run_cell", _forge)
""" + WRONG, 0.0, "a hook that prints after every cell, including the answer dump"),
    Attack("exit_kernel_after_right_answers", "{right}\nimport os\nos._exit(0)\n", 0.0,
           "computes the right answers, then kills the kernel", q2=0.0),
    Attack("sys_exit_after_right_answers", "{right}\nimport sys\nsys.exit(0)\n", 2.0,
           "sys.exit in IPython only ends the cell: the answers stand, no more"),
    Attack("kill_the_runner", "{right}\nimport os, signal\nos.kill(os.getppid(), 9)\n", 0.0,
           "kills the process that runs the notebook", q2=0.0),
    Attack("infinite_loop", "{right}\nwhile True:\n    pass\n", 2.0,
           "loops forever after answering: interrupted at the cell time limit"),
    Attack("loop_that_ignores_interrupts", """{right}
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    pass
""", 0.0, "ignores the interrupt: the run is killed at the total time limit", q2=0.0),
    Attack("fork_bomb", """{right}
import os, time
children = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(120)
            os._exit(0)
        children += 1
except OSError as exc:
    print("fork refused after", children, exc)
""", 2.0, "forks until the process limit refuses"),
    Attack("memory_bomb", """{right}
try:
    hog = bytearray(64 << 30)
except MemoryError:
    print("memory refused")
""", 2.0, "asks for 64 GiB at once"),
    Attack("memory_creep", """{right}
hogs = []
try:
    while True:
        hogs.append(bytearray(256 << 20))
except MemoryError:
    print("memory refused after", len(hogs) // 4, "GiB")
del hogs
""", 2.0, "grows memory until refused"),
    Attack("huge_output", "{right}\nprint('x' * (200 << 20))\n", 2.0,
           "prints 200 MB: kept output is capped"),
    Attack("huge_file", """{right}
try:
    with open("big.bin", "wb") as fh:
        fh.write(b"0" * (1 << 30))
except OSError as exc:
    print("refused", exc)
""", 2.0, "writes a 1 GiB file"),
    Attack("flood_stderr", """{right}
import os
for _ in range(200):
    os.write(2, b"x" * (1 << 20))
""", 2.0, "writes 200 MB to the kernel's raw stderr: output capped, log stops at 64 MiB"),
    Attack("tampered_parameters_cell", "{right}\n", 2.0,
           "sets every parameter to 1: the variant's own parameters come back", "params"),
    Attack("tampered_setup_cell", "{right}\n", 2.0,
           "loads half the data in the locked setup cell: the original cell comes back",
           "setup"),
    Attack("replaced_test_cell", WRONG, 0.0,
           "replaces the test cell with a print of full marks", "test"),
    Attack("deleted_test_cell", "{right}\n", 2.0,
           "deletes the test cell: the grader restores it", "delete-test"),
    Attack("bonus_cell_with_points", WRONG, 0.0,
           "adds a graded cell worth 100 points", "bonus-cell"),
    Attack("environment_secrets", """
import os
print(sorted(os.environ))
secret = [v for v in os.environ.values() if "evalround" in v.lower() or "course" in v]
print("secret", secret)
""" + WRONG, 0.0, "looks for the course or its secret in the environment"),
    Attack("proc_of_the_grader", """
import os
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            print(pid, open(f"/proc/{{pid}}/cmdline").read()[:80])
            print(os.listdir(f"/proc/{{pid}}/fd"))
        except OSError as exc:
            print("blocked", pid, exc)
""" + WRONG, 0.0, "looks at other processes for open files and arguments"),
    # The answer channel: only the fields asked for come back, as the notebook left them.
    Attack("input_transformer_forgery", """
def _forge(lines):
    return ['print("@@evalround-x@@" + "{{\\"q1_p50_ms\\": 7.0, \\"bonus\\": 100}}")\\n']
get_ipython().input_transformers_post.append(_forge)
""" + WRONG, 0.0, "an input transformer that replaces every later cell with a forged dump",
           q2=0.0),
    Attack("ast_transformer_forgery", """
import ast
class _Forge(ast.NodeTransformer):
    def visit_Module(self, node):
        return ast.parse("q1_bonus = 100; print('forged: q1_p50_ms = 7.0')")
get_ipython().ast_transformers.append(_Forge())
""" + WRONG, 0.0, "an AST transformer that rewrites every later cell", q2=0.0),
    Attack("event_hook_adds_fields", """
def _forge(*args):
    globals()["q1_bonus"] = 100
    print('{{"q1_p50_ms": 7.0, "q1_bonus": 100}}')
for _event in ("pre_execute", "pre_run_cell", "post_execute", "post_run_cell"):
    get_ipython().events.register(_event, _forge)
""" + WRONG, 0.0, "hooks on every event, printing a forged dump and adding a variable"),
    Attack("settrace_adds_fields", """
import sys
def _tracer(frame, event, arg):
    for value in list(frame.f_locals.values()):
        if isinstance(value, dict) and "q1_p50_ms" in value and "__name__" not in value:
            value["q1_p50_ms"] = 7.0
            value["q1_bonus"] = 100
    return None
sys.settrace(_tracer)
""" + WRONG, 0.0, "a tracer that rewrites any answer dictionary it sees"),
    Attack("float_subclass_with_side_effects", """
import sys
class Sly(float):
    def __float__(self):
        frame = sys._getframe(1)
        for value in list(frame.f_locals.values()):
            if isinstance(value, dict):
                value["q1_bonus"] = 100
        return 1.0
q1_p50_ms = Sly(1.0)
q1_p95_ms, q1_share_over_budget = 2.0, 0.5
""", 0.0, "a float subclass whose conversion writes into the reader's dictionaries"),
    Attack("wrapped_print_forgery", """
import builtins
_print = builtins.print
def _forging_print(*args, **kwargs):
    _print(*args, **kwargs)
    _print('{{"q1_p50_ms": 7.0, "q1_bonus": 100}}')
builtins.print = _forging_print
""" + WRONG, 0.0, "wraps print so every output carries a forged dump: replaced builtins fail",
           q2=0.0),
    Attack("patch_comparison_builtins", """{right}
import builtins
builtins.isinstance = lambda *a: False
builtins.len = lambda *a: 0
builtins.max = builtins.min = builtins.sorted = lambda *a, **k: 0
""", 0.0, "right answers, then breaks isinstance, len, min, max, sorted: fails fast",
           q2=0.0),
    # Values that break serialisation or comparison: that field is wrong, the rest stand.
    Attack("huge_int_answer", "{right}\nq1_p50_ms = 10 ** 400\n", 1.3333,
           "an integer too large for a float (OverflowError when compared)"),
    Attack("int_past_the_digit_limit", "{right}\nq1_p50_ms = 10 ** 5000\n", 1.3333,
           "an integer past Python's 4300-digit limit for text (no JSON can carry it)"),
    Attack("deeply_nested_answer", """{right}
nested = []
for _ in range(100_000):
    nested = [nested]
q1_p50_ms = nested
""", 1.3333, "a list nested 100,000 deep (RecursionError when serialised)"),
    Attack("self_containing_answer", "{right}\nq1_p50_ms = []\nq1_p50_ms.append(q1_p50_ms)\n",
           1.3333, "a list that contains itself"),
    Attack("huge_string_answer", "{right}\nq1_p50_ms = 'x' * (30 << 20)\n", 1.3333,
           "a 30 MB string: past the stated maximum length, so wrong, and never stored"),
    Attack("bytes_answer", "{right}\nq1_p50_ms = str(q1_p50_ms).encode()\n", 1.3333,
           "the right number as bytes"),
    Attack("str_subclass_answer", """{right}
class Sly(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
q1_p50_ms = Sly(q1_p50_ms)
""", 1.3333, "the right number as a str subclass whose == always says yes"),
    Attack("nan_like_object", """{right}
class NanLike(float):
    def __float__(self):
        raise ValueError("no")
    def __eq__(self, other):
        raise ValueError("no")
q1_p50_ms = NanLike("nan")
""", 1.3333, "a float subclass that raises on conversion and on comparison"),
    Attack("lying_class_attribute", """{right}
class Liar:
    @property
    def __class__(self):
        return float
q1_p50_ms = Liar()
""", 1.3333, "an object whose __class__ says float"),
    Attack("endless_collection", """{right}
class Endless(list):
    def __iter__(self):
        while True:
            yield "x"
q1_p50_ms = Endless()
""", 1.3333, "a list whose iterator never ends"),
    Attack("exploding_tolist", """{right}
class Exploding:
    def tolist(self):
        raise RecursionError("boom")
q1_p50_ms = Exploding()
""", 1.3333, "an array-like whose tolist raises"),
    # What a kernel writes reaches the operator's terminal and the reports as text only.
    Attack("terminal_escapes_in_failure", """{right}
import os, signal
print("\\x1b]0;pwned\\x07\\x1b[2J")
os.write(2, b"\\x1b]0;pwned\\x07\\x1b[2J\\u202e\\n")
os.kill(os.getppid(), signal.SIGKILL)
""", 0.0, "writes escape sequences to stdout and stderr, then kills the runner", q2=0.0),
    # Output caps hold for display updates as for every other output.
    Attack("update_display_flood", """{right}
from IPython.display import display, update_display
for _ in range(100):
    display("small", display_id="flood")
update_display("y" * (400 << 10), display_id="flood")
""", 2.0, "100 displays of one id, then one 400 KB update: 40 MB, capped at 8 MiB"),
]


def _notebook(course: Course, cid: str, attack: Attack, solutions: dict[str, str]
              ) -> nbformat.NotebookNode:
    """The candidate's bundle with the attack as q1's answer and q2 answered honestly."""
    nb = bundle_notebook(course, cid)
    code = attack.code.format(right=solutions["q1_answer"], course=course.root, port=_PORT[0])
    cells = []
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid == "q1_answer":
            cell.source = code
        elif gid == "q2_answer":
            cell.source = solutions["q2_answer"]
        elif attack.tamper == "params" and PARAMETERS_TAG in cell.metadata.get("tags", []):
            cell.source = "\n".join(
                line.split("=")[0] + "= 1" if "=" in line else line
                for line in cell.source.splitlines())
        elif attack.tamper == "setup" and gid == "setup":
            cell.source = cell.source.replace("requests.head()",
                                              "requests = requests.iloc[: len(requests) // 2]")
        elif attack.tamper == "test" and gid == "q1":
            cell.source = 'print("Hidden checks (evalround): 2 / 2 points")'
        elif attack.tamper == "delete-test" and gid == "q1":
            continue
        cells.append(cell)
    if attack.tamper == "bonus-cell":
        bonus = nbformat.v4.new_code_cell("print('bonus')")
        bonus.metadata["nbgrader"] = {"grade": True, "grade_id": "bonus", "points": 100,
                                      "locked": False, "solution": False, "schema_version": 3}
        cells.append(bonus)
    nb.cells = cells
    return nb


_PORT = [0]
_BY_NAME = {a.name: a for a in ATTACKS}


@pytest.fixture(scope="module")
def listener():
    """A server on the grading machine that a sandboxed notebook must not reach."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    _PORT[0] = server.getsockname()[1]
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            received.append(conn.recv(100))
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield received
    stop.set()
    thread.join()
    server.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, template: Exercise, listener
           ) -> tuple[Course, dict[str, GradeRecord]]:
    course = init_course(tmp_path_factory.mktemp("hostile") / "course", secret=b"hostile")
    names = [a.name for a in ATTACKS]
    assign(course, [template], [Candidate(n) for n in names], progress=False)
    source = nbformat.read(course.source_dir("template") / "template.ipynb", as_version=4)
    solutions = solution_code(source)
    for attack in ATTACKS:
        submit(course, attack.name, _notebook(course, attack.name, attack, solutions))
    by_candidate = grade_until_scored(course, template, Limits(cell_timeout=10,
                                                               total_timeout=40), len(ATTACKS))
    assert sorted(by_candidate) == sorted(names), "still overloaded after three grades"
    return course, by_candidate


def grade_until_scored(course: Course, template: Exercise, limits: Limits, expected: int
                       ) -> dict[str, GradeRecord]:
    """Grade, and again (three times at most) while runs were stopped by the overloaded
    machine's backstop: such a run is no score, and the next grade runs it again. Any
    other problem fails the test."""
    by_candidate: dict[str, GradeRecord] = {}
    for _ in range(3):
        try:
            records = grade(course, [template], limits=limits, jobs=2, progress=False)
        except GradingIncomplete as exc:
            assert all("not graded: the grading machine was overloaded" in p
                       for p in exc.problems), exc.problems
            records = exc.records
        by_candidate.update({r.candidate: r for r in records})
        if len(by_candidate) == expected:
            break
    return by_candidate


def test_the_sandbox_runs_here():
    assert probe() is None

def test_there_are_at_least_25_attacks():
    assert len({a.name for a in ATTACKS}) == len(ATTACKS) >= 25


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_attack_gets_exactly_its_score(graded, attack: Attack):
    course, records = graded
    record = records[attack.name]
    assert record.sandbox == "bubblewrap"
    assert record.scores == {"q1": attack.score, "q2": attack.q2}, (
        attack.doc, record.failure, record.answers)
    row = nbgrader_adapter.grades(course.root, "template", "template")[attack.name]
    assert (row["q1"].auto_score, row["q2"].auto_score) == (attack.score, attack.q2)


def test_no_secret_left_the_course(graded, listener):
    course, records = graded
    assert listener == []  # nothing reached the server on the grading machine
    # The gradebook still holds exactly what evalround wrote: nothing was set to full.
    rows = nbgrader_adapter.grades(course.root, "template", "template")
    assert {cid: (row["q1"].auto_score, row["q2"].auto_score) for cid, row in rows.items()
            } == {a.name: (a.score, a.q2) for a in ATTACKS}


def _outputs(course: Course, cid: str) -> str:
    nb = nbformat.read(course.autograded_dir(cid, "template") / "template.ipynb", 4)
    cell = next(c for c in nb.cells if grade_id(c) == "q1_answer")
    return "".join(o.get("text", "") + o.get("evalue", "") for o in cell.get("outputs", []))


def test_the_attacks_were_refused_not_skipped(graded):
    """The grader's copy shows each attack running into its wall."""
    course, _ = graded
    assert "found []" in _outputs(course, "read_answer_key")
    assert "blocked" in _outputs(course, "read_gradebook")
    assert "blocked" in _outputs(course, "network_to_grader_host")
    assert "blocked" in _outputs(course, "network_to_internet")
    assert "fork refused after" in _outputs(course, "fork_bomb")
    assert "memory refused" in _outputs(course, "memory_bomb")
    assert "refused" in _outputs(course, "huge_file")
    assert "seen []" in _outputs(course, "list_root_for_secrets")
    assert "secret []" in _outputs(course, "environment_secrets")
    assert "Permission denied" in _outputs(course, "steal_marker_from_job_file") or \
        "/control" not in _outputs(course, "steal_marker_from_job_file")
    assert len(_outputs(course, "huge_output")) < Limits().output_bytes
    # a kernel that ignores the interrupt is ended one cell limit later, not at 40 s
    assert "did not answer after its cell was interrupted at the cell time limit (10 s)" in (
        graded[1]["loop_that_ignores_interrupts"].failure or "")
    assert "output beyond the limit was dropped" in _outputs(course, "flood_stderr")


def test_every_attack_is_documented_in_the_threat_list():
    text = (Path(__file__).resolve().parents[1] / "docs" / "grading-security.md").read_text()
    missing = [a.name for a in ATTACKS if f"`{a.name}`" not in text]
    assert missing == []


def test_the_threat_list_gives_each_attack_its_exact_scores():
    """Does docs/grading-security.md's table give every attack the q1 and q2 scores
    asserted here?"""
    text = (Path(__file__).resolve().parents[1] / "docs" / "grading-security.md").read_text()
    table = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 4:
            table[cells[0].strip("`")] = (float(cells[2]), float(cells[3]))
    assert table == {a.name: (a.score, a.q2) for a in ATTACKS}


FORGED_FIELDS = ("input_transformer_forgery", "ast_transformer_forgery",
                 "event_hook_adds_fields", "settrace_adds_fields",
                 "float_subclass_with_side_effects")


@pytest.mark.parametrize("name", FORGED_FIELDS)
def test_the_answer_channel_takes_only_what_it_asked_for(graded, name):
    """Do transformers, hooks, tracers and sly floats leave the answers exactly as the
    notebook's variables held them, with no field added?"""
    course, records = graded
    # q2's honest answer, unless the attack rewrote the cells after it
    q2 = course.load_variant("template", name)["key"]["q2_fix_first"] if _BY_NAME[name].q2 \
        else None
    assert records[name].answers == {"q1_p50_ms": 1.0, "q1_p95_ms": 2.0,
                                     "q1_share_over_budget": 0.5, "q2_fix_first": q2}, \
        records[name].failure
    assert records[name].failure is None


def test_replaced_builtins_fail_fast_with_their_names(graded):
    """Does a notebook that replaces builtins fail at once, naming them, instead of
    hanging until the total time limit?"""
    _, records = graded
    record = records["patch_comparison_builtins"]
    assert record.failure == (
        "the notebook replaced Python builtins (isinstance, len, max, min, sorted), which "
        "the kernel and the grader rely on: the run fails")
    assert records["wrapped_print_forgery"].failure.startswith(
        "the notebook replaced Python builtins (print)")


UNREADABLE = {
    "huge_int_answer": "not a float: a whole number too large to compare",
    "int_past_the_digit_limit": "not a float: a whole number too large to compare",
    "deeply_nested_answer": "not a float: a collection that is not all text",
    "self_containing_answer": "not a float: a collection that is not all text",
    "huge_string_answer": "not a float: text longer than 10000 characters",
    "bytes_answer": "not a float: a value of type bytes",
    "str_subclass_answer": "expected a number, got '",
    "nan_like_object": "not a float: reading it raised ValueError",
    "lying_class_attribute": "not a float: reading it raised TypeError",
    "endless_collection": "not a float: a collection of more than 1000 items",
    "exploding_tolist": "not a float: reading it raised RecursionError",
}


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_an_unreadable_answer_is_one_wrong_field_with_a_reason(graded, name):
    """Is a value that breaks serialisation or comparison scored wrong, with a one-line
    reason in the grader's notebook, while the other two fields still score?"""
    course, records = graded
    record = records[name]
    assert record.failure is None
    assert set(record.answers) == {"q1_p50_ms", "q1_p95_ms", "q1_share_over_budget",
                                   "q2_fix_first"}
    nb = nbformat.read(course.autograded_dir(name, "template") / "template.ipynb", 4)
    report = next(c for c in nb.cells if grade_id(c) == "q1").outputs[0]["text"]
    line = next(t for t in report.splitlines() if "q1_p50_ms" in t)
    assert line.startswith("  [MISS] q1_p50_ms: " + UNREADABLE[name]), line
    assert len(line) < 300
    assert report.count("[ok  ]") == 2


def test_nothing_that_leaves_the_sandbox_is_larger_than_its_cap(graded):
    """Are a 30 MB answer and 40 MB of display updates kept out of the grade record and
    the graders' notebook (answers at most 10,000 characters, outputs at most 8 MiB)?"""
    course, _ = graded
    record = course.grade_path("template", "huge_string_answer")
    assert record.stat().st_size < 20_000
    for name in ("huge_string_answer", "update_display_flood"):
        notebook = course.autograded_dir(name, "template") / "template.ipynb"
        assert notebook.stat().st_size < Limits().output_bytes + (1 << 20), name
    assert "output beyond the limit was dropped" in _outputs(course, "update_display_flood")


def test_escape_sequences_reach_neither_the_record_nor_the_reports(graded, template,
                                                                   tmp_path):
    """Is a failure that quotes the kernel's stderr kept with its escape sequences
    shown as text, and does no HTML report carry a raw control character?"""
    from evalround.scorecard import build_report

    course, records = graded
    failure = records["terminal_escapes_in_failure"].failure or ""
    assert failure.startswith("the grading process stopped without a result")
    assert "\\x1b]0;pwned\\x07" in failure and "\x1b" not in failure
    report = build_report(course, [template], tmp_path / "reports")
    pages = list(report.html_dir.glob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text()
        assert "\x1b" not in text and "\x07" not in text, page

