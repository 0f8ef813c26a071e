"""A run's charts drawn in helper processes that start before the run.

`crisis-sim run` forks two helpers as it starts, when it can and it pays: Linux, more than
one core, a process without threads, and a core to spare (the 1-minute load average at most
the number of cores less one: on a busy machine the helpers' own imports of pandas and
matplotlib cost more than drawing side by side saves). While the model runs they import the
chart code; once the tables are written each draws its share of the charts, side by side.
The charts are the same files as drawn in one process (each chart is drawn whole by one
helper), and the folder is still written whole or not at all: `save` waits for both, and a
chart that fails fails the save with its error. Otherwise the charts are drawn in this
process, as before; so are a long run's (more than HELPERS_UP_TO_CALLS calls simulated), whose
helpers are let go once its size is known.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import traceback
from pathlib import Path


HELPERS_UP_TO_CALLS = 500_000
"""Beyond this many simulated calls (the run's estimate), the helpers are let go as soon as it is
known: the run then takes several seconds or more, so drawing side by side would save a few per
cent of the wait, while the helpers' own imports of pandas and matplotlib hold ~150 MB for the
whole run (they would come on top of the tables at its end)."""


def _helper(conn, k: int, n: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the parent, which ends the helpers
    try:
        from . import plots  # noqa: F401  (the slow part, done while the model runs)

        job = conn.recv()
        if job is None:
            return
        folder, style = job
        try:
            paths = plots.draw_all(Path(folder), style=style, part=(k, n))
            conn.send(("ok", [str(p) for p in paths]))
        except BaseException as exc:  # noqa: BLE001  (sent back whole; the parent raises it)
            conn.send(("error", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
    except (EOFError, KeyboardInterrupt, BrokenPipeError):
        pass
    finally:
        conn.close()


class ChartHelpers:
    """Helper processes that will draw one run folder's charts; `draw` hands them the folder."""

    def __init__(self, processes: int = 2, only_with_a_spare_core: bool = True):
        self._helpers: list = []
        self._leaving: list = []
        cores = os.cpu_count() or 1
        if (processes < 2 or cores < 2 or threading.active_count() != 1
                or "fork" not in multiprocessing.get_all_start_methods()
                or (only_with_a_spare_core and os.getloadavg()[0] > cores - 1)):
            return
        ctx = multiprocessing.get_context("fork")
        for k in range(processes):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_helper, args=(child, k, processes), daemon=True)
            proc.start()
            child.close()
            self._helpers.append((proc, parent))

    def __bool__(self) -> bool:
        return bool(self._helpers)

    def draw(self, folder: str | Path, style: str = "talk") -> list[Path]:
        """Draw the run charts of `folder` in the helpers; returns the files (raises a helper's error)."""
        for _, conn in self._helpers:
            conn.send((str(folder), style))
        paths, failure = [], None
        for proc, conn in self._helpers:
            try:
                reply = conn.recv()
            except EOFError:
                reply = ("error", f"a chart process ended early (exit code {proc.exitcode})", "")
            if reply[0] == "ok":
                paths += [Path(p) for p in reply[1]]
            elif failure is None:
                failure = reply
        self.close()
        if failure is not None:
            raise RuntimeError(f"drawing the charts failed: {failure[1]}\n{failure[2]}")
        return paths

    def keep_for(self, calls: int) -> None:
        """Let the helpers go at once when the run simulates more than HELPERS_UP_TO_CALLS calls: its
        charts are then drawn in this process, after its tables (see HELPERS_UP_TO_CALLS)."""
        if calls > HELPERS_UP_TO_CALLS:
            for proc, conn in self._helpers:
                proc.terminate()  # still importing the chart code, or waiting: nothing is lost
                conn.close()
                self._leaving.append(proc)
            self._helpers = []

    def close(self) -> None:
        """End the helpers (idempotent): those still waiting get nothing to draw."""
        for proc in self._leaving:
            proc.join(timeout=5)
        self._leaving = []
        for proc, conn in self._helpers:
            try:
                conn.send(None)
            except (BrokenPipeError, OSError):
                pass
            conn.close()
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
        self._helpers = []

    def __enter__(self) -> "ChartHelpers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
