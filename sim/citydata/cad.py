"""Reading a CAD export: the MAP file, the columns it names, and a data-quality report.

A computer-aided dispatch (CAD) export has one row per call: when it was received,
dispatched, arrived and cleared, a nature code, a priority, a beat and a unit. `MAP.yaml`
says which column is which and how the city's codes map to crisis-sim's call types and
dispositions. Reading never drops a row silently: every row left out, and every row kept but
not used for a measure, is counted with its reason in the quality report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import ScenarioError, ScenarioErrors
from ..scenario.loading import read_yaml
from ..scenario.schema import DISPOSITIONS, RISKS, TeamKind

OTHER = "other"
"""Call type for police calls that are not crisis calls (they load police units)."""
PHONE = "phone"
"""Disposition for a call resolved by phone, with no unit sent."""
RESOLVED = "resolved_on_scene"
DISPOSITION_TARGETS = (*DISPOSITIONS, RESOLVED, PHONE)
TIME_COLUMNS = ("received", "dispatched", "arrived", "cleared")
INTERVALS = {  # measure -> (start column, end column, plain words)
    "wait": ("received", "dispatched", "received → dispatched"),
    "travel": ("dispatched", "arrived", "dispatched → arrived"),
    "on_scene": ("arrived", "cleared", "arrived → cleared"),
}
CSV_SUFFIXES = (".csv", ".txt", ".csv.gz", ".csv.bz2", ".tsv")
PARQUET_SUFFIXES = (".parquet", ".pq")
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Columns(_Strict):
    """Which column of the export holds what; only `received` and `type` are required."""

    received: str = Field(description="When the call was received (time).")
    type: str = Field(description="Nature / call type code.")
    dispatched: str | None = Field(None, description="When the first unit was assigned (time).")
    arrived: str | None = Field(None, description="When the first unit arrived on scene (time).")
    cleared: str | None = Field(None, description="When the unit cleared the call (time), after any transport.")
    priority: str | None = Field(None, description="Priority code.")
    zone: str | None = Field(None, description="Beat, district or zone.")
    unit: str | None = Field(None, description="Id of the unit that took the call.")
    disposition: str | None = Field(None, description="How the call ended (code).")
    id: str | None = Field(None, description="Incident number; rows with the same id are duplicates.")


class TeamMap(_Strict):
    """The team that answered the calls of the export."""

    name: Identifier = "police"
    kind: TeamKind = "police"
    label: str = "Police"


class RiskMap(_Strict):
    """Risk of a crisis call: from a column of the export, or from its priority."""

    column: str | None = Field(None, description="Column holding low / medium / high.")
    by_priority: dict[str, Literal["low", "medium", "high"]] | None = Field(
        None, description="Priority code -> risk (needs columns.priority).")

    @field_validator("by_priority", mode="before")
    @classmethod
    def _string_keys(cls, v):
        return {str(k): x for k, x in v.items()} if isinstance(v, dict) else v

    @model_validator(mode="after")
    def _one(self):
        if (self.column is None) == (self.by_priority is None):
            raise ValueError("give exactly one of `column` or `by_priority`")
        return self


class ZoneXY(_Strict):
    """A zone's centroid in km (any origin; east and north)."""

    x: float = Field(allow_inf_nan=False)
    y: float = Field(allow_inf_nan=False)


