"""Geography in a scenario: zones where calls arise, mean travel between them, and where teams are based.

The pydantic models validate the `geography:` block on its own; `check_team_geography`
checks what depends on the teams (bases, travel rows for the zones units are based in,
`response_min` given alongside geography). Both name the key path of what is wrong.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, model_validator

from ..errors import PathValueError
from .common import SHARE_TOLERANCE, Identifier, Probability, Strict
from .distributions import Constant

if TYPE_CHECKING:  # pragma: no cover
    from .schema import Scenario

# a resolved scenario spells out the default response_min (constant 0); it is not a second travel time
NO_TRAVEL = Constant(dist="constant", value=0)
Coordinate = Annotated[float, Field(allow_inf_nan=False)]


class Zone(Strict):
    """An area of the city: its share of calls and, optionally, its centroid."""

    share: Probability = Field(description="Share of crisis and other police calls arising here; shares sum to 1 (0 allowed).")
    x: Coordinate | None = Field(None, description="Centroid east-west, km (needed for `speed_kmh` and for maps).")
    y: Coordinate | None = Field(None, description="Centroid north-south, km.")


class Geography(Strict):
    """Zones, and mean travel minutes from a unit's base zone to a call's zone."""

    zones: dict[Identifier, Zone] = Field(min_length=1, description="Areas of the city, in order (ties go to the first).")
    travel_min: dict[Identifier, dict[Identifier, float]] | None = Field(
        None, description="Mean minutes from a unit based in zone ROW to a call in zone COLUMN (instead of speed_kmh)."
    )
    speed_kmh: float | None = Field(
        None, gt=0, allow_inf_nan=False, description="Road speed: mean travel = distance between centroids / speed."
    )
    metric: Literal["manhattan", "euclidean"] = Field(
        "manhattan", description="Distance between centroids for speed_kmh: manhattan (grid streets) or euclidean."
    )
    travel_cv: float = Field(
        0.0, ge=0, le=3, description="Spread of a call's travel around the mean: a lognormal factor with mean 1 and this "
        "coefficient of variation (0 = exactly the mean)."
    )

    @model_validator(mode="after")
    def _check(self):
        names = list(self.zones)
        total = sum(z.share for z in self.zones.values())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise PathValueError("zones", f"shares must sum to 1, got {total:.6g}")
        if (self.travel_min is None) == (self.speed_kmh is None):
            raise PathValueError("travel_min", "give exactly one of `travel_min` (a matrix of minutes) or `speed_kmh` "
                                               "(travel from the zones' x, y)")
        if self.speed_kmh is not None:
            for name, zone in self.zones.items():
                if zone.x is None or zone.y is None:
                    raise PathValueError(f"zones.{name}", "needs x and y (km) when travel comes from `speed_kmh`")
        for row, cells in (self.travel_min or {}).items():
            if row not in self.zones:
                raise PathValueError(f"travel_min.{row}", f"unknown zone {row!r}; zones: {', '.join(names)}")
            for col, minutes in cells.items():
                if col not in self.zones:
                    raise PathValueError(f"travel_min.{row}.{col}", f"unknown zone {col!r}; zones: {', '.join(names)}")
                if not math.isfinite(minutes) or minutes < 0:
                    raise PathValueError(f"travel_min.{row}.{col}", f"must be a finite number of minutes >= 0, got {minutes}")
        return self

    @property
    def zone_names(self) -> list[str]:
        return list(self.zones)

    def mean_travel_min(self, base: str, zone: str) -> float | None:
        """Mean minutes from a unit based in `base` to a call in `zone` (None: no matrix cell)."""
        if self.travel_min is not None:
            return self.travel_min.get(base, {}).get(zone)
        a, b = self.zones[base], self.zones[zone]
        dx, dy = abs(a.x - b.x), abs(a.y - b.y)
        km = dx + dy if self.metric == "manhattan" else math.hypot(dx, dy)
        return km / self.speed_kmh * 60

    def has_xy(self) -> bool:
        return all(z.x is not None and z.y is not None for z in self.zones.values())


def check_team_geography(scenario: Scenario) -> None:
    """Cross-checks between `geography` and the teams; raises PathValueError naming the key path."""
    geo = scenario.geography
    for t_name, team in scenario.teams.items():
        where = f"teams.{t_name}"
        if geo is None:
            for key in ("bases", "turnout_min"):
                if getattr(team, key) is not None:
                    raise PathValueError(f"{where}.{key}", "needs a top-level `geography` (zones and travel)")
            if team.travel_factor != 1.0:
                raise PathValueError(f"{where}.travel_factor", "needs a top-level `geography` (zones and travel)")
            continue
        if "response_min" in team.model_fields_set and team.response_min != NO_TRAVEL:
            raise PathValueError(f"{where}.response_min", "travel comes from `geography` in this scenario; remove "
                                                          "`response_min` (use `travel_factor` and `turnout_min`)")
        names = geo.zone_names
        bases = team.bases or {names[0]: 1}
        for zone in bases:
            if zone not in geo.zones:
                raise PathValueError(f"{where}.bases.{zone}", f"unknown zone {zone!r}; zones: {', '.join(names)}")
        if team.bases is not None:
            if team.units is not None:
                counts = list(team.bases.values())
                if any(c != int(c) for c in counts) or sum(counts) != team.units:
                    raise PathValueError(f"{where}.bases", f"unit counts must be whole numbers summing to `units` "
                                                           f"({team.units}), got {sum(counts):g}")
            elif sum(team.bases.values()) <= 0:
                raise PathValueError(f"{where}.bases", "weights need at least one positive value")
        for base, weight in bases.items():
            if weight <= 0:
                continue
            for zone, spec in geo.zones.items():
                if spec.share > 0 and geo.mean_travel_min(base, zone) is None:
                    raise PathValueError(f"geography.travel_min.{base}.{zone}",
                                         f"missing: team {t_name} has units based in {base} and calls arise in {zone}")


def nearest_base_travel(scenario: Scenario, team_name: str) -> dict[str, float]:
    """Per zone, mean minutes from the team's nearest base (× its travel_factor): the travel when that unit is free."""
    geo = scenario.geography
    team = scenario.teams[team_name]
    bases = [b for b, w in (team.bases or {geo.zone_names[0]: 1}).items() if w > 0]
    out = {}
    for zone in geo.zone_names:
        cells = [geo.mean_travel_min(b, zone) for b in bases]
        cells = [c for c in cells if c is not None]
        out[zone] = min(cells) * team.travel_factor if cells else math.inf
    return out

