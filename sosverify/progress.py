"""Progress of trainings that run in Dask workers, drawn in the process that submitted them.

A training at home draws its own tqdm bar (iterations, it/s, the latest KL).  In a worker it
writes to a :class:`RemoteBar` instead — the same three methods, ``update``, ``set_postfix`` and
``close`` — which posts them to a named ``distributed.Queue``; the client's :class:`Board` drains
the queue between completions and draws one bar per running training, beside the bar that counts
finished ones.  Updates are sent at most every ``every`` seconds (the latest KL always), so a
training of thousands of iterations costs the scheduler a few messages a second.  Progress is
never worth a training: a message that cannot be sent is dropped.
"""

from __future__ import annotations

import asyncio
import time
import uuid

# what a lost scheduler connection raises from a queue (CommClosedError is an OSError; asyncio's
# TimeoutError is not the built-in one before Python 3.11)
_SEND_ERRORS = (OSError, TimeoutError, asyncio.TimeoutError, RuntimeError, ValueError, KeyError)
# seconds between a worker's messages, and between the client's looks at its tasks
INTERVAL = 0.5


class RemoteBar:
    """A tqdm-like bar whose updates go to the client's :class:`Board` through queue ``name``."""

    def __init__(self, name: str, key: str, total: int, initial: int = 0, every: float = INTERVAL):
        from distributed import Queue

        self.key, self.n, self._every, self._sent = key, int(initial), every, time.monotonic()
        try:
            self._queue: Queue | None = Queue(name)
        except _SEND_ERRORS:
            self._queue = None
        self._post(("start", key, self.n, int(total), None))

    def _post(self, event: tuple) -> None:
        if self._queue is None:
            return
        try:
            self._queue.put(event)
        except _SEND_ERRORS:
            self._queue = None  # the client has gone: train on without a bar

    def update(self, n: int = 1) -> None:
        self.n += n
        if time.monotonic() - self._sent >= self._every:
            self._sent = time.monotonic()
            self._post(("n", self.key, self.n, None, None))

    def set_postfix(self, **postfix) -> None:
        self._post(("n", self.key, self.n, None, {k: str(v) for k, v in postfix.items()}))

    def close(self) -> None:
        self._post(("close", self.key, self.n, None, None))
        _release(self._queue)
        self._queue = None


def _release(queue) -> None:
    """Drop this process's reference to ``queue``; the scheduler forgets it with the last one."""
    if queue is not None:
        try:
            queue.close()
        except _SEND_ERRORS:
            pass


class Board:
    """The client side: a queue for the workers' :class:`RemoteBar` messages and a bar per training.

    Messages are ``(kind, key, n, total, postfix)``: ``start`` (a bar of ``total`` from ``n``),
    ``n`` (``n`` iterations done; ``postfix`` the latest KL) and ``close``."""

    def __init__(self, client, first_position: int = 1):
        from distributed import Queue

        self.name = f"sosverify-progress-{uuid.uuid4().hex}"
        self._queue = Queue(self.name, client=client)
        self._bars: dict = {}
        self._positions: dict = {}
        self._first = first_position

    def drain(self) -> None:
        """Draw what the workers have sent; nothing, if the queue cannot be read."""
        from tqdm import tqdm

        try:
            events = self._queue.get(batch=True)
        except _SEND_ERRORS:
            return
        for kind, key, n, total, postfix in events:
            bar = self._bars.get(key)
            if kind == "start":  # a task run again (its worker died) starts its bar again
                if bar is not None:
                    bar.close()
                used = {p for k, p in self._positions.items() if k != key}
                position = next(p for p in range(self._first, self._first + len(used) + 1) if p not in used)
                self._positions[key] = position
                self._bars[key] = tqdm(total=total, initial=n, desc=key, unit="it", position=position, leave=False)
                continue
            if bar is None:
                continue
            if n > bar.n:
                bar.update(n - bar.n)
            if postfix:
                bar.set_postfix(postfix)
            if kind == "close":
                bar.close()
                del self._bars[key], self._positions[key]

    def close(self) -> None:
        self.drain()
        for bar in self._bars.values():
            bar.close()
        self._bars.clear()
        self._positions.clear()
        _release(self._queue)
