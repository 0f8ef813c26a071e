"""The event log: what happened in one replication, appended by the model, read by metrics.

Cheap to append: each table is a list of tuples, turned into numpy columns once at the end
(and kept, as read-only arrays, for the next reader). Nothing in here computes a metric.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# job kinds
PRIMARY, BACKUP, FOLLOW_UP, OTHER = 0, 1, 2, 3
JOB_KINDS = ("crisis", "backup", "follow_up", "other")
# why a call moved on from a team in its routing list
OFF_SHIFT, WAITED_TOO_LONG, SHIFT_ENDED = 0, 1, 2
FALLBACK_REASONS = ("off_shift", "waited_too_long", "shift_ended")
NO_DISPOSITION = -1

CALL_COLUMNS = ("call_id", "person_id", "generation", "arrival_min", "call_type", "risk", "first_choice", "phone")
JOB_COLUMNS = (
    "kind", "call_id", "team", "unit", "requested_min", "assigned_min", "on_scene_min", "clear_min",
    "disposition", "use_of_force", "injury",
)
FALLBACK_COLUMNS = ("call_id", "team", "time_min", "reason")
BACKUP_COLUMNS = ("call_id", "team", "backup_team", "time_min")
STAFFING_COLUMNS = ("time_min", "team", "on_shift")
OVERTIME_COLUMNS = ("team", "unit", "start_min", "end_min")  # unit -1: one of the team's units, id not tracked
# The two big tables are all numbers: one float64 block, then each column in its own type.
_FAST_DTYPES = {
    "calls": (np.int64, np.int64, np.int64, np.float64, np.int64, np.int64, np.int64, np.bool_),
    "jobs": (np.int64, np.int64, np.int64, np.int64, np.float64, np.float64, np.float64, np.float64, np.int64,
             np.bool_, np.bool_),
}


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
    _tables: dict = field(default_factory=dict, repr=False, compare=False)

    def table(self, name: str) -> dict[str, np.ndarray]:
        """A table as a dict of equal-length numpy columns."""
        columns = {
            "calls": CALL_COLUMNS,
            "jobs": JOB_COLUMNS,
            "fallbacks": FALLBACK_COLUMNS,
            "backups": BACKUP_COLUMNS,
            "staffing": STAFFING_COLUMNS,
            "overtime": OVERTIME_COLUMNS,
        }[name]
        rows = getattr(self, name)
        if not rows:
            return {c: np.empty(0) for c in columns}
        cached = self._tables.get(name)
        if cached is not None and cached[0] == len(rows):
            return dict(cached[1])
        if name in _FAST_DTYPES:
            block = np.array(rows, dtype=np.float64)  # exact: ids and counts stay far below 2**53
            table = {c: block[:, j].astype(t) for j, (c, t) in enumerate(zip(columns, _FAST_DTYPES[name]))}
            del block
        else:
            table = {c: np.asarray(v) for c, v in zip(columns, zip(*rows))}
        for column in table.values():
            column.flags.writeable = False
        self._tables[name] = (len(rows), table)
        return dict(table)
