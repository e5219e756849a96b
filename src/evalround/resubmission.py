"""A new version after marking: marks belong to the submission version they were given on.

When a candidate's new version is graded, every mark given on the earlier version (the
graders' rubric marks, and any score or comment typed into the formgrader) moves to
history: rubric marks to the rubric store's ``mark_history``, gradebook scores and
comments into ``.evalround/grades/<exercise>/<candidate>.changed.json``. Nothing is
deleted. Until a grader marks the new answer, it is *changed since marked*: it counts no
points, and the scorecard, leaderboard, CSV and grading desk say so.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from evalround import nbgrader_adapter
from evalround.course import Course, write_atomic
from evalround.rubric import STORE_NAME, RubricStore

CHANGED = "changed since marked"


def changed_path(course: Course, exercise: str, candidate: str) -> Path:
    return course.grade_path(exercise, candidate).with_name(f"{candidate}.changed.json")


def retire_marks(course: Course, exercise: str, candidate: str, marked_sha256: str,
                 new_sha256: str) -> list[str]:
    """Move every mark of ``candidate``'s ``exercise`` to history; return the questions.

    Called when the version ``new_sha256`` replaces the marked ``marked_sha256``.
    """
    retired = RubricStore(course).retire(exercise, candidate) if (
        course.records / STORE_NAME).exists() else []
    cleared = nbgrader_adapter.clear_manual_scores(course.root, exercise, exercise,
                                                   course.student_id(candidate))
    questions: dict[str, dict[str, Any]] = {}
    for qid, grade in cleared.items():
        questions[qid] = {"score": grade.manual_score, "comment": grade.comment or "",
                          "graders": []}
    for mark in retired:
        entry = questions.setdefault(mark.question, {"score": None, "comment": "",
                                                     "graders": []})
        entry["graders"].append({"grader": mark.grader, "items": list(mark.items),
                                 "comment": mark.comment, "marked_at": mark.marked_at})
    if not questions:
        return []
    path = changed_path(course, exercise, candidate)
    earlier = json.loads(path.read_text()).get("earlier", []) if path.exists() else []
    if path.exists():
        earlier.append({k: v for k, v in json.loads(path.read_text()).items()
                        if k != "earlier"})
    write_atomic(path, json.dumps({
        "marked_version": marked_sha256, "new_version": new_sha256,
        "retired_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "questions": questions, "earlier": earlier,
    }, indent=1, sort_keys=True))
    return sorted(questions)


def changed_questions(course: Course, exercise: str, candidate: str) -> set[str]:
    """The questions whose marks were retired when a new version came in.

    A question stays *changed since marked* until the gradebook holds a new score for
    it; the caller checks that.
    """
    path = changed_path(course, exercise, candidate)
    if not path.exists():
        return set()
    return set(json.loads(path.read_text()).get("questions", {}))
