"""Routing: which teams a call is offered to, in what order, and how long it waits for each.

The scenario's rules are data; this module turns them into a lookup by (call type, risk)
so the model asks one question per call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .schema import RISKS, Scenario


@dataclass(frozen=True)
class Route:
    """The teams (by index) a call is offered to, and the longest wait for each but the last."""

    rule: int
    teams: tuple[int, ...]
    max_wait_min: float  # math.inf = wait as long as it takes

    @property
    def first_choice(self) -> int:
        return self.teams[0]


class RoutingTable:
    """First matching rule wins, looked up once per (call type, risk)."""

    def __init__(self, scenario: Scenario):
        team_index = {name: i for i, name in enumerate(scenario.teams)}
        self.routes: dict[tuple[int, int], Route] = {}
        for t, type_name in enumerate(scenario.demand.call_types):
            for r, risk in enumerate(RISKS):
                i = scenario.rule_for(type_name, risk)
                if i is None:
                    continue
                rule = scenario.routing[i]
                wait = math.inf if rule.max_wait_min is None else float(rule.max_wait_min)
                self.routes[(t, r)] = Route(i, tuple(team_index[s] for s in rule.send), wait)

    def route(self, call_type: int, risk: int) -> Route:
        return self.routes[(call_type, risk)]
