"""Queueing approximations for the planner's screen: Erlang C, Erlang C with a wait limit, offered load by hour.

Pure functions of a scenario: nothing here runs the model. The screen treats each hour of
the week as a stationary M/M/c queue (stationary independent period by period, SIPP) whose
arrival rate is the lagged offered load of that hour (the modified-offered-load idea of
Green, Kolesar & Whitt 2007: units are busy with calls that arrived up to a service time
earlier, so the load an hour sees lags the arrivals). A call that waits longer than the
routing rule's `max_wait_min` goes to the next team, so an hour with few units is an
M/M/c queue with deterministic patience (Barrer 1957): stable at any load, and the share
of calls reached in time is exact for exponential service.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..scenario.schema import RISKS, Scenario
from .travel import mean_travel_min

HOURS_PER_WEEK = 168
MIN_PER_HOUR = 60


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of M/M/c/c with offered load `load` erlangs (stable recursion)."""
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(servers: int, load: float) -> float:
    """Probability an arrival waits in M/M/c (1 when the queue is unstable)."""
    if servers <= load:
        return 1.0
    b = erlang_b(servers, load)
    return servers * b / (servers - load * (1 - b))


def _states(servers: int, load: float) -> tuple[float, float]:
    """(P(fewer than c busy) and p_{c-1}), each divided by p_0, for the birth-death part below c."""
    term, below = 1.0, 1.0
    for k in range(1, servers):
        term *= load / k
        below += term
    return below, term


def reached_within(servers: int, calls_per_min: float, service_min: float, limit_min: float | None) -> float:
    """Share of arrivals that get a unit within `limit_min` minutes (None: no limit, wait as long as it takes).

    M/M/c with deterministic patience `limit_min` (calls leave the queue then): the virtual
    wait has density lam p_{c-1} exp(-(c mu - lam) v) below the limit (Barrer 1957). Without a
    limit it is Erlang C's P(W < infinity): 1 when stable, the throughput share c/a when not.
    """
    if servers <= 0:
        return 0.0
    if calls_per_min <= 0:
        return 1.0
    load = calls_per_min * service_min
    if limit_min is None:
        return 1.0 if servers > load else servers / load
    _scale, below, within, beyond = _barrer(servers, calls_per_min, service_min, limit_min)
    return (below + within) / (below + within + beyond)


def _barrer(servers: int, calls_per_min: float, service_min: float,
            limit_min: float) -> tuple[float, float, float, float]:
    """(scale, free, waits within the limit, waits beyond it) of M/M/c with deterministic patience, relative to p_0.

    `free` is P(fewer than c busy); the other two integrate the virtual wait's density on
    (0, limit) and beyond it. When overloaded (decay < 0) all three are divided by
    exp(-decay x limit) so nothing overflows; `scale` is that factor (1 otherwise), to apply
    to any other state's p_k / p_0.
    """
    mu = 1 / service_min
    below, last = _states(servers, calls_per_min * service_min)
    decay = servers * mu - calls_per_min
    rise = calls_per_min * last
    scale = 1.0
    if abs(decay) < 1e-12:
        within, beyond = rise * limit_min, rise / (servers * mu)
    elif decay > 0:
        within = rise * -math.expm1(-decay * limit_min) / decay
        beyond = rise * math.exp(-decay * limit_min) / (servers * mu)
    else:
        scale = math.exp(decay * limit_min)
        below *= scale
        within = rise * -math.expm1(decay * limit_min) / -decay
        beyond = rise / (servers * mu)
    return scale, below, within, beyond


