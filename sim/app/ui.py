"""Streamlit pieces the pages share: settings, the run cache, results views and downloads."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from ..errors import ScenarioError
from ..outputs.folders import draw_folder
from ..outputs.plots import CHARTS
from ..outputs.report import REPORT_FILE, headline_rows, write_report
from ..outputs.results import load_results
from ..scenario.loading import load_raw
from .config import AppConfig, config  # noqa: F401  (the pages read it from here)
from .runs import RunCache, folder_kind, zip_folder
from .words import summary_markdown

KEPT_PREFIXES = ("edit:", "keep:")
"""Session-state keys of widgets whose values must survive a visit to another page."""


@st.cache_resource
def shared_cache() -> RunCache:
    """One cache for every session of this server: a scenario already run is never run again."""
    return RunCache()


def keep_widget_state() -> None:
    """Re-assign kept widget values so Streamlit does not drop them while another page shows."""
    for key in list(st.session_state):
        if isinstance(key, str) and key.startswith(KEPT_PREFIXES):
            st.session_state[key] = st.session_state[key]


@st.cache_data(show_spinner=False)
def read_raw(path: str, mtime: float) -> dict:
    """A scenario file's plain data with `extends` merged (re-read when the file changes)."""
    return load_raw(path)


def raw_scenario(path: Path) -> dict:
    return read_raw(str(path), path.stat().st_mtime if path.exists() else 0.0)


def upload_dir() -> Path:
    """This session's own folder for uploaded scenario files (never a given file's folder)."""
    if "upload_dir" not in st.session_state:
        st.session_state["upload_dir"] = tempfile.mkdtemp(prefix="crisis-sim-upload-")
    return Path(st.session_state["upload_dir"])


class Progress:
    """A progress bar with a Cancel button for a long run: `advance(n)` moves it (pass it as `on_done`),
    `refuse(exc)` clears it and shows why the run was refused, `finish(folder)` says where the results are."""

    def __init__(self, total: int, verb: str, what: str, cancel_key: str, of_total: bool = True):
        self.total, self.done, self.verb, self.of_total = total, 0, verb, of_total
        self.bar = st.progress(0.0, text=f"{verb}…")
        self.cancel = st.empty()
        self.cancel.button("Cancel", key=cancel_key, help=f"Stops the {what}; nothing is saved.")

    def advance(self, n: int) -> None:
        self.done += n
        count = f"{self.done} of {self.total}" if self.of_total else f"{self.done}"
        self.bar.progress(min(self.done / max(self.total, 1), 1.0), text=f"{self.verb}: {count} replications")

    def refuse(self, exc: Exception) -> None:
        self.bar.empty()
        self.cancel.empty()
        st.error(str(exc))
        st.stop()

    def finish(self, folder: Path) -> None:
        self.cancel.empty()
        self.bar.progress(1.0, text=f"Done: results in {folder}")


def show_messages(messages: list[str]) -> None:
    for text in messages:
        st.error(text, icon=":material/error:")


def headline_frame(rows: list[dict], labels: list[str], baseline: str) -> pd.DataFrame:
    """The report's headline cells as a table: each scenario's estimate with its 95% CI, then the change."""
    data: dict[str, list[str]] = {}
    for j, label in enumerate(labels):
        data[label] = [f"{r['cells'][j].estimate} ({r['cells'][j].interval})" if r["cells"][j].interval
                       else r["cells"][j].estimate for r in rows]
        if label != baseline:
            data[f"{label}: change vs {baseline}"] = [
                (f"{c.change} ({c.change_interval})" if c.change_interval else c.change) + (" *" if c.clear else "")
                for c in (r["cells"][j] for r in rows)]
    return pd.DataFrame(data, index=pd.Index([r["words"] for r in rows], name="Measure"))


def show_run(folder: Path, key: str) -> None:
    """A run's answer: headline table, plain-words summary and charts, all from its results folder."""
    results = load_results(folder)
    man = results.manifest
    names = [s["name"] for s in man["scenarios"]]
    labels = [results.label(n) for n in names]
    baseline = results.label(man.get("baseline") or names[0])
    rows = headline_rows(results, names)
    st.subheader("Headline results")
    st.caption(f"Mean (95% CI) over {man['replications']} replications × {float(man['days']):g} days, simulated; "
               "totals per year. A change marked * has a 95% CI that excludes zero (paired by common random numbers).")
    st.table(headline_frame(rows, labels, baseline))
    if len(names) > 1:
        st.subheader("In plain words")
        st.markdown(summary_markdown(rows, labels, baseline))
    show_charts(folder, key)


