"""Deadlines: when an exercise is due, when each version was received, which are late.

``evalround assign --due`` records the due date per exercise in
``.evalround/deadlines.json`` and in nbgrader's gradebook (the assignment's duedate);
``collect`` records when each version was received (its file time, or ``--received``).
A version received after the due date is *late*. Lateness is only reported: no penalty
is applied to any score.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from evalround.course import Course, CourseError, write_atomic

DEADLINES_FILE = "deadlines.json"
DUE_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True)
class Deadline:
    """When one exercise is due, in the hiring team's time zone, and whom to ask."""

    due: datetime  # timezone-aware
    timezone: str
    contact: str = ""

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
    return {slug: Deadline(datetime.fromisoformat(d["due"]), d["timezone"], d.get("contact", ""))
            for slug, d in raw.items()}


def save_deadline(course: Course, slug: str, deadline: Deadline) -> None:
    raw = json.loads(_path(course).read_text()) if _path(course).exists() else {}
    raw[slug] = {"due": deadline.due.isoformat(), "timezone": deadline.timezone,
                 "contact": deadline.contact}
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
