"""Hostile input: YAML bombs, non-finite and huge numbers, booleans, markup, damaged folders,
odd paths and `extends` tricks. Each case must end with exit code 2, a message naming the key
path or file, no traceback, and nothing written.

The whole table runs in ONE child process (a process start costs about a second here) that
is bounded by a memory limit (`resource.setrlimit`) and a timeout, and gives each case its
own alarm; the child invokes the command line in-process and reports every result as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from helpers import ROOT, small_city, write_yaml
from sim.cli import app

MEMORY_LIMIT = 3 * 1024**3
CASE_SECONDS = 20

CHILD = textwrap.dedent(
    """
    import json, resource, signal, sys
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from typer.testing import CliRunner
    from sim.cli import app

    class Timeout(BaseException):
        pass

    def alarm(*_):
        raise Timeout()

    signal.signal(signal.SIGALRM, alarm)
    results = {}
    for case in json.load(open(sys.argv[2])):
        signal.alarm(int(sys.argv[3]))
        try:
            r = CliRunner().invoke(app, case["args"])
            exc = r.exception if r.exception is not None and not isinstance(r.exception, SystemExit) else None
            results[case["id"]] = {"code": r.exit_code, "output": r.output[-3000:],
                                   "exception": None if exc is None else repr(exc)[:300]}
        except Timeout:
            results[case["id"]] = {"code": "timeout", "output": "", "exception": "timeout"}
        finally:
            signal.alarm(0)
    json.dump(results, open(sys.argv[4], "w"))
    """
)

RUN = ["--out", "{dir}/out", "--days", "1", "--warmup-days", "0", "-r", "1", "--workers", "1", "--quiet", "--no-charts"]


def city(**changes) -> dict:
    """small_city with values set at dotted paths ("teams.police.units")."""
    data = small_city()
    for dotted, value in changes.items():
        node = data
        parts = dotted.split(".")
        for p in parts[:-1]:
            node = node[int(p)] if isinstance(node, list) else node[p]
        node[int(parts[-1]) if isinstance(node, list) else parts[-1]] = value
    return data


def dumped(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False)


BOMB = "".join(
    f"{a}: &{a} [{', '.join([f'*{b}'] * 9) if b else ', '.join(['lol'] * 9)}]\n"
    for a, b in zip("abcdefghi", ["", *"abcdefgh"])
)
POLICE_YAML = dumped(small_city()).replace("name: small_city", "name: small_city\nextends: parent.yaml", 1)


def scenario_case(case_id: str, text: str | dict, expected: str, extra: dict[str, str | bytes] | None = None):
    """A scenario (YAML text or data) given to `run`; other files may sit beside it."""
    files = {"s.yaml": text if isinstance(text, (str, bytes)) else dumped(text), **(extra or {})}
    return (case_id, files, ["run", "{dir}/s.yaml", *RUN], expected)


def folder_case(case_id: str, damage, expected: str, command: str = "report"):
    """A copy of a good results folder, damaged by `damage(folder)`, given to plot or report."""
    return (case_id, {"@results": damage}, [command, "{dir}/results"], expected)


def _truncate(name: str, keep: int = 200):
    def damage(folder: Path):
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[:keep])
    return damage


def _remove(name: str):
    def damage(folder: Path):
        path = folder / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return damage


def _write(name: str, content: str):
    def damage(folder: Path):
        (folder / name).write_text(content)
    return damage


def _unsealed_empty_metrics(folder: Path):
    info = json.loads((folder / "manifest.json").read_text())
    info.pop("files")
    (folder / "manifest.json").write_text(json.dumps(info))
    (folder / "metrics.csv").write_text("")


def _manifest_key_renamed(folder: Path):
    """A manifest edited by hand: still JSON, still an object, its files all there, but "seed" misspelt."""
    path = folder / "manifest.json"
    path.write_text(path.read_text().replace('"seed"', '"sed"'))


def _partial_name(folder: Path):
    """What a killed run leaves: a hidden `.NAME.partial-PID-HEX` (reached here through a link)."""
    hidden = folder.parent / ".results.partial-999999-abcdef12"
    folder.rename(hidden)
    os.symlink(hidden, folder)


CASES = [
    # YAML bombs and malformed YAML
    scenario_case("billion laughs as a label", BOMB + "name: x\nlabel: *i\n", "alias"),
    scenario_case("alias bomb through a merge key", BOMB + "name: x\nteams: {<<: {a: *i}}\n", "alias"),
    scenario_case("nested 500 deep", "name: x\nlabel: " + "[" * 500 + "]" * 500 + "\n", "nested"),
    scenario_case("5 MiB file", "name: x\n" + "#" * (5 * 1024 * 1024) + "\n", "MiB"),
    scenario_case("integer of 5000 digits", dumped(small_city()) + "x: " + "9" * 5000 + "\n", "value"),
    scenario_case("not UTF-8", b"name: \xff\xfe\n", "UTF-8"),
    scenario_case("a list as a key", "? [a, b]\n: 1\nname: x\n", "key"),
    # non-finite and huge numbers
    scenario_case("calls per day .inf", dumped(city(**{"demand.crisis_calls_per_day": float("inf")})), "demand.crisis_calls_per_day"),
    scenario_case("calls per day .nan", dumped(city(**{"demand.crisis_calls_per_day": float("nan")})), "demand.crisis_calls_per_day"),
    scenario_case("sd .inf", dumped(city(**{"teams.police.on_scene_min": {"dist": "lognormal", "mean": 30, "sd": float("inf")}})), "teams.police.on_scene_min.sd"),
    scenario_case("hourly weight 1e308", dumped(city(**{"demand.hourly_profile": [1e308] * 24})), "demand.hourly_profile[0]"),
    scenario_case("cost per unit-hour .inf", dumped(city(**{"teams.police.cost_per_unit_hour": float("inf")})), "teams.police.cost_per_unit_hour"),
    scenario_case("cost 1e300", dumped(city(**{"costs.arrest": 1e300})), "costs.arrest"),
    scenario_case("run days 1e9", dumped(city(**{"run.days": 1e9})), "run.days"),
    scenario_case("warm-up 1e5 days", dumped(city(**{"run.warmup_days": 1e5})), "run.warmup_days"),
    scenario_case("400,000 calls a day", dumped(city(**{"demand.crisis_calls_per_day": 400_000})), "demand.crisis_calls_per_day"),
    scenario_case("other police calls 1e7 a day", dumped(city(**{"demand.other_police_calls.per_day": 1e7})), "demand.other_police_calls.per_day"),
    scenario_case("a million units", dumped(city(**{"teams.police.units": 10**6})), "teams.police.units"),
    scenario_case("lognormal whose draws overflow", dumped(city(**{"teams.police.on_scene_min": {"dist": "lognormal", "mean": 1, "sd": 1e5}})), "teams.police.on_scene_min"),
    scenario_case("exponential mean of ten million minutes", dumped(city(**{"teams.police.response_min": {"dist": "exponential", "mean": 1e7}})), "teams.police.response_min.mean"),
    scenario_case("empirical value .inf", dumped(city(**{"teams.police.on_scene_min": {"dist": "empirical", "values": [10, float("inf")]}})), "teams.police.on_scene_min.values[1]"),
    scenario_case("follow-up after 1e9 hours", dumped(city(**{"teams.peer_team.follow_up.after_hours": 1e9})), "teams.peer_team.follow_up.after_hours"),
    scenario_case("repeat window of a million days", dumped(city(**{"demand.repeat.within_days": 1e6})), "demand.repeat.within_days"),
    scenario_case("max wait .inf", dumped(city(**{"routing.0.max_wait_min": float("inf")})), "routing[0].max_wait_min"),
    scenario_case("seed 2**70", dumped(city(**{"run.seed": 2**70})), "run.seed"),
    scenario_case("calls per day -1e308", dumped(city(**{"demand.crisis_calls_per_day": -1e308})), "demand.crisis_calls_per_day"),
    # booleans and strings are not numbers
    scenario_case("units: true", dumped(city(**{"teams.police.units": True})), "teams.police.units"),
    scenario_case("probability: yes", dumped(small_city()).replace("use_of_force: 0.02", "use_of_force: yes"), "teams.police.use_of_force"),
    scenario_case("calls per day: true", dumped(city(**{"demand.crisis_calls_per_day": True})), "demand.crisis_calls_per_day"),
    scenario_case("replications as a string", dumped(city(**{"run.replications": "20"})), "run.replications"),
    scenario_case("share: on", dumped(small_city()).replace("share: 0.1", "share: on"), "demand.call_types.idd.share"),
    scenario_case("mean: false", dumped(city(**{"teams.police.on_scene_min": {"dist": "exponential", "mean": False}})), "teams.police.on_scene_min.mean"),
    # markup in bad input is printed as written
    scenario_case("markup in an unknown key", dumped(city(**{"[bold red]x[/]": 1})), "[bold red]x[/]"),
    scenario_case("markup in a bad team name", dumped(city(**{"routing.0.send": ["[/]"]})), "routing[0].send[0]"),
    # paths
    ("scenario is a folder", {"d/.keep": ""}, ["check", "{dir}/d"], "folder"),
    ("scenario is /dev/zero", {}, ["check", "/dev/zero"], "not a regular file"),
    ("scenario does not exist", {}, ["check", "{dir}/none.yaml"], "not found"),
    ("--out under a file", {"s.yaml": dumped(small_city()), "f": "x"}, ["run", "{dir}/s.yaml", "--out", "{dir}/f/out", "--quiet"], "is a file"),
    ("--out is a file", {"s.yaml": dumped(small_city()), "f": "x"}, ["run", "{dir}/s.yaml", "--out", "{dir}/f", "--quiet"], "is a file"),
    ("--out holds files", {"s.yaml": dumped(small_city()), "o/keep": "x"}, ["run", "{dir}/s.yaml", "--out", "{dir}/o", "--quiet"], "not empty"),
    # extends
    scenario_case("extends /dev/zero", "extends: /dev/zero\nname: x\n", "extends"),
    scenario_case("extends a folder", "extends: sub\nname: x\n", "extends", {"sub/.keep": ""}),
    scenario_case("extends a number", "extends: 5\nname: x\n", "extends"),
    scenario_case("extends itself", "extends: s.yaml\nname: x\n", "cycle"),
    scenario_case("extends 20 files deep", "extends: p0.yaml\nname: x\n", "extends",
                  {f"p{i}.yaml": f"extends: p{i + 1}.yaml\n" for i in range(20)}),
    scenario_case("extends a YAML bomb", "extends: bomb.yaml\nname: x\n", "extends", {"bomb.yaml": BOMB + "name: y\n"}),
    scenario_case("extends a missing file", "extends: gone.yaml\nname: x\n", "extends"),
    # damaged results folders
    folder_case("no manifest", _remove("manifest.json"), "manifest.json"),
    folder_case("manifest truncated", _truncate("manifest.json", 40), "manifest.json"),
    folder_case("manifest not an object", _write("manifest.json", "[1, 2]"), "manifest.json"),
    folder_case("manifest edited by hand", _manifest_key_renamed, "was changed after the folder was written"),
    folder_case("manifest edited by hand, rerun", _manifest_key_renamed, "was changed after the folder was written", "rerun"),
    folder_case("metrics.csv missing", _remove("metrics.csv"), "metrics.csv"),
    folder_case("metrics.csv truncated", _truncate("metrics.csv"), "metrics.csv", "plot"),
    folder_case("summary.csv empty", _write("summary.csv", ""), "summary.csv"),
    folder_case("calls.parquet truncated", _truncate("calls.parquet", 100), "calls.parquet", "plot"),
    folder_case("unsealed folder with an empty metrics.csv", _unsealed_empty_metrics, "metrics.csv"),
    folder_case("an unfinished .partial folder", _partial_name, "unfinished"),
]


@pytest.fixture(scope="module")
def good_results(tmp_path_factory) -> Path:
    """A real, small results folder to damage."""
    where = tmp_path_factory.mktemp("good")
    path = write_yaml(where / "s.yaml", city(**{"run.days": 1, "run.warmup_days": 0, "run.replications": 2}))
    out = where / "results"
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out), "--workers", "1", "--quiet", "--no-charts"])
    assert result.exit_code == 0, result.output
    return out


def _listing(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): (p.stat().st_size if p.is_file() else -1)
            for p in sorted(folder.rglob("*")) if not p.is_symlink()}


@pytest.fixture(scope="module")
def table_results(tmp_path_factory, good_results):
    """Lay out every case's files, run the whole table in one memory-limited child, and return
    {case id: (result, case folder, listing before)}."""
    root = tmp_path_factory.mktemp("hostile")
    cases, before = [], {}
    for i, (case_id, files, args, _) in enumerate(CASES):
        folder = root / f"case{i:02d}"
        folder.mkdir()
        for name, content in files.items():
            if name == "@results":
                shutil.copytree(good_results, folder / "results")
                content(folder / "results")
                continue
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                (folder / name).write_bytes(content)
            else:
                (folder / name).write_text(content)
        before[case_id] = _listing(folder)
        cases.append({"id": case_id, "args": [a.replace("{dir}", str(folder)) for a in args]})
    (root / "cases.json").write_text(json.dumps(cases))
    script = root / "child.py"
    script.write_text(CHILD)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, str(script), str(MEMORY_LIMIT), str(root / "cases.json"), str(CASE_SECONDS),
                           str(root / "results.json")], capture_output=True, text=True, timeout=300, env=env, cwd=root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((root / "results.json").read_text())
    return {case_id: (results[case_id], root / f"case{i:02d}", before[case_id]) for i, (case_id, *_) in enumerate(CASES)}


@pytest.mark.parametrize("case_id, expected", [(c[0], c[3]) for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_input_exits_2_names_the_key_writes_nothing(table_results, case_id, expected):
    result, folder, before = table_results[case_id]
    output = result["output"]
    assert result["code"] == 2, f"exit {result['code']}: {output} {result['exception']}"
    assert result["exception"] is None, result["exception"]
    assert "Traceback" not in output
    assert expected in output, output
    assert len(output) < 2500, "messages stay short whatever the input"
    assert _listing(folder) == before, "nothing written"


def test_the_table_has_at_least_forty_cases():
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)


# --------------------------------------------------------------- valid input, printed and merged as written


def test_markup_in_a_label_is_printed_as_written(tmp_path):
    path = write_yaml(tmp_path / "s.yaml", city(label="Peer [/] team [bold]x", **{"teams.peer_team.label": "[red]Peers"}))
    checked = CliRunner().invoke(app, ["check", str(path)])
    assert checked.exit_code == 0, checked.output
    assert "Peer [/] team [bold]x" in checked.output
    ran = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "out"), "--days", "1", "--warmup-days", "0",
                                   "-r", "2", "--workers", "1", "--no-charts"])
    assert ran.exit_code == 0, ran.output
    assert "Peer [/] team [bold]x" in ran.output


def test_merge_keys_work_and_own_keys_win(tmp_path):
    text = dumped(small_city()).replace(
        "  police:\n", "  police:\n    <<: {kind: civilian, members: [medic]}\n", 1)
    path = tmp_path / "s.yaml"
    path.write_text(text)
    from sim.scenario.loading import load_scenario

    police = load_scenario(path).teams["police"]
    assert police.kind == "police" and police.members == ["medic"]


def test_a_child_that_changes_the_distribution_family_replaces_the_spec(tmp_path):
    write_yaml(tmp_path / "parent.yaml", small_city())
    write_yaml(tmp_path / "child.yaml", {"extends": "parent.yaml",
                                         "teams": {"police": {"on_scene_min": {"dist": "exponential", "mean": 40}}}})
    from sim.scenario.loading import load_scenario

    on_scene = load_scenario(tmp_path / "child.yaml").teams["police"].on_scene_min
    assert on_scene.dist == "exponential" and on_scene.mean == 40


def test_estimate_is_printed_by_check_and_a_run_too_big_is_refused(tmp_path):
    path = write_yaml(tmp_path / "s.yaml", small_city())
    checked = CliRunner().invoke(app, ["check", str(path)])
    assert "peak memory about" in checked.output
    out = tmp_path / "out"
    big = CliRunner().invoke(app, ["run", str(path), "--days", "3650", "-r", "10000", "--out", str(out)])
    assert big.exit_code == 2, big.output
    assert "memory" in big.output and "--no-calls" in big.output and not out.exists()


def test_warnings_for_valid_nonsense(tmp_path):
    overloaded = city(**{"teams.police.units": 1})
    unstaffed_last = city(**{"teams.peer_team.shifts": [{"days": ["mon"], "start": "08:00", "end": "09:00", "units": 0}],
                             "routing": [{"match": {"risk": ["low"]}, "send": ["police", "peer_team"]},
                                         {"match": {}, "send": ["police"]}]})
    for data, expected in ((overloaded, "overloaded"), (unstaffed_last, "no units on any shift")):
        path = write_yaml(tmp_path / "s.yaml", data)
        checked = CliRunner().invoke(app, ["check", str(path)])
        assert checked.exit_code == 0 and "warning:" in checked.output and expected in checked.output, checked.output
    fine = CliRunner().invoke(app, ["check", str(write_yaml(tmp_path / "ok.yaml", small_city()))])
    assert "overloaded" not in fine.output and "no units" not in fine.output
    out = tmp_path / "out"
    path = write_yaml(tmp_path / "s.yaml", overloaded)
    ran = CliRunner().invoke(app, ["run", str(path), "--out", str(out), "--days", "3", "--warmup-days", "0", "-r", "2",
                                   "--workers", "1", "--quiet", "--no-charts"])
    assert ran.exit_code == 0 and "never served" in ran.output, ran.output
    assert any("never served" in w for w in json.loads((out / "manifest.json").read_text())["warnings"])
