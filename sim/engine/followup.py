"""Follow-up programs: who follows a crisis up, when, how many attempts, and whether they link.

A program belongs to the team that handled the call (`teams.X.follow_up`), or to phone-
resolved calls (`follow_up_phone`). When a call clears, it gets a follow-up with the
program's `probability`; the first attempt is due `after_hours` later, but waits for the
program's `hours` (a follow-up due at 1 a.m. is made when the hours next open). An attempt
is a job at the `by` team (lowest priority, so crisis calls go first); it takes a unit for
`duration_min`, reaches the person with chance `contact`, and a reached person is linked to
services with chance `links`. Unanswered attempts are tried again `interval_hours` after
the previous attempt started, until one reaches the person or `attempts` are used. An
attempt that a unit would start after the hours have closed waits for the next opening.

Every draw is the call's own (common random numbers): whether it is followed up and
whether it links reuse the call's `call.follow_up` and `call.follow_up_link` uniforms;
attempt k's duration and contact are row k of the call's `call.follow_up_duration` and
`call.follow_up_contact` streams (row 0 is the first n draws, so a program with more
attempts leaves the first attempt's draws unchanged). Only the calls a program can follow
up (follow-up uniform below its probability) keep those draws.
"""

from __future__ import annotations

import bisect
from array import array
from dataclasses import dataclass

import numpy as np

from ..scenario.roles import follow_up_chance
from ..scenario.schema import DAYS, DISPOSITIONS, FollowUp, Scenario, Window
from .eventlog import FOLLOW_UP, NO_DISPOSITION, FollowUpAttemptRow, FollowUpDueRow, JobRow
from .streams import stream
from .teams import MIN_PER_DAY, MIN_PER_WEEK, Job

FOLLOW_UP_PRIORITY = 10
PHONE = -1  # program key of phone-resolved calls' follow-ups
LINKED = DISPOSITIONS.index("linked_to_services")


class OpenHours:
    """A weekly set of open windows; answers "is it open now" and "when does it next open"."""

    def __init__(self, windows: list[Window] | None):
        spans = []
        for w in windows or [Window(days=list(DAYS), start="00:00", end="24:00")]:
            for day in w.days:
                d = DAYS.index(day) * MIN_PER_DAY
                spans.append((d + w.start_min, d + w.end_min))
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.always = merged == [[0, MIN_PER_WEEK]]
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]

    def is_open(self, t: float) -> bool:
        if self.always:
            return True
        w = t % MIN_PER_WEEK
        i = bisect.bisect_right(self.starts, w) - 1
        return i >= 0 and w < self.ends[i]

    def next_open(self, t: float) -> float:
        """The first time at or after t when the hours are open."""
        if self.is_open(t):
            return t
        week, w = divmod(t, MIN_PER_WEEK)
        i = bisect.bisect_right(self.starts, w)
        if i == len(self.starts):
            return (week + 1) * MIN_PER_WEEK + self.starts[0]
        return week * MIN_PER_WEEK + self.starts[i]


@dataclass
class Program:
    """One follow-up program at run time."""

    key: int  # the team whose calls it follows up, or PHONE
    spec: FollowUp
    by: int  # index of the team that makes the attempts
    hours: OpenHours
    contact: list[float]  # by call type (index), with the `by` team's roles' effects
    links: list[float]


class Attempt:
    """One follow-up attempt waiting for, or taking, a unit."""

    __slots__ = ("call", "program", "k")

    def __init__(self, call, program: Program, k: int):
        self.call = call
        self.program = program
        self.k = k


def programs_of(scenario: Scenario) -> dict[int, Program]:
    """The scenario's follow-up programs, keyed by the team whose calls they follow up (PHONE for phone calls)."""
    names = list(scenario.teams)
    specs = {i: t.follow_up for i, t in enumerate(scenario.teams.values()) if t.follow_up is not None}
    if scenario.follow_up_phone is not None:
        specs[PHONE] = scenario.follow_up_phone
    types = list(scenario.demand.call_types)
    programs = {}
    for key, spec in specs.items():
        by = names.index(spec.by) if spec.by is not None else key
        contact = [follow_up_chance(scenario, names[by], ct, "contact", spec.contact) for ct in types]
        links = [follow_up_chance(scenario, names[by], ct, "links", spec.links) for ct in types]
        programs[key] = Program(key, spec, by, OpenHours(spec.hours), contact, links)
    return programs


