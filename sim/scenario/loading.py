"""From YAML files to a validated Scenario: `extends`, overrides, and clear error messages."""

from __future__ import annotations

import copy
import os
import difflib
import re
import types
import typing
from pathlib import Path
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from ..errors import PathValueError, ScenarioError, ScenarioErrors, short_repr
from .schema import Scenario
from .yaml_io import read_yaml


MAX_EXTENDS = 16
"""Longest `extends` chain (a city file on a region file on a base file is 3)."""


MERGE_RULES = ("mappings merge key by key; lists and single values replace the parent's; a distribution "
               "with a different `dist:` replaces the parent's whole distribution; null removes the parent's key")


def deep_merge(parent: dict, child: dict) -> dict:
    """Child keys override parent keys (the `extends` rules, MERGE_RULES).

    Mappings merge recursively and lists and values replace, except that a child distribution
    naming a different `dist` replaces the parent's whole, so that changing a distribution's
    family never inherits the old family's parameters, and a child's null removes the parent's
    key (a team, a follow-up program, a value left to its default).
    """
    out = copy.deepcopy(parent)
    for key, value in child.items():
        if value is None and key in out:
            del out[key]
        elif isinstance(value, dict) and isinstance(out.get(key), dict) and not _new_family(out[key], value):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _new_family(parent: dict, child: dict) -> bool:
    """A child that names a different distribution family replaces the parent's spec whole
    (a lognormal's `sd` must not leak into the exponential that replaces it)."""
    return "dist" in child and "dist" in parent and child["dist"] != parent["dist"]


def load_raw(path: str | Path, _chain: tuple[Path, ...] = ()) -> dict:
    """The scenario file as a dict with its `extends` chain merged in (not yet validated)."""
    path = Path(path)
    resolved = path.resolve()
    if resolved in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, resolved))
        raise ScenarioError(f"`extends` forms a cycle: {cycle}", file=str(path), path="extends")
    if len(_chain) >= MAX_EXTENDS:
        raise ScenarioError(f"`extends` goes more than {MAX_EXTENDS} files deep", file=str(path), path="extends")
    data = read_yaml(path)
    if data is None:
        raise ScenarioError("the file is empty; a scenario is a mapping with name, demand, teams, routing", file=str(path))
    if not isinstance(data, dict):
        raise ScenarioError(f"a scenario must be a mapping of keys, got {type(data).__name__}", file=str(path))
    parent_ref = data.pop("extends", None)
    if parent_ref is None:
        return data
    if not isinstance(parent_ref, str):
        raise ScenarioError(f"must be a file name, got {short_repr(parent_ref)}", file=str(path), path="extends")
    if "\0" in parent_ref:
        raise ScenarioError("a file name cannot contain a NUL character", file=str(path), path="extends")
    parent_path = path.parent / parent_ref
    try:
        found = os.path.lexists(parent_path)
    except (OSError, ValueError):
        found = False
    if not found:
        raise ScenarioError(f"parent file {short_repr(parent_ref)} not found next to this file", file=str(path),
                            path="extends")
    try:
        parent = load_raw(parent_path, (*_chain, resolved))
    except ScenarioError as exc:
        if exc.file != str(parent_path) or exc.path is not None or isinstance(exc, ScenarioErrors):
            raise
        raise ScenarioError(f"{short_repr(parent_ref)} {exc.message}", file=str(path), path="extends") from None
    return deep_merge(parent, data)


def extends_chain(path: str | Path) -> list[Path]:
    """The files a scenario is built from, the file itself first, then its parent, and so on."""
    chain = [Path(path)]
    while True:
        data = read_yaml(chain[-1])
        parent = data.get("extends") if isinstance(data, dict) else None
        if not isinstance(parent, str) or len(chain) > 50:
            return chain
        chain.append(chain[-1].parent / parent)


_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_key_path(key_path: str) -> list[str | int]:
    """`teams.peer_team.shifts[0].units` -> ['teams', 'peer_team', 'shifts', 0, 'units']."""
    parts: list[str | int] = []
    pos = 0
    text = key_path.strip()
    while pos < len(text):
        if text[pos] == ".":
            pos += 1
            continue
        m = _SEGMENT.match(text, pos)
        if not m:
            raise ScenarioError(f"cannot read key path {key_path!r} (use a.b[0].c)", path=key_path)
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if not parts:
        raise ScenarioError("empty key path", path=key_path)
    return parts


def set_key_path(data: dict, key_path: str, value: Any) -> dict:
    """A copy of `data` with the value at a dotted key path replaced (the parents must exist)."""
    out = copy.deepcopy(data)
    parts = parse_key_path(key_path)
    node: Any = out
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        here = ".".join(str(p) for p in parts[:i]) or "(top)"
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                size = len(node) if isinstance(node, list) else 0
                raise ScenarioError(f"{here} has no item [{part}] (it has {size})", path=key_path)
        elif not isinstance(node, dict):
            raise ScenarioError(f"{here} is not a mapping, so it has no key {part!r}", path=key_path)
        elif not last and part not in node:
            hint = _did_you_mean(part, list(node))
            raise ScenarioError(f"{here} has no key {part!r}{hint}", path=key_path)
        if last:
            node[part] = value
        else:
            node = node[part]
    return out


