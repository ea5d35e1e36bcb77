"""One question's way from the engine to the chat: "typing…", the answer (micro-batched offline, or
streamed from the LLM) or the claim check, rendering, delivery — as new messages, or in place of the
messages that already show it (an edited question, a preview a crash left half-written) — and storage.
Also the questions a crash left unanswered."""
from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import logging
import time
from dataclasses import dataclass, field

from telegram import Bot, Chat, InlineKeyboardMarkup, Message
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import Application

from .. import check
from ..answer import Answer, Turn
from . import delivery, i18n, render
from .services import Services

log = logging.getLogger(__name__)

TYPING_AFTER_S = 1.0          # an answer faster than this needs no "typing…" (and saves a request)
TYPING_EVERY_S = 4.5          # Telegram shows "typing" for about 5 s per call
RESUME_WITHIN_S = 600.0       # after a crash, questions younger than this are still worth answering


@dataclass
class Request:
    """What to answer and how: a question ("ask") or claims to check ("check")."""
    question_id: int
    text: str
    previous: Turn | None
    private: bool
    received: float                      # time.monotonic() when its update arrived
    kind: str = "ask"
    replace: list[int] = field(default_factory=list)   # messages already showing it: edited in place


async def respond(bot: Bot, s: Services, target: delivery.Target, request: Request) -> str:
    """Answer and deliver; returns the text that was answered (the question may be edited meanwhile)."""
    preview = None
    async with _typing(bot, target):
        if request.kind == "check":
            answer = await asyncio.to_thread(check.check_text, s.engine, request.text)
        elif s.engine.llm is None:
            answer = await s.batcher.answer(request.text, request.previous)
        else:
            answer, preview = await _stream(bot, s, target, request)
    answer = i18n.in_script_of(request.text, answer)
    answer_id = s.store.record_answer(request.question_id, answer)
    parts, markup = render.answer_messages(answer), render.keyboard(answer_id, answer)
    if i18n.is_traditional(request.text) and answer.language == "zh":
        parts = [i18n.traditional(p) for p in parts]
    try:
        if preview is not None:
            sent = await preview.finish(parts, markup)
        elif request.replace:
            sent = await replace(bot, target, request.replace, parts, markup)
        else:
            sent = await delivery.send_all(bot, target, parts, markup)
    except delivery.Undeliverable as exc:
        log.warning("answer %d not delivered: %s", answer_id, exc)
        return request.text
    latency_ms = (time.monotonic() - request.received) * 1000
    s.store.record_delivery(answer_id, target.chat_id, [m.message_id for m in sent], latency_ms)
    log.info("answered q%d in chat %d: kind=%s mode=%s refused=%s citations=%d %.0f ms", request.question_id,
             target.chat_id, request.kind, answer.mode, answer.refused, len(answer.citations), latency_ms)
    return request.text


async def replace(bot: Bot, target: delivery.Target, message_ids: list[int], parts: list[str],
                  markup: InlineKeyboardMarkup | None) -> list[Message]:
    """Show parts in the messages that showed an earlier version: edit them in order, send what doesn't fit,
    delete what is left over. Buttons go under the last part."""
    sent = []
    for i, part in enumerate(parts):
        buttons = markup if i == len(parts) - 1 else None
        if i < len(message_ids):
            sent.append(await delivery.edit(bot, target, placeholder(target, message_ids[i]), part, buttons))
        else:
            sent.append(await delivery.send(bot, target, part, buttons, reply=False))
    for message_id in message_ids[len(parts):]:
        with contextlib.suppress(TelegramError):
            await bot.delete_message(target.chat_id, message_id)
    return sent


def placeholder(target: delivery.Target, message_id: int) -> Message:
    """A Message standing for one of the bot's messages known only by its id (from the database)."""
    chat = Chat(target.chat_id, Chat.PRIVATE if target.chat_id > 0 else Chat.SUPERGROUP)
    return Message(message_id, dtm.datetime.now(dtm.timezone.utc), chat)


async def resume_unanswered(app: Application) -> None:
    """Answer what the last run was answering when it died (its updates were already confirmed), in place of
    the preview it had begun to show, if any. Started from post_init; waits until the application runs, so
    that stopping it waits for these answers too."""
    started = time.time()        # questions from now on are this run's own
    while not app.running:
        if time.time() - started > 60:       # the application never started: nothing to answer with
            return
        await asyncio.sleep(0.05)
    s: Services = app.bot_data["services"]
    for q in s.store.unanswered(since=started - RESUME_WITHIN_S, until=started):
        private = q.chat_id > 0          # Telegram: users' chat ids are positive, groups' negative
        target = delivery.Target(chat_id=q.chat_id, thread_id=q.thread_id,
                                 reply_to=None if private else q.message_id, on_migrate=s.store.migrate_chat)
        previous = s.store.turn(q.previous_answer_id) if q.previous_answer_id else None
        shown = s.store.shown(q.id)
        half_written = shown[1] if shown and shown[0] == q.chat_id and shown[2] is None else []
        log.info("answering q%d, left unanswered by the last run%s", q.id,
                 " (replacing its half-written preview)" if half_written else "")
        request = Request(q.id, q.text, previous, private, time.monotonic(), kind=q.kind, replace=half_written)
        app.create_task(respond(app.bot, s, target, request), name=f"resume-q{q.id}")


async def _stream(bot: Bot, s: Services, target: delivery.Target, request: Request):
    from .streaming import Preview, engine_stream

    preview = Preview(bot, target, private=request.private, draft_id=request.question_id)
    if request.replace:          # a preview a crash left half-written: it is completed, not duplicated
        preview.message = placeholder(target, request.replace[0])
        for message_id in request.replace[1:]:
            with contextlib.suppress(TelegramError):
                await bot.delete_message(target.chat_id, message_id)
    recorded = preview.message.message_id if preview.message else None
    written, answer = "", None
    async for item in engine_stream(s.engine, request.text, request.previous):
        if isinstance(item, Answer):
            answer = item
        else:
            written += item
            await preview.update(written)
            shown = preview.message.message_id if preview.message else None
            if shown is not None and shown != recorded:     # so that a restart completes it
                s.store.record_shown(request.question_id, target.chat_id, [shown], None)
                recorded = shown
    return answer, preview


@contextlib.asynccontextmanager
async def _typing(bot: Bot, target: delivery.Target):
    """"typing…" while an answer takes longer than TYPING_AFTER_S. A timer, not a task, until then: most
    offline answers are done before it fires, and a task per answer was a quarter of the event loop's work."""
    async def keep_typing() -> None:
        while True:
            with contextlib.suppress(TelegramError):
                await bot.send_chat_action(target.chat_id, ChatAction.TYPING, message_thread_id=target.thread_id)
            await asyncio.sleep(TYPING_EVERY_S)

    tasks: list[asyncio.Task] = []

    def start() -> None:
        tasks.append(asyncio.ensure_future(keep_typing()))

    timer = asyncio.get_running_loop().call_later(TYPING_AFTER_S, start)
    try:
        yield
    finally:
        timer.cancel()
        for task in tasks:
            task.cancel()
