"""Where replications run: in this process, in local worker processes, or on a Dask cluster.

Every executor returns results in job order, so the output never depends on which worker
finished first.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
import traceback
from multiprocessing import connection
from typing import Any, Callable, Sequence

from ..processes import die_with_parent

OnDone = Callable[[int], None]


def _ignore_sigint() -> None:
    # Ctrl-C goes to the parent, which then stops every worker at once; SIGTERM (what the
    # parent sends to stop a worker) ends it quietly, whatever handler it inherited.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


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


class RemoteTraceback(Exception):
    """Where a worker's error came from: its traceback, attached as the error's cause."""

    def __str__(self) -> str:
        return str(self.args[0])


def _serve(conn, fn: Callable, parent: int) -> None:
    """A worker: run each job the parent sends, one at a time, and send back (index, ok, value)."""
    _ignore_sigint()
    die_with_parent(parent)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        i, job = task
        try:
            reply = (i, True, fn(job))
        except BaseException as exc:  # noqa: BLE001  (sent back whole; the parent raises it)
            reply = (i, False, (exc, traceback.format_exc()))
        try:
            conn.send(reply)
        except OSError:  # the parent has gone
            return
        except Exception as exc:  # noqa: BLE001  (it would not pickle; nothing was sent yet)
            what = "its result" if reply[1] else f"its error ({type(reply[2][0]).__name__}: {reply[2][0]})"
            failure = RuntimeError(f"job {i + 1} could not send back {what}: {type(exc).__name__}: {exc}")
            with contextlib.suppress(OSError):
                conn.send((i, False, (failure, traceback.format_exc())))


def run_processes(fn: Callable, jobs: Sequence, workers: int, on_done: OnDone | None = None) -> list:
    """Run jobs in `workers` local processes, each handed one job at a time through its own pipe.

    Not multiprocessing.Pool: when a run is stopped (Ctrl-C, SIGTERM, an error) its terminate()
    can wait forever on a worker ended halfway through sending a result (CPython issues 78178,
    96995, both open). Here no lock is shared between processes, so stopping is ending each
    worker and waiting for it. A worker that dies (killed, out of memory) fails the run with
    RunFailed instead of leaving it waiting.
    """
    from ..errors import RunFailed

    ctx = multiprocessing.get_context(_start_method())
    todo = list(enumerate(jobs))[::-1]
    results: list[Any] = [None] * len(jobs)
    pool: list[list] = []  # [process, connection, index of the job it runs or None]
    try:
        for _ in range(min(workers, max(len(jobs), 1))):
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(theirs, fn, os.getpid()), daemon=True)
            proc.start()
            theirs.close()
            pool.append([proc, ours, None])

        def hand(worker: list) -> None:
            if todo:
                i, job = todo.pop()
                worker[2] = i
                try:
                    worker[1].send((i, job))
                except OSError:  # the worker ended before it could take the job
                    worker[0].join(timeout=1)
                    raise RunFailed(_died(i, worker[0].exitcode, len(jobs))) from None

        for worker in pool:
            hand(worker)
        while busy := [w for w in pool if w[2] is not None]:
            ready = set(connection.wait([w[1] for w in busy] + [w[0].sentinel for w in busy]))
            for worker in busy:
                proc, conn, i = worker
                if conn in ready:
                    try:
                        done, ok, value = conn.recv()
                    except (EOFError, OSError):
                        proc.join(timeout=1)
                        raise RunFailed(_died(i, proc.exitcode, len(jobs))) from None
                    if not ok:
                        exc, remote = value
                        exc.__cause__ = RemoteTraceback(remote)
                        raise exc
                    results[done] = value
                    worker[2] = None
                    if on_done:
                        on_done(1)
                    hand(worker)
                elif proc.sentinel in ready:
                    proc.join(timeout=1)
                    raise RunFailed(_died(i, proc.exitcode, len(jobs)))
        for _, conn, _ in pool:  # every job done: each worker ends on its own
            with contextlib.suppress(OSError):
                conn.send(None)
    except BaseException:
        for proc, _, _ in pool:
            proc.terminate()  # SIGTERM: a worker ends at once, whatever it is doing
        raise
    finally:
        for _, conn, _ in pool:
            conn.close()
        for proc, _, _ in pool:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()
    return results


def _died(i: int, exitcode: int | None, n: int) -> str:
    how = f"exit code {exitcode}" if exitcode is None or exitcode >= 0 else f"killed by {_signal_name(-exitcode)}"
    hint = " (the system may have run out of memory: try fewer --workers)" if exitcode == -signal.SIGKILL else ""
    return (f"a worker process ended while running job {i + 1} of {n} ({how}){hint}; the run stopped "
            "and nothing was written")


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


DASK_TIMEOUT_S = 60.0
"""How long a Dask run waits with no worker (at the start, or after every worker died) before failing."""


def run_dask(fn: Callable, jobs: Sequence, scheduler: str, on_done: OnDone | None = None,
             timeout_s: float = DASK_TIMEOUT_S) -> list:
    """Run jobs on the Dask distributed cluster at `scheduler` (e.g. tcp://host:8786).

    Fails with RunFailed, never waits forever, when the cluster has had no worker for
    `timeout_s` seconds or the scheduler has been unreachable for as long.
    """
    import distributed.client
    from dask.distributed import Client

    from ..errors import RunFailed, ScenarioError

    try:
        client = Client(scheduler, set_as_default=False, timeout="15s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ScenarioError(f"cannot reach the Dask scheduler at {scheduler!r} ({exc}); "
                            "give its address as tcp://HOST:PORT") from None
    with _quiet_dask_logs(), client:
        futures = client.map(fn, list(jobs), pure=False)
        try:
            pending = list(futures)
            trouble_since: float | None = None
            while pending:
                finished = [f for f in pending if f.done()]
                if finished:
                    pending = [f for f in pending if not f.done()]
                    for f in finished:
                        if f.status == "error":
                            f.result()  # raises the job's own error
                        if f.status != "finished":  # cancelled: the client lost its scheduler
                            raise RunFailed(f"lost the Dask scheduler at {scheduler}; "
                                            f"{len(pending) + len(finished)} of {len(futures)} replications were "
                                            "not done (nothing was written). Restart the scheduler and its "
                                            "workers, and run again")
                    if on_done:
                        on_done(len(finished))
                    trouble_since = None
                    continue
                problem = _cluster_problem(client)
                if problem is None:
                    trouble_since = None
                else:
                    trouble_since = trouble_since or time.monotonic()
                    if time.monotonic() - trouble_since > timeout_s:
                        raise RunFailed(f"{problem} at {scheduler} for {timeout_s:g} s; {len(pending)} of "
                                        f"{len(futures)} replications were not done. Start workers "
                                        f"(`dask worker {scheduler}`), or wait longer with --dask-timeout")
                time.sleep(0.2)
            try:
                return client.gather(futures)
            except (OSError, distributed.client.FutureCancelledError) as exc:  # lost between the last poll and now
                raise RunFailed(f"lost the Dask scheduler at {scheduler} while collecting results ({exc.__class__.__name__}); "
                                "nothing was written. Restart the scheduler and its workers, and run again") from None
        except BaseException:
            with contextlib.suppress(Exception):
                client.cancel(futures)
            raise


@contextlib.contextmanager
def _quiet_dask_logs():
    """Dask's client logs a lost connection with tracebacks; run_dask reports it in one line instead."""
    import logging

    names = ["distributed", *(n for n in logging.root.manager.loggerDict if n.startswith("distributed."))]
    levels = {n: logging.getLogger(n).level for n in names}
    for n in names:
        logging.getLogger(n).setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for n, level in levels.items():
            logging.getLogger(n).setLevel(level)


def _cluster_problem(client) -> str | None:
    """Why no work can progress on a Dask cluster (no worker, no scheduler), or None."""
    if client.status != "running":
        return "lost the Dask scheduler"
    try:
        workers = client.scheduler_info().get("workers", {})
    except Exception:  # the connection broke between the status check and the request
        return "lost the Dask scheduler"
    return None if workers else "no Dask workers"


def run_jobs(fn: Callable, jobs: Sequence, workers: int = 1, scheduler: str | None = None,
             on_done: OnDone | None = None, dask_timeout_s: float = DASK_TIMEOUT_S) -> list:
    """Dispatch to the executor the arguments ask for: Dask if a scheduler is given, else processes or serial."""
    if scheduler:
        return run_dask(fn, jobs, scheduler, on_done, dask_timeout_s)
    if workers <= 1 or len(jobs) <= 1:
        return run_serial(fn, jobs, on_done)
    return run_processes(fn, jobs, workers, on_done)


def describe(workers: int, scheduler: str | None) -> str:
    if scheduler:
        return f"dask:{scheduler}"
    return "serial" if workers <= 1 else f"processes:{workers}"