@st.cache_data(show_spinner=False)
def paper_figures(folder: str) -> str:
    """The standard charts in the `paper` style, drawn once into a scratch folder (the results stay as saved)."""
    out = Path(tempfile.mkdtemp(prefix="crisis-sim-paper-"))
    draw_folder(folder, style="paper", out=out)
    return str(out)


def ensure_figures(folder: Path) -> None:
    """Draw the standard charts and report.html of a run folder if they are missing (no re-run)."""
    compared = (folder / "comparison.csv").exists()  # one scenario: no difference chart to wait for
    if any(not (folder / "figures" / f"{c.stem}.png").exists() for c in CHARTS if compared or c.stem != "difference") \
            or not (folder / REPORT_FILE).exists():
        with st.spinner("Drawing the charts…"):
            write_report(folder)


def show_charts(folder: Path, key: str) -> None:
    ensure_figures(folder)
    st.subheader("Charts")
    left, right = st.columns([1, 3])
    style = left.radio("Chart style", ["talk", "paper"], horizontal=True, key=f"keep:{key}:style",
                       help="talk: large type for slides; paper: compact, readable in grayscale. Never re-runs the model.")
    titles = {c.stem: c.title for c in CHARTS}
    chosen = right.multiselect("Charts to show", list(titles), default=list(titles), format_func=titles.get,
                               key=f"keep:{key}:charts")
    figures = folder / "figures" if style == "talk" else Path(paper_figures(str(folder)))
    shown = [stem for stem in chosen if (figures / f"{stem}.png").exists()]
    for tab, stem in zip(st.tabs([titles[s] for s in shown]) if shown else [], shown):
        tab.image(str(figures / f"{stem}.png"), width="stretch")


def show_folder_figures(folder: Path) -> None:
    pngs = sorted((folder / "figures").glob("*.png"))
    if not pngs:
        st.caption("No charts in this folder.")
    cols = st.columns(2)
    for i, png in enumerate(pngs):
        cols[i % 2].image(str(png), caption=png.stem.replace("_", " "), width="stretch")


def pick_folder(folders: list[Path], root: Path, key: str, default: Path | None = None) -> Path | None:
    """A results folder chosen from those under the results root, or typed in."""
    options = [str(f) for f in folders]
    if default is not None and str(default) not in options:
        options.insert(0, str(default))
    typed = st.text_input("Or a results folder's path", key=f"keep:{key}:typed",
                          help="Any folder written by crisis-sim run, sweep, staff or sensitivity.")
    if typed.strip():
        return Path(typed.strip()).expanduser()
    if not options:
        st.info(f"No results folders under {root} yet. Run a comparison on the Compare page, or type a path above.")
        return None
    index = options.index(str(default)) if default is not None else 0

    def describe(path: str) -> str:
        p = Path(path)
        try:
            where = p.relative_to(root)
        except ValueError:
            where = p
        return f"{where} ({folder_kind(p)})"

    return Path(st.selectbox("Results folder", options, index=index, format_func=describe, key=f"{key}:folder"))


def download_buttons(folder: Path) -> None:
    """Download the folder as a zip, its CSVs and report.html."""
    st.download_button("Results folder (.zip)", zip_folder(folder), file_name=f"{folder.name}.zip",
                       mime="application/zip", key="dl:zip", icon=":material/folder_zip:")
    if folder_kind(folder) == "run":
        if not (folder / REPORT_FILE).exists():
            try:
                write_report(folder)
            except ScenarioError as exc:
                st.warning(str(exc))
        if (folder / REPORT_FILE).exists():
            st.download_button("report.html", (folder / REPORT_FILE).read_bytes(), file_name=REPORT_FILE,
                               mime="text/html", key="dl:report", icon=":material/description:")
    csvs = sorted(folder.glob("*.csv"))
    if csvs:
        st.markdown("**Tables (CSV)**")
        cols = st.columns(min(len(csvs), 4))
        for i, path in enumerate(csvs):
            cols[i % len(cols)].download_button(path.name, path.read_bytes(), file_name=path.name, mime="text/csv",
                                                key=f"dl:csv:{path.name}")


def yaml_downloads(edited: dict[str, str]) -> None:
    """The scenarios as edited on the Compare page, as YAML (the given files are never written)."""
    if edited:
        st.markdown("**Edited scenarios (YAML, every value resolved)**")
        for name, text in edited.items():
            st.download_button(f"{name}.yaml", text.encode("utf-8"), file_name=f"{name}.yaml",
                               mime="application/x-yaml", key=f"dl:yaml:{name}")
