"""From a planner's edits to a validated scenario variant.

The page shows a few fields per scenario (team units and shift hours, routing waits and
shares, key assumptions); each field is a key path into the scenario's plain data. Edits
become a variant through the same validation as `crisis-sim check`, and every error is
attached to the field it concerns so the page can show it there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

import yaml

from ..errors import ScenarioError, ScenarioErrors
from ..scenario.loading import set_key_path
from ..scenario.schema import DAYS, Scenario
from ..scenario.variants import derive

Kind = Literal["int", "number", "share", "time", "days", "wait"]
MORE = "more"
"""The field holding free-form `key.path: value` lines."""


@dataclass(frozen=True)
class Field:
    """One editable value: where it lives in the scenario, how to show it, and its current value."""

    path: str
    label: str
    group: str
    kind: Kind
    value: Any
    help: str = ""


def _team_fields(team_id: str, team: Mapping[str, Any], cost: float | None = None) -> list[Field]:
    """`cost`: the team's cost per unit-hour as the scenario resolves it (its members' roles' pay when the
    file does not set one), shown instead of 0 for a team whose cost comes from its roles."""
    group = team.get("label") or team_id
    base = f"teams.{team_id}"
    out: list[Field] = []
    if "shifts" in team:
        for i, shift in enumerate(team["shifts"]):
            where = f"{base}.shifts[{i}]"
            n = f"shift {i + 1}" if len(team["shifts"]) > 1 else "shift"
            out += [
                Field(f"{where}.units", f"Units on {n}", group, "int", shift["units"]),
                Field(f"{where}.start", f"{n.capitalize()} starts", group, "time", shift["start"], 'Clock time "HH:MM".'),
                Field(f"{where}.end", f"{n.capitalize()} ends", group, "time", shift["end"],
                      'Clock time "HH:MM", up to "24:00"; after the start.'),
                Field(f"{where}.days", f"{n.capitalize()} days", group, "days", list(shift["days"])),
            ]
    else:
        out.append(Field(f"{base}.units", "Units around the clock", group, "int", team.get("units", 0)))
    from_roles = "cost_per_unit_hour" not in team and bool(team.get("members")) and cost is not None
    out.append(Field(f"{base}.cost_per_unit_hour", "Cost per staffed unit-hour", group, "number",
                     cost if from_roles else team.get("cost_per_unit_hour", 0.0),
                     "The sum of its members' hourly pay (their roles); a value typed here replaces it."
                     if from_roles else ""))
    scene = team.get("on_scene_min", {})
    for key in ("mean", "value"):
        if key in scene:
            out.append(Field(f"{base}.on_scene_min.{key}", "Time on scene, mean (min)", group, "number", scene[key],
                             f"Mean of the team's {scene.get('dist', '')} on-scene time."))
            break
    backup = team.get("backup") or {}
    if "probability" in backup:
        out.append(Field(f"{base}.backup.probability", "Chance backup is asked for", group, "share",
                         backup["probability"]))
    for risk, chance in (backup.get("probability_by_risk") or {}).items():
        out.append(Field(f"{base}.backup.probability_by_risk.{risk}", f"Chance backup is asked for, {risk} risk",
                         group, "share", chance, "By the call's true risk, when the team arrives on scene."))
    return out


def _routing_fields(raw: Mapping[str, Any]) -> list[Field]:
    out: list[Field] = []
    teams = raw.get("teams", {})
    for i, rule in enumerate(raw.get("routing", [])):
        send = rule.get("send", [])
        if len(send) < 2 and rule.get("share", 1.0) == 1.0:
            continue
        who = " → ".join(teams.get(t, {}).get("label") or t for t in send)
        if len(send) > 1:
            out.append(Field(f"routing[{i}].max_wait_min", "Wait for a busy first team (min)", "Routing", "wait",
                             rule.get("max_wait_min"), f"{who}. Empty: wait as long as it takes."))
        if rule.get("match"):
            out.append(Field(f"routing[{i}].share", "Share of matching calls this rule takes", "Routing", "share",
                             rule.get("share", 1.0), f"{who}. The rest go on to the next rule."))
    return out


def editable_fields(raw: Mapping[str, Any]) -> list[Field]:
    """The fields the page offers for a scenario's plain data (`extends` merged)."""
    out = [Field("demand.crisis_calls_per_day", "Crisis calls per day", "City", "number",
                 raw["demand"]["crisis_calls_per_day"], "First-time crises; repeat crises come on top.")]
    try:
        costs = {t: team.cost_per_unit_hour for t, team in Scenario.model_validate(raw).teams.items()}
    except (ValueError, TypeError):  # the page shows the file's own values; its errors come from the checks
        costs = {}
    for team_id, team in raw.get("teams", {}).items():
        out += _team_fields(team_id, team, costs.get(team_id))
    out += _routing_fields(raw)
    return out


