"""The `crisis-sim` command line: a thin layer over the Python API.

Bad input (scenario files, arguments) prints a message naming the file and key path and
exits with code 2, writing nothing. Anything else that fails exits with code 1.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shlex
import signal
import sys
from pathlib import Path
from typing import Annotated, Callable, Iterator, List, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .errors import Interrupted, OutputError, RunFailed, ScenarioError, stop

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Simulate crisis response with police, co-responder and peer-embedded teams.")
# markup off: labels, file names and paths are printed as written ("Peer [/] team" is a label,
# not a closing tag); the few styled words ask for markup=True and escape what they embed
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 120, markup=False)
# wide enough for the headline table when output goes to a file or a CI log
console = Console(width=None if sys.stdout.isatty() else 120, markup=False)

OUT_HELP = "Results folder to create (must not already hold results). Default: results/<name>/<timestamp>/."
WORKERS_HELP = "Local worker processes (1 = serial in this process). Default: the machine's cores."
SCHEDULER_HELP = "Run replications on a Dask distributed cluster, e.g. tcp://host:8786."


# options shared by every command that runs the model
OutOption = Annotated[Optional[Path], typer.Option("--out", help=OUT_HELP)]
WorkersOption = Annotated[Optional[int], typer.Option("--workers", min=1, help=WORKERS_HELP)]
SchedulerOption = Annotated[Optional[str], typer.Option("--scheduler", help=SCHEDULER_HELP)]
QuietOption = Annotated[bool, typer.Option("--quiet", help="No progress bar and no table.")]
NoChartsOption = Annotated[bool, typer.Option("--no-charts", help="Skip drawing charts.")]
StyleOption = Annotated[str, typer.Option("--style", help="Chart style: talk (slides) or paper (compact, grayscale-safe).")]
DaysOption = Annotated[Optional[float], typer.Option("--days", min=0.001, help="Simulated days after warm-up.")]
WarmupOption = Annotated[Optional[float], typer.Option("--warmup-days", min=0, help="Days simulated first and left out of every metric.")]
SeedOption = Annotated[Optional[int], typer.Option("--seed", min=0, help="Base seed.")]
DaskTimeoutOption = Annotated[float, typer.Option("--dask-timeout", min=0.1, help="With --scheduler: fail (exit 1) after "
                                                                            "this many seconds without a Dask worker.")]
NoCallsOption = Annotated[bool, typer.Option("--no-calls", help="Skip the per-call table (calls.parquet) and the charts "
                                                               "drawn from it: for big runs.")]
# options shared by the searches (staff, plan) and the designs that never keep calls
TargetsOption = Annotated[List[str], typer.Option("--target", help='Target the 95% interval must be within (one-sided '
                                                  '97.5%), e.g. "eligible_reached_share\\[peer_team]>=0.6" or '
                                                  '"response_min_p90<=20"; repeat for more.')]
SearchReplicationsOption = Annotated[Optional[int], typer.Option(
    "-r", "--replications", min=2, help="Replications per staffing or schedule tried, to start with (default: the "
    "scenario's run.replications).")]
MaxReplicationsOption = Annotated[Optional[int], typer.Option(
    "--max-replications", min=2, help="Most replications per staffing or schedule when a decision is close (default 4 × -r).")]
NoConfirmOption = Annotated[bool, typer.Option("--no-confirm", help="Skip confirming the answer with fresh replications "
                                               "(the search's own claim then errs more often than its nominal 2.5%).")]
NeverCallsOption = Annotated[bool, typer.Option("--no-calls", help="Accepted for uniformity: this command never keeps or "
                                                "writes the per-call table (calls.parquet).")]


def fit_or_refuse(scenarios, replications: int, days: float, warmup_days: float, workers: int, out,
                  keep_calls: bool = True, what: str = "this run"):
    """Estimate the run's calls, memory and disk before any work; refuse one that cannot fit
    (exit 2, with how to shrink it) and an --out that cannot take it."""
    from .designs.resources import check_fits, estimate
    from .outputs.results import check_out_dir

    est = estimate(scenarios, replications, days, warmup_days, workers, keep_calls)
    check_fits(est, what)
    check_out_dir(out, est.disk_bytes)
    return est


@dataclasses.dataclass(frozen=True)
class Execution:
    """How a command's replications run: worker processes or a Dask scheduler, its timeout, a progress bar.

    Every command that runs the model estimates first (`refuse_unless_fits`), then runs its design
    under one progress bar (`run`), then saves (`save`)."""

    workers: int | None = None
    scheduler: str | None = None
    dask_timeout: float = 60.0
    quiet: bool = False

    @property
    def pool(self) -> int:
        return self.workers or default_workers()

    def refuse_unless_fits(self, scenarios, replications: int, days: float, warmup_days: float, out,
                           keep_calls: bool = True, what: str = "this run"):
        """`fit_or_refuse` with this execution's workers (one per replication in memory; a Dask run keeps one)."""
        return fit_or_refuse(scenarios, replications, days, warmup_days, 1 if self.scheduler else self.pool, out,
                             keep_calls=keep_calls, what=what)

    def run(self, design: Callable, *args, total: int, description: str = "replications", **kwargs):
        """`design(*args, workers=, scheduler=, on_done=, dask_timeout_s=, **kwargs)` under a progress bar."""
        context, advance = progress_counter(total, self.quiet, description)
        with context:
            return design(*args, workers=self.pool, scheduler=self.scheduler, on_done=advance,
                          dask_timeout_s=self.dask_timeout, **kwargs)


def save_folder(result, out, no_charts: bool = False, style: str = "talk", **kwargs) -> Path:
    """Write a design's results folder (sim.outputs.folders.save) with the command line that made it."""
    from .outputs.folders import save

    return save(result, out, command=command_line(), charts=not no_charts, style=style, **kwargs)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn bad input into a clear message and exit code 2, without a traceback."""
    try:
        yield
    except ScenarioError as exc:
        err_console.print(f"[bold red]error[/]: {escape(str(exc))}", highlight=False, soft_wrap=True, markup=True)
        raise typer.Exit(2) from None
    except (OutputError, RunFailed) as exc:
        err_console.print(f"[bold red]failed[/]: {escape(str(exc))}", highlight=False, soft_wrap=True, markup=True)
        raise typer.Exit(1) from None


def print_warnings(lines: list[str]) -> None:
    for line in lines:
        err_console.print(f"[yellow]warning[/]: {escape(line)}", highlight=False, soft_wrap=True, markup=True)


def default_workers() -> int:
    return os.cpu_count() or 1


def command_line() -> str:
    return "crisis-sim " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def progress_counter(total: int, quiet: bool, description: str = "replications"):
    """A rich progress bar (a no-op when quiet or not on a terminal); returns (context, advance)."""
    if quiet or not sys.stdout.isatty():
        return contextlib.nullcontext(), None
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    # no refresh thread: worker processes can then start by fork, without re-importing
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=console,
                        auto_refresh=False)
    task = progress.add_task(description, total=total)

    def advance(n: int) -> None:
        progress.advance(task, n)
        progress.refresh()

    return progress, advance


def _ci_text(mean: float, lo: float, hi: float, metric: str, diff: bool = False) -> str:
    """`mean [low, high]` in the metric's own format (from the catalogue); money of a million or more in millions."""
    from .outputs.formatting import interval

    return interval(mean, lo, hi, metric, diff, short=True)


