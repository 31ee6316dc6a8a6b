"""Ctrl-C ends a run with the best answer so far; a second Ctrl-C aborts.

A command that runs several solves (``replan``, ``capacity``, ``whatif``) wraps all of them
in one `ctrl_c_ends_the_run`: the solve running when Ctrl-C is pressed stops with its best
week, and the command runs no further solve. A solve outside such a block opens its own.
"""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class CtrlC:
    """Whether Ctrl-C was pressed during the run, and how to stop the running search."""

    def __init__(self) -> None:
        self.pressed = threading.Event()
        self._stop_search: Callable[[], None] | None = None
        self._lock = threading.Lock()

    def stop(self) -> None:
        """Record the press and stop the running search, if any."""
        self.pressed.set()
        with self._lock:
            if self._stop_search is not None:
                self._stop_search()

    @contextmanager
    def stopping(self, stop_search: Callable[[], None]) -> Iterator[None]:
        """While the block runs, a press calls ``stop_search`` (a press before it, at once)."""
        with self._lock:
            self._stop_search = stop_search
        if self.pressed.is_set():
            stop_search()
        try:
            yield
        finally:
            with self._lock:
                self._stop_search = None


#: The run in progress in the main thread, shared by nested `ctrl_c_ends_the_run` blocks.
_current: CtrlC | None = None


def stopped_early() -> bool:
    """Whether Ctrl-C was pressed during the current run."""
    return _current is not None and _current.pressed.is_set()


@contextmanager
def ctrl_c_ends_the_run() -> Iterator[CtrlC]:
    """Within the block, Ctrl-C stops the running search; a second Ctrl-C aborts.

    Python runs signal handlers only between bytecodes of the main thread, which is inside
    CP-SAT during the search, and CP-SAT's own SIGINT catching misses presses that come
    between its solves (greedy week, model build, hint completion). So the signal is also
    written to a socket (`signal.set_wakeup_fd`) that a watcher thread reads at once: it
    stops the search if one runs, and later searches of the run are skipped. Nested blocks
    share the outer one's state. Only the main thread may handle signals; elsewhere (a Dask
    worker thread, say) nothing changes.
    """
    global _current
    if _current is not None:
        yield _current
        return
    ctrl_c = CtrlC()
    if threading.current_thread() is not threading.main_thread():
        yield ctrl_c
        return
    presses = 0

    def on_ctrl_c(signum: int, frame: object) -> None:
        nonlocal presses
        presses += 1
        ctrl_c.stop()
        if presses > 1:
            raise KeyboardInterrupt

    reader, writer = socket.socketpair()
    writer.setblocking(False)
    reader.settimeout(0.1)
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            try:
                data = reader.recv(64)
            except (TimeoutError, OSError):
                continue
            if signal.SIGINT in data:
                ctrl_c.stop()

    before = signal.signal(signal.SIGINT, on_ctrl_c)
    old_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    watcher = threading.Thread(target=watch, name="iop-ctrl-c", daemon=True)
    watcher.start()
    _current = ctrl_c
    try:
        yield ctrl_c
    finally:
        _current = None
        signal.set_wakeup_fd(old_fd)
        signal.signal(signal.SIGINT, before)
        done.set()
        watcher.join()
        reader.close()
        writer.close()
