"""The ``evalround`` command line: argument parsing over the library, nothing more.

Importing it imports no notebook, nbgrader or data library: each command imports
what it needs when it runs, so ``--help`` and argument errors answer at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evalround import grading
    from evalround.course import Course
    from evalround.execution import Limits
    from evalround.exercise import Exercise

Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, Handler] = {}


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 candidate``, ``2 candidates``."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def _course(args: argparse.Namespace) -> Course:
    """The course named by --course, or the one the current folder lies inside."""
    from evalround.course import find_course

    return find_course(Path(args.course))


def command(func: Handler) -> Handler:
    COMMANDS[func.__name__.removeprefix("cmd_").replace("_", "-")] = func
    return func


def _exercises(args: argparse.Namespace, course: Course | None = None) -> list[Exercise]:
    """The exercises named (or the course's), from --exercises-dir, else the course's
    private bank, else the kit's own; an exercise already assigned comes from the folder
    it was assigned from."""
    from evalround.course import course_exercise
    from evalround.exercise import ExerciseError, default_exercises_dir, find_exercise

    bank = course.bank if course else None
    root = Path(args.exercises_dir) if args.exercises_dir else bank or default_exercises_dir()
    names = args.exercises or (course.assigned_exercises() if course else [])
    if not names and course is not None:
        raise ExerciseError(f"no exercise is assigned in {course.root} yet: run evalround "
                            f"assign --candidates candidates.csv --exercises SLUG...")
    if not names:
        raise ExerciseError("name at least one exercise with --exercises")
    assigned = set(course.assigned_exercises()) if course else set()
    return [course_exercise(course, name) if course and name in assigned
            and not args.exercises_dir else find_exercise(name, root) for name in names]


def _warn_public_samples(course: Course, exercises: list[Exercise]) -> None:
    if course.is_demo:
        return
    for exercise in exercises:
        if exercise.manifest.sample:
            print(f"evalround: warning: {exercise.slug} is a public sample: its reference "
                  f"solution ships with the open-source kit, so a candidate who finds it can "
                  f"take every autograded point. Assign real candidates exercises from a "
                  f"private bank (see the README, 'Private exercise banks').", file=sys.stderr)


@command
def cmd_init(args: argparse.Namespace) -> int:
    """Create a course folder: a stock nbgrader course plus evalround's records.

    With --db, the gradebook and evalround's records live in that PostgreSQL database
    (many graders at once), not in the course folder's SQLite files. Blind by default:
    graders see candidates only as codes, in the formgrader too (--no-blind: names).
    Example: evalround init hiring-2026q4 --db postgresql://grader@db.internal/hiring
    """
    from evalround import store
    from evalround.course import init_course

    db_url = store.normalize_url(args.db) if args.db else None
    if db_url:
        store.check(db_url)
        if not (Path(args.path) / "nbgrader_config.py").exists() and store.holds_grades(db_url):
            raise store.DatabaseError(
                f"the database {store.shown(db_url)} already holds a course's grades; give "
                f"each course a database of its own")
    course = init_course(Path(args.path), db_url=db_url, blind=not args.no_blind,
                         graders_per_answer=args.graders_per_answer)
    if db_url:
        store.prepare(course.root)
    if args.bank:
        course.set_bank(Path(args.bank))
        print(f"exercises come from the bank {course.bank}")
    where = f"; gradebook and records in {store.shown(db_url)}" if db_url else ""
    how = "blind (graders see codes, not candidates)" if course.blind else "not blind"
    print(f"course ready at {course.root}{where}; grading is {how}, "
          f"{plural(course.graders_per_answer, 'grader')} per written answer")
    return 0


@command
def cmd_exercises(args: argparse.Namespace) -> int:
    """List the exercises available to assign.

    Example: evalround exercises
    """
    from evalround.exercise import default_exercises_dir, discover_exercises

    root = Path(args.exercises_dir) if args.exercises_dir else default_exercises_dir()
    for slug, ex in discover_exercises(root).items():
        m = ex.manifest
        print(f"{slug:16} {m.time_budget_minutes:3} min  {m.total_points:g} pts  {m.title}")
    return 0


@command
def cmd_assign(args: argparse.Namespace) -> int:
    """Give every candidate a variant of each exercise, and write their bundles.

    With --due, the due date goes into nbgrader's gradebook and each bundle's README
    (with --contact, whom candidates write to); lateness is reported, and penalised only
    with --late-penalty (a share of the points, once or per day late).
    Example: evalround assign --candidates candidates.csv --exercises triage-eval
             --due "2026-12-08 17:00" --timezone Europe/Berlin --contact hiring@example.com
    """
    if not args.quiet:  # before the libraries load: a line in the first second
        print("assign: reading the course, the candidates and the exercises...",
              file=sys.stderr, flush=True)
    from evalround import assignment
    from evalround.course import CourseError, read_candidates
    from evalround.exercise import ExerciseError

    course = _course(args)
    candidates = read_candidates(Path(args.candidates))
    if not args.exercises:
        raise ExerciseError("name at least one exercise with --exercises")
    exercises = _exercises(args, course)
    _warn_public_samples(course, exercises)
    from evalround.bundle import long_take_home_warning

    long = long_take_home_warning([e.manifest for e in exercises])
    if long:
        print(f"evalround: warning: {long}", file=sys.stderr)
    deadline = None
    if args.due:
        from evalround.deadline import Deadline, parse_penalty, parse_time

        deadline = Deadline(parse_time(args.due, args.timezone), args.timezone,
                            args.contact or "",
                            parse_penalty(args.late_penalty) if args.late_penalty else None)
    elif args.contact or args.late_penalty:
        raise CourseError(f"{'--contact' if args.contact else '--late-penalty'} goes with "
                          f"--due: give the due date too")
    kwargs: dict[str, Any] = {"deadline": deadline} if deadline else {}
    done = assignment.assign(course, exercises, candidates, progress=not args.quiet,
                             jobs=args.jobs, new_version=args.new_version, **kwargs)
    for a in done:
        print(f"{a.candidate.id}: {a.bundle.relative_to(course.root)}")
    print(f"assigned {plural(len(done), 'candidate')}; bundles in {course.bundle_dir()}")
    if deadline:
        print(f"due {deadline.text()} ({deadline.penalty_text()} for late versions)")
    return 0


@command
def cmd_collect(args: argparse.Namespace) -> int:
    """Take submitted zips or folders into submitted/, refusing anything unsafe.

    Each file is named <candidate>.zip (or pass --candidate). Earlier versions are kept.
    Example: evalround collect inbox/*.zip
    """
    from evalround import submission

    course = _course(args)
    received = None
    if args.received:
        from evalround.deadline import parse_time

        received = parse_time(args.received, args.timezone, what="--received")
    outcomes = submission.collect(course, [Path(p) for p in args.paths], args.candidate,
                                  received=received)
    for outcome in outcomes:
        print(outcome.line())
    counts = {s: sum(o.status == s for o in outcomes) for s in ("accepted", "unchanged",
                                                                  "rejected")}
    print(f"{counts['accepted']} taken, {counts['unchanged']} identical to a version already "
          f"collected (not taken again), {counts['rejected']} rejected")
    return 1 if counts["rejected"] else 0


@command
def cmd_grade(args: argparse.Namespace) -> int:
    """Autograde every new submission against its own variant's key.

    With --scheduler, the sandboxed runs happen on the workers of that Dask cluster;
    keys, scoring and the gradebook stay here.
    Example: evalround grade --jobs 2
    """
    from evalround import grading

    course = _course(args)
    notes: list[str] = []
    exercises = _exercises(args, course)
    if not grading.pending(course, exercises, args.force):
        collected = sum((course.submitted_dir(c, e.slug) / f"{e.slug}.ipynb").exists()
                        for e in exercises for c in course.assigned(e.slug))
        if not collected:
            print("nothing to grade: no submission has been collected yet. Collect the "
                  "candidates' zips first: evalround collect inbox/*.zip", file=sys.stderr)
            return 1
        print(f"nothing new to grade: all {plural(collected, 'submission')} are graded "
              f"(--force grades them again)")
        return 0
    written = {e.slug: e.manifest.total_points - sum(q.points for q in e.manifest.auto_questions)
               for e in exercises}
    runner = None
    if args.scheduler:
        if args.unsandboxed:
            from evalround.sandbox import SandboxUnavailable

            raise SandboxUnavailable("--unsandboxed and --scheduler do not go together: "
                                     "cluster workers only ever run the sandbox")
        from evalround.dask_runner import DaskRunner

        runner = DaskRunner.connect(args.scheduler)
    jobs = args.jobs or (2 * runner.slots if runner else os.cpu_count() or 2)
    try:
        records = grading.grade(course, exercises, runner=runner, jobs=jobs,
                                force=args.force, progress=not args.quiet,
                                allow_unsandboxed=args.unsandboxed,
                                limits=_limits(args),
                                notes=notes)
    except grading.GradingIncomplete as exc:
        for note in notes:
            print(f"reconciled: {note}")
        _print_grades(exc.records, written)
        raise
    finally:
        if runner is not None:
            runner.close()
    for note in notes:
        print(f"reconciled: {note}")
    _print_grades(records, written)
    waiting = sum(written.get(r.exercise, 0) > 0 for r in records)
    print(f"graded {plural(len(records), 'submission')}"
          + (f"; the written answers of {waiting} await a grader (evalround desk)"
             if waiting else ""))
    return 0


def _limits(args: argparse.Namespace) -> Limits:
    """The grading limits given on the command line, Limits' defaults for the rest."""
    from evalround.execution import Limits

    given = {"cell_timeout": args.cell_timeout, "total_timeout": args.total_timeout}
    return Limits(**{k: v for k, v in given.items() if v is not None})


def _print_grades(records: list[grading.GradeRecord], written: dict[str, float]) -> None:
    for r in records:
        note = f"  ({r.failure})" if r.failure else ""
        rest = written.get(r.exercise, 0)
        tail = f" + {rest:g} written points to grade, of {r.auto_max + rest:g}" if rest else ""
        print(f"{r.candidate:16} {r.exercise:14} {r.auto_points:g} / {r.auto_max:g} "
              f"autograded{tail}{note}")


@command
def cmd_report(args: argparse.Namespace) -> int:
    """Write the CSV files (per candidate; per question) and an HTML scorecard per candidate.

    Example: evalround report --out reports
    """
    from evalround.report import build_report
    from evalround.standing import format_leaderboard, leaderboard

    course = _course(args)
    out = Path(args.out) if args.out else course.root / "reports"
    exercises = _exercises(args, course)
    report = build_report(course, exercises, out)
    print(format_leaderboard(leaderboard(report.results)))
    print(f"CSV: {report.csv_path} (per candidate), {report.long_csv_path} (per question)\n"
          f"scorecards: {report.html_dir}\nitem statistics: {report.items_path}\n"
          f"shared-answer flags: {report.open_flags} open ({report.integrity_path}; "
          f"details: evalround integrity)")
    return 0


@command
def cmd_integrity(args: argparse.Namespace) -> int:
    """Flag shared answers: answers equal to another candidate's key, alike code or prose.

    Writes reports/integrity.csv; a flag never changes a score. Dismiss one with a reason
    (kept with its history): --dismiss CANDIDATE EXERCISE KIND OTHER --reason ... --by ...
    Example: evalround integrity --dismiss felix triage-eval code_similarity ada \\
        --reason "pair programming was allowed" --by hiring-manager
    """
    from evalround import integrity_report

    course = _course(args)
    if args.dismiss:
        cid, slug, kind, other = args.dismiss
        integrity_report.dismiss(course, cid, slug, kind, other, args.reason or "",
                                 args.by or "", undo=args.undo)
        print(f"{'restored' if args.undo else 'dismissed'}: {kind} of {cid} with {other} "
              f"in {slug}")
        return 0
    out = Path(args.out) if args.out else course.root / "reports"
    path, flags = integrity_report.write_integrity(course, _exercises(args, course), out)
    still = integrity_report.open_flags(course, flags)
    for f in still:
        print(f"{f.candidate:12} {f.exercise:14} {f.kind:16} with {f.other_candidate}: "
              f"{f.evidence}")
    dismissed = len(flags) - len(still)
    print(f"{len(still)} open flag{'s' if len(still) != 1 else ''}"
          + (f", {dismissed} dismissed" if dismissed else "") + f"; CSV: {path}")
    return 0


@command
def cmd_items(args: argparse.Namespace) -> int:
    """Item analysis: which questions separate strong candidates from weak ones.

    Per question: n, facility, sd, corrected item-total correlation and discriminative
    efficiency; per exercise Cronbach's alpha; written to reports/items.csv.
    Example: evalround items --exercises triage-eval
    """
    from evalround import items_report

    course = _course(args)
    out = Path(args.out) if args.out else course.root / "reports"
    path, stats = items_report.write_items(course, _exercises(args, course), out)
    print(items_report.format_items(stats))
    print(f"CSV: {path}")
    return 0


@command
def cmd_mark(args: argparse.Namespace) -> int:
    """Apply rubric items to one written answer, as one grader; the score follows.

    Saving again replaces that grader's earlier mark (kept in the rubric history).
    Example: evalround mark triage-eval cand-007 w1 w1-multilingual w1-injection --grader rhea
    """
    from evalround import rubric
    from evalround.course import course_exercise

    course = _course(args)
    exercise = course_exercise(course, args.exercise)
    scored = rubric.apply_items(course, exercise, args.candidate, args.question, args.grader,
                                args.items, args.comment or "", force=args.force)
    if scored.waiting:
        print(f"{args.candidate} {exercise.slug} {scored.question}: marked; the gradebook gets "
              f"its score once {scored.waiting} more "
              f"{'grader marks' if scored.waiting == 1 else 'graders mark'} it")
        return 0
    if scored.conflict:
        print(f"{args.candidate} {exercise.slug} {scored.question}: marks saved; the gradebook "
              f"keeps the score typed by hand")
        print(f"evalround: warning: {scored.conflict}", file=sys.stderr)
        return 1
    print(f"{args.candidate} {exercise.slug} {scored.question}: {scored.score:g} points in the "
          f"gradebook (graders: {', '.join(scored.graders)})")
    if scored.replaced:
        print("  replaced a score typed into the formgrader by hand (kept in the course's "
              "records)")
    return 0


@command
def cmd_rubric(args: argparse.Namespace) -> int:
    """Show an exercise's rubric items and how often each was applied; change an item's points.

    Changing points rescores every answer a grader applied that item to.
    Example: evalround rubric triage-eval --points w1-injection 1
    """
    from evalround import rubric
    from evalround.course import course_exercise

    course = _course(args)
    exercise = course_exercise(course, args.exercise)
    if args.points:
        item, value = args.points
        try:
            points = float(value)
        except ValueError:
            raise rubric.RubricError(f"points must be a number, not {value!r}") from None
        rescored = rubric.set_item_points(course, exercise, item, points)
        print(f"{item} is now worth {points:g} points; rescored "
              f"{plural(len(rescored), 'answer')}")
        failed = 0
        for s in rescored:
            if s.conflict:
                failed += 1
                print(f"evalround: warning: {s.conflict}", file=sys.stderr)
            else:
                print(f"  {s.candidate} {s.question}: {s.score:g}")
        return 1 if failed else 0
    marks = rubric.RubricStore(course).marks(exercise.slug)
    for qid, items in rubric.current_items(course, exercise).items():
        mine = [m for m in marks if m.question == qid]
        print(f"{qid}: {plural(len(mine), 'mark')}")
        for item in items:
            used = sum(item.id in m.items for m in mine)
            print(f"  {item.id:28} {item.points:>5g} pt  applied in {used} of {len(mine)}")
    return 0


@command
def cmd_calibrate(args: argparse.Namespace) -> int:
    """Grader agreement per rubric item (raw and Cohen's kappa), and where graders disagree.

    Example: evalround calibrate --exercises triage-eval
    """
    from evalround import calibration
    from evalround.course import course_exercise
    from evalround.exercise import ExerciseError

    course = _course(args)
    names = args.exercises or course.assigned_exercises()
    if not names:
        raise ExerciseError("no exercise is assigned in this course yet")
    for i, slug in enumerate(names):
        if i:
            print()
        print(calibration.calibrate(course, course_exercise(course, slug)).text())
    return 0


@command
def cmd_graders(args: argparse.Namespace) -> int:
    """List who marked what: per grader, the written answers they marked per exercise.

    Submissions are named by blind code, as graders saw them.
    Example: evalround graders --course .
    """
    from evalround import rubric

    course = _course(args)
    table = rubric.marks_by_grader(course, args.exercises or course.assigned_exercises())
    if not table:
        print("no written answer has been marked yet")
        return 0
    for grader in sorted(table):
        total = sum(len(v) for v in table[grader].values())
        print(f"{grader}: {total} mark{'s' if total != 1 else ''}")
        for slug, marked in sorted(table[grader].items()):
            print(f"  {slug}: {len(marked)} ({', '.join(sorted(marked))})")
    return 0


def desk_urls(ip: str, port: int, token: str) -> list[str]:
    """The addresses that open the grading desk, logged in by the server's ``token``."""
    import socket

    path = f"/evalround/desk?token={token}"
    if ip in ("", "0.0.0.0", "::"):  # every interface: by this machine's name, and here
        return [f"http://{socket.gethostname()}:{port}{path}", f"http://127.0.0.1:{port}{path}"]
    host = f"[{ip}]" if ":" in ip else ip
    return [f"http://{host}:{port}{path}"]


def _desk_token() -> str:
    """The server's token: the operator's (``JUPYTER_TOKEN`` or ``JUPYTER_TOKEN_FILE``,
    as Jupyter reads them), else a fresh random one."""
    import secrets

    if os.environ.get("JUPYTER_TOKEN"):
        return os.environ["JUPYTER_TOKEN"]
    if os.environ.get("JUPYTER_TOKEN_FILE"):
        return Path(os.environ["JUPYTER_TOKEN_FILE"]).read_text().strip()
    return secrets.token_hex(24)


@command
def cmd_desk(args: argparse.Namespace) -> int:
    """Serve the grading desk and nbgrader's formgrader over the course folder.

    Prints the address to open: it carries the server's token, so it logs the browser
    in. Graders say who they are there and apply rubric items blind. The server listens
    on --ip (default 127.0.0.1, this machine only; 0.0.0.0 for every interface) and
    --port, and stops with an error if that port is taken.
    Example: evalround desk --course . --ip 127.0.0.1 --port 8888
    """

    course = _course(args)
    token = _desk_token()
    argv = [sys.executable, "-m", "jupyter_server", f"--ip={args.ip}", f"--port={args.port}",
            # the printed address names this port: never move to another one silently
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={course.root}",
            "--ServerApp.jpserver_extensions", "evalround.grading_desk=True",
            "--ServerApp.default_url=/evalround/desk"]
    if args.no_browser:
        argv.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # Jupyter refuses root unless told; the grader chose it
    urls = desk_urls(args.ip, args.port, token)
    print(f"grading desk: {urls[0]}", flush=True)
    for url in urls[1:]:
        print(f"          or: {url}", flush=True)
    print("(formgrader at /formgrader); stop with Ctrl-C", flush=True)
    # Become the server (no child left behind when this process is stopped). The token
    # goes in its environment, not its command line, which other users can read.
    os.chdir(course.root)
    os.execve(sys.executable, argv, {**os.environ, "JUPYTER_TOKEN": token})


@command
def cmd_hub_config(args: argparse.Namespace) -> int:
    """Write a jupyterhub_config.py for the course's graders (see docs/jupyterhub.md).

    Each grader logs in to the hub and grades in the formgrader and the desk of their own
    server, over the shared course folder, under their hub name.
    Example: evalround hub-config --graders rhea sam --admins lee --url http://0.0.0.0:8000
    """
    from evalround.course import CourseError, write_atomic
    from evalround.hub import CONFIG_NAME, hub_config

    course = _course(args)
    out = Path(args.out) if args.out else course.root / CONFIG_NAME
    if out.exists() and not args.force:
        raise CourseError(f"{out} already exists; pass --force to replace it")
    write_atomic(out, hub_config(course, args.graders, args.admins or (), args.url, out))
    print(f"wrote {out}; start the hub with: jupyterhub -f {out}")
    return 0


@command
def cmd_feedback(args: argparse.Namespace) -> int:
    """Write each graded candidate's feedback page (optional; off until turned on).

    The page explains every check and the rubric items earned, from that candidate's own
    variant only. Turn it on for a course with --enable (off again with --disable).
    Example: evalround feedback --enable && evalround feedback --exercises triage-eval
    """
    from evalround import feedback
    from evalround.course import course_exercise

    course = _course(args)
    if args.enable or args.disable:
        feedback.set_feedback(course, enabled=bool(args.enable))
        print(f"candidate feedback is {'on' if args.enable else 'off'} for {course.root}")
        return 0
    for slug in args.exercises or course.assigned_exercises():
        written = feedback.write_feedback(course, course_exercise(course, slug))
        print(f"{slug}: {plural(len(written.feedback), 'feedback page')} in "
              f"{course.root / 'feedback'}")
        for line in written.skipped:
            print(f"  skipped {line}")
    return 0


@command
def cmd_validate(args: argparse.Namespace) -> int:
    """Check an exercise over many variants: reference full, blank zero, no leaks.

    Example: evalround validate triage-eval --variants 20
    """
    from evalround import validation
    from evalround.exercise import default_exercises_dir, find_exercise

    root = Path(args.exercises_dir) if args.exercises_dir else default_exercises_dir()
    exercise = find_exercise(args.exercise, root)
    result = validation.validate_exercise(exercise, args.variants, jobs=args.jobs,
                                          allow_unsandboxed=args.unsandboxed,
                                          progress=not args.quiet,
                                          seed=args.seed or validation.DEFAULT_SEED)
    print(result.text())
    return 0 if result.passed else 1


@command
def cmd_preview(args: argparse.Namespace) -> int:
    """Build one variant into a folder to open in JupyterLab, as candidate and grader see it.

    The folder holds the candidate's bundle, the reference solution run on that variant,
    the key, the filled rubric and what was planted. No course is changed.
    Example: evalround preview triage-eval --seed 7 --out preview-triage
    """
    from evalround.course import CourseError, find_course
    from evalround.exercise import default_exercises_dir, find_exercise
    from evalround.preview import preview

    root = Path(args.exercises_dir) if args.exercises_dir else default_exercises_dir()
    exercise = find_exercise(args.exercise, root)
    course = find_course(Path(args.course)) if args.course else None
    if args.candidate and course is None:
        raise CourseError("--candidate needs --course: the course the candidate is in")
    label = args.candidate or f"seed{args.seed}"
    out = Path(args.out) if args.out else Path(f"preview-{exercise.slug}-{label}")
    made = preview(exercise, out, seed=args.seed, course=course, candidate=args.candidate,
                   execute=not args.no_execute)
    print(f"preview of {exercise.slug} ({label}) in {made.folder}:")
    print(f"  candidate's notebook: {made.candidate_notebook}")
    print(f"  reference solution:   {made.reference_notebook}")
    print(f"  key, rubric, planted: {made.folder / 'key.json'}, {made.folder / 'rubric.md'}, "
          f"{made.folder / 'planted.md'}")
    print(f"open it with: jupyter lab {made.folder}")
    return 0


@command
def cmd_demo(args: argparse.Namespace) -> int:
    """Run the whole hiring loop on a simulated cohort of seven candidates.

    Example: evalround demo --course .
    """
    from evalround import demo
    from evalround.exercise import default_exercises_dir, discover_exercises, find_exercise

    root = Path(args.exercises_dir) if args.exercises_dir else default_exercises_dir()
    exercises = (
        [find_exercise(n, root) for n in args.exercises]
        if args.exercises
        else list(discover_exercises(root).values())
    )
    result = demo.run_demo(Path(args.course), exercises, jobs=args.jobs,
                           allow_unsandboxed=args.unsandboxed,
                           progress=not args.quiet)
    for outcome in result.outcomes:
        print(outcome.line())
    print("\ncalibration of the two simulated graders (details: evalround calibrate):")
    for cal in result.calibration:
        print("  " + cal.summary())
    print()
    print(result.leaderboard)
    print(f"\nscorecards: {result.report.html_dir / 'index.html'}")
    return 0


@command
def cmd_new_exercise(args: argparse.Namespace) -> int:
    """Start a new exercise by copying exercises/_template/ (or a sample, with --from).

    --into names the folder to create it in, such as your private bank (default: the
    kit's exercises/). A copy of a sample is no longer marked as one: change its planted
    phenomena, questions and wording before candidates see it.
    Example: evalround new-exercise latency-budget --into ~/hiring-bank
    """
    from evalround.exercise import TEMPLATE_SLUG, default_exercises_dir, find_exercise, new_exercise

    kit = Path(args.exercises_dir) if args.exercises_dir else default_exercises_dir()
    origin = find_exercise(args.origin, kit).folder if args.origin else kit / TEMPLATE_SLUG
    root = Path(args.into) if args.into else kit
    target, origin_slug = new_exercise(origin, root, args.slug)
    print(f"created {target} from {origin_slug}; edit it, then run: "
          f"evalround --exercises-dir {root} validate {args.slug}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="evalround",
        description="Graded Jupyter take-homes for hiring AI engineers, on nbgrader.",
    )
    parser.add_argument("--exercises-dir", help="folder of exercises (default: the kit's own)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parsers = {}
    for name, func in COMMANDS.items():
        doc = (func.__doc__ or "").strip()
        parsers[name] = sub.add_parser(name, help=doc.splitlines()[0], description=doc,
                                       formatter_class=argparse.RawDescriptionHelpFormatter)
        # -q also after the command; SUPPRESS keeps a -q given before it
        parsers[name].add_argument("-q", "--quiet", action="store_true",
                                   default=argparse.SUPPRESS, help="no progress bars")
    parsers["init"].add_argument("path", help="the course folder to create")
    parsers["init"].add_argument("--bank", help="the course's private exercise bank: a folder "
                                                "(or git checkout) of exercise folders")
    parsers["init"].add_argument("--db", metavar="URL",
                                 help="PostgreSQL database for the gradebook and evalround's "
                                      "records (default: SQLite files in the course folder)")
    parsers["init"].add_argument("--no-blind", action="store_true",
                                 help="graders see candidates' ids and names (in the "
                                      "formgrader); default: blind codes only")
    parsers["init"].add_argument("--graders-per-answer", type=int, default=1, metavar="N",
                                 help="graders who mark each written answer before its score "
                                      "goes into the gradebook, where all graders see it "
                                      "(default: 1)")
    for name in ("assign", "collect", "grade", "report", "demo", "mark", "rubric", "calibrate",
                 "desk", "feedback", "integrity", "items", "graders", "hub-config"):
        parsers[name].add_argument("--course", default=".",
                                   help="course folder (default: the one . lies in)")
    for name in ("assign", "grade", "report", "demo", "calibrate", "feedback", "integrity",
                 "items", "graders"):
        parsers[name].add_argument("--exercises", nargs="+", help="exercise slugs")
    parsers["items"].add_argument("--out", help="output folder (default: COURSE/reports)")
    parsers["integrity"].add_argument("--out", help="output folder (default: COURSE/reports)")
    parsers["integrity"].add_argument(
        "--dismiss", nargs=4, metavar=("CANDIDATE", "EXERCISE", "KIND", "OTHER"),
        help="dismiss one flag (KIND: key_match, code_similarity or text_similarity)")
    parsers["integrity"].add_argument("--reason", help="why the flag is dismissed")
    parsers["integrity"].add_argument("--by", help="who dismisses it")
    parsers["integrity"].add_argument("--undo", action="store_true",
                                      help="take a dismissal back (with a reason)")
    parsers["assign"].add_argument("--candidates", required=True,
                                   help="CSV with candidate_id, name, email")
    parsers["assign"].add_argument(
        "--new-version", action="store_true",
        help="assign an exercise edited since earlier candidates got it (each candidate's "
             "version is recorded, and the report keeps versions apart)")
    parsers["collect"].add_argument("paths", nargs="+", help="submitted zips or folders")
    parsers["collect"].add_argument("--candidate", help="whose submission (one path only)")
    parsers["collect"].add_argument(
        "--received", help="when these versions were received, such as \"2026-12-08 16:59\" "
                           "(default: each file's modification time)")
    parsers["assign"].add_argument("--due", help="due date and time, such as "
                                                 "\"2026-12-08 17:00\"")
    parsers["assign"].add_argument("--contact", help="whom candidates write to with questions "
                                                     "(shown in each bundle's README)")
    parsers["assign"].add_argument(
        "--late-penalty", metavar="SHARE",
        help="points a late version loses: a share of the exercise's points, once (10%%) or "
             "per day late (10%%/day); default: none, lateness is only reported")
    for name in ("assign", "collect"):
        parsers[name].add_argument("--timezone", default="UTC",
                                   help="time zone of --due/--received, such as Europe/Berlin "
                                        "(default: UTC)")
    for name in ("assign", "grade", "validate", "demo"):
        parsers[name].add_argument("--jobs", type=int, default=os.cpu_count() or 2,
                                   help="processes (assign) or notebooks (grade) at once "
                                        "(default: one per core)")
    for name in ("grade", "validate", "demo"):
        parsers[name].add_argument(
            "--unsandboxed", action="store_true",
            help="grade even where no sandbox can run (candidate code could then read the "
                 "keys); every such grade is marked unsandboxed")
    # Their defaults (None: Limits' own) are read when grading runs, not at import.
    parsers["grade"].add_argument("--cell-timeout", type=int,
                                  help="CPU seconds a cell may use before it is interrupted")
    parsers["grade"].add_argument("--total-timeout", type=int,
                                  help="CPU seconds a whole notebook may use before it is killed")
    parsers["grade"].add_argument("--force", action="store_true",
                                  help="regrade submissions already graded")
    parsers["grade"].add_argument(
        "--scheduler", metavar="tcp://HOST:PORT",
        help="run each submission on the workers of this Dask cluster (each worker needs "
             "bubblewrap); --jobs then defaults to twice the workers' threads")
    parsers["grade"].set_defaults(jobs=None)  # resolved in cmd_grade: cores or the cluster
    for name in ("mark", "rubric"):
        parsers[name].add_argument("exercise", help="exercise slug")
    parsers["mark"].add_argument("candidate", help="candidate id")
    parsers["mark"].add_argument("question", help="written question id, such as w1")
    parsers["mark"].add_argument("items", nargs="*", help="the rubric item ids the answer earns")
    parsers["mark"].add_argument("--grader", required=True, help="who is grading")
    parsers["mark"].add_argument("--comment", help="a comment for the hiring team")
    parsers["mark"].add_argument("--force", action="store_true",
                                 help="replace a score typed into the formgrader by hand")
    parsers["rubric"].add_argument("--points", nargs=2, metavar=("ITEM", "POINTS"),
                                   help="change an item's points and rescore")
    switch = parsers["feedback"].add_mutually_exclusive_group()
    switch.add_argument("--enable", action="store_true", help="turn feedback on")
    switch.add_argument("--disable", action="store_true", help="turn feedback off")
    parsers["desk"].add_argument("--ip", default="127.0.0.1",
                                 help="the address to listen on (default: 127.0.0.1, this "
                                 "machine only; 0.0.0.0: every interface)")
    parsers["desk"].add_argument("--port", type=int, default=8888,
                                 help="the port to listen on (default: 8888)")
    parsers["hub-config"].add_argument("--graders", nargs="+", required=True,
                                       help="the graders' hub user names")
    parsers["hub-config"].add_argument("--admins", nargs="+", help="hub admins' user names")
    parsers["hub-config"].add_argument("--url", default="http://127.0.0.1:8000",
                                       help="where the hub listens (default: %(default)s)")
    parsers["hub-config"].add_argument("--out", help="where to write it (default: "
                                                     "COURSE/jupyterhub_config.py)")
    parsers["hub-config"].add_argument("--force", action="store_true",
                                       help="replace an existing file")
    parsers["desk"].add_argument("--no-browser", action="store_true")
    parsers["report"].add_argument("--out", help="output folder (default: COURSE/reports)")
    parsers["validate"].add_argument("exercise", help="exercise slug")
    parsers["validate"].add_argument("--variants", type=int, default=20)
    parsers["validate"].add_argument(
        "--seed", default=None,
        help="which variants to check: the same seed checks the same ones (default: 1)")
    parsers["new-exercise"].add_argument("slug", help="folder name of the new exercise")
    parsers["new-exercise"].add_argument("--from", dest="origin", metavar="EXERCISE",
                                         help="copy this exercise instead of the template")
    parsers["new-exercise"].add_argument("--into", metavar="BANK",
                                         help="create it in this folder (default: the kit's)")
    parsers["preview"].add_argument("exercise", help="exercise slug")
    parsers["preview"].add_argument("--seed", type=int, default=1,
                                    help="which variant, when not a course's candidate")
    parsers["preview"].add_argument("--candidate", help="preview this candidate's variant")
    parsers["preview"].add_argument("--course", help="the course of --candidate (read only)")
    parsers["preview"].add_argument("--out", help="folder to write (default: "
                                                  "preview-EXERCISE-SEED in this folder)")
    parsers["preview"].add_argument("--no-execute", action="store_true",
                                    help="do not run the reference solution")
    return parser


# The errors a user can cause, reported in one line: (module, class). Only the modules
# already imported are looked at: an error's class is loaded before it can be raised.
USER_ERRORS = (
    ("evalround.course", "CourseError"),
    ("evalround.exercise", "ExerciseError"),
    ("evalround.nbgrader_adapter", "NbgraderError"),
    ("evalround.submission", "SubmissionError"),
    ("evalround.sandbox", "SandboxUnavailable"),
    ("evalround.rubric", "RubricError"),
    ("evalround.store", "DatabaseError"),
)


def _user_errors() -> tuple[type[BaseException], ...]:
    found = tuple(getattr(sys.modules[module], name) for module, name in USER_ERRORS
                  if module in sys.modules)
    return (*found, ConnectionError)  # a database or scheduler that does not answer


def main(argv: Sequence[str] | None = None) -> int:
    from evalround.safe_text import VisibleText, printable

    args = build_parser().parse_args(argv)
    stdout = sys.stdout
    sys.stdout = VisibleText(stdout)  # type: ignore[assignment]
    try:
        return COMMANDS[args.command](args)
    except Exception as exc:
        if not isinstance(exc, _user_errors()):
            raise
        print(f"evalround: error: {printable(str(exc))}", file=sys.stderr)
        return 2
    finally:
        sys.stdout = stdout


if __name__ == "__main__":
    sys.exit(main())
