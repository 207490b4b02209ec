"""Where sweep points are solved: in this process, in local worker processes (the default)
or on a Dask distributed cluster. One interface: `run(context, tasks)` yields each point's
record as it finishes (in any order); the caller stores it.

Every executor evaluates a point with the same function, `evaluate`, so their tables are
identical point for point. Workers get the context (base scenario, inputs, outputs) once:
the process pool through its initializer, Dask as data scattered to every worker. Each
worker owns one engine Session (its compiled models and data sets), so its points re-solve
one compiled model instead of rebuilding it: an in-process run keeps it for the run, a pool
worker for its life, a Dask worker as an attribute of the worker. HiGHS runs one thread per
worker (the scenarios' solver default).

Workers die with the sweep, however it ends (kill -9 included): pool workers by a
parent-death signal (`die_with_parent`), the workers of a Dask LocalCluster by Dask's own
pipe to their parent. Ctrl-C reaches the sweep alone, which kills its pool at once.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import re
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from energymodel.engine import Session
from energymodel.errors import EnergyModelError, InputError, SolveError
from energymodel.inputs import periods
from energymodel.metrics import key_outputs
from energymodel.scenario import Scenario
from energymodel.solver import silence_banner
from energymodel.sweeps.factors import Factor, variant

Task = tuple[int, dict[str, float]]  # point number, input values by name
SCHEDULER = re.compile(r"^(tcp|tls|inproc|ucx|ws|wss)://\S+$")


@dataclass(frozen=True)
class Context:
    """What a worker needs to evaluate any point of one sweep: the base scenario varied by
    the factors, or (`worlds`) a fixed scenario per point number, as the leverage
    decomposition's worlds; `measure` turns a solve's tables and periods into the outputs
    kept (default: the key outputs of the groups `outputs`; a module-level function, so
    it reaches worker processes)."""

    base: Scenario
    factors: tuple[Factor, ...]
    outputs: tuple[str, ...]
    worlds: tuple[Scenario, ...] = ()
    measure: Callable[[Mapping[str, pd.DataFrame], pd.DataFrame],
                      dict[str, float]] | None = None


def evaluate(context: Context, point: int, x: dict[str, float], session: Session) -> dict:
    """Solve one point: the base scenario with the inputs at `x`, the key outputs kept; the
    worker's `session` makes it a re-solve of its compiled model.

    A point without a solution, or whose inputs the model rejects, is recorded with its
    status and reason instead of outputs.
    """
    from energymodel.api import solve  # the public path

    start = time.perf_counter()
    status, reason, outputs = "ok", "", {}
    try:
        scenario = (context.worlds[point] if context.worlds
                    else variant(context.base, list(context.factors), x))
        results = solve(scenario, dependence=False, session=session)
        outputs = (context.measure(results.tables, periods(scenario)) if context.measure
                   else key_outputs(results.tables, periods(scenario), context.outputs))
    except SolveError as err:
        status, reason = "no solution", str(err)
    except InputError as err:
        status, reason = "bad input", f"{err.field}: {err.reason}" if err.field else err.reason
    except Exception as err:  # a point never stops the sweep; its reason is kept
        status, reason = "error", f"{type(err).__name__}: {err}"
    return {"point": point, "status": status, "reason": reason, "outputs": outputs,
            "seconds": round(time.perf_counter() - start, 4)}


class Executor(Protocol):
    """Solves tasks and yields their records as they finish."""

    workers: int

    def run(self, context: Context, tasks: Iterable[Task]) -> Iterator[dict]: ...


class InProcess:
    """Points one after another in this process."""

    workers = 1

    def run(self, context: Context, tasks: Iterable[Task]) -> Iterator[dict]:
        session = Session()
        for point, x in tasks:
            yield evaluate(context, point, x, session)


# A pool worker's context and session, set once by its initializer in the worker process
_WORKER: tuple[Context, Session] | None = None
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _initialize(context: Context, parent: int) -> None:
    """A pool worker's start: it dies with the sweep (`die_with_parent`), leaves Ctrl-C to
    the sweep (which stops the pool), keeps HiGHS's banner off stdout, runs one thread."""
    global _WORKER
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ["OMP_NUM_THREADS"] = "1"
    silence_banner()
    _WORKER = (context, Session())


