"""How a scenario wants to be shown: its identity colour, caption notes, currency, and chart settings.

None of these keys changes a simulated number; they travel with the resolved scenario into the
results folder, so `crisis-sim plot` draws the same slides later without the original files.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from .common import Strict

IDENTITIES = ("police", "co_responder", "civilian", "mixed")
"""Named identity colours (sim/outputs/identity.py): a team kind, or a scenario with several new kinds."""
_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")
ASPECTS = ("16:9", "4:3")
THEMES = ("light", "dark", "transparent")
CHART_NAMES = ("outcomes_per_100_calls", "who_responds", "response_time", "police_hours", "cost",
               "utilisation_by_hour", "who_pays", "difference", "monthly", "response_by_zone", "what_each_adds")
"""Charts of a run folder that `--only` and `charts.only` may name (a PSA or sweep folder draws its own set)."""


def check_colour(value: str) -> str:
    """A colour is "#RRGGBB" or the name of an identity colour; anything else is refused with what is allowed."""
    if not isinstance(value, str) or not (_HEX.match(value) or value in IDENTITIES):
        raise ValueError(f'must be a colour "#RRGGBB" or one of {", ".join(IDENTITIES)}, got {value!r}')
    return value


Colour = Annotated[str, Field(description='"#RRGGBB", or an identity colour: ' + ", ".join(IDENTITIES) + ".")]


class ChartSettings(Strict):
    """Presentation settings for the charts of a run; the command line (`plot --aspect ...`) overrides them."""

    aspect: Literal["16:9", "4:3"] | None = Field(None, description="Slide shape: 16:9 (default) or 4:3.")
    theme: Literal["light", "dark", "transparent"] | None = Field(
        None, description="light (default), dark (light ink on a dark background), transparent (no background).")
    font_scale: float | None = Field(None, ge=0.5, le=3, description="Multiplies every type size (1 = as designed).")
    style: Literal["talk", "paper"] | None = Field(None, description="talk (slides, default) or paper.")
    titles: dict[str, Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=dict, description="A title per chart, by chart name (e.g. difference: \"What peers change\").")
    only: list[str] | None = Field(None, min_length=1, description="Draw only these charts (by name).")

    @field_validator("titles")
    @classmethod
    def _known_titles(cls, v):
        for name in v:
            if name not in CHART_NAMES:
                raise ValueError(f"unknown chart {name!r}; charts: {', '.join(CHART_NAMES)}")
        return v

    @field_validator("only")
    @classmethod
    def _known_only(cls, v):
        for name in v or []:
            if name not in CHART_NAMES:
                raise ValueError(f"unknown chart {name!r}; charts: {', '.join(CHART_NAMES)}")
        return v
