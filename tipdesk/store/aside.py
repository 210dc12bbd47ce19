"""Work done aside: a computation run in a forked child process while the run goes on.

The daily run's 统计 sheet is worked out from every case row while the egress gate indexes
the same rows (on two cores that is most of a second at 50,000 cases), and the register it
wrote is kept in the cache while it sends its mail (store/cache.py). A forked child starts
with the rows already in memory (nothing is copied or sent but the result), so this needs
fork: on Windows, or when the fork or the child fails, the work is simply done here when
its result is asked for, with the same result or the same error.
"""

from __future__ import annotations

import os
from typing import Callable, Generic, TypeVar

T = TypeVar("T")
_UNSET = object()


class Aside(Generic[T]):
    """`compute()` under way in a child; `result()` waits. It may run twice (in the child, then
    here if the child failed), so it does nothing that cannot be done again: a pure
    computation, or a cache entry written again.
    As a context manager, a child whose result was not asked for is ended on leaving."""

    def __init__(self, compute: Callable[[], T]):
        self.compute, self._value, self._child = compute, _UNSET, None
        if not hasattr(os, "fork"):
            return
        try:
            read, write = os.pipe()
            pid = os.fork()
        except OSError:  # no memory or processes to spare: done here, when asked
            return
        if pid == 0:  # the child: compute, hand the result over, and leave without cleaning up
            status = 1
            try:
                import pickle

                os.close(read)
                payload = pickle.dumps(compute(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as out:
                    out.write(payload)
                status = 0
            finally:
                os._exit(status)  # never the parent's atexit, buffers or finally blocks
        os.close(write)
        self._child = (pid, read)

    def result(self) -> T:
        if self._value is _UNSET:
            self._value = self._from_child()
        if self._value is _UNSET:  # no child, or it failed: here, raising what it raises
            self._value = self.compute()
        return self._value

    def _from_child(self):
        if self._child is None:
            return _UNSET
        pid, read = self._child
        self._child = None
        with os.fdopen(read, "rb") as source:
            payload = source.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not payload:
            return _UNSET
        import pickle

        return pickle.loads(payload)

    def __enter__(self) -> "Aside[T]":
        return self

    def __exit__(self, *exc) -> None:
        self.cancel()

    def cancel(self) -> None:
        """Not wanted (any more): the child, if still there, is ended and reaped."""
        if self._child is not None:
            import signal

            pid, read = self._child
            self._child = None
            os.close(read)
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
            os.waitpid(pid, 0)
