"""The sandbox seam: refuse without one unless told, and show what the sandbox sees."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from evalround import sandbox
from evalround.cli import main
from evalround.execution import LocalRunner, SandboxRunner, default_runner
from evalround.grading import grade
from evalround.notebook import fill_answers
from evalround.variant import build_variant

from helpers import bundle_notebook, submit


def _no_sandbox(monkeypatch):
    monkeypatch.setattr(sandbox, "probe", lambda: "bubblewrap (bwrap) is not installed")


def test_without_a_sandbox_grading_refuses_and_says_how_to_go_on(monkeypatch, course, template):
    _no_sandbox(monkeypatch)
    submit(course, "alice", bundle_notebook(course, "alice"))
    with pytest.raises(sandbox.SandboxUnavailable) as info:
        grade(course, [template], progress=False)
    assert "bubblewrap (bwrap) is not installed" in str(info.value)
    assert "--unsandboxed" in str(info.value)
    assert not course.grade_path("template", "alice").exists()


def test_the_cli_refuses_with_exit_2(monkeypatch, course, capsys):
    _no_sandbox(monkeypatch)
    submit(course, "alice", bundle_notebook(course, "alice"))
    code = main(["-q", "grade", "--course", str(course.root), "--exercises", "_template"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("evalround: error: bubblewrap (bwrap) is not installed. Grading runs")


@pytest.mark.slow
def test_unsandboxed_grades_are_marked(monkeypatch, course, template):
    _no_sandbox(monkeypatch)
    key = build_variant(template, course.secret, "alice")[2].values
    submit(course, "alice", fill_answers(bundle_notebook(course, "alice"), template.manifest, key))
    (record,) = grade(course, [template], progress=False, allow_unsandboxed=True)
    assert record.sandbox == "unsandboxed" and record.auto_points == 4.0


def test_default_runner_is_the_sandbox_where_it_runs(monkeypatch):
    if sandbox.probe() is None:
        assert isinstance(default_runner(), SandboxRunner)
    _no_sandbox(monkeypatch)
    assert type(default_runner(allow_unsandboxed=True)) is LocalRunner


def test_the_sandbox_binds_no_course_and_no_network(tmp_path):
    work, control = tmp_path / "course" / "w", tmp_path / "course" / "c"
    spec = sandbox.SandboxSpec(work, control, 61000)
    cmd = sandbox.bwrap_command(spec, ["python"], 1 << 20, {"HOME": "/tmp"})
    binds = [cmd[i + 1:i + 3] for i, arg in enumerate(cmd) if arg in ("--bind", "--ro-bind")]
    writable = [b for b, arg in zip(binds, [a for a in cmd if a in ("--bind", "--ro-bind")],
                                    strict=True) if arg == "--bind"]
    assert writable == [[str(work), "/submission"], [str(control), "/control"]]
    assert not any(src.startswith(str(tmp_path)) for src, _ in binds
                   if src not in (str(work), str(control)))
    assert "--unshare-net" in cmd and "--unshare-pid" in cmd and "--die-with-parent" in cmd
    assert cmd[cmd.index("--cap-drop") + 1] == "ALL"


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root, to become an ordinary user")
def test_as_an_ordinary_user_grading_refuses_and_says_what_to_do(course):
    """Does `evalround grade` run by a non-root user refuse to run candidates' code,
    say why and what to do, and grade nothing?"""
    submit(course, "alice", bundle_notebook(course, "alice"))
    # uid 65534 (nobody), allowed only to read the checkout and the course
    out = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         "--inh-caps", "+dac_read_search", "--ambient-caps", "+dac_read_search",
         sys.executable, "-m", "evalround.cli", "-q", "grade", "--course", str(course.root),
         "--exercises", "_template"],
        capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 2, out.stderr
    assert out.stderr.startswith("evalround: error: evalround grade runs candidates' code "
                                 "in its sandbox only as root: as a non-root user (uid 65534)")
    assert "sudo evalround grade" in out.stderr
    assert not course.grade_path("template", "alice").exists()


@pytest.mark.skipif(sandbox.probe() is not None, reason="no sandbox on this machine")
def test_the_sandbox_runs_the_evalround_that_is_grading(tmp_path):
    """evalround imported from elsewhere than the venv's (a checkout on PYTHONPATH, a git
    worktree): does the Python inside the sandbox import that same copy?"""
    copy = tmp_path / "elsewhere" / "src"
    shutil.copytree(sandbox.package_dir(), copy / "evalround",
                    ignore=shutil.ignore_patterns("__pycache__"))
    script = (
        "import subprocess, sys, pathlib\n"
        "from evalround import sandbox\n"
        "from evalround.execution import sandbox_env\n"
        "w, c = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])\n"
        "w.mkdir(); c.mkdir()\n"
        "cmd = sandbox.bwrap_command(sandbox.SandboxSpec(w, c, None), [sys.executable, '-c',"
        " 'import evalround; print(evalround.__file__)'], 1 << 20, sandbox_env())\n"
        "print(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)\n")
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "w"),
                          str(tmp_path / "c")], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(copy)}, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(copy / "evalround" / "__init__.py")
