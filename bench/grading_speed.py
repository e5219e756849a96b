"""Benchmarks, measured side by side in one run. Run with `make bench`.

Prints, each on its own line:

- ``assign 100 candidates x 5 exercises: N.N s``: `assign` of every exercise to 100
  candidates, one worker process per core (nbgrader's generate_assignment included);
- ``run time EXERCISE: N.NN s``, per exercise: the candidate's bundle notebook filled
  with the key's answers (``fill_answers``), run top to bottom by bare nbclient in a
  copy of the bundle's folder (kernel start included; best of ``--repeats``);
- on a cohort of ``--cohort`` triage-eval submissions of mixed quality:
  ``speedup vs stock nbgrader: N.NNx`` (stock sequential `nbgrader autograde`, one
  student at a time, each given that student's key and data, over evalround's
  `grade`, sandboxed, one notebook per core) and ``overhead vs bare nbclient: N.NNx``
  (evalround's `grade` over bare nbclient running the same rebuilt notebooks with the
  same parallelism, in warmed worker processes). evalround and bare nbclient run
  alternately ``--repeats`` times; the best of each is compared. Scores are checked
  identical to stock nbgrader's.

Lines that start with a space say more about the line above (loads, CPU seconds; after
the assign line, each exercise's CPU per variant). ``--assign-only`` stops there. With
``--dask`` the cohort is also graded over a local Dask cluster of 1 and 2 workers.
Timings only print; nothing here passes or fails on a number.
"""

from __future__ import annotations

import argparse
import os
import resource
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
from evalround.course import Candidate, Course, init_course
from evalround.execution import default_runner
from evalround.exercise import Exercise, discover_exercises
from evalround.grading import grade, prepare
from evalround.notebook import fill_answers
from evalround.simulation import read_bundle
from evalround.submission import collect
from evalround.variant import build_variant


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def _cpu(who: int = resource.RUSAGE_SELF) -> float:
    """CPU seconds of this process (every thread), or of its ended children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _bare(notebook: str, workdir: str) -> int:
    """Bare nbclient: run one notebook in its folder, nothing else (a worker process).

    A kernel that dies before it answers (seen on a crowded machine) is started again,
    at most twice; returns how many times that happened (the bench prints it)."""
    for attempt in range(3):
        nb = nbformat.read(notebook, as_version=4)
        try:
            NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                           resources={"metadata": {"path": workdir}}).execute()
            return attempt
        except RuntimeError:
            if attempt == 2:
                raise
    return 3


def _warm(_: int) -> None:
    import nbclient  # noqa: F401


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2,
                        help="worker processes (assign) and notebooks at once (grade)")
    parser.add_argument("--cohort", type=int, default=20, help="submissions in the cohort")
    parser.add_argument("--cohort-only", action="store_true",
                        help="only the cohort comparison (assigns just the cohort)")
    parser.add_argument("--assign-only", action="store_true",
                        help="only the assign line (and each exercise's CPU per variant)")
    parser.add_argument("--dask", action="store_true",
                        help="also grade the cohort over a local Dask cluster")
    args = parser.parse_args()
    exercises = list(discover_exercises().values())
    triage = next(e for e in exercises if e.slug == "triage-eval")
    with tempfile.TemporaryDirectory(prefix="evalround-bench-") as tmp:
        course = init_course(Path(tmp) / "course", secret=b"bench")
        if args.cohort_only:
            cands = [Candidate(f"c{i:03d}") for i in range(args.cohort)]
            assign(course, [triage], cands, progress=False, jobs=args.jobs)
        else:
            cands = [Candidate(f"c{i:03d}") for i in range(args.candidates)]
            print(f" before assign: {_load()}", flush=True)
            start, cpu0 = time.perf_counter(), _cpu()
            children0 = _cpu(resource.RUSAGE_CHILDREN)
            assign(course, exercises, cands, progress=False, jobs=args.jobs)
            seconds = time.perf_counter() - start
            print(f"assign {args.candidates} candidates x {len(exercises)} exercises: "
                  f"{seconds:.1f} s")
            print(f"  ({args.jobs} worker processes; CPU used: child processes (the workers) "
                  f"{_cpu(resource.RUSAGE_CHILDREN) - children0:.1f} s, the parent "
                  f"{_cpu() - cpu0:.1f} s; {_load()})", flush=True)
            print("  (CPU per variant, built here one at a time, mean of 5 candidates: "
                  + ", ".join(f"{e.slug} {variant_cpu(course, e, cands[:5]) * 1000:.0f} ms"
                              for e in exercises) + ")", flush=True)
            if args.assign_only:
                return
            for exercise in exercises:
                run_time(course, exercise, cands[0].id, args.repeats, Path(tmp))
        cohort(course, triage, cands[: args.cohort], args.jobs, args.repeats, Path(tmp),
               args.dask)


def variant_cpu(course: Course, exercise: Exercise, cands: list[Candidate]) -> float:
    """Mean CPU seconds of ``build_variant`` (data, files, key) for these candidates, after
    one build that pays the exercise's imports and first calls."""
    build_variant(exercise, course.secret, cands[0].id)
    start = time.process_time()
    for cand in cands:
        build_variant(exercise, course.secret, cand.id)
    return (time.process_time() - start) / len(cands)


