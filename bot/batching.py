"""Answer concurrent offline questions in micro-batches: one embedding call for every question that
arrived while the previous batch was computing (one query embedding alone costs ~10-20 ms on 2 cores,
a batch of 32 barely more per call), so many chats don't queue behind each other's model calls."""
from __future__ import annotations

import asyncio
import contextlib

from .answer import Answer, Turn

MAX_BATCH = 32
MAX_WAIT_S = 0.003       # after the first question, wait this long for company


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

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
