"""Sending and editing messages so that an answer survives what Telegram does to it: flood waits (429),
server and network errors, HTML it refuses to parse, edits of vanished messages, groups that became
supergroups. A message is either delivered once or reported as undeliverable (the bot was removed).

Each retry re-sends the same request; only a timeout after the request left can, rarely, deliver twice —
Telegram offers no idempotency key to prevent that."""
from __future__ import annotations

import asyncio
import datetime as dtm
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from . import render

log = logging.getLogger(__name__)

ATTEMPTS = 6
BACKOFF_S = (0.5, 1, 2, 4, 8)
MAX_FLOOD_WAIT_S = 120.0      # a longer 429 wait than this is not worth holding an answer for
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class Undeliverable(Exception):
    """The bot can't write to this chat (removed, blocked) or Telegram kept failing."""


@dataclass
class Target:
    """Where a conversation's messages go. chat_id changes if the group is migrated mid-answer."""
    chat_id: int
    thread_id: int | None = None
    reply_to: int | None = None
    on_migrate: Callable[[int, int], None] | None = None   # (old chat id, new chat id)


async def send(bot: Bot, target: Target, html_text: str, markup: InlineKeyboardMarkup | None = None,
               *, reply: bool = True) -> Message:
    async def call(html_mode: bool) -> Message:
        return await bot.send_message(
            target.chat_id, html_text if html_mode else render.plain(html_text),
            parse_mode=ParseMode.HTML if html_mode else None, reply_markup=markup,
            message_thread_id=target.thread_id, link_preview_options=NO_PREVIEW,
            reply_parameters=(ReplyParameters(target.reply_to, allow_sending_without_reply=True)
                              if reply and target.reply_to else None))
    return await _deliver(target, call)


async def send_all(bot: Bot, target: Target, parts: list[str], markup: InlineKeyboardMarkup | None) -> list[Message]:
    """Several messages in order: the first replies to the asker, the buttons go under the last."""
    sent = []
    for i, part in enumerate(parts):
        sent.append(await send(bot, target, part, markup if i == len(parts) - 1 else None, reply=i == 0))
    return sent


async def edit(bot: Bot, target: Target, message: Message, html_text: str,
               markup: InlineKeyboardMarkup | None = None) -> Message:
    """Edit a message's text. If the message is gone, the text is sent as a new message instead; an edit to
    the same text is a success."""
    async def call(html_mode: bool) -> Message:
        try:
            result = await bot.edit_message_text(
                html_text if html_mode else render.plain(html_text), chat_id=target.chat_id,
                message_id=message.message_id, reply_markup=markup, parse_mode=ParseMode.HTML if html_mode else None,
                link_preview_options=NO_PREVIEW)
        except BadRequest as exc:
            reason = str(exc).lower()
            if "message is not modified" in reason:
                return message
            if "message to edit not found" in reason or "message can't be edited" in reason:
                log.info("message %s vanished before its edit; sending anew", message.message_id)
                return await send(bot, target, html_text, markup)
            raise
        return result if isinstance(result, Message) else message
    return await _deliver(target, call)


async def _deliver(target: Target, call: Callable[[bool], Awaitable[Message]]) -> Message:
    html_mode = True
    for attempt in range(ATTEMPTS):
        try:
            return await call(html_mode)
        except RetryAfter as exc:
            wait = _seconds(exc.retry_after)
            if wait > MAX_FLOOD_WAIT_S:
                raise Undeliverable(f"flood wait of {wait:.0f} s") from exc
            log.info("flood control: waiting %.1f s (attempt %d)", wait, attempt + 1)
            await asyncio.sleep(wait)
        except ChatMigrated as exc:
            log.info("chat %s migrated to %s", target.chat_id, exc.new_chat_id)
            if target.on_migrate:
                target.on_migrate(target.chat_id, exc.new_chat_id)
            target.chat_id, target.thread_id = exc.new_chat_id, None
        except Forbidden as exc:
            raise Undeliverable(f"chat {target.chat_id}: {exc.message}") from exc
        except BadRequest as exc:
            if html_mode and "can't parse entities" in str(exc).lower():
                log.warning("Telegram refused the HTML (%s); sending plain text", exc.message)
                html_mode = False
                continue
            raise
        except NetworkError as exc:      # 5xx, timeouts, connection errors
            if attempt == ATTEMPTS - 1:
                raise Undeliverable(f"chat {target.chat_id}: {exc.__class__.__name__}") from exc
            log.info("Telegram unreachable (%s); retrying", exc.__class__.__name__)
            await asyncio.sleep(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
    raise Undeliverable(f"chat {target.chat_id}: still failing after {ATTEMPTS} attempts")


def _seconds(value: int | float | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)