def print_headline(experiment) -> None:
    """Headline metrics per scenario with 95% CIs, and the paired difference to the baseline."""
    from .outputs.formatting import distinct_labels

    labels = distinct_labels({s.name: s.display_label for s in experiment.scenarios})
    head = experiment.headline()
    comp = experiment.comparison
    base_label = labels[experiment.baseline]
    table = Table(title=f"Headline metrics: mean [95% CI] over {experiment.replications} replications "
                        f"× {experiment.days:g} days (simulated)", title_justify="left")
    table.add_column("metric")
    table.add_column("scenario")
    table.add_column("mean [95% CI]", justify="right")
    if comp is not None:
        table.add_column(f"vs {base_label} [95% CI]", justify="right")
    for metric in dict.fromkeys(head["metric"]):
        for i, s in enumerate(experiment.scenarios):
            row = head[(head["scenario"] == s.name) & (head["metric"] == metric)]
            if row.empty:
                continue
            r = row.iloc[0]
            cells = [metric if i == 0 else "", labels[s.name],
                     _ci_text(r["mean"], r["ci_low"], r["ci_high"], metric)]
            if comp is not None:
                c = comp[(comp["scenario"] == s.name) & (comp["metric"] == metric) & (comp["team"] == "")
                         & (comp["zone"] == "")]
                cells.append("" if c.empty else _ci_text(c.iloc[0]["diff_mean"], c.iloc[0]["ci_low"],
                                                         c.iloc[0]["ci_high"], metric, diff=True))
            table.add_row(*cells, end_section=i == len(experiment.scenarios) - 1)
    console.print(table)
    if experiment.replications == 1:
        console.print("With one replication the spread between replications is unknown, so the 95% CIs of averages "
                      "are unbounded ([-∞, ∞]); counts of rare events keep exact Poisson bounds. Run -r 2 or more "
                      "for intervals.", highlight=False)
    unpaired = [labels[s.name] for s in experiment.scenarios if not experiment.paired.get(s.name, True)]
    if unpaired:
        console.print(f"Not paired by common random numbers (demand differs from the baseline): {', '.join(unpaired)}; "
                      "their differences use Welch's unpaired interval.", highlight=False)


def print_unresolved(experiment) -> None:
    """Headline differences whose CI still includes zero, and what would resolve them."""
    from .designs.experiment import unresolved_differences
    from .outputs.formatting import distinct_labels

    rows = unresolved_differences(experiment)
    if rows.empty:
        return
    labels = distinct_labels({s.name: s.display_label for s in experiment.scenarios})
    err_console.print("Differences not yet told apart from zero (95% CI includes 0):", highlight=False)
    for r in rows.itertuples():
        advice = ("too small to resolve by replications alone (over 500 would be needed)" if r.too_small else
                  f"about {r.replications_needed:.0f} replications would resolve it if it is real")
        err_console.print(f"  {r.metric}, {labels[r.scenario]}: {advice}", highlight=False)


def print_precision(experiment, target: float = 0.10) -> None:
    """One line per headline metric whose CI is still wide, with the replications that would narrow it."""
    wide = experiment.imprecise(target)
    if wide.empty:
        return
    err_console.print(f"[yellow]Precision[/]: these 95% CIs are wider than ±{target:.0%} of the mean "
                      "(replications needed: Hoad–Robinson–Davies sequential CI method)", highlight=False, markup=True)
    for metric, grp in wide.groupby("metric", sort=False):
        need = grp["replications_needed"].max()
        low, high = f"{grp['rel_half_width'].min():.0%}", f"{grp['rel_half_width'].max():.0%}"
        spread = f"±{low}" if low == high else f"±{low}–{high}"
        if grp["too_rare"].any():
            advice = (f"too rare to estimate at this length (mean {grp['mean'].abs().min():.2g} per replication); "
                      "simulate more days (--days), or read it as a rate, rather than add replications")
        else:
            advice = f"about {need:.0f} replications (-r {need:.0f})" if need == need else "more replications"
        err_console.print(f"  {metric}: {spread} in {len(grp)} scenario(s); {advice}", highlight=False)


@app.command()
def run(
    scenarios: List[Path] = typer.Argument(..., help="Scenario YAML files; the first is the baseline unless --baseline."),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="Scenario name to compare the others with."),
    replications: Optional[int] = typer.Option(None, "-r", "--replications", min=1, help="Replications (default: the scenario's run.replications)."),
    days: DaysOption = None,
    warmup_days: WarmupOption = None,
    seed: SeedOption = None,
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    dask_timeout: DaskTimeoutOption = 60.0,
    quiet: QuietOption = False,
    no_charts: NoChartsOption = False,
    style: str = typer.Option("talk", "--style", help="Chart style: talk (slides) or paper (compact, grayscale-safe)."),
    no_calls: NoCallsOption = False,
    draws: Optional[int] = typer.Option(None, "--draws", min=1, help="Probabilistic sensitivity analysis: draw the "
                                        "scenarios' `uncertainty:` inputs N times and run every scenario per draw "
                                        "(-r replications per draw, default 1)."),
    calls_per_draw: bool = typer.Option(False, "--calls-per-draw", help="With --draws: also write "
                                        "calls/draw_NNNNN.parquet for every draw (large)."),
) -> None:
    """Run scenarios with common random numbers and compare each with the baseline."""
    from .outputs.chart_workers import ChartHelpers

    # forked first, so the chart code is imported on the other core while the model runs
    with ChartHelpers(0 if no_charts or draws is not None else 2) as helpers:
        _run(scenarios, baseline, replications, days, warmup_days, seed, out, workers, scheduler, dask_timeout,
             quiet, no_charts, style, no_calls, draws, calls_per_draw, helpers)


def _run(scenarios, baseline, replications, days, warmup_days, seed, out, workers, scheduler, dask_timeout, quiet,
         no_charts, style, no_calls, draws, calls_per_draw, helpers) -> None:
    from .designs.experiment import run_experiment
    from .scenario.loading import load_scenario

    ex = Execution(workers, scheduler, dask_timeout, quiet)
    with user_errors():
        if style not in ("talk", "paper"):
            raise ScenarioError(f"--style must be talk or paper, got {style!r}")
        loaded = [load_scenario(p) for p in scenarios]
        first = loaded[0].run
        days_, warmup_ = first.days if days is None else days, first.warmup_days if warmup_days is None else warmup_days
        if draws is not None:
            # memory is bounded by one chunk of draws, whatever N: estimate one draw's replications
            ex.refuse_unless_fits(loaded, replications or 1, days_, warmup_, out, keep_calls=calls_per_draw,
                                  what="each draw")
            _run_draws(ex, loaded, draws, baseline=baseline, replications=replications, days=days,
                       warmup_days=warmup_days, seed=seed, out=out, charts=not no_charts, style=style,
                       calls=calls_per_draw)
            return
        if calls_per_draw:
            raise ScenarioError("--calls-per-draw goes with --draws")
        est = ex.refuse_unless_fits(loaded, replications or first.replications, days_, warmup_, out,
                                    keep_calls=not no_calls)
        if helpers:
            helpers.keep_for(est.calls)  # a long run draws its charts here, not in helpers holding memory
        differ = [s.name for s in loaded[1:] if s.run != loaded[0].run]
        if differ:
            err_console.print(f"note: every scenario runs with the `run:` settings of {loaded[0].name} (and the "
                              f"command line); {', '.join(differ)} set others", highlight=False)
        experiment = ex.run(run_experiment, loaded, total=len(loaded) * (replications or first.replications),
                            replications=replications, seed=seed, days=days, warmup_days=warmup_days,
                            baseline=baseline, keep_calls=not no_calls)
        # the answer first: the headline is read while the tables are written and the charts drawn
        if not quiet:
            print_headline(experiment)
            print_precision(experiment)
            print_unresolved(experiment)
        print_warnings(experiment.warnings())
        status = err_console.status("Writing the results folder…") if not quiet and err_console.is_terminal \
            else contextlib.nullcontext()
        with status:
            folder = save_folder(experiment, out, no_charts, style, helpers=helpers)
    console.print(f"Results: {folder}", highlight=False)


