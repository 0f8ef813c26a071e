"""Randomness is named: no global random state anywhere in the package."""

from __future__ import annotations

import re

import numpy as np

from helpers import ROOT
from sim.engine.streams import stream

GLOBAL_RANDOM = re.compile(
    r"(?<![\w.])(np\.random\.(seed|rand|randn|randint|choice|normal|exponential|uniform|random|poisson|gamma|lognormal)\("
    r"|random\.(seed|random|choice|randint|uniform|expovariate|gauss|shuffle|sample)\()"
)


def test_no_global_random_calls_in_the_package():
    offenders = []
    for path in sorted((ROOT / "sim").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if GLOBAL_RANDOM.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_grep_would_catch_a_global_call():
    assert GLOBAL_RANDOM.search("x = np.random.normal(0, 1)")
    assert GLOBAL_RANDOM.search("random.seed(4)")
    assert not GLOBAL_RANDOM.search("rng = np.random.default_rng(seed)")


def test_streams_depend_on_seed_replication_and_name_only():
    a = stream(1, 0, "call.type").random(5)
    assert np.array_equal(a, stream(1, 0, "call.type").random(5))
    for other in (stream(2, 0, "call.type"), stream(1, 1, "call.type"), stream(1, 0, "call.risk")):
        assert not np.array_equal(a, other.random(5))
