"""One helper process for a single spec, so that a second core shares the work.

It is forked on its first task, so it starts with every module already imported here, and a run
served entirely from the cache never starts it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any


class _LazyHelper(Executor):
    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait, cancel_futures=cancel_futures)


def helper_process() -> contextlib.AbstractContextManager[Executor | None]:
    """A helper (or None: one core, or no fork, as on Windows), shut down when the block ends."""
    if (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return contextlib.nullcontext()
    return _LazyHelper()