def _run_draws(ex: Execution, loaded, draws: int, *, baseline, replications, days, warmup_days, seed, out,
               charts: bool, style: str, calls: bool) -> None:
    """`run --draws N`: the probabilistic sensitivity analysis, streamed into its results folder."""
    from .designs.psa import PsaDesign, run_psa
    from .outputs.psa_results import load_psa, save_psa

    design = PsaDesign(tuple(loaded), draws, replications=replications or 1, seed=seed, days=days,
                       warmup_days=warmup_days, baseline=baseline, keep_calls=calls)
    design.check()
    folder, result = save_psa(lambda sink: ex.run(run_psa, design, total=draws, description="draws", sink=sink),
                              design.names, out, command=command_line(), charts=charts, style=style)
    if not ex.quiet:
        print_how_sure(load_psa(folder))
    console.print(f"Results: {folder}", highlight=False)


def print_how_sure(psa: dict) -> None:
    """The PSA headline: plain-words probabilities per scenario, then a table of differences per year."""
    from .outputs.psa_words import how_sure, top_driver

    m = psa["manifest"]
    per_year = 365.0 / float(m["days"])
    console.print(f"[bold]How sure are we?[/] {m['draws']} plausible cities (draws of {len(m['uncertain_inputs'])} "
                  f"uncertain inputs), {m['replications_per_draw']} replication(s) × {float(m['days']):g} days each "
                  "(simulated)", highlight=False, markup=True)
    for entry in how_sure(psa):
        for sentence in entry["sentences"]:
            console.print(f"  {escape(sentence['text'])}", highlight=False)
        driver = top_driver(psa, entry["scenario"])
        if driver is not None:
            console.print(f"  What drives the all-payer difference most: {escape(driver[0])} (rank correlation "
                          f"{driver[1]:+.2f}).", highlight=False)
    table = Table(title="Difference per year vs the baseline: mean [2.5–97.5% of draws], share of draws lower",
                  title_justify="left")
    for col in ("metric", "scenario", "difference [95% UI]", "lower in"):
        table.add_column(col, justify="left" if col in ("metric", "scenario") else "right")
    comp = psa["psa_comparison"]
    labels = {s["name"]: s["label"] for s in m["scenarios"]}
    for metric in ("cost_total", "cost_city", "cost_new_teams", "police_hours_crisis", "involuntary_holds", "arrests"):
        rows = comp[(comp["metric"] == metric) & (comp["team"] == "")]
        for i, r in enumerate(rows.itertuples()):
            table.add_row(metric if i == 0 else "", labels.get(r.scenario, r.scenario),
                          _ci_text(r.diff_mean * per_year, r.ui_low * per_year, r.ui_high * per_year, metric, True),
                          f"{r.prob_lower:.0%}", end_section=i == len(rows) - 1)
    console.print(table)


@app.command()
def check(scenarios: List[Path] = typer.Argument(..., help="Scenario YAML files to validate.")) -> None:
    """Validate scenarios and print a summary of each (teams, staffed hours, routing)."""
    from .analysis.warmup import warmup_warning
    from .designs.resources import estimate
    from .scenario.loading import MERGE_RULES, extends_chain, load_scenario
    from .scenario.sanity import scenario_warnings
    from .scenario.uncertainty import check_ranges

    with user_errors():
        loaded = [load_scenario(p) for p in scenarios]
        for path, s in zip(scenarios, loaded):
            try:
                check_ranges(s)
            except ScenarioError as exc:
                raise ScenarioError(exc.message, file=str(path), path=exc.path) from None
    for path, s in zip(scenarios, loaded):
        console.print(f"[bold]{escape(s.name)}[/] ({escape(s.display_label)}) — {escape(str(path))}: OK", highlight=False,
                      markup=True)
        warning = warmup_warning(s)
        if warning:
            err_console.print(f"warning: {warning}", highlight=False)
        chain = extends_chain(path)
        if len(chain) > 1:
            console.print(f"  extends: {' → '.join(p.name for p in chain)} ({MERGE_RULES})", highlight=False)
        d = s.demand
        console.print(f"  demand: {d.crisis_calls_per_day:g} crisis calls/day; types "
                      + ", ".join(f"{k} {v.share:.0%}" for k, v in d.call_types.items())
                      + (f"; other police calls {d.other_police_calls.per_day:g}/day" if d.other_police_calls else ""),
                      highlight=False)
        teams = Table(show_edge=False, box=None, pad_edge=False)
        for col in ("team", "kind", "unit-hours/week", "cost/unit-hour", "on-scene mean (min)"):
            teams.add_column(col)
        for name, t in s.teams.items():
            teams.add_row(name, t.kind, f"{t.unit_hours_per_week():,.0f}", f"{t.cost_per_unit_hour:,.0f}",
                          f"{t.on_scene_min.mean:.0f}" if t.on_scene_min is not None else "-")
        console.print(teams)
        routes = Table(show_edge=False, box=None, pad_edge=False)
        for col in ("rule", "call types", "risk", "send", "max wait (min)"):
            routes.add_column(col)
        for i, rule in enumerate(s.routing):
            routes.add_row(str(i), ", ".join(rule.match.call_type or ["any"]), ", ".join(rule.match.risk or ["any"]),
                           " → ".join(rule.send), "no limit" if rule.max_wait_min is None else f"{rule.max_wait_min:g}")
        console.print(routes)
        est = estimate([s], s.run.replications, s.run.days, s.run.warmup_days, default_workers())
        console.print(f"  estimate for its run settings: {est.describe()}", highlight=False, soft_wrap=True)
        print_warnings(scenario_warnings(s))
        print_outcome_tables(s)
        print_load(s)
        if s.geography is not None:
            _print_geography(s)