class CadMap(_Strict):
    """MAP.yaml: how a CAD export's columns and codes map onto crisis-sim's vocabulary."""

    columns: Columns
    time_format: str | None = Field(None, description="strftime format of the time columns; absent = ISO / guessed.")
    team: TeamMap = Field(default_factory=TeamMap)
    types: dict[str, Identifier] = Field(description="CAD type code -> call type, or `other` for other police calls.")
    dispositions: dict[str, Literal[DISPOSITION_TARGETS]] = Field(  # type: ignore[valid-type]
        default_factory=dict, description="CAD disposition code -> disposition, resolved_on_scene or phone.")
    risk: RiskMap | None = Field(None, description="Risk of crisis calls (optional).")
    gap_days: float | None = Field(None, gt=0, description="No calls for longer than this is a gap in the export "
                                   "(default: the longer of 1 day and 25 mean gaps between calls).")
    max_duration_hours: float = Field(24, gt=0, description="Longer durations are data errors and not used.")
    zones: dict[str, ZoneXY] | None = Field(
        None, description="Zone code -> centroid {x, y} in km (optional): travel for base/call zone pairs seen "
        "too rarely then follows distance.")
    metric: Literal["manhattan", "euclidean"] = Field(
        "manhattan", description="Distance between zone centroids: manhattan (grid streets) or euclidean.")

    @field_validator("zones", mode="before")
    @classmethod
    def _string_zone_keys(cls, v):
        return {str(k): x for k, x in v.items()} if isinstance(v, dict) else v

    @field_validator("types", "dispositions", mode="before")
    @classmethod
    def _string_keys(cls, v):
        return {str(k): x for k, x in v.items()} if isinstance(v, dict) else v

    @model_validator(mode="after")
    def _needs(self):
        if self.risk is not None and self.risk.by_priority is not None and self.columns.priority is None:
            raise ValueError("risk.by_priority needs columns.priority")
        if not any(t != OTHER for t in self.types.values()):
            raise ValueError("types must map at least one CAD code to a crisis call type (not only `other`)")
        return self

    def crisis_types(self) -> list[str]:
        """Crisis call types in the order MAP.yaml first names them."""
        return list(dict.fromkeys(t for t in self.types.values() if t != OTHER))


def load_map(path: str | Path) -> CadMap:
    """Read and validate MAP.yaml; every problem names the file and the key."""
    raw = read_yaml(Path(path))
    if not isinstance(raw, dict):
        raise ScenarioError("a MAP file is a mapping with columns, types (and optionally time_format, team, "
                            "dispositions, risk)", file=str(path))
    try:
        return CadMap.model_validate(raw)
    except ValidationError as exc:
        errors = []
        for err in exc.errors(include_url=False):
            where = ".".join(str(p) for p in err["loc"]) or None
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            elif err["type"] == "missing":
                msg = "required key is missing"
            elif err["type"] == "literal_error":
                msg += f" (got {err.get('input')!r})"
            errors.append(ScenarioError(msg, file=str(path), path=where))
        raise ScenarioErrors(errors) from None


# ------------------------------------------------------------------------ quality report

@dataclass
class QualityRow:
    """One reason rows were left out (or kept but not used for a measure)."""

    reason: str
    rows: int
    action: str


@dataclass
class QualityReport:
    """What happened to every row of the export."""

    source: str
    rows_read: int = 0
    rows_kept: int = 0
    dropped: list[QualityRow] = field(default_factory=list)
    noted: list[QualityRow] = field(default_factory=list)
    gaps: list[tuple[pd.Timestamp, pd.Timestamp]] = field(default_factory=list)
    gap_threshold_days: float = 0.0
    days_observed: float = 0.0
    unmapped_types: dict[str, int] = field(default_factory=dict)
    unmapped_dispositions: dict[str, int] = field(default_factory=dict)
    intervals: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, reason_start: str) -> int:
        """Rows counted under reasons starting with these words (dropped and noted)."""
        return sum(r.rows for r in (*self.dropped, *self.noted) if r.reason.startswith(reason_start))

    def text(self) -> str:
        """The report as plain text (also written beside the fitted scenario)."""
        lines = [f"Data quality: {self.source}",
                 f"  rows read: {self.rows_read:,}; kept: {self.rows_kept:,}; "
                 f"dropped: {self.rows_read - self.rows_kept:,}"]
        if self.dropped:
            lines.append("  rows dropped:")
            lines += [f"    {r.rows:>9,}  {r.reason} ({r.action})" for r in self.dropped]
        if self.noted:
            lines.append("  rows kept, with a note:")
            lines += [f"    {r.rows:>9,}  {r.reason} ({r.action})" for r in self.noted]
        if self.unmapped_types:
            top = ", ".join(f"{k!r} {v:,}" for k, v in list(self.unmapped_types.items())[:12])
            more = len(self.unmapped_types) - 12
            lines.append(f"  type codes not in MAP.yaml (counted as other police calls): {top}"
                         + (f" and {more} more" if more > 0 else ""))
        if self.unmapped_dispositions:
            top = ", ".join(f"{k!r} {v:,}" for k, v in list(self.unmapped_dispositions.items())[:12])
            lines.append(f"  disposition codes not in MAP.yaml (not used for outcome shares): {top}")
        if self.intervals:
            lines.append("  durations (rows used / not used and why):")
            for name, counts in self.intervals.items():
                words = INTERVALS[name][2]
                rest = ", ".join(f"{k} {v:,}" for k, v in counts.items() if k != "used" and v)
                lines.append(f"    {words}: used {counts.get('used', 0):,}" + (f"; not used: {rest}" if rest else ""))
        if self.gaps:
            spans = "; ".join(f"{a:%Y-%m-%d %H:%M} to {b:%Y-%m-%d %H:%M} ({(b - a) / pd.Timedelta(days=1):.1f} days)"
                              for a, b in self.gaps)
            lines.append(f"  gaps (no calls for over {self.gap_threshold_days:.2g} days; left out of volumes): {spans}")
        lines.append(f"  days observed (gaps left out): {self.days_observed:.1f}")
        return "\n".join(lines)


