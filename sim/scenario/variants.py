"""Scenario variants: the one way to derive a scenario from another.

Sweeps, the staffing finder, sensitivity samples, parameter draws and the planner's page all
make variants the same way: set values at dotted key paths (`teams.peer_team.shifts[0].units`),
give the variant its own name and label, and validate it as a whole scenario. A value set at
a path replaces what was there entirely, so setting a distribution replaces its whole spec.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..errors import ScenarioError, ScenarioErrors
from .loading import set_key_path, validate_scenario
from .schema import Scenario


def short_value(value: Any) -> str:
    """A set value in a message or label: 3 rather than 3.0, mappings and lists as JSON."""
    import json

    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else str(value)


def apply_changes(raw: Mapping[str, Any], changes: Mapping[str, Any]) -> dict:
    """A copy of plain scenario data with each key path set (ScenarioError names a missing path)."""
    data = dict(raw)
    for key_path, value in changes.items():
        data = set_key_path(data, key_path, value)
    return data


def derive(scenario: Scenario | Mapping[str, Any], changes: Mapping[str, Any], name: str,
           label: str | None = None, file: str | None = None, context: str | None = None) -> Scenario:
    """A validated variant of `scenario` with `changes` (key path -> value), `name` and `label`.

    `scenario` is a Scenario or its plain data (as read from YAML, `extends` merged). A key
    path that does not exist raises ScenarioError with that path; a variant that is not a valid
    scenario raises ScenarioErrors whose messages start with `context` (default: the changes,
    "with k=v, ...") so the user sees which changes made it invalid.
    """
    raw = scenario.to_dict(derived=False) if isinstance(scenario, Scenario) else scenario
    if label is None:
        label = raw.get("label") or raw.get("name")
    data = {**apply_changes(raw, changes), "name": name, "label": label}
    try:
        return validate_scenario(data, file=file)
    except ScenarioErrors as exc:
        if context is None:
            context = "with " + ", ".join(f"{k}={short_value(v)}" for k, v in changes.items())
        raise ScenarioErrors([ScenarioError(f"{context}: {e.message}", file=e.file, path=e.path)
                              for e in exc.errors]) from None
