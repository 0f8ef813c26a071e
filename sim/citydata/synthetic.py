"""A synthetic CAD export from a known scenario, messy on purpose.

The model runs the scenario once; its calls and jobs become the rows a dispatch centre would
export (received, dispatched, arrived, cleared, nature code, priority, beat, unit,
disposition). Then the export is damaged the way real ones are, each defect on its own rows
so every one can be counted back: missing and placeholder times, stuck calls that never
cleared, duplicate rows, type codes nobody mapped, and a two-month hole where the export
lost data. `fit` must recover the scenario's numbers and report every defect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..engine.eventlog import NO_DISPOSITION, OTHER as OTHER_JOB, PRIMARY
from ..engine.model import Model
from ..engine.streams import stream
from ..scenario.schema import DISPOSITIONS, RISKS, Scenario

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
COLUMNS = {"id": "IncidentNumber", "received": "CallReceived", "dispatched": "UnitDispatched",
           "arrived": "UnitOnScene", "cleared": "UnitCleared", "type": "NatureCode", "priority": "Priority",
           "zone": "Beat", "unit": "UnitId", "disposition": "Disposition"}
TYPE_CODES = {"mental_health": ["MENTAL", "EDP"], "welfare_check": ["WELFARE"], "substance_use": ["INTOX", "OD"],
              "suicide_risk": ["SUICIDAL"], "idd": ["IDD"]}
OTHER_CODES = ["TRAFFIC", "THEFT", "ALARM", "DISTURB", "SUSP", "ASSIST"]
UNMAPPED_CODES = ["PARKING", "ANIMAL", "NOISE", "FOLLOWUP"]
DISPOSITION_CODES = {"arrest": "ARR", "involuntary_hold": "EMERG HOLD", "ed_transport": "TRANS ED",
                     "crisis_center": "CRISIS CTR", "linked_to_services": "REFERRED", "resolved_on_scene": "RTF",
                     "phone": "PHONE"}
OTHER_DISPOSITIONS = ["RTF", "REPORT", "GOA"]
PRIORITY_BY_RISK = {"high": "1", "medium": "2", "low": "3"}


@dataclass(frozen=True)
class Messiness:
    """Share of rows given each defect (on separate rows), and the hole in the export."""

    missing_received: float = 0.001
    duplicates: float = 0.005
    unmapped_codes: float = 0.03   # of other police calls only, so the crisis mix is untouched
    placeholder_cleared: float = 0.01
    over_cap: float = 0.002
    missing_arrived: float = 0.02
    missing_cleared: float = 0.01
    gap_start_day: float | None = 120.0
    gap_days: float = 61.0


@dataclass
class SyntheticCad:
    """The export (strings, as read from a file), its MAP, and the defects put in it."""

    frame: pd.DataFrame
    cad_map: dict
    injected: dict[str, int] = field(default_factory=dict)
    gap: tuple[pd.Timestamp, pd.Timestamp] | None = None


def _codes_for(call_type: str) -> list[str]:
    return TYPE_CODES.get(call_type, [call_type.upper()])


def cad_map(scenario: Scenario, team: str) -> dict:
    """The MAP.yaml that reads a synthetic export of this scenario."""
    types = {code: ct for ct in scenario.demand.call_types for code in _codes_for(ct)}
    types.update({code: "other" for code in OTHER_CODES})
    dispositions = {code: d for d, code in DISPOSITION_CODES.items()}
    dispositions.update({"REPORT": "resolved_on_scene", "GOA": "resolved_on_scene"})
    t = scenario.teams[team]
    columns = {k: v for k, v in COLUMNS.items() if k != "zone" or scenario.geography is not None}
    out = {"columns": columns, "time_format": TIME_FORMAT,
           "team": {"name": team, "kind": t.kind, "label": t.label or team},
           "types": types, "dispositions": dispositions,
           "risk": {"by_priority": {v: k for k, v in PRIORITY_BY_RISK.items()}}}
    geo = scenario.geography
    if geo is not None and geo.has_xy():
        out["zones"] = {name: {"x": z.x, "y": z.y} for name, z in geo.zones.items()}
    return out


def _times(start: pd.Timestamp, minutes: np.ndarray) -> np.ndarray:
    """Minutes after `start` as 'YYYY-MM-DD HH:MM:SS' strings ('' where NaN)."""
    stamps = np.datetime64(start, "s") + np.round(np.nan_to_num(minutes) * 60).astype("timedelta64[s]")
    text = np.char.replace(np.datetime_as_string(stamps, unit="s"), "T", " ").astype(object)
    text[np.isnan(minutes)] = ""
    return text


def synthetic_cad(scenario: Scenario, days: float = 365, seed: int = 2026, start: str = "2024-01-01",
                  messiness: Messiness = Messiness(), warmup_days: float = 7) -> SyntheticCad:
    """Run the scenario once and write what a CAD export of it would hold, with defects.

    `start` must be a Monday (the model's week starts on Monday). Calls in the first
    `warmup_days` (while the model fills up) are not exported.
    """
    origin = pd.Timestamp(start)
    if origin.weekday() != 0:
        raise ValueError(f"start must be a Monday, got {start} ({origin:%A})")
    model = Model(scenario, 0, seed, days, warmup_days)
    log = model.run()
    team_names = log.team_names
    warm = log.warmup_min
    team = scenario.other_calls_team() or team_names[0]

    calls = log.table("calls")
    jobs = log.table("jobs")
    kind = jobs["kind"]
    prim = np.flatnonzero(kind == PRIMARY)
    by_call = pd.Series(prim, index=jobs["call_id"][prim])
    by_call = by_call[~by_call.index.duplicated()]
    n = len(calls["call_id"])
    job = by_call.reindex(calls["call_id"]).to_numpy()
    has = ~np.isnan(job)
    j = job[has].astype(np.int64)

    def col(name):
        out = np.full(n, np.nan)
        out[has] = jobs[name][j]
        return out

    dispatched, arrived, cleared = col("assigned_min"), col("on_scene_min"), col("clear_min")
    disp_idx = np.full(n, NO_DISPOSITION)
    disp_idx[has] = jobs["disposition"][j]
    names = np.array([*DISPOSITIONS, "resolved_on_scene"], dtype=object)
    disposition = np.where(disp_idx == NO_DISPOSITION, "resolved_on_scene", names[np.maximum(disp_idx, 0)])
    disposition = np.array([DISPOSITION_CODES[d] for d in disposition], dtype=object)
    disposition[calls["phone"]] = DISPOSITION_CODES["phone"]
    disposition[~has & ~calls["phone"]] = ""
    unit = np.full(n, -1)
    unit[has] = jobs["unit"][j]
    unit_team = np.full(n, 0)
    unit_team[has] = jobs["team"][j]
    type_names = log.type_names
    type_rng = stream(seed, 0, "synthetic.type_code")
    codes = np.empty(n, dtype=object)
    for k, ct in enumerate(type_names):
        mask = calls["call_type"] == k
        options = np.array(_codes_for(ct), dtype=object)
        codes[mask] = options[type_rng.integers(0, len(options), int(mask.sum()))]
    priority = np.array([PRIORITY_BY_RISK[RISKS[r]] for r in calls["risk"]], dtype=object)
    zoned = model.city is not None
    crisis = pd.DataFrame({"received": calls["arrival_min"], "dispatched": dispatched, "arrived": arrived,
                           "cleared": cleared, "type": codes, "priority": priority, "unit": unit,
                           "unit_team": unit_team, "disposition": disposition,
                           "zone": calls["zone"].astype(np.int64) if zoned else -1})

    other_rows = np.flatnonzero(kind == OTHER_JOB)
    frames = [crisis]
    if model.other is not None:
        m = len(model.other.arrival_min)
        oj = np.full(m, -1)
        oj[jobs["call_id"][other_rows]] = other_rows
        done = oj >= 0
        o_disp, o_arr, o_clear, o_unit = (np.full(m, np.nan) for _ in range(4))
        o_disp[done] = jobs["assigned_min"][oj[done]]
        o_arr[done] = jobs["on_scene_min"][oj[done]]  # after turnout and travel (from its base, with geography)
        o_clear[done] = jobs["clear_min"][oj[done]]
        o_unit[done] = jobs["unit"][oj[done]]
        rng = stream(seed, 0, "synthetic.other_codes")
        frames.append(pd.DataFrame({
            "received": model.other.arrival_min, "dispatched": o_disp, "arrived": o_arr, "cleared": o_clear,
            "type": np.array(OTHER_CODES, dtype=object)[rng.integers(0, len(OTHER_CODES), m)],
            "priority": np.asarray(model.other.priority).astype(str).astype(object),
            "unit": np.nan_to_num(o_unit, nan=-1).astype(np.int64),
            "unit_team": team_names.index(team),
            "disposition": np.array(OTHER_DISPOSITIONS, dtype=object)[rng.integers(0, 3, m)],
            "zone": np.asarray(model.other.dense().zone, dtype=np.int64) if zoned else -1}))
    df = pd.concat(frames, ignore_index=True)
    df = df[df["received"] >= warm].sort_values("received", kind="stable").reset_index(drop=True)
    for c in ("received", "dispatched", "arrived", "cleared"):
        df[c] = df[c] - warm
    gap = None
    if messiness.gap_start_day is not None:
        lo, hi = messiness.gap_start_day * 1440, (messiness.gap_start_day + messiness.gap_days) * 1440
        df = df[(df["received"] < lo) | (df["received"] >= hi)].reset_index(drop=True)
        gap = (origin + pd.Timedelta(minutes=lo), origin + pd.Timedelta(minutes=hi))
    n = len(df)
    # the zone each call arose in, as the model placed it; a scenario without geography has no zone column
    zone = np.array(log.zone_names, dtype=object)[df["zone"].to_numpy()] if zoned else None
    prefixes = np.array([t[0].upper() for t in team_names], dtype=object)
    unit_text = np.where(df["unit"].to_numpy() >= 0,
                         prefixes[df["unit_team"].to_numpy()] + pd.Series(df["unit"]).map("{:03d}".format).to_numpy(),
                         "")
    out = pd.DataFrame({
        COLUMNS["id"]: [f"{origin:%y}-{i:07d}" for i in range(1, n + 1)],
        COLUMNS["received"]: _times(origin, df["received"].to_numpy()),
        COLUMNS["dispatched"]: _times(origin, df["dispatched"].to_numpy()),
        COLUMNS["arrived"]: _times(origin, df["arrived"].to_numpy()),
        COLUMNS["cleared"]: _times(origin, df["cleared"].to_numpy()),
        COLUMNS["type"]: df["type"].to_numpy(), COLUMNS["priority"]: df["priority"].to_numpy(),
        COLUMNS["zone"]: zone, COLUMNS["unit"]: unit_text, COLUMNS["disposition"]: df["disposition"].to_numpy()})
    if zone is None:
        out = out.drop(columns=COLUMNS["zone"])
    injected = {"not_dispatched": int(df["dispatched"].isna().sum())}
    out = _damage(out, df, messiness, seed, origin, injected)
    return SyntheticCad(out, cad_map(scenario, team), injected, gap)


def _damage(out: pd.DataFrame, clean: pd.DataFrame, mess: Messiness, seed: int, origin: pd.Timestamp,
            injected: dict[str, int]) -> pd.DataFrame:
    """Put each defect on its own rows (so each can be counted back exactly)."""
    rng = stream(seed, 0, "synthetic.defects")
    n = len(out)
    complete = clean[["dispatched", "arrived", "cleared"]].notna().all(axis=1).to_numpy()
    other = out[COLUMNS["type"]].isin(OTHER_CODES).to_numpy()
    pool_unmapped = np.flatnonzero(other & complete)
    n_unmapped = int(mess.unmapped_codes * other.sum())
    unmapped = rng.choice(pool_unmapped, n_unmapped, replace=False)
    out.loc[unmapped, COLUMNS["type"]] = np.array(UNMAPPED_CODES, dtype=object)[rng.integers(0, len(UNMAPPED_CODES), n_unmapped)]
    injected["unmapped_codes"] = n_unmapped
    rest = np.setdiff1d(np.flatnonzero(complete), unmapped)
    rest = rng.permutation(rest)
    pos = 0
    chosen = {}
    for name in ("missing_received", "duplicates", "placeholder_cleared", "over_cap", "missing_arrived",
                 "missing_cleared"):
        k = int(getattr(mess, name) * n)
        chosen[name] = rest[pos:pos + k]
        pos += k
        injected[name] = k
    out.loc[chosen["missing_received"], COLUMNS["received"]] = ""
    rows = chosen["placeholder_cleared"]
    out.loc[rows, COLUMNS["cleared"]] = out.loc[rows, COLUMNS["received"]].str.slice(0, 10) + " 00:00:00"
    rows = chosen["over_cap"]
    out.loc[rows, COLUMNS["cleared"]] = _times(origin, clean.loc[rows, "cleared"].to_numpy() + 3 * 1440)
    out.loc[chosen["missing_arrived"], COLUMNS["arrived"]] = ""
    out.loc[chosen["missing_cleared"], COLUMNS["cleared"]] = ""
    dupes = out.loc[np.sort(chosen["duplicates"])]
    return pd.concat([out, dupes]).sort_index(kind="stable").reset_index(drop=True)


def write_synthetic(folder: str | Path, scenario: Scenario, name: str = "calls", **kwargs) -> tuple[Path, Path, SyntheticCad]:
    """Write `<name>.csv` (or .parquet when name ends so) and `<name>_map.yaml` into a folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cad = synthetic_cad(scenario, **kwargs)
    data_path = folder / (name if name.endswith((".csv", ".parquet")) else f"{name}.csv")
    if data_path.suffix == ".parquet":
        cad.frame.to_parquet(data_path, index=False)
    else:
        cad.frame.to_csv(data_path, index=False)
    map_path = folder / f"{data_path.stem}_map.yaml"
    map_path.write_text(yaml.safe_dump(cad.cad_map, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return data_path, map_path, cad


def main(argv=None) -> None:
    """`python -m sim.citydata.synthetic SCENARIO.yaml FOLDER [--days N] [--seed S] [--parquet]`."""
    import argparse

    from ..scenario.loading import load_raw, validate_scenario

    p = argparse.ArgumentParser(prog="python -m sim.citydata.synthetic",
                                description="Write a messy synthetic CAD export (and its MAP.yaml) of a scenario.")
    p.add_argument("scenario", type=Path)
    p.add_argument("folder", type=Path)
    p.add_argument("--days", type=float, default=365, help="days the export spans, the two-month gap included")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--parquet", action="store_true", help="write calls.parquet instead of calls.csv")
    args = p.parse_args(argv)
    raw = load_raw(args.scenario)
    raw["demand"].pop("repeat", None)  # an export cannot tell who calls again: leave repeats out of the known truth
    gap = Messiness(gap_start_day=min(120.0, args.days / 3)) if args.days > 90 else Messiness(gap_start_day=None)
    data, cad_map, cad = write_synthetic(args.folder, validate_scenario(raw), days=args.days, seed=args.seed,
                                         name="calls.parquet" if args.parquet else "calls", messiness=gap)
    print(f"{data} ({len(cad.frame):,} rows) and {cad_map}; defects put in: "
          + ", ".join(f"{k} {v:,}" for k, v in cad.injected.items()))


if __name__ == "__main__":
    main()
