"""Benchmarks, measured side by side in one run. Run with `make bench`.

- assign: seconds to assign N candidates (default 100), and per candidate;
- grade one submission: evalround's `grade` against stock `nbgrader autograde` on the
  same submission (the stock run given that candidate's key and data), same score;
- the reference notebook's top-to-bottom run time (bare nbclient, no grading);
- a cohort of 40 submissions (mixed quality): `evalround grade` (sandboxed, one
  notebook per core) against stock sequential `nbgrader autograde` (one student at a
  time, each given that student's key and data, since stock nbgrader has one key per
  assignment), with identical scores; and against bare nbclient running the same
  rebuilt notebooks with the same parallelism (evalround's overhead);
- the same cohort graded over a Dask cluster on this machine (`grade --scheduler`), with
  1 and 2 workers of one thread each, with identical scores.

Timings only print; nothing here passes or fails on a number.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from evalround import nbgrader_adapter
from evalround.assignment import assign, notebook_name
from evalround.course import Candidate, init_course
from evalround.execution import default_runner
from evalround.exercise import find_exercise
from evalround.grading import grade, prepare
from evalround.notebook import fill_answers, grade_id, solution_code
from evalround.simulation import read_bundle
from evalround.submission import collect
from evalround.variant import build_variant


def _timed(func):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = func()
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--exercise", default="triage-eval")
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2,
                        help="worker processes (assign) and notebooks at once (grade)")
    parser.add_argument("--cohort", type=int, default=40, help="submissions in the cohort")
    parser.add_argument("--cohort-only", action="store_true",
                        help="only the cohort comparison (assigns just the cohort)")
    args = parser.parse_args()
    exercise = find_exercise(args.exercise)
    slug = exercise.slug
    with tempfile.TemporaryDirectory(prefix="evalround-bench-") as tmp:
        root = Path(tmp) / "course"
        course = init_course(root, secret=b"bench")
        if args.cohort_only:
            cands = [Candidate(f"c{i:03d}") for i in range(args.cohort)]
            assign(course, [exercise], cands, progress=False, jobs=args.jobs)
            cohort(course, exercise, cands, args.jobs, Path(tmp))
            return
        cands = [Candidate(f"c{i:03d}") for i in range(args.candidates)]
        _, seconds = _timed(lambda: assign(course, [exercise], cands, progress=False,
                                           jobs=args.jobs))
        print(f"assign {args.candidates} candidates, {args.jobs} processes: {seconds:.2f} s "
              f"({seconds / args.candidates * 1000:.0f} ms per candidate, including "
              f"nbgrader generate_assignment once)")
        serial_root = Path(tmp) / "serial"
        serial = init_course(serial_root, secret=b"bench")
        _, serial_seconds = _timed(lambda: assign(serial, [exercise], cands, progress=False))
        same = all(
            (serial.bundle_dir() / f"{c.id}.zip").read_bytes()
            == (course.bundle_dir() / f"{c.id}.zip").read_bytes() for c in cands
        )
        print(f"assign {args.candidates} candidates, 1 process: {serial_seconds:.2f} s; "
              f"ratio {args.jobs} processes / 1 process {seconds / serial_seconds:.2f}x; "
              f"identical bundles: {same}")
        shutil.rmtree(serial_root)

        cid = "c000"
        variant, data, key = build_variant(exercise, course.secret, cid)
        files = read_bundle(course.bundle_dir() / f"{cid}.zip")
        nb = nbformat.reads(files[f"{slug}/{notebook_name(slug)}"].decode(), 4)
        nb = fill_answers(nb, exercise.manifest, key.values)
        inbox = Path(tmp) / "inbox" / cid / slug
        inbox.mkdir(parents=True)
        nbformat.write(nb, inbox / notebook_name(slug))
        collect(course, [inbox.parent])

        ours, stock = [], []
        for _ in range(args.repeats):
            records, seconds = _timed(
                lambda: grade(course, [exercise], force=True, progress=False))
            ours.append(seconds)
        nbgrader_adapter.write_stock_key(root, slug, exercise.raw_manifest(), key.values,
                                         data.files)
        for _ in range(args.repeats):
            _, seconds = _timed(lambda: nbgrader_adapter.run_stock_app(
                root, ["autograde", slug, "--student", cid, "--force"]))
            stock.append(seconds)
        stock_scores = nbgrader_adapter.grades(root, slug, slug)[cid]
        ours_best, stock_best = min(ours), min(stock)
        same = all(
            abs((stock_scores[q].auto_score or 0.0) - records[0].scores[q]) < 1e-9
            for q in records[0].scores
        )
        print(f"grade one submission: evalround {ours_best:.2f} s, stock nbgrader autograde "
              f"{stock_best:.2f} s (best of {args.repeats}); ratio evalround/stock "
              f"{ours_best / stock_best:.2f}x; identical scores: {same} "
              f"({records[0].auto_points:g} / {records[0].auto_max:g})")

        source = nbformat.read(course.source_dir(slug) / notebook_name(slug), 4)
        code = solution_code(source)
        for cell in source.cells:
            if grade_id(cell) in code:
                cell.source = code[grade_id(cell) or ""]
        runs = []
        for _ in range(args.repeats):
            work = Path(tmp) / "ref"
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(course.source_dir(slug), work)
            for name, content in data.files.items():
                (work / "data" / name).write_bytes(content)
            client = NotebookClient(nbformat.from_dict(source), timeout=120,
                                    kernel_name="python3",
                                    resources={"metadata": {"path": str(work)}})
            _, seconds = _timed(client.execute)
            runs.append(seconds)
        print(f"reference notebook top to bottom (bare nbclient, kernel start included): "
              f"{min(runs):.2f} s best, {max(runs):.2f} s worst of {args.repeats}")
        cohort(course, exercise, cands[: args.cohort], args.jobs, Path(tmp))


def _bare(notebook: str, workdir: str) -> None:
    """Bare nbclient: run one notebook in its folder, nothing else (a worker process)."""
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": workdir}}).execute()


def _warm(_: int) -> None:
    import nbclient  # noqa: F401


def cohort(course, exercise, cands, jobs: int, tmp: Path) -> None:  # type: ignore[no-untyped-def]
    """40 submissions of mixed quality, graded three ways on the same notebooks."""
    slug = exercise.slug
    personas = list(exercise.personas)
    inbox = tmp / "cohort-inbox"
    for i, cand in enumerate(cands):
        variant, data, key = build_variant(exercise, course.secret, cand.id)
        files = read_bundle(course.bundle_dir() / f"{cand.id}.zip")
        nb = nbformat.reads(files[f"{slug}/{notebook_name(slug)}"].decode(), 4)
        answers = exercise.approach(data.frames(), dict(variant.injected_parameters),
                                    exercise.personas[personas[i % len(personas)]])
        folder = inbox / cand.id / slug
        folder.mkdir(parents=True)
        nbformat.write(fill_answers(nb, exercise.manifest, answers), folder / notebook_name(slug))
    collect(course, [inbox / c.id for c in cands])
    runner = default_runner()
    records, ours = _timed(lambda: grade(course, [exercise], runner=runner, jobs=jobs,
                                         force=True, progress=False))
    ours_scores = {r.candidate: r.scores for r in records}

    stock_scores = {}
    start = time.perf_counter()
    for cand in cands:
        _, data, key = build_variant(exercise, course.secret, cand.id)
        nbgrader_adapter.write_stock_key(course.root, slug, exercise.raw_manifest(),
                                         key.values, data.files)
        nbgrader_adapter.run_stock_app(course.root,
                                       ["autograde", slug, "--student", cand.id, "--force"])
        row = nbgrader_adapter.grades(course.root, slug, slug)[cand.id]
        stock_scores[cand.id] = {q: row[q].auto_score or 0.0 for q in ours_scores[cand.id]}
    stock = time.perf_counter() - start
    same = all(abs(stock_scores[c][q] - ours_scores[c][q]) < 1e-9
               for c in ours_scores for q in ours_scores[c])

    paths, folders = [], []
    for cand in cands:
        job = prepare(course, exercise, cand.id)
        nbformat.write(job.notebook, job.workdir / "bare.ipynb")
        paths.append(str(job.workdir / "bare.ipynb"))
        folders.append(str(job.workdir))
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        list(pool.map(_warm, range(jobs)))  # worker start-up is not nbclient's cost
        _, bare = _timed(lambda: list(pool.map(_bare, paths, folders)))
    total = sum(sum(s.values()) for s in ours_scores.values())
    print(f"cohort of {len(cands)} submissions ({', '.join(personas)}; {total:g} points in all)"
          f": evalround grade ({runner.name}, {jobs} at once) {ours:.1f} s; stock sequential "
          f"nbgrader autograde {stock:.1f} s; identical scores: {same}")
    print(f"speedup vs stock nbgrader: {stock / ours:.2f}x")
    print(f"overhead vs bare nbclient ({jobs} at once, same notebooks, {bare:.1f} s): "
          f"{ours / bare:.2f}x")
    over_dask(course, exercise, ours_scores)


def over_dask(course, exercise, local_scores) -> None:  # type: ignore[no-untyped-def]
    """The cohort regraded on a Dask cluster of worker processes, 1 then 2 workers."""
    from distributed import Client, LocalCluster

    from evalround.dask_runner import DaskRunner

    seconds, same = {}, True
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1",
                          dashboard_address=None, processes=True) as cluster, \
                Client(cluster) as client:
            runner = DaskRunner(client)
            runner.check_workers()
            start = time.perf_counter()
            records = grade(course, [exercise], runner=runner, jobs=2 * workers, force=True,
                            progress=False)
            seconds[workers] = time.perf_counter() - start
        same = same and all(local_scores[r.candidate] == r.scores for r in records)
    print(f"cohort over Dask (grade --scheduler, bubblewrap on each worker, one thread each):"
          f" 1 worker {seconds[1]:.1f} s, 2 workers {seconds[2]:.1f} s; ratio "
          f"{seconds[1] / seconds[2]:.2f}x; identical scores to local grading: {same}")


if __name__ == "__main__":
    sys.exit(main())