def busy_distribution(servers: int, calls_per_min: float, service_min: float, limit_min: float | None) -> np.ndarray:
    """P(k units busy) for k = 0..c-1, then P(all c busy), as an arrival sees it (PASTA).

    Below c units busy every model here is the same birth-death chain (p_k proportional to
    a^k / k!); what differs is the mass with all units busy: Erlang C's queue without a wait
    limit (all of it when overloaded), the waits of M/M/c with deterministic patience
    (Barrer 1957) with one.
    """
    load = calls_per_min * service_min
    terms = np.ones(servers)
    for k in range(1, servers):
        terms[k] = terms[k - 1] * load / k
    if limit_min is None:
        if servers <= load:
            return np.append(np.zeros(servers), 1.0)
        waiting = erlang_c(servers, load)
        return np.append(terms / terms.sum() * (1 - waiting), waiting)
    scale, below, within, beyond = _barrer(servers, calls_per_min, service_min, limit_min)
    total = below + within + beyond
    return np.append(terms * scale / total, (within + beyond) / total)


def mean_wait_min(servers: int, calls_per_min: float, service_min: float, limit_min: float | None = None) -> float:
    """Mean wait of the calls a unit takes, minutes: Erlang C without a limit (infinite when unstable), else
    the mean over calls reached within the limit in M/M/c with that patience."""
    load = calls_per_min * service_min
    if limit_min is None:
        if servers <= load:
            return math.inf
        return erlang_c(servers, load) * service_min / (servers - load)
    if servers <= 0:
        return math.inf
    below, last = _states(servers, load)
    rise = calls_per_min * last
    decay = servers / service_min - calls_per_min
    if abs(decay) < 1e-12:
        waited, within = rise * limit_min**2 / 2, rise * limit_min
    elif decay > 0:
        e = math.exp(-decay * limit_min)
        waited = rise * (1 - e * (1 + decay * limit_min)) / decay**2
        within = rise * -math.expm1(-decay * limit_min) / decay
    else:  # overloaded: divided through by exp(-decay x limit), as in reached_within
        scale = math.exp(decay * limit_min)
        below *= scale
        waited = rise * (scale - (1 + decay * limit_min)) / decay**2
        within = rise * (scale - 1) / decay
    return waited / (below + within)


@dataclass(frozen=True)
class HourlyLoad:
    """What a team is asked for, hour by hour over the week (Monday 00:00 first)."""

    team: str
    calls_per_hour: np.ndarray  # first-choice calls for the team arriving in each hour of the week
    lagged_calls_per_hour: np.ndarray  # the arrival rate whose work is in progress in each hour
    service_min: float  # mean busy time per call: travel, on scene, transport
    follow_up_min_per_hour: np.ndarray  # follow-up work due in each hour, unit-minutes per hour
    max_wait_min: float | None  # the routing rule's wait limit (None: waits as long as it takes)
    eligible_per_week: float  # first-choice calls a week (not settled by phone)
    dispatched_per_week: float  # crisis calls a week that get a unit (any team)
    travel_min: float = 0.0  # mean minutes from assignment to arrival (turnout + travel), part of service_min

    def offered_load(self) -> np.ndarray:
        """Erlangs per hour of the week: lagged crisis work plus follow-up work."""
        return self.lagged_calls_per_hour * self.service_min / MIN_PER_HOUR + self.follow_up_min_per_hour / MIN_PER_HOUR

    def effective_calls_per_min(self) -> np.ndarray:
        """The arrival rate, per minute, that puts the hour's whole offered load on the units."""
        return self.offered_load() / self.service_min

    def reach(self, units: int, hour: int) -> float:
        """Share of this hour's first-choice calls the team reaches in time with `units` on duty."""
        return reached_within(units, float(self.effective_calls_per_min()[hour]), self.service_min, self.max_wait_min)

    def reach_table(self, most_units: int) -> np.ndarray:
        """[hour, units] share reached for 0..most_units units on duty."""
        return np.array([[self.reach(c, h) for c in range(most_units + 1)] for h in range(HOURS_PER_WEEK)])

    def wait_table(self, most_units: int) -> np.ndarray:
        """[hour, units] mean wait (minutes) of the calls reached, for 0..most_units units on duty."""
        rate = self.effective_calls_per_min()
        return np.array([[mean_wait_min(c, float(rate[h]), self.service_min, self.max_wait_min) if c else math.inf
                          for c in range(most_units + 1)] for h in range(HOURS_PER_WEEK)])


