"""Uncertain inputs: a scenario's `uncertainty:` section, key path -> distribution.

```yaml
uncertainty:
  teams.peer_team.cost_per_unit_hour: {dist: uniform, low: 180, high: 300}
  teams.peer_team.backup.probability: {dist: beta, mean: 0.03, sd: 0.015}
```

Key paths use the sweep syntax (`a.b[0].c`) and name a number of the resolved scenario.
Parameters may use every duration distribution (parameterised as usual by mean/sd) and
`beta` (by mean and sd, for chances and ratios in [0, 1]). Each is sampled by inversion
of one uniform, so a draw's value comes from one named stream per key path.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy import special

from ..errors import PathValueError
from .bounds import check_magnitudes
from .distributions import Constant, Empirical, Exponential, Gamma, Lognormal, Triangular, Uniform


class Beta(BaseModel):
    """A chance or ratio in [0, 1], by its mean and sd (needs sd² < mean × (1 − mean))."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True, allow_inf_nan=False)

    dist: Literal["beta"]
    mean_: float = Field(gt=0, lt=1, alias="mean", description="Mean, between 0 and 1.")
    sd: float = Field(gt=0, description="Standard deviation.")

    @model_validator(mode="after")
    def _feasible(self):
        if self.sd**2 >= self.mean_ * (1 - self.mean_):
            limit = math.sqrt(self.mean_ * (1 - self.mean_))
            raise ValueError(f"a beta with mean {self.mean_:g} needs sd below {limit:.4g}, got {self.sd:g}")
        return self

    def _shapes(self) -> tuple[float, float]:
        k = self.mean_ * (1 - self.mean_) / self.sd**2 - 1
        return self.mean_ * k, (1 - self.mean_) * k

    def from_uniform(self, u):
        a, b = self._shapes()
        return special.betaincinv(a, b, np.asarray(u))

    @property
    def mean(self) -> float:
        return float(self.mean_)


def _parameter_family(family):
    """A duration family for inputs: the same parameters, bounded as any number (1e9) rather than as minutes,
    since an uncertain input may be a yearly cost."""

    def _bounded(self):
        check_magnitudes(self)
        return self

    name = f"Parameter{family.__name__}"  # the module attribute it is bound to below, so it pickles
    return type(name, (family,), {"__module__": __name__, "__qualname__": name, "__doc__": family.__doc__,
                                  "_bounded": model_validator(mode="after")(_bounded)})


ParameterConstant = _parameter_family(Constant)
ParameterExponential = _parameter_family(Exponential)
ParameterLognormal = _parameter_family(Lognormal)
ParameterGamma = _parameter_family(Gamma)
ParameterTriangular = _parameter_family(Triangular)
ParameterUniform = _parameter_family(Uniform)
ParameterEmpirical = _parameter_family(Empirical)

ParameterDistribution = Annotated[
    Union[ParameterConstant, ParameterExponential, ParameterLognormal, ParameterGamma, ParameterTriangular,
          ParameterUniform, ParameterEmpirical, Beta],
    Field(discriminator="dist"),
]
"""An uncertain input's distribution."""

# quantiles whose values must be valid for the key: the bulk and both tails
_PROBE_QUANTILES = (1e-6, 0.5, 1 - 1e-6)


def parameter_value(dist, u: float, current: Any) -> float | int:
    """The value a uniform u gives, as the key's type: an integer key (units) gets a rounded value."""
    value = float(dist.from_uniform(np.array([u]))[0])
    return int(round(value)) if isinstance(current, int) and not isinstance(current, bool) else value


def check_uncertainty(resolved: dict, uncertainty: dict) -> None:
    """Raise PathValueError (path `uncertainty.<key>`) for a key path the scenario does not have or one that
    is not a number. `resolved` is the scenario as plain data without `uncertainty`."""
    from .loading import get_key_path  # loading imports the schema, which imports this module

    for key in uncertainty:
        where = f"uncertainty.{key}"
        try:
            current = get_key_path(resolved, key)
        except Exception:
            raise PathValueError(where, f"the scenario has no key {key!r}; give the key path of a number, "
                                        "e.g. teams.peer_team.cost_per_unit_hour") from None
        if isinstance(current, dict) and "cost" in current:
            raise PathValueError(where, f"{key} is a cost and its payer; give {key}.cost")
        if isinstance(current, bool) or not isinstance(current, (int, float)):
            raise PathValueError(where, f"{key} is not a number (it is {type(current).__name__}); give the key path "
                                        "of a number, e.g. ....on_scene_min.mean")


def check_ranges(scenario) -> None:
    """Raise ScenarioError naming `uncertainty.<key>` when a distribution reaches values its key does not allow
    (a negative cost, a chance above 1), checked at its tails and middle. Run before any draw, not at every load:
    it validates the scenario a few times per uncertain input."""
    from ..errors import ScenarioError
    from .loading import get_key_path, set_key_path

    resolved = scenario.to_dict()
    resolved.pop("uncertainty", None)
    for key, dist in scenario.uncertainty.items():
        current = get_key_path(resolved, key)
        for u in _PROBE_QUANTILES:
            value = parameter_value(dist, u, current)
            try:
                type(scenario).model_validate(set_key_path(resolved, key, value))
            except ValidationError as exc:
                err = exc.errors(include_url=False)[0]
                ctx = (err.get("ctx") or {}).get("error")
                why = ctx.message if isinstance(ctx, PathValueError) else err["msg"].removeprefix("Value error, ")
                raise ScenarioError(f"the distribution reaches {value:.4g} (its {u:.6g} quantile), not allowed in "
                                    f"scenario {scenario.name}: {why}", path=f"uncertainty.{key}") from None