class FollowUps:
    """The follow-up programs of one replication: the model tells it when calls end and when a
    unit takes an attempt; it schedules attempts through the model and records what happened."""

    def __init__(self, model):
        self.model = model
        self.programs = programs_of(model.scenario)
        self._draws: dict[tuple[int, int], tuple[np.ndarray, np.ndarray | None]] = {}

    def _attempt_draws(self, program: Program, gen: int) -> tuple[array, list[array], list[array] | None]:
        """(rows, minutes, contact uniforms) of one program and repeat generation: `rows` are the
        generation's rows that the program can follow up (its follow-up uniform below the
        program's probability), in order; minutes[k][i] and contact[k][i] are attempt k's draws
        for rows[i]. The numbers are those of the whole attempts x calls streams."""
        key = (program.key, gen)
        if key not in self._draws:
            model = self.model
            book = model.book
            g = model.draws[gen]
            n, a = book.n_primary, program.spec.attempts
            wanted = np.flatnonzero(np.frombuffer(g.u_follow_up, dtype=np.float64) < program.spec.probability)
            persons = wanted if g.persons is None else np.asarray(g.persons, dtype=np.int64)[wanted]
            u = stream(book.seed, book.replication, book._stream_name(gen, "call.follow_up_duration")).random((a, n))
            u = u[:, persons]
            minutes = program.spec.duration_min.from_uniform(u.ravel()).reshape(u.shape)
            contact = None
            if min(program.contact) < 1:
                contact = [array("d", row.tobytes()) for row in stream(
                    book.seed, book.replication, book._stream_name(gen, "call.follow_up_contact")).random((a, n))[:, persons]]
            self._draws[key] = (array("q", wanted.tobytes()), [array("d", row.tobytes()) for row in minutes], contact)
        return self._draws[key]

    # --- the model calls these ------------------------------------------------------

    def after_call(self, call, team: int) -> None:
        """A call handled by `team` clears now: it may get a follow-up."""
        program = self.programs.get(team)
        if program is not None:
            self._maybe(call, program)

    def after_phone(self, call) -> None:
        """A call is resolved by phone now: it may get a follow-up."""
        program = self.programs.get(PHONE)
        if program is not None:
            self._maybe(call, program)

    def start(self, attempt: Attempt, pool, unit: int) -> float | None:
        """A unit takes an attempt: its clear time, or None if the hours have closed (it waits for them)."""
        model = self.model
        now = model.env.now
        program = attempt.program
        if not program.hours.is_open(now):
            self._request(attempt, program.hours.next_open(now) - now)
            return None
        call, k = attempt.call, attempt.k
        g = model.draws[call.gen]
        rows, minutes, contact_u = self._attempt_draws(program, call.gen)
        i = bisect.bisect_left(rows, call.row)  # the call is among them: its follow-up uniform made it one
        clear_at = now + minutes[k][i]
        reached = contact_u is None or contact_u[k][i] < program.contact[call.type]
        links = reached and g.u_follow_up_link[call.row] < program.links[call.type]
        model.log.jobs.append(JobRow(FOLLOW_UP, call.id, pool.index, unit, now, now, now, clear_at,
                                     LINKED if links else NO_DISPOSITION))
        model.log.follow_up_attempts.append(FollowUpAttemptRow(call.id, pool.index, k, now, reached, links))
        if links:
            model._link(call.person, clear_at)
        elif not reached and k + 1 < program.spec.attempts:
            self._due(Attempt(call, program, k + 1), program.spec.interval_hours * 60)
        return clear_at

    # --- inside -------------------------------------------------------------------------

    def _maybe(self, call, program: Program) -> None:
        g = self.model.draws[call.gen]
        if g.u_follow_up[call.row] < program.spec.probability:
            delay = program.spec.after_hours * 60
            self.model.log.follow_ups_due.append(FollowUpDueRow(call.id, program.by, self.model.env.now + delay))
            self._due(Attempt(call, program, 0), delay)

    def _due(self, attempt: Attempt, delay: float) -> None:
        """The attempt is due `delay` minutes from now; it is requested when the hours are open."""
        hours = attempt.program.hours
        if not hours.always:
            now = self.model.env.now
            delay = hours.next_open(now + delay) - now
        self._request(attempt, delay)

    def _request(self, attempt: Attempt, delay: float) -> None:
        model = self.model
        if model.env.now + delay >= model.horizon_min:
            return
        pool = model.pools[attempt.program.by]
        model._at(delay, model._request, pool, Job(FOLLOW_UP, attempt, FOLLOW_UP_PRIORITY))
