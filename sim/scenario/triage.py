"""Triage: how the dispatcher codes a call, which can be wrong.

`coded_risk` gives, for each true risk (row), the chances of each risk the dispatcher codes
(columns; a row sums to 1; a row left out is coded correctly). `recognised` gives, per call
type, the share identified as a behavioural-health call at intake (types left out: all);
the rest are routed as `unrecognised_send` says (default: the police team). Routing and
queue priority use the coded values; outcomes, escalation and backup use the true ones.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from .common import RISKS, SHARE_TOLERANCE, Identifier, Probability, Risk, Strict


class Triage(Strict):
    """How dispatch codes a call's risk and whether it recognises a crisis call at all."""

    coded_risk: dict[Risk, dict[Risk, Probability]] = Field(
        default_factory=dict,
        description="Row = true risk, columns = chances of the coded risk (row sums to 1); rows left out are exact.",
    )
    recognised: dict[Identifier, Probability] = Field(
        default_factory=dict,
        description="Share of each call type recognised as a behavioural-health call at intake (left out: 1).",
    )
    unrecognised_send: list[Identifier] | None = Field(
        None, min_length=1, description="Teams for calls not recognised, in order; default the police team."
    )

    @field_validator("coded_risk")
    @classmethod
    def _rows(cls, v):
        for true, row in v.items():
            total = sum(row.values())
            if abs(total - 1.0) > SHARE_TOLERANCE:
                raise ValueError(f"row {true!r}: coded-risk chances must sum to 1, got {total:.6g}")
        return v

    def matrix(self) -> list[list[float]]:
        """3x3 chances, [true][coded], identity for rows left out."""
        out = []
        for i, true in enumerate(RISKS):
            row = self.coded_risk.get(true)
            out.append([float(row.get(c, 0.0)) for c in RISKS] if row is not None else [float(i == j) for j in range(3)])
        return out