def die_with_parent(parent: int) -> None:
    """End this process when `parent` ends, even by kill -9: Linux sends SIGKILL on the
    parent's death (prctl PR_SET_PDEATHSIG); elsewhere a watchdog thread polls the parent
    id every second. A parent already gone ends this process at once."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        armed = False
    if os.getppid() != parent:
        os._exit(1)
    if not armed:
        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(1)
            os._exit(1)

        threading.Thread(target=watch, daemon=True, name="watchdog").start()


def _evaluate_in_worker(point: int, x: dict[str, float]) -> dict:
    if _WORKER is None:
        raise RuntimeError("a worker process solves points only after _initialize")
    context, session = _WORKER
    return evaluate(context, point, x, session)


def _evaluate_on_dask(context: Context, point: int, x: dict[str, float]) -> dict:
    """`evaluate` on a Dask worker, with the session that worker owns."""
    from distributed import get_worker

    worker = get_worker()
    session = getattr(worker, _DASK_SESSION, None)
    if session is None:
        session = Session()
        setattr(worker, _DASK_SESSION, session)
    return evaluate(context, point, x, session)


_DASK_SESSION = "energymodel_session"  # the attribute of a Dask worker holding its Session


class Processes:
    """Points in local worker processes (default: one per core), a few queued per worker
    so memory stays flat however many points there are."""

    def __init__(self, workers: int | None = None):
        if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool)
                                    or workers < 1):
            raise InputError(None, "workers", f"needs a whole number of at least 1, not "
                             f"{workers!r}"[:200])
        self.workers = workers or os.cpu_count() or 1

    def run(self, context: Context, tasks: Iterable[Task]) -> Iterator[dict]:
        pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_initialize, initargs=(context, os.getpid()))
        try:
            pending: set = set()
            tasks = iter(tasks)
            while True:
                for point, x in tasks:
                    pending.add(pool.submit(_evaluate_in_worker, point, x))
                    if len(pending) >= 2 * self.workers:
                        break
                if not pending:
                    return
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield future.result()
        except BrokenProcessPool:
            raise EnergyModelError("a worker process died; finished points are kept: run the "
                                   "sweep again to solve the missing ones") from None
        except BaseException:  # Ctrl-C, an error: the points in flight are not waited for
            for process in list(getattr(pool, "_processes", {}).values()):
                process.kill()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


class Dask:
    """Points on a Dask distributed cluster: a scheduler address (tcp://HOST:PORT) or a
    `distributed.Client`. Workers need the scenario's data directory at the same path."""

    workers = 1  # known once connected

    def __init__(self, scheduler):
        try:
            import distributed
        except ImportError:
            raise InputError(None, "--scheduler", "Dask is not installed: pip install "
                             "'energymodel[dask]'") from None
        if not isinstance(scheduler, distributed.Client) and not (
                isinstance(scheduler, str) and SCHEDULER.match(scheduler)):
            raise InputError(None, "--scheduler", f"{scheduler!r} is not a Dask scheduler "
                             "address (tcp://HOST:PORT) or a distributed.Client"[:200])
        self._distributed = distributed
        self.scheduler = scheduler

    def run(self, context: Context, tasks: Iterable[Task]) -> Iterator[dict]:
        distributed = self._distributed
        own = not isinstance(self.scheduler, distributed.Client)
        if isinstance(self.scheduler, distributed.Client):
            client = self.scheduler
        else:
            try:
                client = distributed.Client(self.scheduler, timeout="20s")
            except (OSError, ValueError, TypeError) as err:  # TimeoutError is an OSError
                first = (str(err).splitlines() or [type(err).__name__])[0][:200]
                raise InputError(None, "--scheduler", f"cannot reach {self.scheduler}: "
                                 f"{first}") from None
        try:
            self.workers = max(1, len(client.scheduler_info()["workers"]))
            shared = client.scatter(context, broadcast=True)
            tasks = iter(tasks)
            queue = distributed.as_completed()
            for point, x in tasks:
                queue.add(client.submit(_evaluate_on_dask, shared, point, x, pure=False))
                if queue.count() >= 2 * self.workers:
                    break
            for future in queue:
                yield future.result()
                future.release()
                for point, x in tasks:
                    queue.add(client.submit(_evaluate_on_dask, shared, point, x, pure=False))
                    break
        finally:
            if own:
                client.close()


def executor(name: str = "processes", workers: int | None = None,
             scheduler=None) -> Executor:
    """An executor by name: 'inline' (this process), 'processes' or 'dask' (`scheduler`)."""
    if scheduler is not None or name == "dask":
        if scheduler is None:
            raise InputError(None, "--scheduler", "the dask executor needs a scheduler "
                             "address (tcp://HOST:PORT)")
        return Dask(scheduler)
    if name == "inline":
        return InProcess()
    if name == "processes":
        return Processes(workers)
    raise InputError(None, "--executor", f"'{name}' is not one of inline, processes, dask")
