"""One question's way from the engine to the chat: "typing…", the answer (micro-batched offline, or
streamed from the LLM), rendering, delivery, and storage. Also the questions a crash left unanswered."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import Application

from ..answer import Answer, Turn
from . import delivery, render
from .services import Services

log = logging.getLogger(__name__)

TYPING_AFTER_S = 1.0          # an answer faster than this needs no "typing…" (and saves a request)
TYPING_EVERY_S = 4.5          # Telegram shows "typing" for about 5 s per call
RESUME_WITHIN_S = 600.0       # after a crash, questions younger than this are still worth answering


async def respond(bot: Bot, s: Services, target: delivery.Target, question_id: int, question: str,
                  previous: Turn | None, *, private: bool, received: float) -> None:
    async with _typing(bot, target):
        if s.engine.llm is None:
            answer, preview = await s.batcher.answer(question, previous), None
        else:
            answer, preview = await _stream(bot, s, target, question, previous, question_id, private)
    answer_id = s.store.record_answer(question_id, answer)
    parts, markup = render.answer_messages(answer), render.keyboard(answer_id, answer)
    try:
        sent = (await preview.finish(parts, markup) if preview
                else await delivery.send_all(bot, target, parts, markup))
    except delivery.Undeliverable as exc:
        log.warning("answer %d not delivered: %s", answer_id, exc)
        return
    latency_ms = (time.monotonic() - received) * 1000
    s.store.record_delivery(answer_id, target.chat_id, [m.message_id for m in sent], latency_ms)
    log.info("answered q%d in chat %d: mode=%s refused=%s citations=%d %.0f ms", question_id, target.chat_id,
             answer.mode, answer.refused, len(answer.citations), latency_ms)


async def resume_unanswered(app: Application) -> None:
    """Answer what the last run was answering when it died (its updates were already confirmed). Started from
    post_init; waits until the application runs, so that stopping it waits for these answers too."""
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
        log.info("answering q%d, left unanswered by the last run", q.id)
        app.create_task(respond(app.bot, s, target, q.id, q.text, previous, private=private,
                                received=time.monotonic()), name=f"resume-q{q.id}")


async def _stream(bot: Bot, s: Services, target: delivery.Target, question: str, previous: Turn | None,
                  question_id: int, private: bool):
    from .streaming import Preview, engine_stream

    preview = Preview(bot, target, private=private, draft_id=question_id)
    written, answer = "", None
    async for item in engine_stream(s.engine, question, previous):
        if isinstance(item, Answer):
            answer = item
        else:
            written += item
            await preview.update(written)
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
