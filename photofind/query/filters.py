"""Narrowing results: by date taken (EXIF, else the file's mtime at index time), by folder,
and by score. Boundaries are inclusive; a date without a time covers that whole day."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from photofind.errors import InputError


def parse_when(text: str, *, end_of_day: bool) -> datetime:
    """'2023-07-01' or '2023-07-01T10:00[:00]'. A bare date as an upper bound means the day's end."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1), time()) - timedelta(microseconds=1) if end_of_day \
                else datetime.combine(day, time())
        return datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{text!r} is not a date; use YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None


def _when(moment: datetime) -> str:
    """A bound as the user typed it: a bare date for a whole day's start or end."""
    if moment.time() in (time(), time(23, 59, 59, 999999)):
        return moment.date().isoformat()
    return moment.isoformat(timespec="minutes" if moment.second == 0 else "seconds")


@dataclass(frozen=True)
class Filters:
    since: datetime | None = None
    until: datetime | None = None
    folder: str | None = None  # absolute path; matches it and everything below
    min_score: float | None = None  # in the metric's units; "better than or equal to"

    @classmethod
    def build(cls, since: str | None = None, until: str | None = None, folder: str | None = None,
              min_score: float | None = None) -> "Filters":
        lo = parse_when(since, end_of_day=False) if since else None
        hi = parse_when(until, end_of_day=True) if until else None
        if lo and hi and lo > hi:
            raise InputError(f"--since {since} is after --until {until}")
        if folder is not None:
            folder = os.path.abspath(os.path.expanduser(folder))
            if not os.path.isdir(folder):
                raise InputError(f"--in {folder}: no such folder")
        return cls(lo, hi, folder, min_score)

    def to_json(self) -> dict[str, object]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "folder": self.folder,
            "min_score": self.min_score,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> "Filters":
        """Filters already checked by Filters.build where the user typed them: decoded, not re-parsed."""
        since, until, folder, min_score = (data.get(k) for k in ("since", "until", "folder", "min_score"))
        return cls(
            datetime.fromisoformat(str(since)) if since else None,
            datetime.fromisoformat(str(until)) if until else None,
            str(folder) if folder else None,
            float(min_score) if min_score is not None else None,  # type: ignore[arg-type]
        )

    @property
    def active(self) -> bool:
        return any(v is not None for v in (self.since, self.until, self.folder, self.min_score))

    def describe(self, higher_is_better: bool = True) -> str:
        """The filters in words, as a photo's description: `taken since 2027-01-01, in /x`."""
        said = []
        if self.since and self.until:
            said.append(f"taken between {_when(self.since)} and {_when(self.until)}")
        elif self.since:
            said.append(f"taken since {_when(self.since)}")
        elif self.until:
            said.append(f"taken until {_when(self.until)}")
        if self.folder is not None:
            said.append(f"in {self.folder}")
        if self.min_score is not None:
            said.append(f"scoring {'at least' if higher_is_better else 'at most'} {self.min_score:g}")
        return ", ".join(said)

    def score_ok(self, score: float, higher_is_better: bool) -> bool:
        if self.min_score is None:
            return True
        return score >= self.min_score if higher_is_better else score <= self.min_score

    def path_ok(self, path: str) -> bool:
        return self.folder is None or path == self.folder or path.startswith(self.folder.rstrip("/") + "/")

    def taken_ok(self, taken: str | None) -> bool:
        if self.since is None and self.until is None:
            return True
        if taken is None:
            return False
        when = datetime.fromisoformat(taken)
        return (self.since is None or when >= self.since) and (self.until is None or when <= self.until)
