"""Deadlines: the due date reaches nbgrader and the bundles; late versions are flagged,
and penalised only when the hiring team configures a penalty (issue 15, item 17)."""

from __future__ import annotations

import csv
import os
import re
import zipfile
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import nbformat
import pytest

from evalround import nbgrader_adapter, scorecard
from evalround.assignment import assign
from evalround.course import Candidate, CourseError, init_course
from evalround.deadline import Deadline, LatePenalty, is_late, parse_penalty, parse_time
from evalround.submission import collect

from helpers import bundle_notebook

DUE = Deadline(datetime(2026, 12, 8, 16, 0, tzinfo=timezone.utc), "Europe/Berlin",
               "hiring@example.com")


def test_due_times_are_read_in_the_given_zone():
    assert parse_time("2026-12-08 17:00", "Europe/Berlin") == DUE.due
    assert parse_time("2026-12-08T16:00:00+00:00", "Europe/Berlin") == DUE.due
    assert DUE.text() == "2026-12-08 17:00 Europe/Berlin (16:00 UTC)"
    with pytest.raises(CourseError, match="unknown time zone 'Mars/Olympus'"):
        parse_time("2026-12-08 17:00", "Mars/Olympus")
    assert is_late("2026-12-08T16:00:01+00:00", DUE)
    assert not is_late("2026-12-08T16:00:00+00:00", DUE) and not is_late("", DUE)
    assert not is_late("2026-12-09T00:00:00+00:00", None)


def test_nbgrader_course_id_is_the_folder_name(tmp_path):
    init_course(tmp_path / "hiring-q4")
    assert "c.CourseDirectory.course_id = 'hiring-q4'" in (
        tmp_path / "hiring-q4" / "nbgrader_config.py").read_text()


@pytest.mark.slow
def test_due_date_reaches_the_gradebook_the_readme_and_late_flags(tmp_path, template):
    """Does the due date go into nbgrader's gradebook and each README with the contact,
    and is a version received after it flagged late on the CSV and scorecard, with the
    same points as on time?"""
    course = init_course(tmp_path / "course", secret=b"due")
    assign(course, [template], [Candidate("ann"), Candidate("bo")], progress=False,
           deadline=DUE)
    with nbgrader_adapter.gradebook(course.root) as gb:
        assert gb.find_assignment("template").duedate == datetime(2026, 12, 8, 16, 0)
    with zipfile.ZipFile(course.bundle_dir() / "ann.zip") as zf:
        readme = zf.read("ann/README.md").decode()
    assert ("**Due: 2026-12-08 17:00 Europe/Berlin (16:00 UTC).** Send your submission "
            "before then; questions go to hiring@example.com.") in readme

    outcomes = {}
    for cid, when in (("ann", datetime(2026, 12, 8, 15, 59, tzinfo=timezone.utc)),
                      ("bo", datetime(2026, 12, 8, 16, 30, tzinfo=timezone.utc))):
        folder = tmp_path / "inbox" / cid / "template"
        folder.mkdir(parents=True)
        nbformat.write(bundle_notebook(course, cid), folder / "template.ipynb")
        os.utime(folder / "template.ipynb", (when.timestamp(), when.timestamp()))
        (outcomes[cid],) = collect(course, [folder.parent])
    assert "late" not in outcomes["ann"].message
    assert ("late: received 2026-12-08 16:30 UTC, due 2026-12-08 17:00 Europe/Berlin "
            "(16:00 UTC) (no penalty)") in outcomes["bo"].message
    # grade records as `evalround grade` writes them (both blank: 0 points each)
    from evalround.execution import ExecutionResult
    from evalround.grading import finish, prepare

    for cid in ("ann", "bo"):
        job = prepare(course, template, cid)
        finish(course, job, ExecutionResult(job.notebook, {}, None, 0.1), "test")
    with nbgrader_adapter.gradebook(course.root) as gb:
        stamp = gb.find_submission("template", "bo").timestamp
    assert stamp == datetime(2026, 12, 8, 16, 30)  # nbgrader's own submission time

    report = scorecard.build_report(course, [template])
    by = {r.candidate: r for r in report.results}
    assert (by["ann"].late, by["bo"].late) == (False, True)
    assert by["bo"].received_at == "2026-12-08T16:30:00+00:00"
    assert by["ann"].total == by["bo"].total  # no penalty
    with report.long_csv_path.open() as fh:
        late = {(r["candidate_id"], r["question"]): r["late"] for r in csv.DictReader(fh)}
    assert late[("bo", "q1")] == "yes" and late[("ann", "q1")] == ""
    with report.csv_path.open() as fh:
        wide = {r["candidate_id"]: r["late"] for r in csv.DictReader(fh)}
    assert wide == {"ann": "", "bo": "template"}
    page = (report.html_dir / "candidate-bo.html").read_text()
    assert ("Late: the graded version was received 2026-12-08T16:30:00+00:00, after the due "
            "date 2026-12-08 17:00 Europe/Berlin (16:00 UTC). No penalty") in page
    ann = (report.html_dir / "candidate-ann.html").read_text()
    assert "Late: the graded version" not in ann and "<dt>late</dt>" not in ann
    assert "<dt>late</dt>" in page
    assert nbgrader_adapter.run_stock_app(course.root, ["export", "--to", "g.csv"])
    with (course.root / "g.csv").open() as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert float(rows["bo"]["late_submission_penalty"]) == 0.0