def run_time(course: Course, exercise: Exercise, cid: str, repeats: int, tmp: Path) -> None:
    """The bundle notebook with the key's answers, top to bottom, bare nbclient."""
    slug = exercise.slug
    files = read_bundle(course.bundle_dir() / f"{cid}.zip")
    key = course.load_variant(slug, cid)["key"]
    nb = nbformat.reads(files[f"{slug}/{notebook_name(slug)}"].decode(), 4)
    nb = fill_answers(nb, exercise.manifest, key)
    runs = []
    for _ in range(repeats):
        work = tmp / "runtime" / slug
        shutil.rmtree(work, ignore_errors=True)
        for name, content in files.items():
            if name.startswith(f"{slug}/"):
                path = work / name.split("/", 1)[1]
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
        client = NotebookClient(nbformat.from_dict(nb), timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(work)}})
        start = time.perf_counter()
        client.execute()
        runs.append(time.perf_counter() - start)
    print(f"run time {slug}: {min(runs):.2f} s")
    print(f"  (reference answers, bare nbclient, kernel start included; best of {repeats}, "
          f"worst {max(runs):.2f} s; {_load()})", flush=True)


def cohort(course: Course, exercise: Exercise, cands: list[Candidate], jobs: int,
           repeats: int, tmp: Path, dask: bool) -> None:
    """Submissions of mixed quality, graded three ways on the same notebooks."""
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

    paths, folders = [], []
    for cand in cands:
        job = prepare(course, exercise, cand.id)
        bare_dir = job.workdir.parent.parent / f"bare-{slug}" / cand.id
        shutil.rmtree(bare_dir, ignore_errors=True)
        shutil.copytree(job.workdir, bare_dir)
        shutil.rmtree(job.workdir)
        nbformat.write(job.notebook, bare_dir / "bare.ipynb")
        paths.append(str(bare_dir / "bare.ipynb"))
        folders.append(str(bare_dir))

    ours, bare, cpu, ours_scores = [], [], [], {}
    restarts = 0
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        list(pool.map(_warm, range(jobs)))  # worker start-up is not nbclient's cost
        for _ in range(repeats):
            start, cpu0 = time.perf_counter(), _cpu()
            records = grade(course, [exercise], runner=runner, jobs=jobs, force=True,
                            progress=False)
            ours.append(time.perf_counter() - start)
            cpu.append(_cpu() - cpu0)
            ours_scores = {r.candidate: r.scores for r in records}
            start = time.perf_counter()
            restarts += sum(pool.map(_bare, paths, folders))
            bare.append(time.perf_counter() - start)
    load = _load()

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
    total = sum(sum(s.values()) for s in ours_scores.values())
    print(f"speedup vs stock nbgrader: {stock / min(ours):.2f}x")
    print(f"overhead vs bare nbclient: {min(ours) / min(bare):.2f}x")
    print(f"  (cohort of {len(cands)} {slug} submissions: {', '.join(personas)}; "
          f"{total:g} points in all, identical scores to stock: {same}; evalround grade "
          f"({runner.name}, {jobs} at once) {', '.join(f'{s:.1f}' for s in ours)} s, bare "
          f"nbclient ({jobs} at once) {', '.join(f'{s:.1f}' for s in bare)} s, alternately "
          f"(bare kernels that died at start and were started again: {restarts}); "
          f"stock sequential autograde {stock:.1f} s; the grader process used "
          f"{min(cpu) / len(cands):.2f} s of CPU per submission; {load})", flush=True)
    if dask:
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
    print(f"  (cohort over Dask, grade --scheduler, bubblewrap on each worker, one thread "
          f"each: 1 worker {seconds[1]:.1f} s, 2 workers {seconds[2]:.1f} s; ratio "
          f"{seconds[1] / seconds[2]:.2f}x; identical scores to local grading: {same})")


if __name__ == "__main__":
    sys.exit(main())
