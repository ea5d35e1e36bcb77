"""Showing an LLM answer while it is written, within Telegram's limits: native drafts (sendMessageDraft) in
private chats; in groups one placeholder message edited at most every few seconds (a group takes about
20 messages a minute, edits included). The final answer, with citations and buttons, replaces the preview.

What is previewed is what the engine streams: only sentences that passed the claim check, with their final
citation numbers (bot.llm.Draft), so every draft and every edit is part of the final answer and no unchecked
model text (its reasoning, an echoed system prompt, an injected order) is ever shown."""
from __future__ import annotations

import asyncio
import html
import logging
import threading
import time
from collections.abc import AsyncIterator

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import TelegramError

from ..answer import Answer, Turn
from . import delivery, render

log = logging.getLogger(__name__)

DRAFT_INTERVAL_S = 0.5
PRIVATE_EDIT_INTERVAL_S = 1.0
GROUP_EDIT_INTERVAL_S = 3.0
_DONE = object()


async def engine_stream(engine, question: str, previous: Turn | None) -> AsyncIterator[str | Answer]:
    """engine.stream (blocking: HTTP to the LLM) run in its own thread, its items handed to the event loop.
    Not the loop's default executor: it has a handful of threads, and each answer holds one for seconds."""
    loop = asyncio.get_running_loop()
    items: asyncio.Queue = asyncio.Queue()

    def produce() -> None:
        try:
            for item in engine.stream(question, previous):
                loop.call_soon_threadsafe(items.put_nowait, item)
        except BaseException as exc:  # handed over and raised in the handler, which reports it
            loop.call_soon_threadsafe(items.put_nowait, exc)
        finally:
            loop.call_soon_threadsafe(items.put_nowait, _DONE)

    threading.Thread(target=produce, name="answer-stream", daemon=True).start()
    while (item := await items.get()) is not _DONE:     # the engine's deadline bounds the wait
        if isinstance(item, BaseException):
            raise item
        yield item


class Preview:
    """The partial answer as the user sees it while the LLM writes."""

    def __init__(self, bot: Bot, target: delivery.Target, private: bool, draft_id: int):
        self.bot, self.target, self.draft_id = bot, target, draft_id
        self.use_drafts = private
        self.interval = DRAFT_INTERVAL_S if private else GROUP_EDIT_INTERVAL_S
        self.message: Message | None = None     # the placeholder being edited (groups, or drafts failed)
        self.shown_at = 0.0
        self.shown = ""

    async def update(self, text: str) -> None:
        if time.monotonic() - self.shown_at < self.interval or text.strip() == self.shown:
            return
        self.shown_at, self.shown = time.monotonic(), text.strip()
        if self.use_drafts:
            try:
                await self.bot.send_message_draft(self.target.chat_id, self.draft_id, render.preview(text),
                                                  message_thread_id=self.target.thread_id)
                return
            except TelegramError as exc:   # e.g. an older self-hosted Bot API: preview by edits instead
                log.info("drafts unavailable (%s); previewing by edits", exc.__class__.__name__)
                self.use_drafts, self.interval = False, PRIVATE_EDIT_INTERVAL_S
        try:
            shown = html.escape(render.preview(text))
            if self.message is None:
                self.message = await delivery.send(self.bot, self.target, shown)
            else:
                self.message = await delivery.edit(self.bot, self.target, self.message, shown)
        except (delivery.Undeliverable, TelegramError) as exc:
            log.info("preview skipped (%s)", exc.__class__.__name__)   # the final answer still goes out

    async def finish(self, parts: list[str], markup: InlineKeyboardMarkup | None) -> list[Message]:
        """The final answer: the placeholder becomes its first message; the buttons go under the last."""
        if self.message is None:
            return await delivery.send_all(self.bot, self.target, parts, markup)
        first = await delivery.edit(self.bot, self.target, self.message, parts[0],
                                    markup if len(parts) == 1 else None)
        rest = [await delivery.send(self.bot, self.target, part, markup if i == len(parts) - 2 else None,
                                    reply=False) for i, part in enumerate(parts[1:])]
        return [first, *rest]
