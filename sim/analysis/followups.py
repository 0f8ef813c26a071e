"""Follow-up program metrics of one replication: due, attempted, reached, linked (after the warm-up)."""

from __future__ import annotations

import numpy as np

from ..engine.eventlog import EventLog

FOLLOW_UP_METRICS = ("follow_ups_due", "follow_up_attempts", "follow_ups_reached", "follow_ups_linked")


def follow_up_metrics(log: EventLog, call_ids: np.ndarray) -> list[tuple[str, float]]:
    """(metric, value) for the follow-ups of the measured calls (`call_ids`).

    `follow_ups_due` counts calls given a follow-up that fell due before the horizon;
    `follow_up_attempts` every attempt made (the program's workload); `follow_ups_reached`
    and `follow_ups_linked` the calls whose person an attempt reached, and linked.
    (`follow_ups`, calls with at least one attempt, is a system metric of its own.)
    """
    due = log.table("follow_ups_due")
    attempts = log.table("follow_up_attempts")
    mine_due = np.isin(due["call_id"], call_ids) & (due["due_min"] < log.horizon_min) if len(due["call_id"]) else []
    mine = np.isin(attempts["call_id"], call_ids) if len(attempts["call_id"]) else np.zeros(0, bool)
    ids = attempts["call_id"][mine] if len(mine) else np.zeros(0)
    reached = attempts["reached"][mine].astype(bool) if len(mine) else np.zeros(0, bool)
    linked = attempts["linked"][mine].astype(bool) if len(mine) else np.zeros(0, bool)
    return [
        ("follow_ups_due", float(np.sum(mine_due))),
        ("follow_up_attempts", float(len(ids))),
        ("follow_ups_reached", float(len(np.unique(ids[reached])))),
        ("follow_ups_linked", float(len(np.unique(ids[linked])))),
    ]
