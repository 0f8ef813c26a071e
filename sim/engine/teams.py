"""Teams at run time: a pool of units on a weekly shift schedule, and its queue of waiting jobs.

A unit comes on duty when the schedule rises. When the schedule falls, an idle unit goes
off at once; if every unit is busy, the first one to clear goes off then, and the time
past the shift end is overtime. A team with `starts_day` (a program's launch) has no unit
on shift before that day, so routing skips it then as it does an off-shift team.
"""

from __future__ import annotations

import heapq
import itertools
from bisect import bisect_right
from typing import Iterator

import numpy as np

from ..scenario.schema import Team

MIN_PER_DAY = 24 * 60
MIN_PER_WEEK = 7 * MIN_PER_DAY


def weekly_schedule(team: Team) -> list[tuple[int, int]]:
    """(minute of week, units on shift from then on) at every change, Monday 00:00 first.

    The first entry is always at minute 0. Overlapping shifts add up. A shift past midnight
    counts as two pieces, the second on the next day (Sunday's goes on to Monday).
    """
    delta = np.zeros(MIN_PER_WEEK + 1, dtype=np.int64)
    for shift in team.weekly_shifts():
        for day in shift.days:
            d = ("mon", "tue", "wed", "thu", "fri", "sat", "sun").index(day)
            start = d * MIN_PER_DAY + shift.start_min
            end = start + shift.duration_min
            delta[start] += shift.units
            if end <= MIN_PER_WEEK:
                delta[end] -= shift.units
            else:  # runs past the end of the week: the rest is at the start of the same week
                delta[0] += shift.units
                delta[end - MIN_PER_WEEK] -= shift.units
    level = np.cumsum(delta[:MIN_PER_WEEK])
    changes = [(0, int(level[0]))]
    for minute in np.flatnonzero(np.diff(level)) + 1:
        changes.append((int(minute), int(level[minute])))
    return changes


def launch_min(team: Team, warmup_min: float) -> float:
    """Minute of the run from which the team's schedule applies: 0, or its `starts_day` after the warm-up."""
    return 0.0 if team.starts_day is None else warmup_min + team.starts_day * MIN_PER_DAY


def shift_changes(team: Team, warmup_min: float = 0.0) -> Iterator[tuple[float, int]]:
    """(minute of the run, units on shift from then on) at every change, in time order, without end.

    The first is at minute 0. The weekly schedule repeats, every entry of it in every week
    (the week's first entry too, even when it keeps the level). Before the team's launch no
    unit is on shift; at the launch the level the schedule has then comes on.
    """
    changes = weekly_schedule(team)
    launch = launch_min(team, warmup_min)
    if launch <= 0:
        yield 0, changes[0][1]
        week, i = 0, 1
    else:
        yield 0, 0
        week, minute = divmod(launch, MIN_PER_WEEK)
        i = bisect_right([m for m, _ in changes], minute) - 1
        yield launch, changes[i][1]
        week, i = int(week), i + 1
    if len(changes) == 1:
        return
    while True:
        if i == len(changes):
            i, week = 0, week + 1
        yield week * MIN_PER_WEEK + changes[i][0], changes[i][1]
        i += 1


class Job:
    """A request for a unit: a crisis call, a backup, a follow-up or another police call."""

    __slots__ = ("kind", "ref", "priority", "active", "requested")

    def __init__(self, kind: int, ref, priority: int, requested: float = 0.0):
        self.kind = kind
        self.ref = ref
        self.priority = priority
        self.active = True
        self.requested = requested  # when asked for (backup and extra units; others know their arrival)


class UnitPool:
    """The units of one team, who is on duty, and the jobs waiting for them."""

    def __init__(self, index: int, name: str, team: Team):
        self.index = index
        self.name = name
        self.team = team
        self.on_shift = 0
        self.free: list[int] = []  # heap of idle on-duty unit ids
        self.off: list[int] = []  # heap of off-duty unit ids
        self.n_units = 0
        self.retire_since: list[float] = []  # shift ends still owed by busy units
        self.queue: list = []  # heap of (priority, seq, job)
        self.on_duty_since: dict[int, float] = {}
        self.duty: list[tuple[int, float, float]] = []  # (unit, start, end) of finished duty spells
        self._seq = itertools.count()

    def take_free(self, zone: int = -1) -> int | None:
        """A free unit for a job (the lowest id; `zone` matters only with geography, see dispatch.py)."""
        return heapq.heappop(self.free) if self.free else None

    def put_free(self, unit: int) -> None:
        heapq.heappush(self.free, unit)

    def enqueue(self, job: Job) -> None:
        heapq.heappush(self.queue, (job.priority, next(self._seq), job))

    def next_job(self) -> Job | None:
        while self.queue:
            job = heapq.heappop(self.queue)[2]
            if job.active:
                return job
        return None

    def waiting_jobs(self) -> list[Job]:
        """Active waiting jobs in queue order."""
        return [entry[2] for entry in sorted(self.queue) if entry[2].active]

    def come_on(self, now: float = 0.0) -> int:
        """One more unit on duty (a new or rested one); returns its id."""
        if self.off:
            unit = heapq.heappop(self.off)
        else:
            unit = self.n_units
            self.n_units += 1
        self.on_duty_since[unit] = now
        return unit

    def _off_duty(self, unit: int, now: float) -> None:
        heapq.heappush(self.off, unit)
        self.duty.append((unit, self.on_duty_since.pop(unit), now))

    def go_off(self, now: float) -> None:
        """One fewer unit on duty: an idle one leaves now, else the next busy one to clear."""
        if self.free:
            unit = max(self.free)
            self.free.remove(unit)
            heapq.heapify(self.free)
            self._off_duty(unit, now)
        else:
            self.retire_since.append(now)

    def retire(self, unit: int, now: float = 0.0) -> float:
        """A busy unit that cleared at `now` goes off duty; returns when its shift had ended."""
        self._off_duty(unit, now)
        return self.retire_since.pop(0)