def print_outcome_tables(s) -> None:
    """Each team's resolved outcomes (percent) by call type and true risk, with units per call and backup."""
    from .scenario.common import OUTCOME_KEYS, RISKS
    from .scenario.outcomes import team_outcomes

    short = {"arrest": "arrest", "involuntary_hold": "hold", "ed_transport": "ED", "crisis_center": "crisis ctr",
             "linked_to_services": "linked", "use_of_force": "force", "injury": "injury"}
    if s.triage is not None:
        m = s.triage.matrix()
        console.print("  triage, coded risk by true risk: " + "; ".join(
            f"{true} → " + ", ".join(f"{c} {m[i][j]:.0%}" for j, c in enumerate(RISKS) if m[i][j])
            for i, true in enumerate(RISKS)), highlight=False)
        if s.triage.recognised:
            console.print("  recognised at intake: " + ", ".join(f"{k} {v:.0%}" for k, v in s.triage.recognised.items())
                          + f"; the rest go to {' → '.join(s.unrecognised_send())}", highlight=False)
    answering = s.answering_teams()
    for name, team in s.teams.items():
        if name not in answering:
            console.print(f"{name}: makes follow-up visits only (no crisis calls of its own, so no outcome table)",
                          highlight=False)
            continue
        table = Table(title=f"{name}: outcomes (%) by call type and true risk", title_justify="left",
                      show_edge=False, box=None, pad_edge=False)
        for col in ("call type", "risk", *(short[k] for k in OUTCOME_KEYS), "units"):
            table.add_column(col, justify="left" if col in ("call type", "risk") else "right")
        if team.backup is not None:
            table.add_column("backup")
        resolved = team_outcomes(s, name)
        for ct in s.demand.call_types:
            for risk in RISKS:
                cell = resolved[ct][risk]
                row = [ct, risk, *(f"{100 * cell[k]:.1f}" for k in OUTCOME_KEYS), str(team.units_for(ct, risk))]
                if team.backup is not None:
                    row.append(f"{100 * team.backup.chance(risk):.0f}")
                table.add_row(*row)
        console.print(table)


def _print_geography(s) -> None:
    """`check`: the zones, where each team is based, and what the travel matrix means for each team."""
    from .scenario.geography import nearest_base_travel

    geo = s.geography
    names = geo.zone_names
    console.print("  zones: " + ", ".join(
        f"{z} {spec.share:.0%}" + (f" ({spec.x:g}, {spec.y:g} km)" if spec.x is not None and spec.y is not None else "")
        for z, spec in geo.zones.items()), highlight=False)
    cells = [v for b in names for z in names if (v := geo.mean_travel_min(b, z)) is not None]
    source = "travel_min matrix" if geo.travel_min is not None else f"{geo.metric} distance at {geo.speed_kmh:g} km/h"
    console.print(f"  travel: {source}, {len(cells)} cells, {min(cells):g}-{max(cells):g} min; "
                  f"spread per call cv {geo.travel_cv:g}", highlight=False)
    table = Table(show_edge=False, box=None, pad_edge=False)
    for col in ("team", "bases", "travel factor", "nearest base (min, call-weighted)", "farthest zone"):
        table.add_column(col)
    travels = {n for rule in s.routing for n in rule.send} | {t.backup.team for t in s.teams.values() if t.backup}
    travels |= {n for n in (s.other_calls_team(), *s.unrecognised_send()) if n}
    for name, t in s.teams.items():
        if t.bases is None and name in travels:  # follow-up visits are not driven to: a base changes nothing
            console.print(f"  [yellow]warning[/]: team {escape(name)} has no `bases`: every unit is in {escape(names[0])}",
                          highlight=False, markup=True)
        bases = ", ".join(f"{z} {w:g}" for z, w in (t.bases or {names[0]: t.units or 1}).items() if w > 0)
        near = nearest_base_travel(s, name)
        weighted = sum(geo.zones[z].share * m for z, m in near.items())
        worst = max(names, key=lambda z: near[z])
        table.add_row(name, bases, f"{t.travel_factor:g}", f"{weighted:.1f}", f"{worst} {near[worst]:.0f}")
    console.print(table)


@app.command()
def warmup(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    replications: int = typer.Option(10, "-r", "--replications", min=2, help="Replications from an empty start."),
    days: float = typer.Option(730, "--days", min=20, help="Days each replication runs (no warm-up cut)."),
    seed: SeedOption = None,
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    dask_timeout: DaskTimeoutOption = 60.0,
    quiet: QuietOption = False,
    no_charts: NoChartsOption = False,
    style: StyleOption = "talk",
) -> None:
    """How long a warm-up the scenario needs: MSER-5 on daily series and a Welch plot."""
    from .designs.warmup import run_warmup
    from .scenario.loading import load_scenario

    ex = Execution(workers, scheduler, dask_timeout, quiet)
    with user_errors():
        loaded = load_scenario(scenario)
        # the replications keep daily series only, no calls table
        ex.refuse_unless_fits([loaded], replications, days, 0.0, out, keep_calls=False, what="this warm-up study")
        result = ex.run(run_warmup, loaded, replications, days, seed, total=replications)
        folder = save_folder(result, out, no_charts, style)
    if not quiet:
        table = Table(title=f"Warm-up of {loaded.display_label}: MSER-5 on daily series, {replications} replications "
                            f"× {days:g} days from an empty start")
        for col in ("series", "MSER-5 (mean of replications)", "largest in one replication"):
            table.add_column(col, justify="right" if col != "series" else "left")
        for r in result.recommendation.itertuples():
            table.add_row(r.series, f"{r.mser_days} days", f"{r.per_replication_max} days")
        console.print(table)
    verdict = ("enough" if loaded.run.warmup_days >= result.warmup_days else "too short")
    console.print(f"Recommended warm-up: {result.warmup_days} days; the scenario has {loaded.run.warmup_days:g} "
                  f"({verdict}).", highlight=False)
    console.print(f"Results: {folder}", highlight=False)


@app.command()
def rerun(
    results_dir: Path = typer.Argument(..., help="A results folder written by `crisis-sim run`."),
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    dask_timeout: DaskTimeoutOption = 60.0,
    quiet: QuietOption = False,
) -> None:
    """Run a results folder again from its manifest and resolved scenarios; say whether every table is identical."""
    from .designs.experiment import run_experiment
    from .outputs.results import load_results, package_hash, same_bytes
    from .scenario.loading import load_scenario

    with user_errors():
        saved = load_results(results_dir)
        man = saved.manifest
        if man.get("kind", "run") != "run":
            raise ScenarioError(f"{results_dir} holds {man['kind']} results; rerun reproduces folders written by "
                                "`crisis-sim run`")
        names = [entry["name"] for entry in man.get("scenarios", [])]
        missing = [n for n in names if not (Path(results_dir) / "scenarios" / f"{n}.yaml").exists()]
        if not names or missing:
            raise ScenarioError(f"{results_dir}: cannot rerun without the resolved scenarios "
                                f"(missing scenarios/{missing[0] if missing else '<name>'}.yaml)")
        loaded = [load_scenario(Path(results_dir) / "scenarios" / f"{n}.yaml") for n in names]
        ex = Execution(workers, scheduler, dask_timeout, quiet)
        keep_calls = not man.get("no_calls", False)
        ex.refuse_unless_fits(loaded, int(man["replications"]), float(man["days"]), float(man["warmup_days"]), out,
                              keep_calls=keep_calls, what="this rerun")
        experiment = ex.run(run_experiment, loaded, total=len(loaded) * int(man["replications"]),
                            replications=int(man["replications"]), seed=int(man["seed"]), days=float(man["days"]),
                            warmup_days=float(man["warmup_days"]), baseline=man.get("baseline"), keep_calls=keep_calls)
        folder = save_folder(experiment, out, no_charts=True)
    same = same_bytes(results_dir, folder)
    for name, equal in same.items():
        if equal is not None:
            console.print(f"  {name}: {'identical' if equal else 'DIFFERENT'}", highlight=False)
    if man.get("package_sha256") and man["package_sha256"] != package_hash():
        console.print("  note: the package's source differs from the one that wrote the folder", highlight=False)
    console.print(f"Rerun: {folder}", highlight=False)
    if not all(v for v in same.values() if v is not None):
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario file (for editors)."""
    from .scenario.schema import Scenario

    typer.echo(json.dumps(Scenario.model_json_schema(by_alias=True), indent=2))


STYLE_HELP = "Chart style: talk (slides) or paper (compact, grayscale-safe)."


@app.command()
def plot(
    results_dir: Path = typer.Argument(..., help="A results folder written by `crisis-sim run` (or sweep, staff, ...)."),
    style: Optional[str] = typer.Option(None, "--style", help=STYLE_HELP + " Default: the scenario's `charts.style`, "
                                        "else talk."),
    out: Optional[Path] = typer.Option(None, "--out", help="Draw into this new folder instead of the results "
                                       "folder's figures/ (it must not exist yet, or be empty): never over another "
                                       "folder's charts."),
    title: list[str] = typer.Option([], "--title", help='A chart\'s own title, CHART="Title" (repeatable), e.g. '
                                    '--title difference="What peers change".'),
    aspect: Optional[str] = typer.Option(None, "--aspect", help="Slide shape: 16:9 (default) or 4:3."),
    theme: Optional[str] = typer.Option(None, "--theme", help="light (default), dark or transparent."),
    font_scale: Optional[float] = typer.Option(None, "--font-scale", help="Multiply every type size (0.5-3)."),
    only: list[str] = typer.Option([], "--only", help="Draw only this chart (repeatable), e.g. --only difference."),
    call_type: Optional[str] = typer.Option(None, "--call-type", help="Charts of one call type (outcomes, who "
                                            "responds, response time), e.g. --call-type idd."),
) -> None:
    """Redraw the charts of a results folder from its saved files (no re-run) into figures/ (or --out).

    Presentation options override the baseline scenario's `charts:` block."""
    from .outputs.folders import draw_folder
    from .outputs.results import check_out_dir

    with user_errors():
        titles = {}
        for item in title:
            name, sep, text = item.partition("=")
            if not sep or not name.strip() or not text.strip():
                raise ScenarioError(f'--title must be CHART="Title", got {item!r}')
            titles[name.strip()] = text.strip()
        check_out_dir(out)
        paths = draw_folder(results_dir, style=style, out=out, aspect=aspect, theme=theme, font_scale=font_scale,
                            titles=titles or None, only=only or None, call_type=call_type)
    where = out if out is not None else results_dir / "figures"
    console.print(f"Charts: {len(paths)} files in {where}", highlight=False)


