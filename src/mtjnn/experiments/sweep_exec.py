"""Where sweep tasks run: in this process, on a Dask LocalCluster, or on an existing Dask cluster.

``open_runner(scheduler, workers)`` gives a context manager whose ``map(fn, spec, tasks)`` yields
``(task, result)`` as tasks finish, in any order; the caller writes each result as it arrives, so a killed
sweep loses only the tasks in flight. ``scheduler``:

* ``None``: in-process, one task after another (small sweeps, tests);
* ``"auto"``: ``"local"`` when dask.distributed is installed and the work is at least ``AUTO_LOCAL_STEPS``
  junction-steps in more than one task, else in-process;
* ``"local"``: a Dask ``LocalCluster`` of ``workers`` processes (default: every core), one thread each;
* ``"tcp://host:port"`` (or ``tls://``, ``ucx://``...): an existing Dask scheduler; connecting gives up after
  ``connect_timeout`` seconds with a ValueError naming the address.

Every Dask worker runs torch with one thread (the parallelism is the workers). Results travel back to the
client as a few integers per segment; the spec (a few hundred numbers) travels with every task.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any, Callable, Iterator

from ..validation import check_range
from .sweep_spec import SweepSpec, Task

LOCAL = "local"
AUTO = "auto"
#: Junction-steps from which "auto" starts a LocalCluster (~10-30 s of single-core work; a cluster starts in ~5 s).
AUTO_LOCAL_STEPS = 5e8


def resolve_scheduler(scheduler: str | None, workers: int | None, junction_steps: float, tasks: int) -> str | None:
    """``scheduler`` with "auto" replaced by "local" or None (module docstring); checks it first."""
    check_scheduler(scheduler, workers)
    if scheduler != AUTO:
        return scheduler
    big = junction_steps >= AUTO_LOCAL_STEPS and tasks > 1
    if workers is not None or (big and importlib.util.find_spec("distributed") is not None):
        return LOCAL
    return None


def check_scheduler(scheduler: str | None, workers: int | None) -> None:
    """ValueError before any work for a malformed scheduler / workers, or Dask missing when asked for."""
    if workers is not None:
        if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 4096:
            raise ValueError(f"workers = {workers!r}; allowed: an integer in [1, 4096]")
        if scheduler not in (LOCAL, AUTO):
            raise ValueError(f"workers = {workers!r} with scheduler = {scheduler!r}; allowed: workers only with "
                             "scheduler 'local' (an existing cluster has its own workers)")
    if scheduler is None:
        return
    if not isinstance(scheduler, str) or (scheduler not in (LOCAL, AUTO) and "://" not in scheduler):
        raise ValueError(f"scheduler = {scheduler!r}; allowed: None (in-process), 'auto', 'local', or an address like 'tcp://host:8786'")
    if scheduler != AUTO and importlib.util.find_spec("distributed") is None:
        raise ValueError(f"scheduler = {scheduler!r} needs dask.distributed, which is not installed; allowed: "
                         "None (in-process), or pip install 'mtjnn[sweep]'")


class InProcess:
    """Runs tasks one after another in this process."""

    description = "in-process"
    workers = 1
    dashboard: str | None = None

    def __enter__(self) -> "InProcess":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def warm(self, fn: Callable, *args: Any) -> None:
        """Nothing to do: this process imports and compiles on the first task."""

    def map(self, fn: Callable, spec: SweepSpec, tasks: list[Task]) -> Iterator[tuple[Task, Any]]:
        for task in tasks:
            yield task, fn(spec, task)


def _one_thread() -> None:  # runs on every Dask worker
    import torch

    torch.set_num_threads(1)


class DaskRunner:
    """Runs tasks on a Dask cluster: a LocalCluster it starts (``scheduler="local"``) or an existing one."""

    def __init__(self, scheduler: str, workers: int | None, connect_timeout: float) -> None:
        self.scheduler, self.requested, self.connect_timeout = scheduler, workers, connect_timeout
        self.client: Any = None
        self.cluster: Any = None

    def __enter__(self) -> "DaskRunner":
        from distributed import Client, LocalCluster

        if self.scheduler == LOCAL:
            dashboard = ":0"  # any free port (8787 may be taken by another cluster)
            self.cluster = LocalCluster(n_workers=self.requested or os.cpu_count() or 1, threads_per_worker=1,
                                        processes=True, dashboard_address=dashboard, silence_logs=40)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(self.scheduler, timeout=f"{self.connect_timeout}s")
            except (OSError, TimeoutError) as err:
                raise ValueError(f"scheduler = {self.scheduler!r} is unreachable within {self.connect_timeout:g} s "
                                 f"({type(err).__name__}); allowed: the address of a running Dask scheduler, "
                                 "'local', or None (in-process)") from None
        self.client.run(_one_thread)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    @property
    def workers(self) -> int:
        return len(self.client.scheduler_info().get("workers", {}))

    @property
    def dashboard(self) -> str | None:
        if self.scheduler == LOCAL and importlib.util.find_spec("bokeh") is None:
            return None
        return self.client.dashboard_link

    @property
    def description(self) -> str:
        kind = "Dask LocalCluster" if self.scheduler == LOCAL else f"Dask scheduler {self.scheduler}"
        return f"{kind}, {self.workers} workers"

    def warm(self, fn: Callable, *args: Any) -> None:
        """Run ``fn(*args)`` once on every worker (imports, numba kernels loaded) before the timed work."""
        self.client.run(fn, *args)

    def map(self, fn: Callable, spec: SweepSpec, tasks: list[Task]) -> Iterator[tuple[Task, Any]]:
        from distributed import as_completed

        futures = {self.client.submit(fn, spec, task, pure=False, key=f"sweep-{task.name}-{id(self)}"): task
                   for task in tasks}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            for future in futures:
                future.cancel()


def open_runner(scheduler: str | None, workers: int | None = None, connect_timeout: float = 5.0) -> InProcess | DaskRunner:
    """The runner for ``scheduler`` (module docstring); use it as a context manager."""
    check_scheduler(scheduler, workers)
    if scheduler == AUTO:
        raise ValueError("scheduler = 'auto' must be resolved first (resolve_scheduler); allowed: None, 'local' or an address")
    check_range("connect_timeout", connect_timeout, 0.1, 3600.0, unit="s")
    return InProcess() if scheduler is None else DaskRunner(scheduler, workers, connect_timeout)