# ------------------------------------------------------------------------ reading

@dataclass
class CadData:
    """The usable rows of an export in crisis-sim's vocabulary, and what happened to the rest.

    `frame` columns: received, dispatched, arrived, cleared (datetime64), call_type (a crisis
    call type or "other"), disposition (a DISPOSITION_TARGETS value or ""), risk (or ""),
    zone, unit, priority (strings, "" when absent). `durations` holds minutes per interval
    (NaN where the row is not usable for it, with the reason counted in the report).
    """

    source: str
    cad_map: CadMap
    frame: pd.DataFrame
    durations: dict[str, np.ndarray]
    quality: QualityReport
    origin: pd.Timestamp  # the Monday 00:00 on or before the first call: minute 0 of the simulation's week

    @property
    def days_observed(self) -> float:
        return self.quality.days_observed

    def minutes(self, column: str) -> np.ndarray:
        """A time column as minutes since `origin` (NaN where missing)."""
        values = self.frame[column]
        out = (values - self.origin) / pd.Timedelta(minutes=1)
        return out.to_numpy(dtype=float, na_value=np.nan)

    def observed_mask_by_day(self) -> np.ndarray:
        """For each calendar day since `origin`, whether the export covers it (not in a gap)."""
        days = int(np.floor(np.nanmax(self.minutes("received")) / 1440)) + 1
        covered = np.zeros(days, dtype=bool)
        first = int(np.floor(np.nanmin(self.minutes("received")) / 1440))
        covered[first:] = True
        for a, b in self.quality.gaps:
            lo = int(np.ceil((a - self.origin) / pd.Timedelta(days=1)))
            hi = int(np.floor((b - self.origin) / pd.Timedelta(days=1)))
            covered[lo:hi] = False
        return covered


def _suffix(path: Path) -> str:
    name = path.name.lower()
    for s in (*CSV_SUFFIXES, *PARQUET_SUFFIXES):
        if name.endswith(s):
            return s
    return path.suffix.lower()


def _read_table(path: Path, cmap: CadMap, map_file: str) -> dict[str, pa.Array]:
    """The mapped columns of the export as Arrow arrays (strings, or times from parquet), checking each exists."""
    if not path.exists():
        raise ScenarioError("file not found", file=str(path))
    suffix = _suffix(path)
    wanted = {k: v for k, v in cmap.columns.model_dump().items() if v is not None}
    if cmap.risk is not None and cmap.risk.column is not None:
        wanted["risk"] = cmap.risk.column
    kind = "parquet" if suffix in PARQUET_SUFFIXES else "CSV"
    sep = "\t" if suffix == ".tsv" else ","
    try:
        if suffix in PARQUET_SUFFIXES:
            available = pq.read_schema(path).names
        elif suffix in CSV_SUFFIXES:
            available = list(pd.read_csv(path, nrows=0, sep=sep).columns)
        else:
            raise ScenarioError(f"not a CSV or parquet file (suffix {path.suffix or 'none'!r}); give a .csv, "
                                ".csv.gz, .tsv or .parquet export", file=str(path))
    except ScenarioError:
        raise
    except pd.errors.EmptyDataError:
        raise ScenarioError("the file is empty (no header row)", file=str(path)) from None
    except Exception as exc:  # the many ways a file that is not a table fails to parse
        raise ScenarioError(f"cannot read as {kind}: {type(exc).__name__}: {str(exc)[:200]}", file=str(path)) from None
    missing = [ScenarioError(f"column {col!r} is not in {path.name}; its columns: "
                             f"{', '.join(map(str, available[:30]))}", file=map_file,
                             path=f"columns.{key}" if key != "risk" else "risk.column")
               for key, col in wanted.items() if col not in available]
    if missing:
        raise ScenarioErrors(missing)
    columns = list(dict.fromkeys(wanted.values()))
    try:
        if suffix in PARQUET_SUFFIXES:
            table = pq.read_table(path, columns=columns)
        else:
            table = pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=sep),
                                   convert_options=pacsv.ConvertOptions(
                                       include_columns=columns, column_types={c: pa.string() for c in columns},
                                       strings_can_be_null=True))
    except Exception as exc:
        raise ScenarioError(f"cannot read as {kind}: {type(exc).__name__}: {str(exc)[:200]}", file=str(path)) from None
    return {key: table.column(col).combine_chunks() for key, col in wanted.items()}