@app.command()
def report(
    results_dir: Path = typer.Argument(..., help="A results folder written by `crisis-sim run` (or `plan`)."),
    style: str = typer.Option("talk", "--style", help=STYLE_HELP + " Used only if figures/ must be drawn first."),
) -> None:
    """Write a self-contained report.html (charts embedded) into a results folder."""
    from .outputs.report import write_report
    from .outputs.results import results_kind

    with user_errors():
        kind = results_kind(results_dir)
        if kind == "psa":
            from .outputs.psa_report import write_psa_report

            path = write_psa_report(results_dir, style=style)
            console.print(f"Report: {path}", highlight=False)
            return
        if kind == "plan":
            from .outputs.plan_report import write_plan_report

            path = write_plan_report(results_dir, style=style)
            console.print(f"Report: {path}", highlight=False)
            return
        if kind != "run":
            raise ScenarioError(f"{results_dir} holds {kind} results; the report is for folders written by "
                                "`crisis-sim run` (the charts of this folder are in its figures/)")
        path = write_report(results_dir, style=style)
    console.print(f"Report: {path}", highlight=False)


@app.command()
def sweep(
    sweep_file: Path = typer.Argument(..., help="Sweep YAML file: scenario, vary, mode, replications."),
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    dask_timeout: DaskTimeoutOption = 60.0,
    quiet: QuietOption = False,
    no_charts: NoChartsOption = False,
    style: StyleOption = "talk",
    no_calls: NoCallsOption = False,
) -> None:
    """Run a scenario at every point of a sweep (common random numbers) and chart the staffing curve."""
    from .analysis.catalogue import metric as catalogue_metric
    from .designs.sweep import load_sweep, run_sweep, total_jobs

    with user_errors():
        plan = load_sweep(sweep_file)
        spec, base = plan.spec, plan.base.run
        ex = Execution(workers, scheduler, dask_timeout, quiet)
        ex.refuse_unless_fits([p.scenario for p in plan.points] + list(plan.baseline_runs),
                              spec.replications or base.replications, base.days if spec.days is None else spec.days,
                              base.warmup_days if spec.warmup_days is None else spec.warmup_days, out,
                              keep_calls=not no_calls, what="this sweep")
        result = ex.run(run_sweep, plan, total=total_jobs(plan), keep_calls=not no_calls)
        folder = save_folder(result, out, no_charts, style)
    if not quiet:
        m = result.metrics
        table = Table(title=f"{plan.name}: mean [95% CI] over {result.experiment.replications} replications × "
                            f"{result.experiment.days:g} days (simulated)")
        for key in plan.keys:  # plain words, the key path below them
            table.add_column(Text.assemble(plan.key_label(key), "\n", (key, "dim")))
        refs = plan.metrics
        for ref in refs:  # short words from the catalogue, the team on its own line: never cut off
            header = catalogue_metric(ref.metric).short_label + (f"\n[{ref.team}]" if ref.team else "")
            table.add_column(header, justify="right", overflow="fold")
        for point in plan.points:
            cells = [str(v) for v in point.values.values()]
            for ref in refs:
                row = m[(m["scenario"] == point.scenario.name) & (m["metric"] == ref.metric) & (m["team"] == ref.team)
                        & (m["zone"] == "")]
                cells.append(_ci_text(*row.iloc[0][["mean", "ci_low", "ci_high"]], ref.metric) if len(row) else "")
            table.add_row(*cells)
        console.print(table)
    console.print(f"Results: {folder}", highlight=False)


