"""Updates run concurrently across people, in order for each person in each chat: two quick questions
from one user are answered in the order asked, while nobody else waits for them."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class PerSenderOrder(BaseUpdateProcessor):
    __slots__ = ("_queues",)

    def __init__(self, max_concurrent_updates: int):
        super().__init__(max_concurrent_updates)
        self._queues: dict[tuple, tuple[asyncio.Lock, int]] = {}   # sender -> (lock, updates holding it)

    async def do_process_update(self, update: object, coroutine: Awaitable) -> None:
        key = _sender(update)
        if key is None:
            await coroutine
            return
        lock, users = self._queues.get(key, (None, 0))
        lock = lock or asyncio.Lock()
        self._queues[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._queues[key]
            if users == 1:
                del self._queues[key]
            else:
                self._queues[key] = (lock, users - 1)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _sender(update: object) -> tuple[int, int, bool] | None:
    """Whose turn an update takes: its chat and sender (a person, or the chat an anonymous admin or a channel
    posts as). Edits take a turn of their own: an edit must reach a question that is still waiting for its
    slot (handlers.ask), not queue behind it."""
    if not isinstance(update, Update) or update.effective_chat is None:
        return None
    sender = update.effective_sender
    return update.effective_chat.id, sender.id if sender else 0, update.edited_message is not None
