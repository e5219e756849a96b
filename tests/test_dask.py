"""Grading over a real Dask cluster (scheduler and workers started here, on 127.0.0.1),
and the whole demo on a real PostgreSQL server."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa

from evalround import nbgrader_adapter, store
from evalround.cli import main
from evalround.course import Candidate, Course, init_course
from evalround.dask_runner import DaskRunner, WorkerRefused, run_on_worker
from evalround.execution import Limits
from evalround.exercise import Exercise
from evalround.grading import GradeRecord, grade, history_path, load_record
from evalround.notebook import fill_answers
from evalround.sandbox import SandboxUnavailable
from evalround.simulation import DEMO_COHORT
from evalround.variant import build_variant

from dask_cluster import dask_cluster
from helpers import bundle_notebook, submit

pytestmark = pytest.mark.slow


def _cohort(root: Path, template: Exercise, right: list[str], blank: list[str]) -> Course:
    from evalround.assignment import assign

    course = init_course(root, secret=b"dask-secret")
    assign(course, [template], [Candidate(c) for c in right + blank], progress=False)
    for cid in right:
        key = dict(build_variant(template, course.secret, cid)[2].values)
        submit(course, cid, fill_answers(bundle_notebook(course, cid), template.manifest, key))
    for cid in blank:
        submit(course, cid, bundle_notebook(course, cid))
    return course


def test_a_worker_without_bubblewrap_refuses_the_job(tmp_path: Path, template: Exercise,
                                                     capsys) -> None:
    """On a cluster whose worker has no bubblewrap, does `grade --scheduler` refuse with
    the worker's reason and grade nothing, and does the worker itself refuse a job sent
    to it directly?"""
    course = _cohort(tmp_path / "course", template, ["alice"], [])
    no_bwrap = {**os.environ, "PATH": str(Path(sys.executable).parent)}
    with dask_cluster(tmp_path / "dask", workers=1, env=no_bwrap) as cluster:
        with pytest.raises(SandboxUnavailable, match=r"worker tcp://127\.0\.0\.1:\d+: "
                                                     r"bubblewrap \(bwrap\) is not installed"):
            DaskRunner.connect(cluster.address)
        assert main(["-q", "grade", "--course", str(course.root), "--scheduler",
                     cluster.address]) == 2
        assert "cannot sandbox candidates' code" in capsys.readouterr().err
        from distributed import Client

        with Client(cluster.address, set_as_default=False) as client:
            job = client.submit(run_on_worker, nbformat.writes(nbformat.v4.new_notebook()),
                                {}, [], Limits())
            with pytest.raises(WorkerRefused, match="refuses to run candidates' code"):
                job.result(timeout=120)
    assert load_record(course, "template", "alice") is None


def test_a_worker_killed_mid_run_loses_nothing_and_grades_nothing_twice(
        tmp_path: Path, template: Exercise) -> None:
    """Kill the worker running a submission mid-cohort: is that submission run again on
    the other worker, every submission graded exactly once, with its exact score?"""
    right, blank = ["alice", "dan", "erin"], ["carol"]
    course = _cohort(tmp_path / "course", template, right, blank)
    killed: list[str] = []
    with dask_cluster(tmp_path / "dask", workers=2) as cluster:
        runner = DaskRunner.connect(cluster.address)
        out: dict[str, list[GradeRecord] | BaseException] = {}

        def run() -> None:
            try:
                out["records"] = grade(course, [template], runner=runner, jobs=2,
                                       progress=False)
            except BaseException as exc:  # reported by the assertion below
                out["records"] = exc

        grading = threading.Thread(target=run)
        grading.start()
        from distributed import Client

        with Client(cluster.address, set_as_default=False) as watch:
            deadline = time.monotonic() + 300
            while not killed and time.monotonic() < deadline and grading.is_alive():
                names = {addr: w["name"] for addr, w in
                         watch.scheduler_info(n_workers=-1)["workers"].items()}
                for addr, keys in watch.processing().items():
                    if any(str(k).startswith("evalround-run-") for k in keys):
                        time.sleep(0.5)  # inside the run: its kernel is starting
                        cluster.kill_worker(names[addr])
                        killed.append(names[addr])
                        break
                time.sleep(0.2)
        grading.join(timeout=900)
        runner.close()
    assert killed, "no worker was seen running a submission"
    records = out["records"]
    assert isinstance(records, list), records
    assert sorted(r.candidate for r in records) == sorted(right + blank)
    assert {r.candidate: (r.auto_points, r.failure) for r in records} == {
        **{c: (4.0, None) for c in right}, **{c: (0.0, None) for c in blank}}
    for cid in right + blank:
        assert not history_path(course.grade_path("template", cid)).exists(), cid
    assert nbgrader_adapter.submission_count(course.root, "template") == 4


def test_demo_on_postgresql_then_a_dask_regrade_gives_the_same_scores(
        tmp_path: Path, pg_url: str) -> None:
    """`init --db` then `demo`: is every grade and mark in the server, with no
    gradebook.db; and does `grade --force --scheduler` give the same scores as the local
    grading of the same cohort?"""
    root = tmp_path / "demo"
    assert main(["init", str(root), "--db", pg_url]) == 0
    assert main(["-q", "demo", "--course", str(root), "--exercises", "template"]) == 0
    course = Course(root)
    local = {c: load_record(course, "template", c) for c in course.assigned("template")}
    assert len(local) == len(DEMO_COHORT) and all(local.values())
    engine = sa.create_engine(store.normalize_url(pg_url))
    with engine.connect() as conn:
        count = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                 for t in ("submitted_assignment", "marks")}
    engine.dispose()
    assert count["submitted_assignment"] == len(DEMO_COHORT)
    assert count["marks"] > 0
    book = course.by_candidate(nbgrader_adapter.grades(root, "template", "template"))
    for cid, record in local.items():
        assert record is not None
        for qid in ("q1", "q2"):
            assert book[cid][qid].auto_score == pytest.approx(record.scores[qid]), (cid, qid)
    assert not list(root.rglob("gradebook.db"))
    assert not (course.records / "rubric.sqlite").exists()

    with dask_cluster(tmp_path / "dask", workers=2) as cluster:
        assert main(["-q", "grade", "--course", str(root), "--force", "--scheduler",
                     cluster.address]) == 0
    for cid, before in local.items():
        after = load_record(course, "template", cid)
        assert before is not None and after is not None
        assert (after.scores, after.answers, after.failure, after.sandbox) == (
            before.scores, before.answers, before.failure, before.sandbox), cid
        assert after.graded_at >= before.graded_at
    assert not list(root.rglob("gradebook.db"))
