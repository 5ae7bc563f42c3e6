"""One helper process for a single spec, so that a second core shares the work.

It is forked on its first task, so it starts with every module already imported here, and a run
served entirely from the cache never starts it (nor imports multiprocessing).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor


class Helper:
    """`submit` and `shutdown` as in concurrent.futures; `warm_up` runs first, at once."""

    def __init__(self, warm_up: Callable[[], object] | None) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._failed = False  # the pool could not start: tasks run here
        self._warm_up: tuple[Future[int], Future[object]] | None = None
        if warm_up is not None:
            self._warm_up = (self.submit(os.getpid), self.submit(warm_up))

    @property
    def started(self) -> bool:
        """A helper process runs (sharing work with it pays off)."""
        return self._pool is not None

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Any]:
        if not self._failed:
            try:
                if self._pool is None:
                    import multiprocessing
                    from concurrent.futures import ProcessPoolExecutor

                    self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
                return self._pool.submit(fn, *args)
            except (ImportError, OSError):  # no semaphores or no fork (some containers): go on alone
                self._failed = True
                if self._pool is not None:
                    self._pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = None
        from concurrent.futures import Future

        done: Future[Any] = Future()
        try:
            done.set_result(fn(*args))
        except Exception as exc:  # noqa: BLE001  (delivered by result(), as the pool would)
            done.set_exception(exc)
        return done

    def shutdown(self) -> None:
        if self._pool is None:
            return
        if self._warm_up is not None and not self._warm_up[1].done():
            # Tasks run in order, so no task needed the warm-up (the spec was bad): do not wait for it.
            with contextlib.suppress(Exception):  # the helper may be gone already
                os.kill(self._warm_up[0].result(timeout=5), signal.SIGKILL)
        self._pool.shutdown(cancel_futures=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.shutdown()


def helper_process(warm_up: Callable[[], object] | None = None) -> Helper | contextlib.nullcontext[None]:
    """A helper (or None: one core, or no fork, as on Windows), shut down when the block ends."""
    if (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        return contextlib.nullcontext()
    return Helper(warm_up)