def _categorical(arr: pa.Array, lower: bool = False) -> pd.Categorical:
    """Text values as a categorical with stripped values and "" for missing (object categories: fast to index)."""
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.string())
    enc = arr.dictionary_encode()
    indices = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    values = [("" if v is None else v.strip()) for v in enc.dictionary.to_pylist()] + [""]
    if lower:
        values = [v.lower() for v in values]
    uniq, inverse = np.unique(np.array(values, dtype=object), return_inverse=True)
    codes = inverse[np.where(indices >= 0, indices, len(values) - 1)]
    return pd.Categorical.from_codes(codes, categories=pd.Index(uniq, dtype=object))


def _recode(cat: pd.Categorical, label) -> pd.Categorical:
    """A categorical whose categories are relabelled by `label(category)` (labels may merge)."""
    labels = np.array([label(c) for c in cat.categories], dtype=object)
    uniq, inverse = np.unique(labels, return_inverse=True)
    return pd.Categorical.from_codes(inverse[cat.codes], categories=pd.Index(uniq, dtype=object))


def _counts(cat: pd.Categorical) -> dict[str, int]:
    """Rows per category, most frequent first."""
    n = np.bincount(cat.codes, minlength=len(cat.categories))
    order = np.argsort(-n, kind="stable")
    return {str(cat.categories[i]): int(n[i]) for i in order if n[i]}


def _parse_times(arr: pa.Array, fmt: str | None, column: str, file: str) -> tuple[np.ndarray, int]:
    """A time column as datetime64[s] (NaT where missing) and how many non-empty values could not be read.

    Raises a ScenarioError naming the column when most values do not match the format.
    """
    if pa.types.is_timestamp(arr.type) or pa.types.is_date(arr.type):
        if getattr(arr.type, "tz", None):
            arr = arr.cast(pa.timestamp(arr.type.unit))
        return arr.cast(pa.timestamp("s")).to_numpy(zero_copy_only=False).astype("datetime64[s]"), 0
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())
    text = pc.utf8_trim_whitespace(arr)
    present = pc.fill_null(pc.not_equal(text, ""), False).to_numpy(zero_copy_only=False)
    n_present = int(present.sum())
    if n_present == 0:
        return np.full(len(arr), np.datetime64("NaT"), dtype="datetime64[s]"), 0
    first = text.filter(pa.array(present))[0].as_py()
    if fmt is None:
        from pandas.tseries.api import guess_datetime_format

        fmt = guess_datetime_format(first)
    parsed = None
    if fmt is not None and "%z" not in fmt and "%Z" not in fmt:
        try:
            parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True).to_numpy(
                zero_copy_only=False).astype("datetime64[s]")
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            parsed = None
    if parsed is None:  # formats Arrow cannot read (time zones, ISO variants): pandas, slower
        try:
            series = pd.to_datetime(pd.Series(text.to_pylist(), dtype=object), format=fmt or "ISO8601",
                                    errors="coerce", utc=fmt is not None and "%z" in fmt)
        except ValueError as exc:
            raise ScenarioError(f"time_format {fmt!r} cannot be used: {exc}", file=file, path="time_format") from None
        if series.dt.tz is not None:
            series = series.dt.tz_localize(None)
        parsed = series.to_numpy(dtype="datetime64[s]")
    bad_mask = np.isnat(parsed) & present
    bad = int(bad_mask.sum())
    if bad > n_present / 2:
        example = text.filter(pa.array(bad_mask))[0].as_py()
        raise ScenarioError(f"{bad:,} of {n_present:,} values of column {column!r} do not match the time format "
                            f"{fmt!r} (e.g. {example!r}); set time_format in MAP.yaml (strftime, e.g. "
                            "'%m/%d/%Y %H:%M:%S')", file=file, path=f"columns.{column}")
    return parsed, bad


