"""The scenario's shared vocabulary: risk levels, dispositions, chances, ids and the strict base model."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .bounds import check_magnitudes

RISKS = ("low", "medium", "high")
Risk = Literal["low", "medium", "high"]
DISPOSITIONS = ("arrest", "involuntary_hold", "ed_transport", "crisis_center", "linked_to_services")
"""Mutually exclusive dispositions, in the order a call's outcome draw is read; the rest resolve on scene."""
Disposition = Literal["arrest", "involuntary_hold", "ed_transport", "crisis_center", "linked_to_services"]
ENCOUNTER_EVENTS = ("use_of_force", "injury")
"""Chances per encounter, independent of the disposition."""
OUTCOME_KEYS = DISPOSITIONS + ENCOUNTER_EVENTS
Probability = Annotated[float, Field(ge=0, le=1)]
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
SHARE_TOLERANCE = 1e-9


class Strict(BaseModel):
    """Every scenario model: unknown keys refused, numbers finite and within the bounds of
    sim/scenario/bounds.py, and no coercion (`units: true` is not 1, `"3"` is not 3)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True, allow_inf_nan=False)

    @model_validator(mode="after")
    def _bounded(self):
        check_magnitudes(self)
        return self
