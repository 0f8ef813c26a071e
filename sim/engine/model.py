"""The SimPy model of one replication: calls arrive, are routed, wait, are served, recur.

Everything is event callbacks on a SimPy environment (no process per call), so the cost
per call stays close to SimPy's own. The model only appends to the event log; metrics are
computed afterwards.
"""

from __future__ import annotations

import dataclasses
import gc
import math
from array import array
from bisect import bisect_left, bisect_right
from heapq import heappush

import numpy as np
import simpy
from simpy.events import NORMAL

from .calls import MIN_PER_DAY, CallBook, OtherCalls, make_call_book, make_other_calls
from .dispatch import make_pool
from .eventlog import (
    BACKUP, EXTRA, NO_DISPOSITION, OFF_SHIFT, OTHER, PRIMARY, SHIFT_ENDED, WAITED_TOO_LONG, BackupRow,
    CallRow, DutyRow, EventLog, FallbackRow, JobRow, OvertimeRow, StaffingRow, WaitingRow, pack_daily,
)
from .followup import FollowUps
from .memory import give_back
from .people import People
from .resolution import TeamOutcomes
from .routing import Route, RoutingTable
from ..scenario.schema import DISPOSITIONS, RISKS, Scenario
from .teams import Job, UnitPool, shift_changes

LINKED = DISPOSITIONS.index("linked_to_services")
NAN = float("nan")
# The busiest rows are made from all their values at once (no keyword handling of the row type's own
# __new__); a column added to CallRow or JobRow must be added to those calls too, which this says.
_new_row = tuple.__new__
if len(CallRow._fields) != 11 or len(JobRow._fields) != 13:
    raise ImportError("CallRow or JobRow changed: update the _new_row(...) calls in sim/engine/model.py")


def _listed(draws):
    """A copy of a draws dataclass (and the dataclasses, dicts and lists in it) for the event loop.

    The loop reads one value at a time: indexing a list or an array.array and computing with
    Python floats costs a fraction of doing so on numpy scalars, and gives exactly the same
    numbers. Floats go to array.array (8 bytes each, like numpy); small ints and bools to
    lists (their objects are shared).
    """
    if isinstance(draws, np.ndarray):
        return _floats(draws) if draws.dtype.kind == "f" else draws.tolist()
    if isinstance(draws, dict):
        return {k: _listed(v) for k, v in draws.items()}
    if isinstance(draws, list):
        return [_listed(v) for v in draws]
    if dataclasses.is_dataclass(draws):
        return dataclasses.replace(draws, **{f.name: _listed(getattr(draws, f.name)) for f in dataclasses.fields(draws)})
    return draws


def _floats(values: np.ndarray) -> array:
    return array("d", np.ascontiguousarray(values, dtype=np.float64).tobytes())


class _Due:
    """A scheduled callback as SimPy's `Environment.step` processes it (see Model._at)."""

    __slots__ = ("callbacks",)
    _ok = True


class Call:
    """A crisis call during the run."""

    __slots__ = ("id", "person", "gen", "row", "type", "risk", "coded", "arrival", "route", "k", "job", "backup_job",
                 "extra_jobs", "zone")

    def __init__(self, call_id, person, gen, row, call_type, risk, coded, arrival, route):
        self.id = call_id
        self.person = person
        self.gen = gen
        self.row = row
        self.type = call_type
        self.risk = risk  # true risk: outcomes, escalation, backup
        self.coded = coded  # coded risk: routing and queue priority
        self.arrival = arrival
        self.route: Route = route
        self.k = 0
        self.job: Job | None = None
        self.backup_job: Job | None = None
        self.extra_jobs: list[Job] = []
        self.zone = -1

    @property
    def priority(self) -> int:
        return 3 - self.coded


