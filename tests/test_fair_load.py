"""A loaded machine never changes a score: time limits are CPU time, not wall-clock time.

A small cohort (honest, wrong, heavy output, a large file, an endless loop) is graded
once alone and once beside CPU-bound processes that take every core, with the hostile
tests' tight limits. No test here asserts on a duration.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from test_hostile import ATTACKS, WRONG, Attack, _notebook, grade_until_scored

from evalround._kernel_runner import SandboxClock
from evalround.assignment import assign
from evalround.course import Candidate, init_course
from evalround.execution import Limits
from evalround.exercise import Exercise
from evalround.notebook import solution_code
from evalround.sandbox import Cgroup

from helpers import submit

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the sandbox needs Linux"),
]

_BY_NAME = {a.name: a for a in ATTACKS}
COHORT = [
    Attack("honest", "{right}\n", 2.0, "the reference solution"),
    Attack("wrong", WRONG, 0.0, "three wrong numbers"),
    _BY_NAME["huge_output"],
    _BY_NAME["huge_file"],
    _BY_NAME["flood_stderr"],
    _BY_NAME["infinite_loop"],
]
LIMITS = Limits(cell_timeout=10, total_timeout=40)

# Busy for at most ten minutes even if the test is killed before its finally.
HOG = "import time\nend = time.monotonic() + 600\nwhile time.monotonic() < end:\n    pass\n"


def _grade_cohort(root: Path, template: Exercise, load: bool) -> dict[str, dict[str, float]]:
    course = init_course(root / "course", secret=b"load")
    assign(course, [template], [Candidate(a.name) for a in COHORT], progress=False)
    source = nbformat.read(course.source_dir("template") / "template.ipynb", as_version=4)
    solutions = solution_code(source)
    for attack in COHORT:
        submit(course, attack.name, _notebook(course, attack.name, attack, solutions))
    hogs: list[subprocess.Popen[bytes]] = []
    scores: dict[str, dict[str, float]] = {}
    try:
        if load:
            hogs = [subprocess.Popen([sys.executable, "-c", HOG])
                    for _ in range(2 * (os.cpu_count() or 1))]
        # A run stopped on an overloaded machine is no score: the next grade runs it again.
        records = grade_until_scored(course, template, LIMITS, len(COHORT))
        scores.update({cid: r.scores for cid, r in records.items()})
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait()
    return scores


def test_a_loaded_machine_gives_every_submission_the_same_score(tmp_path, template):
    """Graded alone and beside busy loops on every core, does each score stay the same?"""
    alone = _grade_cohort(tmp_path / "alone", template, load=False)
    # q2 is answered honestly in every notebook: none of these runs fails, so 2 each
    assert alone == {a.name: {"q1": a.score, "q2": a.q2} for a in COHORT}
    loaded = _grade_cohort(tmp_path / "loaded", template, load=True)
    assert loaded == alone


def test_each_sandbox_gets_at_most_one_core_and_its_cpu_time_is_counted():
    """Does a sandbox's cgroup cap it at one core, weigh as one ordinary process (at the
    top of its hierarchy, not under a parent all sandboxes share) and count its CPU time?"""
    group = Cgroup(f"test-{os.getpid()}", 1 << 30, 32)
    try:
        cpu = [p for p in group.paths if (p / "cpu.cfs_quota_us").exists()
               or (p / "cpu.max").exists()]
        if not cpu:
            pytest.skip("no cpu cgroup can be made here")
        if (cpu[0] / "cpu.max").exists():
            assert (cpu[0] / "cpu.max").read_text().split() == ["100000", "100000"]
        else:
            assert (cpu[0] / "cpu.cfs_quota_us").read_text().strip() == "100000"
            assert (cpu[0] / "cpu.cfs_period_us").read_text().strip() == "100000"
        # beside other processes' groups, with an ordinary process's weight: under a
        # shared parent every sandbox of the machine together would weigh as one process
        assert cpu[0].parent.resolve() in {Path("/sys/fs/cgroup/cpu").resolve(),
                                           Path("/sys/fs/cgroup").resolve()}
        if (cpu[0] / "cpu.shares").exists():
            assert (cpu[0] / "cpu.shares").read_text().strip() == "1024"
        before = group.cpu_seconds()
        assert before is not None
        code = "x = 0\nfor i in range(3_000_000):\n    x += i\n"
        subprocess.run([*group.enter_prefix(), sys.executable, "-c", code], check=True)
        after = group.cpu_seconds()
        assert after is not None and after > before
    finally:
        group.close()


def test_the_runner_counts_the_cpu_time_of_its_children_not_the_clock():
    """Does the runner's clock count a child's busy loop, and not a child's sleep?"""
    clock = SandboxClock(whole_namespace=False)
    start = clock.cpu()
    subprocess.run([sys.executable, "-c", "import time; time.sleep(1.5)"], check=True)
    slept = clock.cpu() - start
    busy = ("import time\nend = time.process_time() + 1.5\n"
            "while time.process_time() < end:\n    pass\n")
    subprocess.run([sys.executable, "-c", busy], check=True)
    worked = clock.cpu() - start - slept
    assert worked >= 1.4
    assert slept < 1.0