def read_cad(path: str | Path, cad_map: CadMap, map_file: str = "MAP.yaml") -> CadData:
    """Read an export, map its codes, and count every row left out and why."""
    path = Path(path)
    file = str(path)
    raw = _read_table(path, cad_map, map_file)
    n_rows = len(raw["received"])
    report = QualityReport(source=file, rows_read=n_rows)
    cols = cad_map.columns
    text = {k: _categorical(v, lower=k == "risk") for k, v in raw.items() if k not in (*TIME_COLUMNS, "id")}

    # duplicates: the same incident id (or, with no id column, the same row) twice
    if cols.id is not None:
        dup = pd.Series(_codes(raw["id"])).duplicated().to_numpy() & ~_empty(raw["id"])
        what = f"duplicate incident id ({cols.id})"
    else:
        codes = {k: _codes(v) for k, v in raw.items() if k in TIME_COLUMNS}
        codes.update({k: c.codes for k, c in text.items()})
        dup = pd.DataFrame(codes).duplicated().to_numpy()
        what = "duplicate row (every mapped column equal)"
    if dup.any():
        report.dropped.append(QualityRow(what, int(dup.sum()), "first kept"))

    times = {}
    for name in TIME_COLUMNS:
        if name in raw:
            times[name], bad = _parse_times(raw[name], cad_map.time_format, name, file)
            if bad and name == "received":
                unread = np.isnat(times[name]) & ~_empty(raw[name]) & ~dup
                report.dropped.append(QualityRow("received time unreadable", int(unread.sum()), "row dropped"))
            elif bad:
                report.noted.append(QualityRow(f"{name} time unreadable", bad, "treated as missing"))
        else:
            times[name] = np.full(n_rows, np.datetime64("NaT"), dtype="datetime64[s]")
    missing_received = int((_empty(raw["received"]) & ~dup).sum())
    if missing_received:
        report.dropped.append(QualityRow("received time missing", missing_received, "row dropped"))
    keep = ~dup & ~np.isnat(times["received"])
    report.rows_kept = int(keep.sum())
    if report.rows_kept == 0:
        reasons = "; ".join(f"{r.rows:,} {r.reason}" for r in report.dropped) or "no rows"
        raise ScenarioError(f"no usable rows: {report.rows_read:,} read, none with a readable received time "
                            f"({reasons})", file=file, path=f"column {cols.received!r}")

    frame = pd.DataFrame({name: pd.Series(times[name][keep]) for name in TIME_COLUMNS})
    cad_type = text["type"][keep]
    by_code = _counts(cad_type)
    empty = by_code.get("", 0)
    if empty:
        report.noted.append(QualityRow("no type code", empty, "counted as other police calls"))
    unmapped = {c: n for c, n in by_code.items() if c != "" and c not in cad_map.types}
    if unmapped:
        report.unmapped_types = unmapped
        report.noted.append(QualityRow(f"type code not in MAP.yaml ({len(unmapped)} codes)", sum(unmapped.values()),
                                       "counted as other police calls"))
    frame["call_type"] = _recode(cad_type, lambda c: cad_map.types.get(c, OTHER))

    if cols.disposition is not None:
        code = text["disposition"][keep]
        unmapped = {c: n for c, n in _counts(code).items() if c != "" and c not in cad_map.dispositions}
        if unmapped:
            report.unmapped_dispositions = unmapped
            report.noted.append(QualityRow(f"disposition code not in MAP.yaml ({len(unmapped)} codes)",
                                           sum(unmapped.values()), "not used for outcome shares"))
        frame["disposition"] = _recode(code, lambda c: cad_map.dispositions.get(c, ""))
    else:
        frame["disposition"] = _recode(pd.Categorical.from_codes(np.zeros(report.rows_kept, np.int64), [""]),
                                       lambda c: "")
    blank = pd.Categorical.from_codes(np.zeros(report.rows_kept, np.int64), pd.Index([""], dtype=object))
    for name in ("zone", "unit", "priority"):
        frame[name] = text[name][keep] if name in text else blank
    frame["risk"] = blank
    if cad_map.risk is not None:
        source = text["risk"][keep] if cad_map.risk.column is not None else frame["priority"].array
        by_priority = cad_map.risk.by_priority
        risk = _recode(source, (lambda c: c if c in RISKS else "") if by_priority is None
                       else (lambda c: by_priority.get(c, "")))
        crisis = (frame["call_type"] != OTHER).to_numpy()
        bad = crisis & (np.asarray(risk.categories)[risk.codes] == "")
        if bad.any():
            report.noted.append(QualityRow("crisis call without a usable risk", int(bad.sum()),
                                           "not used for risk shares"))
        frame["risk"] = risk
    frame = frame.sort_values("received", kind="stable").reset_index(drop=True)

    durations, report.intervals = _durations(frame, cad_map.max_duration_hours, report)
    _find_gaps(frame["received"], cad_map.gap_days, report)
    first = frame["received"].iloc[0]
    origin = (first - pd.Timedelta(days=first.weekday())).normalize()
    return CadData(file, cad_map, frame, durations, report, origin)


