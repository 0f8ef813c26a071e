"""Reading YAML safely: regular files only, with caps on size, nesting and alias expansion.

A scenario is a few kilobytes written by a person. These caps sit far above that and far
below what could hurt the machine: a 600-byte file of nested aliases (a "billion laughs")
expands to a billion nodes, and anything that walks it (validation, an error message, a
copy) would never finish. The caps are checked on the parsed events and node graph, before
any Python object is built from them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from ..errors import ScenarioError

MAX_FILE_BYTES = 4 * 1024 * 1024
"""Largest YAML file read (4 MiB: room for long empirical lists of times)."""
MAX_DEPTH = 50
"""Deepest nesting of mappings and lists (a scenario uses about 8)."""
MAX_NODES = 1_000_000
"""Most values in a file once aliases are expanded (each alias counts the whole value it repeats)."""

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Loader(yaml.SafeLoader):
    """Safe YAML that rejects a key given twice in one mapping (YAML would keep the last) and
    supports merge keys (`<<: *defaults`: the mapping's own keys win over merged ones)."""


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
        except TypeError:  # an unhashable key (a list or mapping used as a key)
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain value, not a list or mapping", key_node.start_mark
            ) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {str(key)[:60]!r} appears twice in one mapping", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_capped(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """The text of a regular file of at most `limit` bytes, or a ScenarioError saying why not."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ScenarioError("file not found", file=str(path)) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
    if not stat.S_ISREG(info.st_mode):
        what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a device, pipe or socket)"
        raise ScenarioError(f"is {what}; give a YAML file", file=str(path))
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise ScenarioError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None
    if len(data) > limit:
        raise ScenarioError(f"is larger than {limit // (1024 * 1024)} MiB; a scenario file is a few kilobytes",
                            file=str(path))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"is not UTF-8 text (byte {exc.start})", file=str(path)) from None


def _check_depth(text: str, file: str) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                raise ScenarioError(f"line {mark.line + 1}: nested more than {MAX_DEPTH} levels deep; "
                                    "a scenario needs about 8", file=file)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _check_expansion(root: yaml.Node, file: str) -> None:
    """Count the values a node graph stands for once aliases are expanded (shared nodes counted
    each time they are used), without expanding it."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(v) for v in node.value)
        else:
            total = 1
        sizes[id(node)] = total
        if total > MAX_NODES:
            raise ScenarioError(f"aliases (`*name`) expand to more than {MAX_NODES:,} values; a scenario needs "
                                "a few hundred (is this a YAML alias bomb?)", file=file)
        return total

    size(root)


def load_yaml_text(text: str, file: str) -> Any:
    """Parse YAML text within the caps, turning syntax problems into ScenarioError."""
    loader = None
    try:
        _check_depth(text, file)
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, file)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"YAML syntax error: {where}{str(problem)[:200]}", file=file) from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer of more than 4,300 digits
        raise ScenarioError(f"cannot read a value: {str(exc)[:200]}", file=file) from None
    finally:
        if loader is not None:
            loader.dispose()


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file (a regular file within the caps), or raise ScenarioError naming the file."""
    return load_yaml_text(read_capped(Path(path)), str(path))
