"""Downstream costs: what each event costs and who pays for it.

`costs: {arrest: 2500}` (version 0.1) still works: a bare number is the cost per event and
the payer is the usual one for that event. The long form names the payer:
`costs: {arrest: {cost: 2500, payer: justice}}`. Team staffing is the city's and is priced
on the team (`cost_per_unit_hour`, `overhead`, `fixed_per_year`), not here.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .bounds import check_magnitudes

COST_EVENTS = ("arrest", "involuntary_hold", "ed_transport", "crisis_center", "linked_to_services", "follow_up")
"""Events that can carry a downstream cost, in the order metrics list them."""

DEFAULT_PAYERS = {
    "arrest": "justice",                   # booking, jail days, court
    "involuntary_hold": "health",          # emergency psychiatric evaluation and hold
    "ed_transport": "health",              # ambulance and emergency department
    "crisis_center": "behavioral_health",  # crisis stabilisation visit
    "linked_to_services": "behavioral_health",  # the services a person is linked to
    "follow_up": "city",                   # visit expenses beyond the team's own staffed time
}
CITY_PAYERS = ("city", "police")
"""Payers whose costs are the city's own budget (with every team's staffing)."""

Payer = Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]


class _Strict(BaseModel):
    """As the scenario's own models: unknown keys refused, no coercion, numbers finite and bounded."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    @model_validator(mode="after")
    def _bounded(self):
        check_magnitudes(self)
        return self


class CostItem(_Strict):
    """The cost of one event and who pays it."""

    cost: float = Field(ge=0, description="Cost per event, in the scenario's currency.")
    payer: Payer = Field(description="Who pays: e.g. city, police, health, justice, behavioral_health.")


def _item(event: str, description: str):
    return Field(default_factory=lambda: CostItem(cost=0.0, payer=DEFAULT_PAYERS[event]),
                 description=f"{description} A number, or {{cost, payer}} (default payer: {DEFAULT_PAYERS[event]}).")


class Costs(_Strict):
    """Downstream cost per event, each with its payer; and an optional price on police time."""

    arrest: CostItem = _item("arrest", "Per arrest.")
    involuntary_hold: CostItem = _item("involuntary_hold", "Per involuntary hold.")
    ed_transport: CostItem = _item("ed_transport", "Per emergency-department transport.")
    crisis_center: CostItem = _item("crisis_center", "Per crisis-centre drop-off.")
    linked_to_services: CostItem = _item("linked_to_services", "Per person linked to services (on scene or at follow-up).")
    follow_up: CostItem = _item("follow_up", "Per follow-up visit, beyond the visiting team's staffed time.")
    police_hour_value: float | None = Field(
        None, ge=0, description="Price of one police hour on crisis calls. Absent: police time is reported as hours "
        "(capacity), never as cash; given: the metric police_time_value prices it (not added to cost_total, "
        "since police pay is already in the staffing cost).")

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, data):
        """A bare number is the cost with the event's usual payer (the 0.1 form)."""
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for event in COST_EVENTS:
            value = out.get(event)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out[event] = {"cost": value, "payer": DEFAULT_PAYERS[event]}
            elif isinstance(value, dict) and "payer" not in value:
                out[event] = {**value, "payer": DEFAULT_PAYERS[event]}
        return out

    def item(self, event: str) -> CostItem:
        return getattr(self, event)

    def payers(self) -> list[str]:
        """Every payer named, in event order (each once)."""
        return list(dict.fromkeys(self.item(e).payer for e in COST_EVENTS))
