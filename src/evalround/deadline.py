"""Deadlines: when an exercise is due, when each version was received, which are late.

``evalround assign --due`` records the due date per exercise in
``.evalround/deadlines.json`` and in nbgrader's gradebook (the assignment's duedate);
``collect`` records when each version was received (its file time, or ``--received``).
A version received after the due date is *late*. Lateness is reported, and no penalty
is applied unless the hiring team configures one (``assign --late-penalty``): a share
of the exercise's points, once or per day late (a part of a day counts as a day). The
penalty goes into nbgrader's gradebook as the submission's ``late_submission_penalty``,
so stock ``nbgrader export`` (``score = max(0, raw score - penalty)``) and evalround's
reports give the same total.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from evalround.course import Course, CourseError, write_atomic

DEADLINES_FILE = "deadlines.json"
DUE_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True)
class LatePenalty:
    """A share of an exercise's points taken from a late version: once, or per day late."""

    percent: float  # of the exercise's points, 0 < percent <= 100
    per_day: bool = False

    def spec(self) -> str:
        """``10%`` or ``10%/day``, as ``--late-penalty`` takes it."""
        return f"{self.percent:g}%" + ("/day" if self.per_day else "")

    def text(self) -> str:
        """In words, for the candidate's README, the scorecard and ``collect``."""
        if self.per_day:
            return (f"{self.percent:g}% of the exercise's points per day late "
                    f"(part of a day counts as a day)")
        return f"{self.percent:g}% of the exercise's points"

    def points(self, max_points: float, received: datetime, due: datetime) -> float:
        """The points taken from a version received at ``received`` (0 when on time)."""
        late_by = (received - due).total_seconds()
        if late_by <= 0:
            return 0.0
        days = math.ceil(late_by / 86400) if self.per_day else 1
        return round(min(max_points, max_points * self.percent / 100 * days), 4)


_PENALTY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*(/\s*day)?\s*$")


def parse_penalty(text: str) -> LatePenalty:
    """``10%`` (once) or ``10%/day`` (per day late, a part of a day counting as one)."""
    match = _PENALTY.match(text)
    if match is None:
        raise CourseError(
            f"--late-penalty {text!r} is not a penalty: write a share of the exercise's "
            f"points, such as 10% (once) or 10%/day (per day late)")
    percent = float(match.group(1))
    if not 0 < percent <= 100:
        raise CourseError(f"--late-penalty {text!r}: the share must be above 0% and at most "
                          f"100%")
    return LatePenalty(percent, per_day=match.group(2) is not None)


@dataclass(frozen=True)
class Deadline:
    """When one exercise is due, in the hiring team's time zone, and whom to ask."""

    due: datetime  # timezone-aware
    timezone: str
    contact: str = ""
    penalty: LatePenalty | None = None  # None: lateness is reported, never penalised

    def penalty_text(self) -> str:
        """What a late version loses, in words; ``no penalty`` when nothing."""
        return f"penalty: {self.penalty.text()}" if self.penalty else "no penalty"

    def text(self) -> str:
        """``2026-12-08 17:00 Europe/Berlin (16:00 UTC)``."""
        local = self.due.astimezone(ZoneInfo(self.timezone))
        utc = self.due.astimezone(timezone.utc)
        same_day = local.date() == utc.date()
        return (f"{local:%Y-%m-%d %H:%M} {self.timezone} "
                f"({utc:%H:%M} UTC{'' if same_day else f' on {utc:%Y-%m-%d}'})")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CourseError(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin or UTC"
        ) from None


def parse_time(text: str, zone: str = "UTC", what: str = "--due") -> datetime:
    """``2026-12-08 17:00`` (or ISO 8601) in ``zone``, unless it names its own offset."""
    tz = _zone(zone)
    raw = text.strip()
    for fmt in DUE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=tz)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise CourseError(
            f"{what} {text!r} is not a date and time: write it as \"2026-12-08 17:00\""
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def _path(course: Course) -> Path:
    return course.records / DEADLINES_FILE


def load_deadlines(course: Course) -> dict[str, Deadline]:
    """Exercise slug -> its deadline, for the exercises assigned with ``--due``."""
    path = _path(course)
    if not path.exists():
        return {}
    raw = json.loads(path.read_text())
    return {slug: Deadline(datetime.fromisoformat(d["due"]), d["timezone"], d.get("contact", ""),
                           parse_penalty(d["late_penalty"]) if d.get("late_penalty") else None)
            for slug, d in raw.items()}


def save_deadline(course: Course, slug: str, deadline: Deadline) -> None:
    raw = json.loads(_path(course).read_text()) if _path(course).exists() else {}
    raw[slug] = {"due": deadline.due.isoformat(), "timezone": deadline.timezone,
                 "contact": deadline.contact,
                 "late_penalty": deadline.penalty.spec() if deadline.penalty else ""}
    write_atomic(_path(course), json.dumps(raw, indent=1, sort_keys=True))


def received_at(course: Course, candidate: str, exercise: str, sha256: str) -> str:
    """When the version with ``sha256`` was received (ISO 8601, UTC); empty if unknown."""
    history = course.archive_dir(candidate, exercise) / "history.json"
    if not history.exists():
        return ""
    for entry in reversed(json.loads(history.read_text())):
        if entry.get("sha256") == sha256:
            return str(entry.get("received_at", ""))
    return ""


def is_late(received: str, deadline: Deadline | None) -> bool:
    """Whether a version received at ``received`` (ISO 8601) missed ``deadline``."""
    if deadline is None or not received:
        return False
    return datetime.fromisoformat(received) > deadline.due


def late_penalty(received: str, deadline: Deadline | None, max_points: float) -> float:
    """The points a version received at ``received`` (ISO 8601) loses; 0 when on time,
    unknown, or when the hiring team configured no penalty."""
    if deadline is None or deadline.penalty is None or not received:
        return 0.0
    return deadline.penalty.points(max_points, datetime.fromisoformat(received), deadline.due)
