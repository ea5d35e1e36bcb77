"""Answer concurrent offline questions in micro-batches: one embedding call for every question that
arrived while the previous batch was computing (one query embedding alone costs ~10-20 ms on 2 cores,
a batch of 32 barely more per call), so many chats don't queue behind each other's model calls."""
from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import time

from .answer import Answer, Turn

MAX_BATCH = 32
MAX_WAIT_S = 0.003       # after the first question, wait this long for company


TRIM_EVERY_S = 1.0
_last_trim = 0.0


def release_freed_memory() -> None:
    """Give the heap that freed tensors left behind back to the system, at most once a second. glibc keeps it,
    and every batch has a new shape, so without this the bot grew ~70 MB over 4,000 questions (BENCHMARKS.md)."""
    global _last_trim
    if _libc is None or time.monotonic() - _last_trim < TRIM_EVERY_S:
        return
    _last_trim = time.monotonic()
    _libc.malloc_trim(0)


def _load_libc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None     # glibc only (not musl, not macOS)
    except OSError:
        return None


_libc = _load_libc()


class MicroBatcher:
    def __init__(self, engine, max_batch: int = MAX_BATCH, max_wait_s: float = MAX_WAIT_S):
        self.engine = engine
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self._queue: asyncio.Queue | None = None
        self._worker: asyncio.Task | None = None
        self.batches = 0

    async def answer(self, question: str, previous: Turn | None = None) -> Answer:
        if self._worker is None or self._worker.done():
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._run(), name="micro-batcher")
        future = asyncio.get_running_loop().create_future()
        await self._queue.put((question, previous, future))
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            deadline = loop.time() + self.max_wait_s
            while len(batch) < self.max_batch:
                timeout = deadline - loop.time()
                if timeout <= 0 and self._queue.empty():
                    break
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(), max(timeout, 0)))
                except asyncio.TimeoutError:
                    break
            self.batches += 1
            try:
                answers = await asyncio.to_thread(self.engine.answer_many, [(q, p) for q, p, _ in batch])
            except Exception as exc:  # one bad batch must not strand its askers: each gets the error
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, _, future), answer in zip(batch, answers):
                if not future.done():
                    future.set_result(answer)
            release_freed_memory()

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