def _normalised(weights, n: int) -> np.ndarray:
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    return w / w.mean()


def _expected(dist) -> float:
    return float(dist.mean)


def hourly_load(scenario: Scenario, team: str, travel_min: float | None = None) -> HourlyLoad:
    """The team's first-choice calls and busy time by hour of the week, from the scenario's inputs.

    Arrivals follow the hourly and weekday profiles; repeat crises come on top, spread evenly
    (their delay is uniform over the repeat window), at the rate of a chain with each group's
    repeat probability (linkage, which lowers it, is ignored: the screen errs towards more load).
    A call's first choice is routed as `check`'s offered load routes it
    (`sim.analysis.load.first_choice_rules`): triage codes the risk and may not recognise the
    call, and the first matching rule whose share is above the call's routing draw takes it.
    Busy time is `sim.analysis.load.busy_min` (travel + time on scene by call type +
    transport by disposition chance), plus the extra units a call sends (`units_per_call`)
    for their travel and time on scene. Follow-ups are the team's work only when it makes
    them (`by` absent or the team itself): the expected attempts (they stop once one reaches
    the person, with the roles' effect on contact) `after_hours` later.
    Travel (assignment to arrival) is `travel_min` when given (the planner's estimate with
    busy units and planned bases), else `sim.analysis.travel.mean_travel_min` (free units).
    """
    from .load import busy_min, first_choice_rules, follow_up_hours, repeats_per_first_crisis

    travel = mean_travel_min(scenario, team) if travel_min is None else float(travel_min)
    d = scenario.demand
    hourly = _normalised(d.hourly_profile, 24)
    weekday = _normalised(d.weekday_profile, 7)
    per_hour = d.crisis_calls_per_day / 24 * np.repeat(weekday, 24) * np.tile(hourly, 7)
    per_hour = per_hour + d.crisis_calls_per_day / 24 * repeats_per_first_crisis(d.repeat)
    t = scenario.teams[team]
    program = t.follow_up
    own_follow_up = program is not None and program.by in (None, team)  # another team's follow-ups are its work
    eligible, dispatched, busy, follow_hours, wait_limits = 0.0, 0.0, 0.0, 0.0, []
    for call_type, ct in d.call_types.items():
        phone = d.phone_resolution.get(call_type, 0.0)
        for risk, r_share in zip(RISKS, ct.risk_shares()):
            p = ct.share * r_share * (1 - phone)
            if p <= 0:
                continue
            dispatched += p
            for rule, send, coded, chance in first_choice_rules(scenario, call_type, risk):
                if send[0] != team:
                    continue
                w = p * chance
                eligible += w
                wait_limits.append(None if rule is None else scenario.routing[rule].max_wait_min)
                busy += w * busy_min(scenario, team, call_type, risk, coded, travel)
                if own_follow_up:
                    follow_hours += w * follow_up_hours(scenario, program, team, call_type)
    service = busy / eligible if eligible > 0 else _expected(t.on_scene_min)
    calls = per_hour * eligible
    # Work in progress in hour h comes from arrivals up to a service time earlier: weight past
    # hours by the chance a busy period started then is still running (exponential residual).
    lag_weights = np.exp(-np.arange(0, 12) * MIN_PER_HOUR / service)
    lag_weights /= lag_weights.sum()
    lagged = sum(w * np.roll(calls, k) for k, w in enumerate(lag_weights))
    follow = np.zeros(HOURS_PER_WEEK)
    if own_follow_up and eligible > 0:
        shift = int(round(program.after_hours + service / MIN_PER_HOUR)) % HOURS_PER_WEEK
        follow = np.roll(calls, shift) * follow_hours / eligible * MIN_PER_HOUR
    max_wait = None if not wait_limits or any(w is None for w in wait_limits) else float(min(wait_limits))
    return HourlyLoad(team, calls, lagged, service, follow, max_wait, float(calls.sum()),
                      float(per_hour.sum() * dispatched), travel)
