"""What `crisis-sim app` was started with, handed to the page in environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_SCENARIOS = "CRISIS_SIM_APP_SCENARIOS"
ENV_RESULTS = "CRISIS_SIM_APP_RESULTS"
ENV_WORKERS = "CRISIS_SIM_APP_WORKERS"
ENV_DAYS = "CRISIS_SIM_APP_DAYS"
ENV_WARMUP = "CRISIS_SIM_APP_WARMUP_DAYS"
ENV_REPLICATIONS = "CRISIS_SIM_APP_REPLICATIONS"


@dataclass(frozen=True)
class AppConfig:
    """Scenario files given, where results go, worker processes, and the page's starting run settings."""

    scenarios: tuple[Path, ...]
    results: Path
    workers: int
    days: float
    replications: int
    warmup_days: float | None = None


def config() -> AppConfig:
    env = os.environ
    files = tuple(Path(p) for p in env.get(ENV_SCENARIOS, "").split(os.pathsep) if p)
    return AppConfig(files, Path(env.get(ENV_RESULTS, "results")), int(env.get(ENV_WORKERS) or os.cpu_count() or 1),
                     float(env.get(ENV_DAYS) or 365), int(env.get(ENV_REPLICATIONS) or 5),
                     float(env[ENV_WARMUP]) if env.get(ENV_WARMUP) else None)


def environment(scenarios: list[Path], results: Path, workers: int, days: float | None, warmup_days: float | None,
                replications: int | None) -> dict[str, str]:
    """The variables that hand these settings to the page."""
    return {ENV_SCENARIOS: os.pathsep.join(str(p.resolve()) for p in scenarios), ENV_RESULTS: str(results.resolve()),
            ENV_WORKERS: str(workers), ENV_DAYS: "" if days is None else f"{days:g}",
            ENV_WARMUP: "" if warmup_days is None else f"{warmup_days:g}",
            ENV_REPLICATIONS: "" if replications is None else str(replications)}
