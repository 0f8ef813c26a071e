"""A run's charts drawn in helper processes that start before the run.

`crisis-sim run` forks one chart helper as it starts, when it can and it pays: Linux, more
than one core, a process without threads, and a core to spare (no more tasks ready to run at
that instant than cores less one, this process included: on a busy machine the helper's own
imports of pandas and matplotlib cost more than drawing side by side saves). While the model
runs, the helper imports the chart code on the other core. Once the tables are written it
forks itself (the copies share what it imported, so the import is paid once, not once per
process) and each copy draws its share of the charts, side by side. The charts are the same
files as drawn in one process (each chart is drawn whole by one process), and the folder is
still written whole or not at all: `save` waits for every share, and a chart that fails fails
the save with its error. Otherwise the charts are drawn in this process, as before; so are a
long run's (more than HELPERS_UP_TO_CALLS calls simulated), whose helper is let go once its
size is known.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import threading
import traceback
from pathlib import Path

from ..processes import die_with_parent

HELPERS_UP_TO_CALLS = 500_000
"""Beyond this many simulated calls (the run's estimate), the helpers are let go as soon as it is
known: the run then takes several seconds or more, so drawing side by side would save a few per
cent of the wait, while the helpers' own imports of pandas and matplotlib hold ~150 MB for the
whole run (they would come on top of the tables at its end)."""


def busy_elsewhere() -> float:
    """How many cores other work keeps busy now: the tasks ready to run this instant besides this
    process (Linux's /proc/loadavg), else the 1-minute load average. The instant count, because the
    load average lags by a minute: right after a heavy command ends it still reads ~1 on an idle
    machine (measured: the helpers then stayed off and a 200k-call run took 4.6 s instead of 4.1 s)."""
    try:
        with open("/proc/loadavg") as f:
            return max(0, int(f.read().split()[3].split("/")[0]) - 1)
    except (OSError, ValueError, IndexError):
        return os.getloadavg()[0]


def _draw_share(job, k: int, n: int) -> tuple:
    """("ok", files) for the k-th of n shares of a folder's charts, or ("error", message, traceback)."""
    from . import plots

    folder, style = job
    try:
        return ("ok", [str(p) for p in plots.draw_all(Path(folder), style=style, part=(k, n))])
    except BaseException as exc:  # noqa: BLE001  (sent back whole; the parent raises it)
        return ("error", f"{type(exc).__name__}: {exc}", traceback.format_exc())


def _helper(conn, n: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the parent, which ends the helper
    # the parent's SIGTERM handler (the CLI's clean stop) is not this process's: `terminate()` ends it quietly
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        from . import plots  # noqa: F401  (the slow part, done while the model runs)

        job = conn.recv()
        if job is None:
            return
        me, shares = os.getpid(), []
        for k in range(1, n):  # copies of this process, the chart code already imported
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(read)
                die_with_parent(me)
                with os.fdopen(write, "wb") as out:
                    pickle.dump(_draw_share(job, k, n), out)
                os._exit(0)
            os.close(write)
            shares.append((pid, read))
        replies = [_draw_share(job, 0, n)]
        for pid, read in shares:
            with os.fdopen(read, "rb") as f:
                data = f.read()
            _, status = os.waitpid(pid, 0)
            replies.append(pickle.loads(data) if data else
                           ("error", f"a chart process ended early (wait status {status})", ""))
        failure = next((r for r in replies if r[0] != "ok"), None)
        conn.send(failure or ("ok", [p for r in replies for p in r[1]]))
    except (EOFError, KeyboardInterrupt, BrokenPipeError):
        pass
    finally:
        conn.close()


class ChartHelpers:
    """The helper process that will draw one run folder's charts (with its copies); `draw` hands it the folder."""

    def __init__(self, processes: int = 2, only_with_a_spare_core: bool = True):
        """`processes`: how many processes draw side by side (the helper and its copies); under 2, none."""
        self._helper = None  # (process, connection) while there is one
        self._leaving = None  # a helper let go (keep_for), joined at close
        cores = os.cpu_count() or 1
        if (processes < 2 or cores < 2 or threading.active_count() != 1
                or "fork" not in multiprocessing.get_all_start_methods()
                or (only_with_a_spare_core and busy_elsewhere() > cores - 2)):
            return
        ctx = multiprocessing.get_context("fork")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_helper, args=(child, processes), daemon=True)
        proc.start()
        child.close()
        self._helper = (proc, parent)

    def __bool__(self) -> bool:
        return self._helper is not None

    @property
    def process(self):
        """The helper's process (None when there is none)."""
        return self._helper[0] if self._helper else None

    def draw(self, folder: str | Path, style: str = "talk") -> list[Path]:
        """Draw the run charts of `folder` in the helper and its copies; returns the files (raises a chart's error)."""
        proc, conn = self._helper
        conn.send((str(folder), style))
        try:
            reply = conn.recv()
        except EOFError:
            reply = ("error", f"a chart process ended early (exit code {proc.exitcode})", "")
        self.close()
        if reply[0] != "ok":
            raise RuntimeError(f"drawing the charts failed: {reply[1]}\n{reply[2]}")
        return [Path(p) for p in reply[1]]

    def keep_for(self, calls: int) -> None:
        """Let the helper go at once when the run simulates more than HELPERS_UP_TO_CALLS calls: its
        charts are then drawn in this process, after its tables (see HELPERS_UP_TO_CALLS)."""
        if calls > HELPERS_UP_TO_CALLS and self._helper is not None:
            proc, conn = self._helper
            proc.terminate()  # still importing the chart code, or waiting: nothing is lost
            conn.close()
            self._leaving, self._helper = proc, None

    def close(self) -> None:
        """End the helper (idempotent): one still waiting gets nothing to draw."""
        if self._leaving is not None:
            self._leaving.join(timeout=5)
            self._leaving = None
        if self._helper is not None:
            proc, conn = self._helper
            self._helper = None
            try:
                conn.send(None)
            except (BrokenPipeError, OSError):
                pass
            conn.close()
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()

    def __enter__(self) -> "ChartHelpers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
