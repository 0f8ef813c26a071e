"""Distributions of durations, specified by mean/sd in minutes and sampled by inversion.

Every distribution turns uniform numbers into values with its inverse CDF. Inversion keeps
common random numbers strong: the same uniform gives a longer time when a mean grows, so
a sweep over a mean moves every call in the same direction instead of reshuffling them.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import special

from .bounds import MAX_DRAW_MIN, MAX_MINUTES, check_magnitudes

_TOP_UNIFORM = 1 - 2**-53
"""The largest number a stream's `random()` gives."""


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    @model_validator(mode="after")
    def _bounded(self):
        check_magnitudes(self, (MAX_MINUTES, "minutes"))
        try:
            with np.errstate(all="ignore"):
                top = float(np.max(self.from_uniform(np.array([0.0, 0.5, _TOP_UNIFORM]))))
        except ArithmeticError:  # parameters out of order: the family's own check says how
            return self
        if top != top:
            return self
        if not math.isfinite(top) or top > MAX_DRAW_MIN:
            raise ValueError(f"would draw times up to {top:.3g} minutes (more than {MAX_DRAW_MIN:.0e}); "
                             "the sd is far too large for the mean")
        return self

    def from_uniform(self, u: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n values drawn from this distribution with `rng`."""
        return self.from_uniform(rng.random(n))

    @property
    def mean(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError


class Constant(_Dist):
    """Always the same value."""

    dist: Literal["constant"]
    value: float = Field(ge=0, description="The value, in minutes.")

    def from_uniform(self, u):
        return np.full(np.shape(u), float(self.value))

    @property
    def mean(self):
        return float(self.value)


class Exponential(_Dist):
    """Memoryless times: the standard for Poisson-like service in queueing checks."""

    dist: Literal["exponential"]
    mean_: float = Field(gt=0, alias="mean", description="Mean, in minutes.")
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True,
                              allow_inf_nan=False)

    def from_uniform(self, u):
        return -self.mean_ * np.log1p(-np.asarray(u))

    @property
    def mean(self):
        return float(self.mean_)


class _MeanSd(_Dist):
    mean_: float = Field(gt=0, alias="mean", description="Mean, in minutes.")
    sd: float = Field(gt=0, description="Standard deviation, in minutes.")
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True,
                              allow_inf_nan=False)

    @property
    def mean(self):
        return float(self.mean_)


class Lognormal(_MeanSd):
    """Right-skewed times (on-scene, travel); parameterised by the mean and sd of the times."""

    dist: Literal["lognormal"]

    def from_uniform(self, u):
        sigma2 = math.log1p((self.sd / self.mean_) ** 2)
        mu = math.log(self.mean_) - sigma2 / 2
        return np.exp(mu + math.sqrt(sigma2) * special.ndtri(np.asarray(u)))


class Gamma(_MeanSd):
    """Right-skewed times with a lighter tail than the lognormal."""

    dist: Literal["gamma"]

    def from_uniform(self, u):
        shape = (self.mean_ / self.sd) ** 2
        scale = self.sd**2 / self.mean_
        return special.gammaincinv(shape, np.asarray(u)) * scale


class Triangular(_Dist):
    """A minimum, most likely and maximum time (for expert-elicited ranges)."""

    dist: Literal["triangular"]
    low: float = Field(ge=0, description="Minimum, in minutes.")
    mode: float = Field(ge=0, description="Most likely value, in minutes.")
    high: float = Field(ge=0, description="Maximum, in minutes.")

    @model_validator(mode="after")
    def _ordered(self):
        if not (self.low <= self.mode <= self.high) or self.low == self.high:
            raise ValueError(f"needs low <= mode <= high and low < high, got {self.low}, {self.mode}, {self.high}")
        return self

    def from_uniform(self, u):
        u = np.asarray(u)
        a, c, b = self.low, self.mode, self.high
        cut = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1 - u) * (b - a) * (b - c))
        return np.where(u < cut, left, right)

    @property
    def mean(self):
        return (self.low + self.mode + self.high) / 3


class Uniform(_Dist):
    """Any time between low and high equally likely."""

    dist: Literal["uniform"]
    low: float = Field(ge=0, description="Minimum, in minutes.")
    high: float = Field(ge=0, description="Maximum, in minutes.")

    @model_validator(mode="after")
    def _ordered(self):
        if self.high < self.low:
            raise ValueError(f"needs low <= high, got low={self.low}, high={self.high}")
        return self

    def from_uniform(self, u):
        return self.low + (self.high - self.low) * np.asarray(u)

    @property
    def mean(self):
        return (self.low + self.high) / 2


class Empirical(_Dist):
    """Resample observed times (each value equally likely)."""

    dist: Literal["empirical"]
    values: list[Annotated[float, Field(ge=0)]] = Field(min_length=1, max_length=100_000, description="Observed times, in minutes.")

    def from_uniform(self, u):
        values = np.sort(np.asarray(self.values, dtype=float))
        idx = np.minimum((np.asarray(u) * len(values)).astype(np.int64), len(values) - 1)
        return values[idx]

    @property
    def mean(self):
        return float(np.mean(self.values))


Distribution = Annotated[
    Union[Constant, Exponential, Lognormal, Gamma, Triangular, Uniform, Empirical],
    Field(discriminator="dist"),
]
"""A duration distribution: `{dist: lognormal, mean: 45, sd: 30}` and so on."""

DIST_NAMES = ("constant", "exponential", "lognormal", "gamma", "triangular", "uniform", "empirical")