class Model:
    """One replication of one scenario."""

    def __init__(self, scenario: Scenario, replication: int, seed: int | None = None,
                 days: float | None = None, warmup_days: float | None = None):
        self.scenario = scenario
        self.replication = replication
        self.seed = scenario.run.seed if seed is None else seed
        days = scenario.run.days if days is None else days
        warmup = scenario.run.warmup_days if warmup_days is None else warmup_days
        self.warmup_min = warmup * MIN_PER_DAY
        self.horizon_min = (warmup + days) * MIN_PER_DAY
        self.team_names = list(scenario.teams)
        self.env = simpy.Environment()
        self._queue, self._eid = self.env._queue, self.env._eid  # see _at
        self.log = EventLog(self.horizon_min, self.warmup_min, self.team_names, list(scenario.demand.call_types))
        self.routing = RoutingTable(scenario)
        self.book: CallBook = make_call_book(scenario, self.seed, replication, self.horizon_min)
        self.other: OtherCalls | None = make_other_calls(scenario, self.seed, replication, self.horizon_min)
        self.city = self.book.city  # None without geography: dispatch and travel as in 0.1
        self.pools = [make_pool(i, n, scenario.teams[n], self.city) for i, n in enumerate(self.team_names)]
        if self.city is not None:
            self.log.zone_names = list(self.city.zone_names)
        # the same draws as lists, for the event loop (see _listed); the book keeps no second copy
        self.draws = [_listed(g) for g in self.book.generations]
        self.book.forget_first()
        self.arrivals = _floats(self.book.arrival_min)
        self.book.arrival_min = np.frombuffer(self.arrivals, dtype=np.float64)  # one copy of the times, shared
        self.other_arrivals = array("d")
        self.other_team = -1
        if self.other is not None:
            self.other_arrivals = _floats(self.other.arrival_min)
            self.other.arrival_min = np.frombuffer(self.other_arrivals, dtype=np.float64)
            self.other_team = self.team_names.index(self.other.team)
        # the other police calls' own draws are made a chunk at a time as they arrive (see OtherCalls)
        self._other_lo = self._other_hi = 0
        self._other_draws = None
        self.repeat = scenario.demand.repeat
        self.people = People(self.repeat, self.seed, replication, self.book.n_primary)
        self._chance_max = _floats(self.people.chance_max())
        self.follow_ups = FollowUps(self)
        # per team: resolved outcomes by call type and true risk; backup (team index, chance by true risk);
        # units per call by call type and coded risk
        self.outcomes = [TeamOutcomes(scenario, n) for n in self.team_names]
        self.backup = [
            (self.team_names.index(t.backup.team), [t.backup.chance(r) for r in RISKS]) if t.backup else None
            for t in scenario.teams.values()
        ]
        self.units_per_call = [
            [[t.units_for(ct, r) for r in RISKS] for ct in self.log.type_names] for t in scenario.teams.values()
        ]

    # --- scheduling helpers ---------------------------------------------------------

    def _at(self, delay: float, fn, *args) -> None:
        """Call fn(*args) `delay` minutes from now: an event on SimPy's queue, ordered exactly as a
        timeout made now (time, then normal priority, then SimPy's own event counter), with the
        least an event needs (its callbacks, and that it succeeded) instead of a Timeout object."""
        if delay < 0:
            raise ValueError(f"negative delay {delay}")
        due = _Due()
        due.callbacks = [lambda _ev: fn(*args)]
        heappush(self._queue, (self.env._now + delay, NORMAL, next(self._eid), due))

    def _generation(self, gen: int):
        """The draws of repeat generation `gen`, drawn on first use.

        A repeat generation holds only the rows that can be calls (see CallBook.next_generation),
        so its memory follows the repeats, not the first crises; `persons` lists them in order.
        """
        while len(self.draws) <= gen:
            self.draws.append(_listed(self.book.next_generation(np.frombuffer(self._chance_max, dtype=np.float64))))
        return self.draws[gen]

    # --- run --------------------------------------------------------------------------

    def run(self) -> EventLog:
        for pool in self.pools:
            self._start_schedule(pool)
        if self.arrivals:
            self._at(self.arrivals[0], self._primary_arrival, 0)
        if self.other_arrivals:
            self._at(self.other_arrivals[0], self._other_arrival, 0)
        pack_daily(self.env, self.log, self.horizon_min)
        # The loop makes many short-lived objects (events, calls, jobs): collecting cycles less
        # often saves ~10% of its time and changes no number.
        thresholds = gc.get_threshold()
        gc.set_threshold(50_000, 20, 100)
        try:
            self.env.run(until=self.horizon_min)
        finally:
            gc.set_threshold(*thresholds)
        for pool in self.pools:  # units still working past their shift at the horizon
            for since in pool.retire_since:
                self.log.overtime.append(OvertimeRow(pool.index, -1, since, self.horizon_min))
            for job in pool.waiting_jobs():
                ref = job.ref
                if job.kind != OTHER:
                    ref = getattr(ref, "call", ref)  # a follow-up attempt: its call
                call_id, requested = (ref[0], self.other_arrivals[ref[0]]) if job.kind == OTHER else (ref.id, ref.arrival)
                self.log.waiting.append(WaitingRow(job.kind, call_id, pool.index, requested, job.priority))
        for pool in self.pools:
            duty = [DutyRow(pool.index, *spell) for spell in pool.duty]
            duty += [DutyRow(pool.index, u, since, self.horizon_min) for u, since in pool.on_duty_since.items()]
            self.log.duty.extend(sorted(duty, key=lambda row: (row.unit, row.start_min)))
        if self.city is not None:
            self.log.unit_bases = [list(pool.base_of) for pool in self.pools]
        return self.log

    def release(self) -> None:
        """Let go of the draws and the simulation at once (the model and its events refer to each
        other, so without this they would wait for the cycle collector), before the log is read."""
        self.draws = []
        self.book = self.other = self.follow_ups = self.env = None

    # --- shifts -----------------------------------------------------------------------

    def _start_schedule(self, pool: UnitPool) -> None:
        changes = shift_changes(pool.team, self.warmup_min)
        self._set_on_shift(pool, next(changes)[1])
        self._next_change(pool, changes)

    def _next_change(self, pool: UnitPool, changes) -> None:
        t, level = next(changes, (math.inf, 0))
        if t >= self.horizon_min:
            return
        self._at(t - self.env.now, self._change, pool, level, changes)

    def _change(self, pool: UnitPool, level: int, changes) -> None:
        self._set_on_shift(pool, level)
        self._next_change(pool, changes)

    def _set_on_shift(self, pool: UnitPool, target: int) -> None:
        now = self.env.now
        while pool.on_shift < target:
            pool.on_shift += 1
            if pool.retire_since:
                # a unit working past its shift simply stays on: its overtime ends now
                self.log.overtime.append(OvertimeRow(pool.index, -1, pool.retire_since.pop(), now))
            else:
                self._release(pool, pool.come_on(now))
        while pool.on_shift > target:
            pool.on_shift -= 1
            pool.go_off(now)
        self.log.staffing.append(StaffingRow(now, pool.index, target))
        if target == 0:
            for job in pool.waiting_jobs():
                if job.kind == PRIMARY and job.ref.k < len(job.ref.route.teams) - 1:
                    job.active = False
                    self.log.fallbacks.append(FallbackRow(job.ref.id, pool.index, now, SHIFT_ENDED))
                    self._offer(job.ref, job.ref.k + 1)

    # --- crisis calls -----------------------------------------------------------------

    def _primary_arrival(self, i: int) -> None:
        g = self.draws[0]
        call_type, coded = g.call_type[i], g.coded_risk[i]
        call = Call(i, i, 0, i, call_type, g.risk[i], coded, self.env.now,
                    self.routing.route(call_type, coded, g.u_routing[i], g.recognised[i]))
        if i + 1 < len(self.arrivals):
            self._at(self.arrivals[i + 1] - self.env.now, self._primary_arrival, i + 1)
        self._arrive(call)

    def _arrive(self, call: Call) -> None:
        g = self.draws[call.gen]
        phone = g.phone[call.row]
        if g.places is not None:
            call.zone = g.places.zone[call.row]
        self.log.calls.append(_new_row(CallRow, (call.id, call.person, call.gen, call.arrival, call.type, call.risk,
                                                 call.route.first_choice, phone, call.coded, g.recognised[call.row],
                                                 call.zone)))
        if self.repeat is not None and g.u_repeat[call.row] < self._chance_max[call.person]:
            # a repeat uniform at or above the person's highest chance never makes a repeat: no check needed
            self._at(g.repeat_delay_min[call.row], self._repeat_check, call)
        if phone:
            self.follow_ups.after_phone(call)
        else:
            self._offer(call, 0)

    def _offer(self, call: Call, k: int) -> None:
        """Offer the call to the k-th team of its route."""
        teams = call.route.teams
        last = k == len(teams) - 1
        pool = self.pools[teams[k]]
        call.k = k
        now = self.env.now
        if pool.on_shift == 0 and not last:
            self.log.fallbacks.append(FallbackRow(call.id, pool.index, now, OFF_SHIFT))
            self._offer(call, k + 1)
            return
        unit = pool.take_free(call.zone)
        if unit is not None:
            self._start_primary(call, pool, unit)
            return
        wait = call.route.max_wait_min
        if not last and wait == 0:
            self.log.fallbacks.append(FallbackRow(call.id, pool.index, now, WAITED_TOO_LONG))
            self._offer(call, k + 1)
            return
        job = Job(PRIMARY, call, call.priority)
        call.job = job
        pool.enqueue(job)
        if not last and wait != math.inf:
            self._at(wait, self._give_up, call, job, pool)

    def _give_up(self, call: Call, job: Job, pool: UnitPool) -> None:
        if job.active:
            job.active = False
            self.log.fallbacks.append(FallbackRow(call.id, pool.index, self.env.now, WAITED_TOO_LONG))
            self._offer(call, call.k + 1)

    def _start_primary(self, call: Call, pool: UnitPool, unit: int) -> None:
        now = self.env.now
        g = self.draws[call.gen]
        r = call.row
        draws = g.teams[pool.index]
        cell = self.outcomes[pool.index].cell(call.type, call.risk)
        turnout, travel = self._on_the_road(pool, unit, call)
        on_scene_at = now + turnout + travel
        disposition = bisect_right(cell.cumulative, g.u_outcome[r])
        transport = draws.transport_min.get(disposition)
        clear_at = on_scene_at + draws.on_scene_min[r] + (transport[r] if transport is not None else 0.0)
        if disposition >= len(DISPOSITIONS):
            disposition = NO_DISPOSITION
        self.log.jobs.append(_new_row(JobRow, (PRIMARY, call.id, pool.index, unit, call.arrival, now, on_scene_at,
                                               clear_at, disposition, g.u_force[r] < cell.use_of_force,
                                               g.u_injury[r] < cell.injury, call.priority, travel)))
        if disposition == LINKED:
            self._link(call.person, clear_at)
        for _ in range(self.units_per_call[pool.index][call.type][call.coded] - 1):
            extra = Job(EXTRA, call, call.priority, now)
            call.extra_jobs.append(extra)
            self._request(pool, extra)
        backup = self.backup[pool.index]
        if backup is not None and g.u_backup[r] < backup[1][call.risk]:
            self._at(on_scene_at - now, self._request_backup, call, pool, backup[0])
        self._at(clear_at - now, self._clear_primary, call, pool, unit)

    def _request_backup(self, call: Call, pool: UnitPool, backup_team: int) -> None:
        """On scene, the team asks for backup: a job at the backup team with the call's priority."""
        self.log.backups.append(BackupRow(call.id, pool.index, backup_team, self.env.now))
        job = Job(BACKUP, call, call.priority, self.env.now)
        call.backup_job = job
        self._request(self.pools[backup_team], job)

    def _on_the_road(self, pool: UnitPool, unit: int, call: Call) -> tuple[float, float]:
        """(turnout, travel) minutes of a unit sent to a call: from geography (the unit's base, the call's zone
        and travel factor) or, without it, the team's response time for the call."""
        g = self.draws[call.gen]
        places = g.places
        if places is None:
            return 0.0, g.teams[pool.index].response_min[call.row]
        r = call.row
        return places.turnout_min[pool.index][r], pool.travel_min(unit, call.zone, places.travel_factor[r])

    def _clear_primary(self, call: Call, pool: UnitPool, unit: int) -> None:
        if call.backup_job is not None:
            call.backup_job.active = False  # a backup not yet sent is no longer needed
        for extra in call.extra_jobs:
            extra.active = False  # nor is an extra unit still waiting
        self.follow_ups.after_call(call, pool.index)
        self._release(pool, unit)

    def _link(self, person: int, at: float) -> None:
        self.people.link(person, at)

    def _repeat_check(self, call: Call) -> None:
        now = self.env.now
        g = self.draws[call.gen]
        if g.u_repeat[call.row] < self.people.repeat_chance(call.person, now):
            gen = call.gen + 1
            child = self._generation(gen)
            person = call.person
            r = bisect_left(child.persons, person)  # the person's row among the generation's kept rows
            if r == len(child.persons) or child.persons[r] != person:
                raise RuntimeError(f"repeat {gen} of person {person} was not drawn")  # cannot happen: see next_generation
            new = Call(gen * self.book.n_primary + person, person, gen, r, child.call_type[r], child.risk[r],
                       child.coded_risk[r], now, self.routing.route(child.call_type[r], child.coded_risk[r],
                                                                    child.u_routing[r], child.recognised[r]))
            self._arrive(new)

    # --- other police calls -------------------------------------------------------------

    def _other_arrival(self, i: int) -> None:
        if i + 1 < len(self.other_arrivals):
            self._at(self.other_arrivals[i + 1] - self.env.now, self._other_arrival, i + 1)
        if i >= self._other_hi:
            lo, draws = self.other.next_draws()
            n = len(draws.busy_min)
            d = _listed(draws)
            # each call's own draws as the job carries them: (row, busy, travel, zone, travel factor, turnout)
            if d.zone is None:
                refs = zip(range(lo, lo + n), d.busy_min, d.travel_min, [-1] * n, [1.0] * n, [0.0] * n)
            else:
                refs = zip(range(lo, lo + n), d.busy_min, d.travel_min, d.zone, d.travel_factor, d.turnout_min)
            self._other_lo, self._other_hi = lo, lo + n
            self._other_refs, self._other_priority = list(refs), d.priority
        k = i - self._other_lo
        ref = self._other_refs[k]
        pool = self.pools[self.other_team]
        unit = pool.take_free(ref[3])
        if unit is None:
            pool.enqueue(Job(OTHER, ref, self._other_priority[k]))
        else:
            self._start_other(ref, self._other_priority[k], pool, unit)

    def _start_other(self, ref, priority: int, pool: UnitPool, unit: int) -> None:
        """A unit takes another police call now."""
        now = self.env.now
        i, busy, travel, zone, factor, turnout = ref
        if self.city is None:
            clear_at = now + busy
            on_scene_at = now + travel
            travel = NAN
        else:
            travel = pool.travel_min(unit, zone, factor)
            on_scene_at = now + turnout + travel
            clear_at = on_scene_at + busy
        self.log.jobs.append(_new_row(JobRow, (OTHER, i, pool.index, unit, self.other_arrivals[i], now, on_scene_at,
                                               clear_at, NO_DISPOSITION, False, False, priority, travel)))
        self._at(clear_at - now, self._release, pool, unit)

    # --- units --------------------------------------------------------------------------

    def _request(self, pool: UnitPool, job: Job) -> None:
        if not job.active:
            return
        unit = pool.take_free(self._job_zone(job) if self.city is not None else -1)
        if unit is None:
            pool.enqueue(job)
        elif not self._start(job, pool, unit):
            pool.put_free(unit)

    def _start(self, job: Job, pool: UnitPool, unit: int) -> bool:
        """The unit takes the job; False if the job cannot start now (a follow-up outside its hours)."""
        job.active = False
        kind = job.kind
        if kind == PRIMARY:
            self._start_primary(job.ref, pool, unit)
            return True
        now = self.env.now
        if kind == OTHER:
            self._start_other(job.ref, job.priority, pool, unit)
            return True
        elif kind in (BACKUP, EXTRA):
            call: Call = job.ref
            g = self.draws[call.gen]
            draws = g.teams[pool.index]
            r = call.row
            if kind == BACKUP:
                turnout, travel = self._on_the_road(pool, unit, call)
                on_scene_at = now + turnout + travel
                clear_at = on_scene_at + draws.on_scene_min[r]
                # the backup team meets the person too: its own chances, the call's own draws
                cell = self.outcomes[pool.index].cell(call.type, call.risk)
                self.log.jobs.append(JobRow(BACKUP, call.id, pool.index, unit, job.requested, now, on_scene_at,
                                            clear_at, use_of_force=g.u_force[r] < cell.use_of_force,
                                            injury=g.u_injury[r] < cell.injury, priority=job.priority,
                                            travel_min=travel))
            elif kind == EXTRA:
                # an extra unit of a multi-unit call: its own travel plus the time on scene
                turnout, travel = self._on_the_road(pool, unit, call)
                on_scene_at = now + turnout + travel
                clear_at = on_scene_at + draws.on_scene_min[r]
                self.log.jobs.append(JobRow(EXTRA, call.id, pool.index, unit, job.requested, now, on_scene_at,
                                            clear_at, priority=job.priority, travel_min=travel))
        else:
            clear_at = self.follow_ups.start(job.ref, pool, unit)
            if clear_at is None:
                return False
        self._at(clear_at - now, self._release, pool, unit)
        return True

    def _release(self, pool: UnitPool, unit: int) -> None:
        """A unit is free: it goes off duty if its shift is over, else takes the next job."""
        if pool.retire_since:
            since = pool.retire(unit, self.env.now)
            self.log.overtime.append(OvertimeRow(pool.index, unit, since, self.env.now))
            return
        job = pool.next_job()
        while job is not None and not self._start(job, pool, unit):
            job = pool.next_job()
        if job is None:
            pool.put_free(unit)

    def _job_zone(self, job: Job) -> int:
        """The zone a job is in: another police call's own, else its crisis call's."""
        if job.kind == OTHER:
            return job.ref[3]
        return getattr(job.ref, "call", job.ref).zone  # a follow-up attempt: its call's zone


def simulate(scenario: Scenario, replication: int, seed: int | None = None,
             days: float | None = None, warmup_days: float | None = None) -> EventLog:
    """Run one replication and return its event log."""
    model = Model(scenario, replication, seed, days, warmup_days)
    log = model.run()
    model.release()
    del model
    give_back()  # the draws' memory, for the tables made next
    return log