def test_a_late_penalty_is_a_share_of_the_points_once_or_per_started_day():
    """Is "10%" taken once and "25%/day" per day late, a part of a day counting as one,
    never more than the exercise's points, and is a malformed share refused by name?"""
    due = DUE.due
    once, daily = parse_penalty("10%"), parse_penalty(" 25 % / day ")
    assert (once, daily) == (LatePenalty(10.0), LatePenalty(25.0, per_day=True))
    assert once.points(30, due + timedelta(days=3), due) == 3.0
    assert once.points(30, due, due) == 0.0  # on the minute is on time
    assert daily.points(30, due + timedelta(seconds=1), due) == 7.5
    assert daily.points(30, due + timedelta(days=1), due) == 7.5
    assert daily.points(30, due + timedelta(days=1, seconds=1), due) == 15.0
    assert daily.points(30, due + timedelta(days=9), due) == 30.0
    assert daily.text() == ("25% of the exercise's points per day late (part of a day "
                            "counts as a day)")
    for bad in ("ten percent", "10", "0%", "150%", "10%/week"):
        with pytest.raises(CourseError, match=f"--late-penalty '{re.escape(bad)}'"):
            parse_penalty(bad)


@pytest.mark.slow
def test_a_configured_late_penalty_reaches_the_readme_the_gradebook_and_every_report(
        tmp_path, template):
    """With --late-penalty 25%/day, does the README say so, does a version half an hour
    late lose a quarter of the points and one 25 hours late half (never below 0), held in
    nbgrader's gradebook so that stock `nbgrader export`, the CSVs and the scorecard
    agree, while the version on time loses nothing?"""
    from evalround.execution import ExecutionResult
    from evalround.grading import finish, prepare
    from evalround.variant import build_variant

    course = init_course(tmp_path / "course", secret=b"due")
    deadline = replace(DUE, penalty=parse_penalty("25%/day"))
    people = ["ann", "bo", "cy"]
    assign(course, [template], [Candidate(c) for c in people], progress=False,
           deadline=deadline)
    with zipfile.ZipFile(course.bundle_dir() / "bo.zip") as zf:
        readme = zf.read("bo/README.md").decode()
    assert ("A version received after it loses 25% of the exercise's points per day late "
            "(part of a day counts as a day).") in readme
    received = {"ann": DUE.due - timedelta(minutes=1), "bo": DUE.due + timedelta(minutes=30),
                "cy": DUE.due + timedelta(hours=25)}
    for cid in people:
        folder = tmp_path / "inbox" / cid / "template"
        folder.mkdir(parents=True)
        nbformat.write(bundle_notebook(course, cid), folder / "template.ipynb")
        when = received[cid].timestamp()
        os.utime(folder / "template.ipynb", (when, when))
        (outcome,) = collect(course, [folder.parent])
        assert ("(penalty: 25% of the exercise's points per day late" in outcome.message) == (
            cid != "ann"), outcome.message
    # every autograded answer right (the key's values), written answers not yet marked
    for cid in people:
        job = prepare(course, template, cid)
        _, _, key = build_variant(template, course.secret, cid)
        answers = {f.name: key.values[f.name] for q in template.manifest.auto_questions
                   for f in q.answers}
        finish(course, job, ExecutionResult(job.notebook, answers, None, 0.1), "test")
    whole = float(template.manifest.total_points)
    auto = float(sum(q.points for q in template.manifest.auto_questions))
    expected = {"ann": 0.0, "bo": min(auto, whole / 4), "cy": min(auto, whole / 2)}
    assert expected["bo"] > 0

    report = scorecard.build_report(course, [template])
    by = {r.candidate: r for r in report.results}
    assert {c: by[c].late_penalty for c in people} == expected
    assert {c: by[c].total for c in people} == {c: auto - expected[c] for c in people}
    with report.long_csv_path.open() as fh:
        long = list(csv.DictReader(fh))
    penalty_rows = {r["candidate_id"]: r for r in long if r["question"] == "late_penalty"}
    assert sorted(penalty_rows) == ["bo", "cy"]
    assert float(penalty_rows["bo"]["points"]) == -expected["bo"]
    assert (penalty_rows["bo"]["max_points"], penalty_rows["bo"]["kind"]) == ("0", "penalty")
    totals: dict[str, float] = {}
    for r in long:
        totals[r["candidate_id"]] = totals.get(r["candidate_id"], 0.0) + float(r["points"] or 0)
    assert nbgrader_adapter.run_stock_app(course.root, ["export", "--to", "g.csv"])
    with (course.root / "g.csv").open() as fh:
        stock = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert {c: float(stock[c]["score"]) for c in people} == totals
    assert {c: float(stock[c]["late_submission_penalty"]) for c in people} == {
        "ann": 0.0, "bo": whole / 4, "cy": whole / 2}  # nbgrader caps it at the score
    with report.csv_path.open() as fh:
        wide = {r["candidate_id"]: r for r in csv.DictReader(fh)}
    assert float(wide["cy"]["late_penalty"]) == expected["cy"] and wide["ann"]["late_penalty"] == ""
    assert float(wide["cy"]["template.total"]) == auto - expected["cy"]
    page = (report.html_dir / "candidate-cy.html").read_text()
    assert ("(late penalty: 25% of the exercise&#39;s points per day late (part of a day "
            f"counts as a day)). Late penalty: {expected['cy']:g} points taken; the points shown "
            "are after it.") in page
