"""The event log: what happened in one replication, appended by the model, read by metrics.

Cheap to append: each table is a list of typed rows (one NamedTuple per kind, so a new
column is one edit). The two big tables (calls and jobs) are packed as the run goes, a day
at a time (`pack_daily`), into numpy record chunks of their typed columns (about 90 bytes a
job instead of a ~300-byte tuple of Python objects); a reader gets numpy columns, made once
at the end (and kept, as read-only arrays, for the next reader). Nothing in here computes a metric.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple, get_type_hints

import numpy as np

from .memory import give_back

# job kinds
PRIMARY, BACKUP, FOLLOW_UP, OTHER, EXTRA = 0, 1, 2, 3, 4
JOB_KINDS = ("crisis", "backup", "follow_up", "other", "extra_unit")
CRISIS_JOB_KINDS = (PRIMARY, BACKUP, FOLLOW_UP, EXTRA)
# why a call moved on from a team in its routing list
OFF_SHIFT, WAITED_TOO_LONG, SHIFT_ENDED = 0, 1, 2
FALLBACK_REASONS = ("off_shift", "waited_too_long", "shift_ended")
NO_DISPOSITION = -1


class CallRow(NamedTuple):
    """A crisis call arriving (first calls and repeats)."""

    call_id: int
    person_id: int
    generation: int
    arrival_min: float
    call_type: int
    risk: int
    first_choice: int
    phone: bool
    coded_risk: int
    recognised: bool
    zone: int = -1  # index into EventLog.zone_names; -1 without geography


class JobRow(NamedTuple):
    """A unit assigned to a job: a crisis call, its backup, a follow-up or another police call."""

    kind: int
    call_id: int
    team: int
    unit: int
    requested_min: float
    assigned_min: float
    on_scene_min: float
    clear_min: float
    disposition: int = NO_DISPOSITION
    use_of_force: bool = False
    injury: bool = False
    priority: int = 0
    travel_min: float = float("nan")  # minutes on the road (after turnout); NaN for follow-ups


class FallbackRow(NamedTuple):
    """A call moving on from a team in its routing list, and why."""

    call_id: int
    team: int
    time_min: float
    reason: int


class BackupRow(NamedTuple):
    """A unit of one team asking for backup from another."""

    call_id: int
    team: int
    backup_team: int
    time_min: float


class WaitingRow(NamedTuple):
    """A job still waiting in a team's queue at the horizon."""

    kind: int
    call_id: int
    team: int
    requested_min: float
    priority: int


class StaffingRow(NamedTuple):
    """The number of units on shift changing."""

    time_min: float
    team: int
    on_shift: int


class OvertimeRow(NamedTuple):
    """A unit working past the end of its shift (unit -1: one of the team's units, id not tracked)."""

    team: int
    unit: int
    start_min: float
    end_min: float


class DutyRow(NamedTuple):
    """A unit on duty from start to end (overtime included)."""

    team: int
    unit: int
    start_min: float
    end_min: float


class FollowUpDueRow(NamedTuple):
    """A call given a follow-up: the team that will make it and when the first attempt is due."""

    call_id: int
    team: int
    due_min: float


class FollowUpAttemptRow(NamedTuple):
    """A follow-up attempt made: whether it reached the person and linked them to services."""

    call_id: int
    team: int
    attempt: int
    start_min: float
    reached: bool
    linked: bool


ROWS = {"calls": CallRow, "jobs": JobRow, "fallbacks": FallbackRow, "backups": BackupRow,
        "staffing": StaffingRow, "overtime": OvertimeRow, "waiting": WaitingRow,
        "duty": DutyRow, "follow_ups_due": FollowUpDueRow, "follow_up_attempts": FollowUpAttemptRow}
