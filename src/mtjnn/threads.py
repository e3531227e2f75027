"""One threading model for every numba kernel of the package: contiguous ranges on a shared thread pool.

The kernels (``physics/fused_kernel.py``, ``circuits/neuron_kernels.py``, ``nn/lif_kernel.py``) are ``nogil``
and serial over an index range [start, stop); ``run_ranges`` splits the range over ``threads`` threads, the
calling thread taking the first part, so one thread setting (``torch.get_num_threads()``) governs torch and
the kernels alike and numba's own threading layer stays out of torch's OpenMP runtime.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import torch

_POOL: list = [None, 0]  # [thread pool shared by all kernels, pid that created it] (a forked child makes its own)


def thread_count(n_items: int, work: int | None = None, min_work_per_thread: int = 1) -> int:
    """Threads for ``n_items`` ranges of total ``work``: ``torch.get_num_threads()``, at most one per item and
    one per ``min_work_per_thread`` units of work (small jobs stay on the calling thread)."""
    threads = min(torch.get_num_threads(), n_items)
    if work is not None:
        threads = min(threads, work // min_work_per_thread)
    return max(1, threads)


def run_ranges(call: Callable[[int, int], object], n_items: int, threads: int) -> None:
    """Call ``call(start, stop)`` over contiguous ranges covering [0, n_items) on ``threads`` threads."""
    if threads <= 1:
        call(0, n_items)
        return
    pool, pid = _POOL
    if pool is None or pid != os.getpid() or pool._max_workers < threads - 1:
        if pool is not None and pid == os.getpid():
            pool.shutdown(wait=False)
        pool = ThreadPoolExecutor(max_workers=threads - 1, thread_name_prefix="mtjnn-kernel")
        _POOL[:] = [pool, os.getpid()]
    bounds = [n_items * i // threads for i in range(threads + 1)]
    futures = [pool.submit(call, bounds[i], bounds[i + 1]) for i in range(1, threads)]
    call(bounds[0], bounds[1])
    for f in futures:
        f.result()