@app.command()
def staff(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    team: str = typer.Option(..., "--team", help="Team to staff, e.g. peer_team."),
    target: TargetsOption = ...,
    max_units: int = typer.Option(20, "--max-units", min=1, help="Largest staffing to consider."),
    min_units: int = typer.Option(1, "--min-units", min=0, help="Smallest staffing to consider."),
    shift: Optional[str] = typer.Option(None, "--shift", help="Staff only this shift: its name or number (1 = the first); default every shift."),
    budget: Optional[float] = typer.Option(None, "--budget", min=0, help="Most the team may cost a year; larger staffings are not tried."),
    replications: SearchReplicationsOption = None,
    max_replications: MaxReplicationsOption = None,
    days: DaysOption = None,
    warmup_days: WarmupOption = None,
    seed: SeedOption = None,
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    dask_timeout: DaskTimeoutOption = 60.0,
    quiet: QuietOption = False,
    no_charts: NoChartsOption = False,
    style: StyleOption = "talk",
    no_confirm: NoConfirmOption = False,
    no_calls: NeverCallsOption = False,
) -> None:
    """Find the fewest units of a team whose 95% intervals meet every target, confirmed with fresh replications."""
    import math

    from .analysis.targets import CLAIM, parse_target
    from .designs.staffing import StaffingQuestion, find_staffing
    from .scenario.loading import load_scenario

    with user_errors():
        loaded = load_scenario(scenario)
        r = replications or loaded.run.replications
        question = StaffingQuestion(
            loaded, team, tuple(parse_target(t, "--target") for t in target), max_units=max_units,
            min_units=min_units, shift=shift, budget=budget, replications=r, max_replications=max_replications or 4 * r, days=days,
            warmup_days=warmup_days, seed=seed)
        question.check()
        levels = math.ceil(math.log2(max(max_units - min_units + 1, 1))) + 1
        # the search runs one level at a time; its calls table gathers every level it tries
        ex = Execution(workers, scheduler, dask_timeout, quiet)
        ex.refuse_unless_fits([loaded] * levels, r, loaded.run.days if days is None else days,
                              loaded.run.warmup_days if warmup_days is None else warmup_days, out, keep_calls=False,
                              what="this staffing search")
        result = ex.run(find_staffing, question, total=levels * r, description="staffing search")
        if not no_confirm:
            from .designs.confirm import confirm_staffing

            result.confirmation = ex.run(confirm_staffing, result, total=2 * question.max_replications,
                                         description="confirmation")
        folder = save_folder(result, out, no_charts, style)
    if not quiet:
        table = Table(title="Staffing levels tried (mean [95% CI] over replications, simulated)")
        for col in ("#", "units", "team cost a year", "replications", *[str(t) for t in question.targets], "verdict"):
            table.add_column(col, justify="right")
        for values in result.search.to_dict("records"):
            cells = [str(values["step"]), str(values["units"]), f"{values['cost_per_year']:,.0f}",
                     str(values["replications"])]
            for t in question.targets:
                cells.append(_ci_text(values[f"{t} mean"], values[f"{t} ci_low"], values[f"{t} ci_high"], t.ref.metric))
            cells.append(values["verdict"])
            table.add_row(*cells)
        console.print(table)
    style = "bold green" if result.answer is not None else "bold yellow"
    console.print(f"[{style}]{escape(result.message())}[/]", highlight=False, markup=True)
    conf = result.confirmation
    if conf is None and result.answer is not None:
        err_console.print(f"note: not confirmed with fresh replications (--no-confirm); the search looks up to three "
                          f"times, so its answer errs more often than its nominal {CLAIM}", highlight=False)
    if conf is not None:
        for target in conf.not_monotone:
            err_console.print(f"warning: {target} does not get easier as units are added over the levels tried, so "
                              "bisection does not apply; the confirmation searched upward from the smallest staffing",
                              highlight=False)
        style = "bold green" if conf.answer is not None else "bold yellow"
        console.print(f"[{style}]{escape(conf.message(question.describe_staffing()))}[/]", highlight=False,
                      markup=True)
    console.print(f"Results: {folder}", highlight=False)


def _hours_list(text: str, option: str, clock: bool) -> tuple[int, ...]:
    """`8,10,12` (whole hours) or `00:00,06:00` (whole-hour clock times)."""
    values = []
    for part in text.split(","):
        part = part.strip()
        hours, _, minutes = part.partition(":")
        if not hours.isdigit() or (clock and minutes not in ("00",)) or (not clock and minutes):
            form = "whole-hour clock times such as 00:00,06:00,14:00" if clock else "whole hours such as 8,10,12"
            raise ScenarioError(f"cannot read {part!r} in {text!r}; give {form}", path=option)
        values.append(int(hours))
    return tuple(values)


@app.command()
def plan(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    team: str = typer.Option(..., "--team", help="Team to schedule, e.g. peer_team."),
    target: TargetsOption = ...,
    budget: Optional[float] = typer.Option(None, "--budget", help="Most the team may cost a year; without a schedule "
                                           "that meets the targets within it, the one that reaches the most calls."),
    shift_lengths: str = typer.Option("8,10,12", "--shift-lengths", help="Tour lengths allowed, hours."),
    starts: str = typer.Option(",".join(f"{h:02d}:00" for h in range(24)), "--starts",
                               help="Tour start times allowed (whole hours)."),
    days: str = typer.Option("all", "--days", help="all: each tour works every day; weekdays: tours work "
                             "Monday-Friday or Saturday-Sunday, so weekends can differ."),
    replications: SearchReplicationsOption = None,
    max_replications: MaxReplicationsOption = None,
    curve_replications: int = typer.Option(3, "--curve-replications", min=0, help="Replications per point of the budget curve (0: screen only)."),
    curve_points: int = typer.Option(6, "--curve-points", min=0, help="Most budget steps the curve simulates (spread "
                                     "up to where the screen's reach levels off, the budget's step always among them; "
                                     "the others show the screen only)."),
    sim_days: Optional[float] = typer.Option(None, "--sim-days", min=0.001, help="Simulated days after warm-up (--days chooses the tours' days)."),
    warmup_days: WarmupOption = None,
    seed: SeedOption = None,
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    dask_timeout: DaskTimeoutOption = 60.0,
    quiet: QuietOption = False,
    no_charts: NoChartsOption = False,
    style: StyleOption = "talk",
    no_confirm: NoConfirmOption = False,
    no_calls: NeverCallsOption = False,
) -> None:
    """The cheapest weekly shift schedule that meets the targets (or the best within a budget), confirmed by simulation."""
    from .analysis.targets import parse_target
    from .designs.plan import PlanQuestion, plan_shifts
    from .scenario.loading import load_scenario

    with user_errors():
        loaded = load_scenario(scenario)
        if budget is not None and budget <= 0:
            raise ScenarioError(f"budget must be positive, got {budget:g}", path="--budget")
        r = replications or loaded.run.replications
        question = PlanQuestion(
            loaded, team, tuple(parse_target(t, "--target") for t in target), budget=budget,
            shift_lengths=_hours_list(shift_lengths, "--shift-lengths", clock=False),
            starts=_hours_list(starts, "--starts", clock=True), days=days, replications=r,
            max_replications=max_replications or 4 * r, curve_replications=curve_replications,
            curve_points=curve_points, sim_days=sim_days,
            warmup_days=warmup_days, seed=seed)
        question.check()
        # candidates run one at a time and keep no calls table
        ex = Execution(workers, scheduler, dask_timeout, quiet)
        ex.refuse_unless_fits([loaded] * 6, r, loaded.run.days if sim_days is None else sim_days,
                              loaded.run.warmup_days if warmup_days is None else warmup_days, out, keep_calls=False,
                              what="this plan")
        # a first estimate: a candidate, the stations' check, the curve's points, the fresh confirmation
        expected = 2 * r + curve_points * curve_replications + (0 if no_confirm else question.max_replications)
        result = ex.run(plan_shifts, question, total=expected, description="simulating schedules",
                        confirm_fresh=not no_confirm)
        folder = save_folder(result, out, no_charts, style)
    if not quiet:
        table = Table(title="Candidate schedules (simulated: mean [95% CI] over replications)")
        for col in ("#", "cost a year", "unit-hours/week", "replications",
                    *[str(t) for t in question.targets], "verdict"):
            table.add_column(col, justify="right")
        for row in result.table().to_dict("records"):
            cells = [str(row["candidate"]) + (" *" if row["chosen"] else ""), f"{row['cost_per_year']:,.0f}",
                     f"{row['unit_hours_per_week']:,}", str(row["replications"])]
            for t in question.targets:
                cells.append(_ci_text(row[f"{t} mean"], row[f"{t} ci_low"], row[f"{t} ci_high"], t.ref.metric))
            cells.append(row["verdict"])
            table.add_row(*cells)
        console.print(table)
        if result.shifts():
            from .designs.plan import shifts_text

            console.print(f"Schedule (paste under teams.{team}):", highlight=False)
            console.print(shifts_text(result.shifts(), result.bases()).rstrip(), highlight=False)
        if result.station_check is not None:
            from .analysis.targets import parse_metric
            from .outputs.formatting import fmt

            for row in result.station_check.to_dict("records"):
                name = parse_metric(row["metric"]).metric
                console.print(f"Planned bases against the scenario's, same shifts: {row['metric']} "
                              f"{fmt(row['planned_bases'], name)} against {fmt(row['scenario_bases'], name)} "
                              f"(difference {_ci_text(row['difference'], row['difference_ci_low'], row['difference_ci_high'], name, diff=True)}, "
                              f"{row['replications']} paired replications)", highlight=False)
        for row in result.confirmation_table().to_dict("records"):
            values = "; ".join(f"{t} {_ci_text(row[f'{t} mean'], row[f'{t} ci_low'], row[f'{t} ci_high'], t.ref.metric)}"
                               for t in question.targets)
            console.print(f"Confirmation with fresh replications: candidate {row['candidate']} "
                          f"({row['cost_per_year']:,.0f} a year, {row['replications']} replications): {values}: "
                          f"{row['verdict']}", highlight=False)
        ref = f"eligible_reached_share[{team}]"
        ceiling_cost = "" if result.ceiling_cost is None else f", for about {result.ceiling_cost:,.0f} a year"
        console.print(f"Ceiling under the routing rules (screen): {ref} {result.ceiling[ref]:.1%}{ceiling_cost}.",
                      highlight=False)
    style = "bold green" if result.met else "bold yellow"
    console.print(f"[{style}]{escape(result.message())}[/]", highlight=False, markup=True)
    console.print(f"Results: {folder}", highlight=False)


