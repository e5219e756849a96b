"""Benchmarks, measured side by side in one run. Run with `make bench`.

- assign: seconds to assign N candidates (default 100), and per candidate;
- grade one submission: evalround's `grade` against stock `nbgrader autograde` on the
  same submission (the stock run given that candidate's key and data), same score;
- the reference notebook's top-to-bottom run time (bare nbclient, no grading).

Timings only print; nothing here passes or fails on a number.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from evalround import nbgrader_adapter
from evalround.assignment import assign, notebook_name
from evalround.course import Candidate, init_course
from evalround.exercise import find_exercise
from evalround.grading import grade
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
    parser.add_argument("--jobs", type=int, default=2, help="assign's worker processes")
    args = parser.parse_args()
    exercise = find_exercise(args.exercise)
    slug = exercise.slug
    with tempfile.TemporaryDirectory(prefix="evalround-bench-") as tmp:
        root = Path(tmp) / "course"
        course = init_course(root, secret=b"bench")
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


if __name__ == "__main__":
    sys.exit(main())
