"""The pool's event channel: workers send trial events, the driver takes them as they come.

A plain multiprocessing.Queue cannot survive a worker killed while it sends (the OOM killer,
a SIGKILL): a checkpoint is ~1 MB, so the kill often lands mid-message, and the driver's
next read then waits forever for the rest of it, because the driver itself holds a write end
of the pipe and the pipe never reports end-of-file. Here the driver's copy of the write end
is closed once the workers have it (`seal`), a reader thread does every blocking read, and a
message cut short ends in end-of-file, not in a hang.

Each event travels with the time it was sent (time.monotonic(), one clock for every process of
the machine): the driver forecasts when a worker will be free from its epochs' pace
(executors/forecast.py), which the time they reach the driver would blur.
"""

from __future__ import annotations

import queue
import threading
import time
from multiprocessing.context import BaseContext
from typing import Any

_CLOSED = object()  # the reader thread's last item: no writer is left


class EventSender:
    """A worker's end: one whole message at a time (the lock keeps workers' messages apart)."""

    def __init__(self, writer: Any, lock: Any) -> None:
        self.writer, self.lock = writer, lock

    def put(self, event: object) -> None:
        with self.lock:
            self.writer.send((time.monotonic(), event))


class EventChannel:
    """The driver's end: a pipe the workers' `sender` writes to, read by a thread."""

    def __init__(self, context: BaseContext) -> None:
        self._reader, self._writer = context.Pipe(duplex=False)
        self.sender = EventSender(self._writer, context.Lock())
        self._arrived: queue.Queue[object] = queue.Queue()
        self._thread: threading.Thread | None = None
        self.closed = False  # every writer has gone, and every whole message was taken

    def start(self) -> None:
        """Start reading (after the workers are forked: a fork copies no other thread)."""
        self._thread = threading.Thread(target=self._read, name="optbench-pool-events")
        self._thread.daemon = True
        self._thread.start()

    def seal(self) -> None:
        """Close this process's copy of the write end: call it once no worker will start
        any more (they exited, or the pool broke), so that the workers' ends are the last."""
        self._writer.close()

    def get(self, timeout: float | None = None) -> tuple[float, object]:
        """The next event and when it was sent; raises queue.Empty after `timeout` seconds
        (0: do not wait), and EOFError once the channel is closed and empty."""
        if self.closed:
            raise EOFError
        item = self._arrived.get(timeout=timeout) if timeout else self._arrived.get_nowait()
        if item is _CLOSED:
            self.closed = True
            raise EOFError
        return item  # type: ignore[return-value]

    def join(self) -> None:
        """After `seal`, once the workers have exited: wait for the reader thread to end."""
        if self._thread is not None:
            self._thread.join()
        self._reader.close()

    def _read(self) -> None:
        while True:
            try:
                event = self._reader.recv()
            except (EOFError, OSError):  # every writer closed; or a message cut short
                break
            except Exception:
                continue
            self._arrived.put(event)
        self._arrived.put(_CLOSED)
