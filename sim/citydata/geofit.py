"""Geography from a CAD export: zones and their shares, where units are based, travel between zones.

- **Zones**: each zone's share of all calls that name one (the model gives crisis and other
  police calls one set of shares), most calls first; centroids x, y (km) from MAP.yaml
  `zones` when given. CAD zone codes become scenario names (lower case, other characters
  `_`), and the comment lists each code beside its name.
- **Bases**: a unit is taken to be based in the zone it was sent to most often (its modal
  zone); the team's `bases` are weights, the number of units based in each zone.
- **Travel**: dispatched → arrived of calls whose unit has a base, by (base zone, call zone):
  the mean of every cell with at least `MIN_CELL` calls. A CAD's dispatched → arrived includes
  turnout, so the fitted matrix does too (no `turnout_min`). Cells seen less often: with
  zone centroids, a least-squares line minutes = a + b × distance through the observed cells
  (weighted by calls); without, the slowest observed mean into that call zone (assumption:
  cells are rare because they are far). A unit sent from the field is not at its base, so
  the matrix mixes both (the model starts every trip at the base).
- **travel_cv**: spread of a call's travel around its cell's mean (sd of travel ÷ cell mean).

Without a unit column the bases cannot be told, so no geography is fitted: the zone shares
go in a comment and travel stays one distribution for the team (`response_min`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

MIN_CELL = 20  # fewest calls for a travel cell's own mean


@dataclass
class GeoFit:
    """A fitted `geography` block and the team's `bases`, with the words that justify each."""

    zones: dict[str, dict]                    # name -> {"share": .., "x": .., "y": ..}
    codes: dict[str, str]                     # name -> the CAD's zone code
    travel_min: dict[str, dict[str, float]]   # base zone -> call zone -> mean minutes
    cell_calls: dict[str, dict[str, int]]     # base zone -> call zone -> calls behind the cell's mean
    travel_cv: float
    bases: dict[str, int]                     # zone -> units based there
    n_travel: int                             # calls behind the travel cells
    observed: int                             # cells with their own mean
    filled: int                               # cells filled (line through distance, or the slowest observed)
    fill_method: str
    n_units: int
    modal_share: float                        # share of a unit's calls in its base zone (mean over calls)


def zone_name(code: str, taken: set[str]) -> str:
    """A scenario identifier for a CAD zone code ("Beat 12" -> "beat_12"; "7" -> "z7"), unique among `taken`."""
    name = re.sub(r"[^a-z0-9_]+", "_", str(code).strip().lower()).strip("_") or "zone"
    if name[0].isdigit():
        name = "z" + name
    base, k = name, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    return name


def fit_geography(zone: np.ndarray, unit: np.ndarray, travel: np.ndarray, shares: dict[str, float],
                  coords: dict[str, tuple[float, float]] | None = None, metric: str = "manhattan") -> GeoFit | None:
    """Zones, bases and travel from per-row zone codes, unit ids ("" when absent) and travel minutes (NaN).

    `shares` are the zones' shares of calls (CAD codes, in the order to write them). Returns
    None when no unit has a zone (nothing tells where units are based).
    """
    codes = list(shares)
    names: dict[str, str] = {}
    for code in codes:
        names[code] = zone_name(code, set(names.values()))
    index = {code: i for i, code in enumerate(codes)}
    z = np.array([index.get(c, -1) for c in zone], dtype=np.int64) if len(zone) else np.zeros(0, np.int64)
    has_unit = (unit != "") & (z >= 0)
    if not has_unit.any():
        return None
    units, unit_code = np.unique(unit[has_unit], return_inverse=True)
    k = len(codes)
    counts = np.zeros((len(units), k), dtype=np.int64)
    np.add.at(counts, (unit_code, z[has_unit]), 1)
    base_of_unit = counts.argmax(axis=1)  # ties: the zone with more calls overall (codes come most calls first)
    modal_share = float(counts.max(axis=1).sum() / counts.sum())
    bases = {names[codes[b]]: int(n) for b, n in zip(*np.unique(base_of_unit, return_counts=True))}

    base = np.full(len(zone), -1, dtype=np.int64)
    base[has_unit] = base_of_unit[unit_code]
    ok = has_unit & np.isfinite(travel) & (travel >= 0)
    n_cell = np.zeros((k, k))
    sum_cell = np.zeros((k, k))
    np.add.at(n_cell, (base[ok], z[ok]), 1)
    np.add.at(sum_cell, (base[ok], z[ok]), travel[ok])
    seen = n_cell >= MIN_CELL
    mean = np.where(seen, sum_cell / np.maximum(n_cell, 1), np.nan)
    if not seen.any():
        return None

    centroids = coords
    if coords is not None:
        xy = np.array([coords[c] for c in codes], dtype=float)
        d = np.abs(xy[:, None, :] - xy[None, :, :])
        dist = d.sum(axis=2) if metric == "manhattan" else np.hypot(d[..., 0], d[..., 1])
        w, x, y = n_cell[seen], dist[seen], mean[seen]
        slope = intercept = float("nan")
        if np.ptp(x) > 0:
            slope, intercept = np.polyfit(x, y, 1, w=np.sqrt(w))
        if math.isfinite(slope) and slope > 0:
            filled = np.maximum(intercept + slope * dist, 0)
            fill_method = (f"minutes = {intercept:.1f} + {slope:.2f} × km ({metric} distance between the zones' "
                           f"centroids; least squares through the observed cells, weighted by calls)")
        else:
            coords = None  # distance does not explain travel here: fall back to the slowest observed
    if coords is None:
        col_max = np.nanmax(np.where(seen, mean, -np.inf), axis=0)
        col_max = np.where(np.isfinite(col_max), col_max, np.nanmax(mean))
        filled = np.broadcast_to(col_max, (k, k))
        fill_method = "the slowest observed mean into that call zone (assumption: a cell is rarely seen because it is far)"
    matrix = np.where(seen, mean, filled)

    r = travel[ok] / mean[base[ok], z[ok]]
    r = r[np.isfinite(r)]
    cv = float(np.clip(r.std(ddof=1), 0, 3)) if len(r) > 1 else 0.0
    zones = {}
    for code in codes:
        entry = {"share": shares[code]}
        if centroids is not None:
            entry["x"], entry["y"] = (float(v) for v in centroids[code])
        zones[names[code]] = entry
    return GeoFit(
        zones=zones, codes={names[c]: c for c in codes},
        travel_min={names[codes[i]]: {names[codes[j]]: round(float(matrix[i, j]), 1) for j in range(k)}
                    for i in range(k)},
        cell_calls={names[codes[i]]: {names[codes[j]]: int(n_cell[i, j]) for j in range(k)} for i in range(k)},
        travel_cv=round(cv, 3), bases=bases, n_travel=int(ok.sum()), observed=int(seen.sum()),
        filled=int(k * k - seen.sum()), fill_method=fill_method, n_units=len(units), modal_share=modal_share)
