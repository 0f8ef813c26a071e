"""Outcomes: the reference table, effects against it, and the one function that resolves a cell.

The scenario's top-level `outcomes:` says what happens when police respond, at four levels
(`default`, `by_risk`, `by_type`, `by_type_risk`). A team either states `effects` (risk
ratios against the reference for the same call type and risk, optionally `effects_by_type`)
or its own absolute table with the same four levels, or both (absolute values replace the
reference's for the keys and calls they give). Roles may carry effect tables too: every
effect table that applies multiplies a value taken from the reference, so effects combine
multiplicatively; a value a team states absolutely is used as stated.

Resolution of one key for one (call type, risk) cell, first value found wins:
the team's own table (by_type_risk, by_type, by_risk, default), then the reference table in
the same order, then 0; a value from the reference is then multiplied by every effect
table's ratio for that key (its `by_type` entry for the call type if it gives the key,
else its general ratio, else 1).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import Field, field_validator

from .common import (
    DISPOSITIONS, OUTCOME_KEYS, RISKS, SHARE_TOLERANCE, Identifier, Probability, Risk, Strict,
)

LEVELS = ("default", "by_risk", "by_type", "by_type_risk")


class OutcomeCell(Strict):
    """Chances for some calls; keys left out fall back to a less specific level."""

    arrest: Probability | None = Field(None, description="Chance the call ends in an arrest.")
    involuntary_hold: Probability | None = Field(None, description="Chance of an involuntary psychiatric hold.")
    ed_transport: Probability | None = Field(None, description="Chance of a transport to an emergency department.")
    crisis_center: Probability | None = Field(None, description="Chance of a drop-off at a crisis centre.")
    linked_to_services: Probability | None = Field(None, description="Chance of a warm hand-off to services.")
    use_of_force: Probability | None = Field(None, description="Chance of use of force (independent of the disposition).")
    injury: Probability | None = Field(None, description="Chance of an injury to anyone at the scene (independent).")

    def given(self) -> dict[str, float]:
        return {k: v for k in OUTCOME_KEYS if (v := getattr(self, k)) is not None}


class OutcomeTable(Strict):
    """Chances at four levels; the most specific level that gives a key wins."""

    default: OutcomeCell = Field(default_factory=OutcomeCell, description="For every call.")
    by_risk: dict[Risk, OutcomeCell] = Field(default_factory=dict, description="By true risk level.")
    by_type: dict[Identifier, OutcomeCell] = Field(default_factory=dict, description="By call type (over by_risk).")
    by_type_risk: dict[Identifier, dict[Risk, OutcomeCell]] = Field(
        default_factory=dict, description="By call type and true risk (the most specific)."
    )

    @field_validator("default", mode="before")
    @classmethod
    def _none_is_empty(cls, v):
        return {} if v is None else v

    def lookup(self, key: str, call_type: str, risk: str) -> tuple[float, str] | None:
        """(value, level path) of the most specific level giving `key` for the cell, or None."""
        for value, where in self._levels(call_type, risk):
            if value is not None and getattr(value, key) is not None:
                return getattr(value, key), where
        return None

    def _levels(self, call_type: str, risk: str):
        yield self.by_type_risk.get(call_type, {}).get(risk), f"by_type_risk.{call_type}.{risk}"
        yield self.by_type.get(call_type), f"by_type.{call_type}"
        yield self.by_risk.get(risk), f"by_risk.{risk}"
        yield self.default, "default"

    def call_types(self) -> set[str]:
        return set(self.by_type) | set(self.by_type_risk)


def legacy_table(data) -> dict:
    """A 0.1 team `outcomes:` (flat disposition chances) as the `default` level of a table."""
    if isinstance(data, dict) and data and not set(data) & set(LEVELS):
        return {"default": data}
    return data


class Effects(Strict):
    """Risk ratios against the reference for the same call type and risk; keys left out are 1."""

    arrest: float | None = Field(None, ge=0, description="Ratio for arrests (e.g. 0.2: a fifth of the reference).")
    involuntary_hold: float | None = Field(None, ge=0, description="Ratio for involuntary holds.")
    ed_transport: float | None = Field(None, ge=0, description="Ratio for ED transports.")
    crisis_center: float | None = Field(None, ge=0, description="Ratio for crisis-centre drop-offs.")
    linked_to_services: float | None = Field(None, ge=0, description="Ratio for linkage to services (e.g. 3.0).")
    use_of_force: float | None = Field(None, ge=0, description="Ratio for use of force.")
    injury: float | None = Field(None, ge=0, description="Ratio for injuries.")


@dataclass(frozen=True)
class EffectTable:
    """One source of effects (a team, a role): general ratios and ratios for particular call types."""

    effects: Effects | None = None
    effects_by_type: dict[str, Effects] | None = None
    path: str = ""  # key path of the source, for messages

    def ratio(self, key: str, call_type: str) -> tuple[float, str] | None:
        specific = (self.effects_by_type or {}).get(call_type)
        if specific is not None and getattr(specific, key) is not None:
            return getattr(specific, key), f"{self.path}effects_by_type.{call_type}"
        if self.effects is not None and getattr(self.effects, key) is not None:
            return getattr(self.effects, key), f"{self.path}effects"
        return None


@dataclass(frozen=True)
class Cell:
    """Resolved chances for one (call type, risk): every key of OUTCOME_KEYS, and where each came from."""

    values: dict[str, float]
    sources: dict[str, tuple[str, ...]]

    def dispositions(self) -> tuple[float, ...]:
        return tuple(self.values[d] for d in DISPOSITIONS)

    def __getitem__(self, key: str) -> float:
        return self.values[key]


LINK = "linked_to_services"


def saturated_linkage(values: dict[str, float], before: float) -> float:
    """Linkage after a gain: it comes out of "resolved on scene", so a ratio above 1 links at most
    everyone the other dispositions leave (never less than `before`, the chance before the gain)."""
    if values[LINK] <= before:
        return values[LINK]
    others = sum(values[d] for d in DISPOSITIONS if d != LINK)
    return min(values[LINK], max(before, 1.0 - others))


def resolve_cell(tables: Sequence[tuple[OutcomeTable | None, str]], effects: Iterable[EffectTable],
                 call_type: str, risk: str) -> Cell:
    """The chances for one cell: the first table (in order) giving each key; a value from the
    last table (the reference) times every effect ratio.

    `tables` pairs each absolute table with the key path it came from, most authoritative first
    (a team's own table, then the reference, last). Effects multiply, so a team's and its
    roles' effects combine; they are ratios against the reference, so a value a team states
    absolutely is not scaled.
    """
    effects = list(effects)
    unscaled = 0.0  # linkage before the effects' ratios
    values: dict[str, float] = {}
    sources: dict[str, tuple[str, ...]] = {}
    for key in OUTCOME_KEYS:
        value, src, from_reference = 0.0, [], True
        for i, (table, path) in enumerate(tables):
            found = table.lookup(key, call_type, risk) if table is not None else None
            if found is not None:
                value, src, from_reference = found[0], [f"{path}{found[1]}"], i == len(tables) - 1
                break
        if key == LINK:
            unscaled = value
        for table in effects if from_reference else ():
            r = table.ratio(key, call_type)
            if r is not None:
                value *= r[0]
                src.append(r[1])
        values[key] = value
        sources[key] = tuple(src)
    values[LINK] = saturated_linkage(values, unscaled)
    return Cell(values, sources)


def check_cell(cell: Cell, call_type: str, risk: str, fallback_path: str) -> None:
    """Raise PathValueError naming the cell (and the key that set it) if its chances are impossible."""
    from ..errors import PathValueError

    what = f"{risk}-risk {call_type} calls"
    for key in OUTCOME_KEYS:
        if cell.values[key] > 1 + SHARE_TOLERANCE:
            raise PathValueError(
                _path(cell.sources[key], fallback_path),
                f"{key} chance for {what} resolves to {cell.values[key]:.4g} (over 1) from "
                f"{' x '.join(cell.sources[key])}; chances must be in [0, 1]",
            )
    total = sum(cell.dispositions())
    if total > 1 + SHARE_TOLERANCE:
        parts = [k for k in DISPOSITIONS if cell.values[k] > 0]
        paths = sorted({p for k in parts for p in cell.sources[k]}, key=_specificity, reverse=True)
        raise PathValueError(
            paths[0] if paths else fallback_path,
            f"disposition chances for {what} must sum to at most 1, got {total:.6g} ("
            + ", ".join(f"{k} {cell.values[k]:.4g}" for k in parts)
            + ") from " + ", ".join(paths),
        )


def _specificity(path: str) -> int:
    return sum(level in path for level in ("by_type_risk", "by_type", "effects_by_type")) * 2 + (
        "by_risk" in path) + ("effects" in path and "by_type" not in path)


def _path(sources: tuple[str, ...], fallback: str) -> str:
    return sources[-1] if sources else fallback


def resolve_table(tables, effects, call_types: Sequence[str]) -> dict[str, dict[str, Cell]]:
    """Every (call type, risk) cell, resolved."""
    effects = list(effects)
    return {ct: {risk: resolve_cell(tables, effects, ct, risk) for risk in RISKS} for ct in call_types}


def team_sources(scenario, team_name: str, extra_effects: Sequence[EffectTable] = ()):
    """(absolute tables most authoritative first, effect tables) that decide a team's outcomes."""
    team = scenario.teams[team_name]
    prefix = f"teams.{team_name}."
    tables = [(team.own_outcome_table(), prefix + "outcomes."), (scenario.outcomes, "outcomes.")]
    effects = [EffectTable(team.effects, team.effects_by_type, prefix), *extra_effects]
    return tables, effects


def team_outcomes(scenario, team_name: str) -> dict[str, dict[str, Cell]]:
    """A team's resolved outcomes for every call type and risk."""
    tables, effects = team_sources(scenario, team_name)
    return resolve_table(tables, effects, list(scenario.demand.call_types))


def validate_outcomes(scenario) -> None:
    """Check the reference and every (team, type, risk) cell; the error names the cell and key path."""
    from ..errors import PathValueError

    types = list(scenario.demand.call_types)

    def known(path: str, names: Iterable[str]) -> None:
        for name in names:
            if name not in types:
                raise PathValueError(f"{path}.{name}", f"unknown call type {name!r}; allowed: {', '.join(types)}")

    if scenario.outcomes is not None:
        known("outcomes.by_type", scenario.outcomes.by_type)
        known("outcomes.by_type_risk", scenario.outcomes.by_type_risk)
        reference = resolve_table([(scenario.outcomes, "outcomes.")], [], types)
        for ct, row in reference.items():
            for risk, cell in row.items():
                check_cell(cell, ct, risk, "outcomes")
    for name, team in scenario.teams.items():
        table = team.own_outcome_table()
        if table is not None:
            known(f"teams.{name}.outcomes.by_type", table.by_type)
            known(f"teams.{name}.outcomes.by_type_risk", table.by_type_risk)
        known(f"teams.{name}.effects_by_type", team.effects_by_type)
        if (team.effects is not None or team.effects_by_type) and scenario.outcomes is None:
            raise PathValueError(
                f"teams.{name}.effects",
                "effects are ratios against the reference table: add a top-level `outcomes:` (what happens "
                "when police respond), or give the team an absolute `outcomes:` table instead",
            )
        for ct, row in team_outcomes(scenario, name).items():
            for risk, cell in row.items():
                check_cell(cell, ct, risk, f"teams.{name}.outcomes")


def mix_average(scenario, team_name: str) -> dict[str, float]:
    """A team's chances averaged over the scenario's call mix (type share x risk share), for summaries."""
    table = team_outcomes(scenario, team_name)
    out = dict.fromkeys(OUTCOME_KEYS, 0.0)
    for ct, spec in scenario.demand.call_types.items():
        for risk, share in zip(RISKS, spec.risk_shares()):
            for key in OUTCOME_KEYS:
                out[key] += spec.share * share * table[ct][risk].values[key]
    return out
