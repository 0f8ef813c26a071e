"""The event log: what happened in one replication, appended by the model, read by metrics.

Columnar and cheap to append: each table is a list of tuples, turned into numpy arrays
once at the end. Nothing in here computes a metric.
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
        cols = list(zip(*rows))
        return {c: np.asarray(v) for c, v in zip(columns, cols)}