CALL_COLUMNS = CallRow._fields
JOB_COLUMNS = JobRow._fields
_NUMPY = {int: np.int64, float: np.float64, bool: np.bool_}
# The two big tables are all numbers, held in their row type's numpy types (times float64, ids
# int64, flags bool) except where the values are small by construction: kinds, risks,
# dispositions and priorities (1-10) in int8, teams, generations, call types and zones in int16,
# unit ids in int32. A value that does not fit raises OverflowError when packed, never wraps.
# Readers get those narrow columns as they are (they compare, select and index with them; one that
# computes with them casts first): a million jobs' columns take ~59 MB instead of ~90 MB.
_FAST_DTYPES = {name: tuple(_NUMPY[t] for t in get_type_hints(ROWS[name]).values()) for name in ("calls", "jobs")}
_NARROW = {
    "calls": {"generation": np.int16, "call_type": np.int16, "risk": np.int8, "first_choice": np.int16,
              "coded_risk": np.int8, "zone": np.int16},
    "jobs": {"kind": np.int8, "team": np.int16, "unit": np.int32, "disposition": np.int8, "priority": np.int8},
}
_RECORDS = {name: np.dtype([(c, _NARROW[name].get(c, t)) for c, t in zip(ROWS[name]._fields, types)])
            for name, types in _FAST_DTYPES.items()}
_COLUMN_DTYPES = {name: {c: dtype[c] for c in dtype.names} for name, dtype in _RECORDS.items()}
PACK_ROWS = 4096  # a table is packed once it holds at least this many rows of tuples


@dataclass
class EventLog:
    """Append-only records of one replication."""

    horizon_min: float
    warmup_min: float
    team_names: list[str]
    type_names: list[str]
    calls: list = field(default_factory=list)
    jobs: list = field(default_factory=list)
    fallbacks: list = field(default_factory=list)
    backups: list = field(default_factory=list)
    staffing: list = field(default_factory=list)
    overtime: list = field(default_factory=list)
    waiting: list = field(default_factory=list)
    duty: list = field(default_factory=list)
    zone_names: list[str] = field(default_factory=list)  # with geography
    unit_bases: list[list[int]] = field(default_factory=list)  # per team: base zone index of each unit id
    follow_ups_due: list = field(default_factory=list)
    follow_up_attempts: list = field(default_factory=list)
    _tables: dict = field(default_factory=dict, repr=False, compare=False)
    _packed: dict = field(default_factory=dict, repr=False, compare=False)  # name -> record chunks, in order

    def pack(self, min_rows: int = PACK_ROWS) -> None:
        """Move the calls' and jobs' rows appended so far into a chunk of numpy columns (same numbers)."""
        for name, dtype in _RECORDS.items():
            rows = getattr(self, name)
            if len(rows) >= min_rows:
                chunk = {c: np.fromiter(values, dtype=dtype[c], count=len(rows))
                         for c, values in zip(dtype.names, zip(*rows))}
                self._packed.setdefault(name, []).append((len(rows), chunk))
                rows.clear()

    def rows(self, name: str) -> int:
        """How many rows a table holds (packed and not)."""
        return len(getattr(self, name)) + sum(n for n, _ in self._packed.get(name, ()))

    def table(self, name: str) -> dict[str, np.ndarray]:
        """A table as a dict of equal-length numpy columns (calls' and jobs' small integers narrow, see _NARROW)."""
        columns = ROWS[name]._fields
        n = self.rows(name)
        if not n:
            return {c: np.empty(0) for c in columns}
        cached = self._tables.get(name)
        if cached is not None and cached[0] == n:
            return dict(cached[1])
        if name in _RECORDS:
            self.pack(min_rows=1)
            chunks = self._packed[name]
            table = {}
            for c in columns:  # column by column, each column's chunks let go once joined: one copy at a time
                table[c] = np.concatenate([chunk.pop(c) for _, chunk in chunks], dtype=_COLUMN_DTYPES[name][c])
            chunks[:] = [(n, table)]  # the columns replace the chunks
            give_back()
        else:
            table = {c: np.asarray(v) for c, v in zip(columns, zip(*getattr(self, name)))}
        for column in table.values():
            column.flags.writeable = False
        self._tables[name] = (n, table)
        return dict(table)


def pack_daily(env, log: EventLog, horizon_min: float, every_min: float = 24 * 60) -> None:
    """Pack the log's big tables once a simulated day (an event that changes nothing the model reads,
    so the run's numbers are the same with or without it)."""

    def tick(_event) -> None:
        log.pack()
        if env.now + every_min < horizon_min:
            env.timeout(every_min).callbacks.append(tick)

    if every_min < horizon_min:
        env.timeout(every_min).callbacks.append(tick)
