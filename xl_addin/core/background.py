"""One call run on a second CPU while the caller goes on with its own work.

numpy on large arrays, pyarrow compute and scipy's special functions release the GIL, so on two
cores such a call and the caller's steps run side by side. ``pipeline`` runs the CLV models
this way: their inputs (the customer totals) exist long before their results are joined in.
Nothing here runs on import; no thread outlives the ``with`` block that started it.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from ..cpus import usable_cpus

__all__ = ["BackgroundCall", "usable_cpus"]


class BackgroundCall:
    """``function(*args, **kwargs)`` in one worker thread, started at once, when this process
    may use two CPUs or more. On one CPU a thread would only take turns with the caller, so
    the call is made in the caller's thread when ``result()`` first asks for it: the same
    work in the same order as a plain call at that point.

    Use it as a context manager: leaving the block waits for the worker, whatever was raised,
    so the caller returns with no thread of its own still running. An error the block raises
    wins over one of the worker (which is then dropped, as a plain call never made would be).
    """

    def __init__(self, function, /, *args, **kwargs) -> None:
        self._call = (function, args, kwargs)
        self._executor: ThreadPoolExecutor | None = None
        self._future: Future | None = None
        if usable_cpus() > 1:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="customer-tiers")
            self._future = self._executor.submit(function, *args, **kwargs)

    @property
    def threaded(self) -> bool:
        """The call runs (or ran) in a worker thread."""
        return self._executor is not None

    def result(self):
        """The call's value, once it has finished; its exception, raised unchanged, if it raised."""
        if self._future is None:  # one CPU: called here, once
            self._future = Future()
            function, args, kwargs = self._call
            try:
                self._future.set_result(function(*args, **kwargs))
            except BaseException as error:  # kept, so that asking again raises it again
                self._future.set_exception(error)
        return self._future.result()

    def close(self) -> None:
        """Wait for the worker thread to end (no-op without one, or when done)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    def __enter__(self) -> BackgroundCall:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
