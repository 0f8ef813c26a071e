"""Routing: which teams a call is offered to, in what order, and how long it waits for each.

The scenario's rules are data; this module turns them into a lookup by (call type, risk)
so the model asks one question per call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..scenario.schema import RISKS, Scenario


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
    """The rule that takes a call, looked up by (call type, risk) and the call's routing draw.

    Rules that take only a `share` of their calls let the rest fall through to the next
    matching rule; one uniform per call decides, so the same call routes the same way in
    every scenario with the same rules.
    """

    def __init__(self, scenario: Scenario):
        team_index = {name: i for i, name in enumerate(scenario.teams)}
        self.routes: dict[tuple[int, int], list[tuple[float, Route]]] = {}
        for t, type_name in enumerate(scenario.demand.call_types):
            for r, risk in enumerate(RISKS):
                options = []
                for i, rule in enumerate(scenario.routing):
                    if not rule.matches(type_name, risk):
                        continue
                    wait = math.inf if rule.max_wait_min is None else float(rule.max_wait_min)
                    options.append((rule.share, Route(i, tuple(team_index[s] for s in rule.send), wait)))
                    if rule.share >= 1.0:
                        break
                if options:
                    self.routes[(t, r)] = options
        # calls triage does not recognise as crisis calls (rule -1)
        send = scenario.unrecognised_send()
        self.unrecognised = Route(-1, tuple(team_index[s] for s in send), math.inf) if None not in send else None

    def route(self, call_type: int, risk: int, u: float, recognised: bool = True) -> Route:
        """The route of a call of this type and (coded) risk, given its routing draw."""
        if not recognised:
            return self.unrecognised
        options = self.routes[(call_type, risk)]
        for share, route in options:
            if u < share:
                return route
        return options[-1][1]