@app.command()
def sensitivity(
    scenario: Path = typer.Argument(..., help="Scenario YAML file."),
    vary: List[str] = typer.Option(..., "--vary", help='An input and its range, "KEY.PATH=LOW:HIGH", e.g. '
                                   '"teams.peer_team.on_scene_min.mean=40:90"; repeat for more.'),
    metric: str = typer.Option(..., "--metric", help="The result to explain, e.g. police_hours_crisis or utilization\\[peer_team]."),
    samples: int = typer.Option(64, "--samples", min=3, help="Latin hypercube samples."),
    replications: int = typer.Option(3, "-r", "--replications", min=1, help="Replications per sample."),
    days: DaysOption = None,
    warmup_days: WarmupOption = None,
    seed: SeedOption = None,
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    dask_timeout: DaskTimeoutOption = 60.0,
    quiet: QuietOption = False,
    no_charts: NoChartsOption = False,
    style: StyleOption = "talk",
    no_calls: NeverCallsOption = False,
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="A scenario file to compare with (e.g. "
                                            "scenarios/police_only.yaml): explain the paired difference scenario − "
                                            "baseline per replication instead of the level; inputs the baseline "
                                            "has too are set in it as well."),
) -> None:
    """Which assumption drives a result (or, with --baseline, a difference): Latin hypercube coefficients and a
    one-at-a-time tornado chart."""
    from .analysis.targets import parse_metric
    from .designs.sensitivity import R2_WARN, SensitivityDesign, parse_vary, run_sensitivity, runs, total_jobs
    from .outputs.formatting import fmt
    from .scenario.loading import load_scenario

    with user_errors():
        loaded = load_scenario(scenario)
        against = None
        if baseline is not None:
            if not baseline.is_file():
                raise ScenarioError(f"baseline scenario file {str(baseline)!r} not found; give a scenario YAML "
                                    "file, e.g. --baseline scenarios/police_only.yaml", path="--baseline")
            against = load_scenario(baseline)
        design = SensitivityDesign(loaded, tuple(parse_vary(v, loaded) for v in vary), parse_metric(metric, "--metric"),
                                   samples=samples, replications=replications, days=days,
                                   warmup_days=warmup_days, seed=seed, baseline=against)
        design.check()
        design.scenarios(design.points())
        design.baseline_scenarios(design.points())
        ex = Execution(workers, scheduler, dask_timeout, quiet)
        ex.refuse_unless_fits([loaded] * runs(design), replications, loaded.run.days if days is None else days,
                              loaded.run.warmup_days if warmup_days is None else warmup_days, out, keep_calls=False,
                              what="this sensitivity design")
        result = ex.run(run_sensitivity, design, total=total_jobs(design))
        folder = save_folder(result, out, no_charts, style)
    if not quiet:
        what = str(design.metric) if against is None else f"the difference in {design.metric} from {against.name}"
        table = Table(title=f"What drives {what}? ({samples} Latin hypercube samples × {replications} "
                            f"replications; R² of the linear fit {result.r_squared:.2f})")
        for col in ("rank", "input", "range", "SRC [95% CI]", "rank SRC [95% CI]", "Spearman", "at low", "at high"):
            table.add_column(col, justify="right" if col != "input" else "left", overflow="fold")
        for r in result.coefficients.itertuples():
            table.add_row(str(r.rank), Text.assemble(r.label, "\n", (r.input, "dim")), f"{r.low:g}–{r.high:g}",
                          f"{r.src:+.2f} [{r.src_ci_low:+.2f}, {r.src_ci_high:+.2f}]",
                          f"{r.srrc:+.2f} [{r.srrc_ci_low:+.2f}, {r.srrc_ci_high:+.2f}]", f"{r.spearman:+.2f}",
                          fmt(r.metric_at_low, design.metric.metric, diff=against is not None),
                          fmt(r.metric_at_high, design.metric.metric, diff=against is not None))
        console.print(table)
    if not result.r_squared >= R2_WARN:
        err_console.print(f"warning: the linear fit explains only R² = {result.r_squared:.2f} of the variation "
                          f"(under {R2_WARN}); SRCs would mislead, so inputs are ranked by rank-regression "
                          "coefficients (SRRC), which need only a monotone effect", highlight=False)
    console.print(f"Results: {folder}", highlight=False)


def _stop(signum, frame) -> None:
    # a second signal while cleaning up must not interrupt the clean-up
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    stop(signum)


