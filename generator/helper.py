"""One helper process for a single spec, so that a second core shares the work.

It is forked on its first task, so it starts with every module already imported here, and a run
served entirely from the cache never starts it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any


class _LazyHelper(Executor):
    def __init__(self, warm_up: Callable[[], object] | None) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._warm_up: tuple[Future[int], Future[object]] | None = None
        if warm_up is not None:
            self._warm_up = (self.submit(os.getpid), self.submit(warm_up))

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._pool is None:
            return
        if self._warm_up is not None and not self._warm_up[1].done():
            # Tasks run in order, so no task needed the warm-up (the spec was bad): do not wait for it.
            os.kill(self._warm_up[0].result(), signal.SIGKILL)
        self._pool.shutdown(wait, cancel_futures=cancel_futures)


def helper_process(warm_up: Callable[[], object] | None = None) -> contextlib.AbstractContextManager[Executor | None]:
    """A helper (or None: one core, or no fork, as on Windows), shut down when the block ends.
    `warm_up` runs in it at once, to import what the tasks will need meanwhile."""
    if (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return contextlib.nullcontext()
    return _LazyHelper(warm_up)
