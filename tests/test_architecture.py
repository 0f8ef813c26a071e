"""The architecture holds: layers import only downward, the public API checks itself, the
metric catalogue is complete and docs/metrics.md agrees with it."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import sim
from sim.analysis import catalogue

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sim"

# layer -> layers it must never import
FORBIDDEN = {
    "scenario": {"engine", "analysis", "citydata", "designs", "outputs", "cli", "app"},
    "engine": {"analysis", "citydata", "designs", "outputs", "cli", "app"},
    "analysis": {"citydata", "designs", "outputs", "cli", "app"},
    # a city's own data makes scenarios: it may read scenario, run the engine, measure with analysis
    "citydata": {"designs", "outputs", "cli", "app"},
    "designs": {"outputs", "cli", "app"},
    "outputs": {"cli", "app"},
}


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "sim" or len(parts) < 2:
        return None
    return parts[1].removesuffix(".py")


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports (absolute names), at any depth of the file (lazy imports too)."""
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            # `from . import x` names submodules
            if not node.module:
                found += [(node.lineno, f"{name}.{a.name}") for a in node.names]
    return found


def layer_violations(root: Path = PACKAGE) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        layer = _layer_of(".".join(path.relative_to(ROOT).with_suffix("").parts))
        if layer not in FORBIDDEN:
            continue
        for line, name in _imports(path):
            target = _layer_of(name)
            if target in FORBIDDEN[layer]:
                problems.append(f"{path.relative_to(ROOT)}:{line} ({layer}) imports {name} ({target})")
    return problems


def test_layers_import_only_downward():
    assert layer_violations() == []


def test_the_layer_check_can_fail(tmp_path):
    bad = tmp_path / "sim" / "engine"
    bad.mkdir(parents=True)
    (bad / "model.py").write_text("def f():\n    from ..outputs.plots import draw_all\n")
    global ROOT
    saved = ROOT
    ROOT = tmp_path
    try:
        assert layer_violations(tmp_path / "sim") == ["sim/engine/model.py:2 (engine) imports sim.outputs.plots (outputs)"]
    finally:
        ROOT = saved


def test_public_api_is_the_layer_table_and_every_name_resolves():
    table = [name for names in sim.API.values() for name in names]
    assert sorted(sim.__all__) == sorted(table)
    assert len(set(table)) == len(table)
    for layer, names in sim.API.items():
        for name, module in names.items():
            assert module.split(".")[0] in (layer, "errors"), f"{name} listed under {layer} but defined in {module}"
            value = getattr(sim, name)
            assert getattr(importlib.import_module(f"sim.{module}"), name) is value


def test_unknown_public_name_is_an_attribute_error():
    with pytest.raises(AttributeError):
        sim.no_such_thing  # noqa: B018


def test_every_metric_a_replication_produces_is_catalogued():
    from sim.designs.experiment import ReplicationJob, run_replication
    from sim.scenario.loading import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / "peer_embedded.yaml")
    tables = run_replication(ReplicationJob(scenario, 0, 1, days=3, warmup_days=0))
    summary = tables["summary"]
    system = set(summary.loc[summary["team"] == "", "metric"])
    team = set(summary.loc[summary["team"] != "", "metric"])
    assert system <= set(catalogue.SYSTEM_METRICS), system - set(catalogue.SYSTEM_METRICS)
    assert team <= set(catalogue.TEAM_METRICS), team - set(catalogue.TEAM_METRICS)
    for name in system | team:
        entry = catalogue.METRICS[name]
        assert entry.label and entry.definition and entry.unit in ("count", "minutes", "hours", "share", "money")


def test_docs_metrics_page_matches_the_catalogue():
    doc = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert "<!-- catalogue:system -->" in doc and "<!-- catalogue:team -->" in doc
    assert catalogue.metrics_markdown(doc) == doc, "docs/metrics.md is out of date: run `make docs`"


def test_no_module_changes_matplotlib_state_at_import():
    import subprocess
    import sys

    code = ("import matplotlib; before = matplotlib.get_backend(), dict(matplotlib.rcParams);"
            "import sim.outputs.plots, sim.outputs.design_charts, sim.outputs.report, sim.outputs.style;"
            "after = matplotlib.get_backend(), dict(matplotlib.rcParams);"
            "assert before == after, 'matplotlib settings changed at import'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