@app.command("app")
def app_command(
    scenarios: Optional[List[Path]] = typer.Argument(None, help="Scenario YAML files to start from (the first is "
                                                                "the baseline); default: the shipped presets."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to serve on; 127.0.0.1 keeps the page on this machine."),
    port: int = typer.Option(8501, "--port", min=1, max=65535, help="Port to serve on."),
    results: Path = typer.Option(Path("results"), "--results", help="Where runs write their results folders (each a new folder)."),
    workers: WorkersOption = None,
    days: DaysOption = None,
    warmup_days: WarmupOption = None,
    replications: Optional[int] = typer.Option(None, "-r", "--replications", min=2, help="Replications the page starts with (default 5)."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser window."),
) -> None:
    """Open the planner's page in the browser: edit staffing and assumptions, run, compare, download."""
    import importlib.util

    from .scenario.loading import load_scenario

    with user_errors():
        for path in scenarios or []:
            load_scenario(path)
        if importlib.util.find_spec("streamlit") is None:
            raise ScenarioError("the page needs Streamlit: pip install 'crisis-sim[app]' (make app installs it)")
    from .app.config import environment

    os.environ.update(environment(scenarios or [], results, workers or default_workers(), days, warmup_days,
                                  replications))
    script = Path(__file__).resolve().parent / "app" / "main.py"
    args = [sys.executable, "-m", "streamlit", "run", str(script), "--server.address", host, "--server.port",
            str(port), "--server.headless", str(no_browser).lower(), "--server.showEmailPrompt", "false",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
            "--theme.base", "light", "--client.toolbarMode", "minimal"]
    sys.stdout.flush()
    os.execv(sys.executable, args)


# ---------------------------------------------------------------------------- a city's own data

@app.command()
def fit(
    calls: Path = typer.Argument(..., help="The CAD export: .csv (or .csv.gz, .tsv) or .parquet, one row per call."),
    map_file: Path = typer.Option(..., "--map", help="MAP.yaml: which column is which and how codes map."),
    out: Path = typer.Option(..., "--out", help="Scenario file to write, e.g. city.yaml; the data-quality "
                             "report goes beside it (city.quality.txt)."),
    name: Optional[str] = typer.Option(None, "--name", help="Scenario name (default: from --out)."),
) -> None:
    """Fit a scenario to a CAD export: volume, profiles, call mix, times, outcomes and units on duty."""
    import re

    from .citydata.cad import load_map, read_cad
    from .citydata.fit import fit_scenario
    from .designs.resources import check_fits, fit_estimate

    with user_errors():
        if out.suffix.lower() not in (".yaml", ".yml"):
            raise ScenarioError(f"--out must be a .yaml file, got {str(out)!r}")
        scenario_name = name or re.sub(r"[^a-z0-9_]+", "_", out.stem.lower()).strip("_") or "city"
        if not re.fullmatch(r"[a-z0-9_]+", scenario_name):
            raise ScenarioError(f"--name must use only lowercase letters, digits and _, got {scenario_name!r}")
        est = fit_estimate(calls)
        if est is not None:
            check_fits(est, "fitting this export", advice="fit a shorter stretch of the export (fewer rows), or only "
                       "the columns MAP.yaml names, or run on a machine with more memory")
        cad_map = load_map(map_file)
        data = read_cad(calls, cad_map, map_file=str(map_file))
        fitted = fit_scenario(data, scenario_name)
    report_path = quality_path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_text(out, fitted.text)
    _write_text(report_path, data.quality.text() + "\n")
    console.print(data.quality.text(), highlight=False)
    est = fitted.estimates
    console.print(f"Fitted {scenario_name}: {est['crisis_calls_per_day']:.1f} crisis calls/day"
                  + (f", {est['other_per_day']:.1f} other police calls/day" if "other_per_day" in est else "")
                  + f", units on duty {min(est['units_by_hour'])}-{max(est['units_by_hour'])} by hour",
                  highlight=False)
    console.print(f"Scenario: {out}\nData-quality report: {report_path}\n"
                  f"Next: crisis-sim check {out}; crisis-sim backtest {out} {calls} --map {map_file} --out DIR",
                  highlight=False)


@app.command()
def backtest(
    scenario: Path = typer.Argument(..., help="The fitted scenario (from `crisis-sim fit`)."),
    calls: Path = typer.Argument(..., help="The CAD export it was fitted to (or a newer one)."),
    map_file: Path = typer.Option(..., "--map", help="MAP.yaml for the export."),
    out: Path = typer.Option(..., "--out", help="Folder to create for the backtest (must not already hold results)."),
    replications: int = typer.Option(10, "-r", "--replications", min=2, help="Simulated histories for the band."),
    seed: SeedOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    quiet: QuietOption = False,
    no_charts: NoChartsOption = False,
    style: str = typer.Option("talk", "--style", help=STYLE_HELP),
) -> None:
    """Simulate a fitted scenario and set the export against it: 95% bands, a verdict per measure, charts."""

    from .citydata.cad import load_map, read_cad
    from .designs.backtest import run_backtest
    from .outputs.backtest import write_backtest
    from .outputs.results import check_out_dir
    from .outputs.style import get_style
    from .scenario.loading import load_scenario

    with user_errors():
        get_style(style)
        fitted = load_scenario(scenario)
        data = read_cad(calls, load_map(map_file), map_file=str(map_file))
        check_out_dir(out)
        context, advance = progress_counter(replications, quiet, "backtest")
        with context:
            result = run_backtest(fitted, data, replications=replications, seed=seed,
                                  workers=workers or default_workers(), scheduler=scheduler, on_done=advance)
        folder = write_backtest(result, out, data.quality.text(), command=command_line(), style=style,
                                charts=not no_charts)
    if not quiet:
        table = Table(title=f"Backtest: {Path(calls).name} against {result.replications} simulated histories of "
                            f"{result.days} days (95% bands)", title_justify="left")
        for col in ("measure", "verdict", "where"):
            table.add_column(col, overflow="fold")
        for v in result.verdicts.itertuples():
            ok = v.outside == 0
            table.add_row(v.label, Text("inside", style="green") if ok else Text("outside", style="yellow"), v.verdict)
        console.print(table)
    console.print(f"Backtest: {folder} (open {folder / 'backtest.html'})", highlight=False)


def print_load(scenario) -> None:
    """`check`'s load lines: peak offered load per team, what each routing rule can reach, and warnings."""
    import numpy as np

    from .analysis.load import load_warnings, offered_load, routing_reach

    answering = set(scenario.answering_teams())
    for name, tl in offered_load(scenario).items():
        load = tl.load
        if not np.isfinite(load).any():
            continue
        if np.nanmax(load) - np.nanmin(load) < 0.005:  # the same in every hour on shift
            why = "" if name in answering else " (its follow-up visits, spread evenly over the hours it works)"
            console.print(f"  offered load {name}: {np.nanmean(load):.0%} in every hour on shift{why}", highlight=False)
        else:
            peak, low = int(np.nanargmax(load)), int(np.nanargmin(load))
            day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            console.print(f"  offered load {name}: {np.nanmean(load):.0%} on average, highest {load[peak]:.0%} "
                          f"({day[peak // 24]} {peak % 24:02d}:00), lowest {load[low]:.0%} "
                          f"({day[low // 24]} {low % 24:02d}:00)", highlight=False)
    for line in routing_reach(scenario):
        console.print(f"  {line}", highlight=False)
    for line in load_warnings(scenario):
        console.print(f"  [yellow]warning[/]: {escape(line)}", highlight=False, markup=True)


def quality_path(scenario_path: Path) -> Path:
    """Where `fit` writes the data-quality report: beside the scenario, same stem."""
    return scenario_path.with_name(scenario_path.stem + ".quality.txt")


def _write_text(path: Path, text: str) -> None:
    """Write a file whole or not at all (a temporary file renamed into place)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def main() -> None:
    """The console entry point: SIGINT and SIGTERM stop the workers, remove temporary folders and
    exit with 130 or 143 after one line, never a traceback."""
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        app(prog_name="crisis-sim")
    except Interrupted as exc:
        err_console.print(stopped_words(exc.signum), highlight=False)
        sys.exit(exc.exit_code)
    finally:
        # the command is over: a signal while the interpreter exits would end it by the signal, with no word
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)


def stopped_words(signum: int) -> str:
    """The one line a stopped command prints: what was left behind, if anything."""
    name = signal.Signals(signum).name
    results = sys.modules.get("sim.outputs.results")  # not imported: nothing was written
    written = getattr(results, "WRITTEN", [])
    if written:
        return f"stopped by {name} after the results were written to {written[-1]}"
    return f"stopped by {name}: workers stopped, nothing written"


if __name__ == "__main__":
    main()