def parse_more(text: str) -> dict[str, Any]:
    """`key.path: value` lines (YAML values) as changes; ScenarioError at the MORE field for a bad line."""
    changes: dict[str, Any] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            raise ScenarioError(f"line {n}: write `key.path: value`, e.g. `teams.peer_team.follow_up.probability: 0.6`",
                                path=MORE)
        try:
            changes[key.strip()] = yaml.safe_load(value) if value.strip() else None
        except yaml.YAMLError as exc:
            raise ScenarioError(f"line {n}: cannot read the value {value.strip()!r} ({exc.__class__.__name__})",
                                path=MORE) from None
    return changes


def changes_from(fields: list[Field], values: Mapping[str, Any]) -> dict[str, Any]:
    """The key paths whose value differs from the scenario's own."""
    by_path = {f.path: f for f in fields}
    return {path: value for path, value in values.items() if path in by_path and value != by_path[path].value}


def variant_name(raw: Mapping[str, Any], changes: Mapping[str, Any]) -> tuple[str, str]:
    """(name, label) of an edited scenario; the scenario's own when nothing changed."""
    label = raw.get("label") or raw["name"]
    return (f"{raw['name']}_edited", f"{label} (edited)") if changes else (raw["name"], label)


def make_variant(raw: Mapping[str, Any], changes: Mapping[str, Any], name: str, label: str) -> Scenario:
    """The validated scenario with `changes` applied (ScenarioError/ScenarioErrors name the key path)."""
    try:
        return derive(dict(raw), changes, name, label, context="")
    except ScenarioErrors as exc:  # next to its field a message stands alone, as `check` prints it
        raise ScenarioErrors([ScenarioError(e.message.removeprefix(": "), file=e.file, path=e.path)
                              for e in exc.errors]) from None


@dataclass
class Checked:
    """The outcome of checking a scenario's edits: the variant, or the errors by field."""

    scenario: Scenario | None
    changes: dict[str, Any]
    by_field: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.scenario is not None


def _owner(path: str | None, fields: list[Field], extra: Mapping[str, Any]) -> str | None:
    """The field an error at `path` belongs to: the longest field path that contains it."""
    if not path:
        return None
    if path == MORE or path in extra or any(path.startswith(k + ".") or path.startswith(k + "[") for k in extra):
        return MORE
    best = None
    for f in fields:
        if path == f.path or path.startswith(f.path + ".") or path.startswith(f.path + "["):
            if best is None or len(f.path) > len(best):
                best = f.path
    return best


def check_edits(raw: Mapping[str, Any], fields: list[Field], values: Mapping[str, Any], more: str = "") -> Checked:
    """Apply the page's values (and MORE lines) to `raw` and validate, as `crisis-sim check` would."""
    changes = changes_from(fields, values)
    try:
        extra = parse_more(more)
    except ScenarioError as exc:
        return Checked(None, changes, {MORE: [exc.message]})
    changes.update(extra)
    name, label = variant_name(raw, changes)
    errors: list[ScenarioError] = []
    for key_path, value in changes.items():  # a path that does not exist, each on its own
        try:
            set_key_path(dict(raw), key_path, value)
        except ScenarioError as exc:
            errors.append(exc)
    try:
        scenario = make_variant(raw, {k: v for k, v in changes.items() if k not in {e.path for e in errors}},
                                name, label)
    except ScenarioError as exc:
        errors += exc.errors if isinstance(exc, ScenarioErrors) else [exc]
    if errors:
        out = Checked(None, changes)
        for err in errors:
            text = f"{err.path}: {err.message}" if err.path else err.message
            owner = _owner(err.path, fields, extra)
            if owner is None:
                out.general.append(text)
            else:
                out.by_field.setdefault(owner, []).append(text)
        return out
    return Checked(scenario, changes)


def day_options() -> tuple[str, ...]:
    return DAYS