def get_key_path(data: dict, key_path: str) -> Any:
    node: Any = data
    for part in parse_key_path(key_path):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            raise ScenarioError("no such key in the scenario", path=key_path) from None
    return node


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load, merge `extends`, apply dotted-path overrides and validate one scenario file."""
    raw = load_raw(path)
    for key_path, value in (overrides or {}).items():
        try:
            raw = set_key_path(raw, key_path, value)
        except ScenarioError as exc:
            raise ScenarioError(exc.message, file=str(path), path=key_path) from None
    return validate_scenario(raw, file=str(path))


def validate_scenario(raw: dict, file: str | None = None) -> Scenario:
    """Validate plain data as a Scenario, or raise ScenarioErrors naming every problem."""
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioErrors(format_validation_errors(exc, raw, file)) from None


def _loc_to_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            out += ("." if out else "") + (text if len(text) <= 60 else text[:57] + "...")
    return out


def _did_you_mean(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _unwrap(annotation):
    """Strip Optional/Annotated from a type."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
            else:
                return args
        else:
            return annotation


def _model_at(loc: tuple, root: type[BaseModel] = Scenario) -> type[BaseModel] | None:
    """The pydantic model class that sits at a validation-error location."""
    current: Any = root
    i = 0
    while i < len(loc):
        part = loc[i]
        if isinstance(current, list):  # a discriminated union: the tag names the member
            current = next((m for m in current if _tag(m) == part), None)
            if current is None:
                return None
            i += 1
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next(
                (f for n, f in current.model_fields.items() if n == part or f.alias == part), None
            )
            if field is None:
                return None
            current = _unwrap(field.annotation)
            i += 1
            continue
        origin = typing.get_origin(current)
        if origin is dict:
            current = _unwrap(typing.get_args(current)[1])
            i += 1
        elif origin is list:
            current = _unwrap(typing.get_args(current)[0])
            i += 1
        else:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _tag(model) -> str | None:
    field = getattr(model, "model_fields", {}).get("dist")
    if field is None:
        return None
    args = typing.get_args(field.annotation)
    return args[0] if args else None


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


def format_validation_errors(exc: ValidationError, raw: Any, file: str | None,
                             root: type[BaseModel] = Scenario) -> list[ScenarioError]:
    """Turn pydantic errors into messages a file's author can act on (`root`: the file's model)."""
    out: list[ScenarioError] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        etype = err["type"]
        # discriminated-union tags appear in loc; drop them from the user-facing path
        user_loc = tuple(p for p in loc if not (isinstance(p, str) and p in _DIST_TAGS and _parent_is_dist(loc, p)))
        path = _loc_to_path(user_loc)
        if etype == "extra_forbidden":
            parent_model = _model_at(loc[:-1], root)
            key = loc[-1]
            if parent_model is not None:
                allowed = _allowed_keys(parent_model)
                msg = f"unknown key {short_repr(key)}{_did_you_mean(str(key)[:100], allowed)}; allowed keys: {', '.join(allowed)}"
            else:
                msg = f"unknown key {short_repr(key)}"
        elif etype == "missing":
            msg = "required key is missing"
        elif etype == "union_tag_invalid" or etype == "union_tag_not_found":
            msg = (
                f"unknown distribution {short_repr(err['input'].get('dist') if isinstance(err.get('input'), dict) else err.get('input'))}; "
                f"allowed: {', '.join(_DIST_TAGS)}"
                if etype == "union_tag_invalid"
                else f"a distribution needs `dist:` one of {', '.join(_DIST_TAGS)}"
            )
        else:
            ctx_error = (err.get("ctx") or {}).get("error")
            if isinstance(ctx_error, PathValueError):
                path = _join_path(path, ctx_error.path)
                msg = ctx_error.message
            else:
                msg = err["msg"].removeprefix("Value error, ")
                if etype == "string_pattern_mismatch":
                    msg = "must use only lowercase letters, digits and _"
                if "input" in err and etype not in ("model_type", "dict_type", "value_error"):
                    msg += f" (got {short_repr(err['input'])})"
        out.append(ScenarioError(msg, file=file, path=path or None))
    return out


def _join_path(prefix: str, rel: str) -> str:
    if not prefix:
        return rel
    return prefix + ("" if rel.startswith("[") else ".") + rel


_DIST_TAGS = ("constant", "exponential", "lognormal", "gamma", "triangular", "uniform", "empirical")


def _parent_is_dist(loc: tuple, part: str) -> bool:
    idx = loc.index(part)
    return isinstance(_model_at(loc[:idx]), type(None)) and _model_at(loc[: idx + 1]) is not None
