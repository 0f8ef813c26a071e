"""Named random streams: one generator per (seed, replication, name).

A stream is found by its name, never by its position in a list, so adding a team or a
distribution leaves every other stream, and so every other draw, unchanged.
"""

from __future__ import annotations

import hashlib

import numpy as np


def name_key(name: str) -> int:
    """A stable 64-bit number for a stream name (Python's hash() changes per process)."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator for one named stream of one replication."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, replication, name_key(name)])))


def uniforms(seed: int, replication: int, name: str, n: int) -> np.ndarray:
    """n uniforms on [0, 1) from a named stream."""
    return stream(seed, replication, name).random(n)
