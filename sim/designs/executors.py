"""Where replications run: in this process, in local worker processes, or on a Dask cluster.

Every executor returns results in job order, so the output never depends on which worker
finished first.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from typing import Any, Callable, Sequence

OnDone = Callable[[int], None]


def _ignore_sigint() -> None:
    # Ctrl-C goes to the parent, which then stops the whole pool at once; SIGTERM (what the
    # parent's pool.terminate sends) ends a worker quietly, whatever handler it inherited.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _indexed(args):
    fn, i, job = args
    return i, fn(job)


def run_serial(fn: Callable, jobs: Sequence, on_done: OnDone | None = None) -> list:
    out = []
    for job in jobs:
        out.append(fn(job))
        if on_done:
            on_done(1)
    return out


def _start_method() -> str:
    """fork when this process has one thread (workers start at once, nothing to re-import);
    otherwise spawn, since forking a process with threads (a notebook kernel, a progress
    bar) can deadlock the child."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


def run_processes(fn: Callable, jobs: Sequence, workers: int, on_done: OnDone | None = None) -> list:
    """Run jobs in `workers` local processes."""
    ctx = multiprocessing.get_context(_start_method())
    results: list[Any] = [None] * len(jobs)
    pool = ctx.Pool(processes=min(workers, max(len(jobs), 1)), initializer=_ignore_sigint)
    try:
        for i, result in pool.imap_unordered(_indexed, [(fn, i, job) for i, job in enumerate(jobs)], chunksize=1):
            results[i] = result
            if on_done:
                on_done(1)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
    return results


def run_dask(fn: Callable, jobs: Sequence, scheduler: str, on_done: OnDone | None = None) -> list:
    """Run jobs on the Dask distributed cluster at `scheduler` (e.g. tcp://host:8786)."""
    from dask.distributed import Client, as_completed

    from ..errors import ScenarioError

    try:
        client = Client(scheduler, set_as_default=False, timeout="15s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ScenarioError(f"cannot reach the Dask scheduler at {scheduler!r} ({exc}); "
                            "give its address as tcp://HOST:PORT") from None
    with client:
        futures = client.map(fn, list(jobs), pure=False)
        try:
            for _ in as_completed(futures, loop=client.loop):
                if on_done:
                    on_done(1)
            return client.gather(futures)
        except BaseException:
            client.cancel(futures)
            raise


def run_jobs(fn: Callable, jobs: Sequence, workers: int = 1, scheduler: str | None = None,
             on_done: OnDone | None = None) -> list:
    """Dispatch to the executor the arguments ask for: Dask if a scheduler is given, else processes or serial."""
    if scheduler:
        return run_dask(fn, jobs, scheduler, on_done)
    if workers <= 1 or len(jobs) <= 1:
        return run_serial(fn, jobs, on_done)
    return run_processes(fn, jobs, workers, on_done)


def describe(workers: int, scheduler: str | None) -> str:
    if scheduler:
        return f"dask:{scheduler}"
    return "serial" if workers <= 1 else f"processes:{workers}"