def _codes(arr: pa.Array) -> np.ndarray:
    """Integer codes of a column's values (equal values, equal codes; missing = -1)."""
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    return arr.dictionary_encode().indices.fill_null(-1).to_numpy(zero_copy_only=False)


def _empty(arr: pa.Array) -> np.ndarray:
    """True where a text cell is missing or blank."""
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return arr.is_null().to_numpy(zero_copy_only=False)
    return pc.fill_null(pc.equal(pc.utf8_trim_whitespace(arr), ""), True).to_numpy(zero_copy_only=False)


def _durations(frame: pd.DataFrame, cap_hours: float, report: QualityReport):
    """Minutes per interval; NaN (with the reason counted) where a row cannot be used."""
    durations, counts = {}, {}
    for name, (start_col, end_col, words) in INTERVALS.items():
        start, end = frame[start_col], frame[end_col]
        minutes = ((end - start) / pd.Timedelta(minutes=1)).to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(minutes)
        negative = minutes < 0
        midnight = (end.dt.hour == 0) & (end.dt.minute == 0) & (end.dt.second == 0)
        placeholder = negative & midnight.to_numpy()
        over = minutes > cap_hours * 60
        c = {"used": int((~missing & ~negative & ~over).sum()),
             "missing time": int(missing.sum()),
             "placeholder time (00:00 before the previous time)": int(placeholder.sum()),
             "negative": int((negative & ~placeholder).sum()),
             f"over {cap_hours:g} h": int(over.sum())}
        if frame[start_col].isna().all() or frame[end_col].isna().all():
            c = {"used": 0, "missing time": len(frame)}
        for reason, n in c.items():
            if reason != "used" and n and not (reason == "missing time" and n == len(frame)):
                report.noted.append(QualityRow(f"{words}: {reason}", n, f"not used for {words} times"))
        minutes = np.where(missing | negative | over, np.nan, minutes)
        durations[name] = minutes
        counts[name] = c
    return durations, counts


def _find_gaps(received: pd.Series, gap_days: float | None, report: QualityReport) -> None:
    """Spans with no calls for longer than the threshold: reported, and left out of day counts."""
    t = received.to_numpy(dtype="datetime64[ns]").astype(np.int64) / 86_400e9  # days
    span = float(t[-1] - t[0]) if len(t) > 1 else 0.0
    diffs = np.diff(t)
    if gap_days is None:
        mean_gap = span / max(len(t) - 1, 1)
        gap_days = max(1.0, 25 * mean_gap)
    report.gap_threshold_days = gap_days
    big = np.flatnonzero(diffs > gap_days)
    report.gaps = [(received.iloc[i], received.iloc[i + 1]) for i in big]
    covered = span - float(diffs[big].sum())
    report.days_observed = max(covered, 1.0 / 24)
