"""Outcome lookup at run time: each team's resolved chances by call type and true risk.

The resolution itself (reference table, a team's own table, effects that multiply) is
`sim.scenario.outcomes`; this turns it into what the event loop reads per call.
"""

from __future__ import annotations

from itertools import accumulate

from ..scenario.common import DISPOSITIONS, RISKS
from ..scenario.outcomes import team_outcomes
from ..scenario.roles import with_role_effects
from ..scenario.schema import Scenario


class CellChances:
    """One (call type, risk) cell as the model reads it."""

    __slots__ = ("cumulative", "use_of_force", "injury")

    def __init__(self, values: dict[str, float]):
        self.cumulative = list(accumulate(values[d] for d in DISPOSITIONS))
        self.use_of_force = values["use_of_force"]
        self.injury = values["injury"]


class TeamOutcomes:
    """A team's chances for every call type (by index) and true risk (by index)."""

    def __init__(self, scenario: Scenario, team_name: str):
        table = team_outcomes(scenario, team_name)
        # the roles' effects (sim.scenario.roles) multiply the team's resolved chances
        self.cells = [[CellChances(with_role_effects(scenario, team_name, ct, table[ct][r].values)) for r in RISKS]
                      for ct in scenario.demand.call_types]

    def cell(self, call_type: int, risk: int) -> CellChances:
        return self.cells[call_type][risk]
