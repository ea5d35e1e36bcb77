"""What the bot does with each kind of update. One small function per command or update kind; the
question path is ask(): limits → reply-chain memory → engine → render → deliver → store."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from telegram import Chat, Message, Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from index.errors import UserFacingError

from .. import messages
from . import delivery, i18n, render
from .addressing import addressed_question, is_reply_to_bot
from .answering import respond
from .services import Services

log = logging.getLogger(__name__)


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]


# -- questions ---------------------------------------------------------------------------------------

async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Text or a caption: in a private chat it is a question; in a group only when addressed to the bot."""
    message = update.effective_message
    if _from_bot(message):
        return
    text = message.text if message.text is not None else message.caption
    if update.effective_chat.type == Chat.PRIVATE:
        question = text
    else:
        question = addressed_question(message, context.bot.id, context.bot.username)
        if question is None:
            return
    if question is None:       # a private sticker, photo, voice note…: nothing to answer
        await _reply(update, context, "not_text")
        return
    await ask(update, context, question)


async def on_not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos without a caption, voice… in a private chat or as a reply to the bot."""
    message = update.effective_message
    if _from_bot(message):
        return
    if update.effective_chat.type == Chat.PRIVATE or is_reply_to_bot(message, context.bot.id):
        await _reply(update, context, "not_text")


async def cmd_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if _from_bot(update.effective_message):
        return
    question = _command_argument(update.effective_message)
    if not question:
        language = _ui_language(update, context)
        await _reply(update, context, "ask_usage", example=messages.text("examples", language).split("\n")[0])
        return
    await ask(update, context, question)


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
    received = time.monotonic()
    s = services(context)
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    user_id = user.id if user else None
    if not question.strip():
        await _reply(update, context, "empty_question")
        return
    if update.message and s.store.question_seen(chat.id, message.message_id):
        log.info("update for message %d in chat %d delivered again; already handled", message.message_id, chat.id)
        return
    wait = s.limits.take(chat.id, user_id)
    if wait:
        if s.limits.should_tell(chat.id, user_id, wait):
            await _reply(update, context, wait.key, seconds=wait.seconds)
        return
    shown = (s.store.answer_shown_in(chat.id, message.reply_to_message.message_id)
             if is_reply_to_bot(message, context.bot.id) else None)
    previous_id, previous = shown if shown else (None, None)
    question_id = s.store.record_question(chat.id, user_id, message.message_id, _thread(message), question, previous_id)
    await respond(context.bot, s, _target(update, s), question_id, question, previous,
                  private=chat.type == Chat.PRIVATE, received=received)


# -- commands ----------------------------------------------------------------------------------------

async def cmd_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = _ui_language(update, context)
    titles = "\n".join(f"• {d['title']}" for d in services(context).engine.index.documents.values())
    await _reply(update, context, "start", titles=titles, examples=messages.text("examples", language))


async def cmd_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update, context, "help", bot=context.bot.username)


async def cmd_sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = _ui_language(update, context)
    lines = [messages.text("sources_list", language)]
    for doc in services(context).engine.index.documents.values():
        lines.append("• " + messages.text("article_line", language, title=doc["title"], passages=doc.get("chunks", 0)))
        if doc.get("source"):
            lines.append(f"  {doc['source']}")
    await _send_text(update, context, "\n".join(lines))


async def cmd_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    choice = _command_argument(update.effective_message).lower()
    if choice not in ("zh", "en", "auto"):
        await _reply(update, context, "language_usage")
        return
    store = services(context).store
    store.set_chat_language(update.effective_chat.id, None if choice == "auto" else choice)
    await _reply(update, context, "language_auto" if choice == "auto" else "language_set")


async def cmd_reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not await _admin(update, context):
        return
    await _reply(update, context, "reloading")
    try:
        report = await asyncio.to_thread(services(context).engine.reload)
    except UserFacingError as exc:      # e.g. an unreadable corpus: the old index keeps serving
        await _reply(update, context, "reload_failed", reason=str(exc))
        return
    summary = report.summary() + "".join(f"\n{e}" for e in report.errors)
    await _reply(update, context, "reloaded", summary=summary)


async def cmd_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not await _admin(update, context):
        return
    s = services(context)
    stats = s.store.stats()
    language = _ui_language(update, context)
    text = messages.text("stats", language, questions=stats.questions, answered=stats.answered, refused=stats.refused,
                    up=stats.feedback_up, down=stats.feedback_down,
                    **{k: f"{v:.0f}" for k, v in stats.latency_ms.items()})
    llm = s.engine.llm
    text += "\n" + (messages.text("stats_llm", language, model=s.settings.llm.model, circuit=llm.breaker.describe())
                    if llm else messages.text("stats_offline", language))
    index = s.engine.index
    text += "\n" + messages.text("stats_index", language, articles=len(index.documents), passages=len(index.chunks),
                            model=index.manifest["embedding"]["model"])
    await _send_text(update, context, text)


async def on_unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_chat.type == Chat.PRIVATE:
        await _reply(update, context, "unknown_command")


# -- buttons ------------------------------------------------------------------------------------------

async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    language = _ui_language(update, context)
    kind, answer_id, value = _parse_button(query.data)
    store = services(context).store
    if kind == "f":
        recorded = store.record_feedback(answer_id, query.from_user.id, 1 if value > 0 else -1)
        await query.answer(messages.text("feedback_thanks" if recorded else "answer_missing", language))
        return
    citation = store.citation(answer_id, value) if kind == "p" else None
    if citation is None or query.message is None:
        await query.answer(messages.text("passage_missing", language), show_alert=True)
        return
    await query.answer()
    answer_message = query.message
    target = delivery.Target(chat_id=answer_message.chat.id, thread_id=_thread(answer_message),
                             reply_to=answer_message.message_id, on_migrate=store.migrate_chat)
    turn = store.turn(answer_id)
    parts = render.passage_messages(citation, render.paragraph_of(citation), language, turn.answer if turn else "")
    sent = await delivery.send_all(context.bot, target, parts, None)
    # replying to the passage continues the same conversation as replying to the answer
    store.record_messages(answer_id, target.chat_id, [m.message_id for m in sent])


def _parse_button(data: str | None) -> tuple[str, int, int]:
    try:
        kind, answer_id, value = (data or "").split(":")
        return kind, int(answer_id), int(value)
    except ValueError:
        return "?", 0, 0


# -- chat membership, access, errors --------------------------------------------------------------

async def on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message.migrate_to_chat_id:
        services(context).store.migrate_chat(message.chat.id, message.migrate_to_chat_id)
        log.info("group %d is now supergroup %d", message.chat.id, message.migrate_to_chat_id)


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every handler: outside the allowlist, say so (only when spoken to) and stop."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or services(context).limits.allowed(chat.id, user.id if user else None):
        return
    log.info("update from chat %d outside the allowlist", chat.id)
    language = _ui_language(update, context)
    if update.callback_query:
        await update.callback_query.answer(messages.text("not_allowed", language), show_alert=True)
    elif update.effective_message and _spoken_to(update, context):
        await _reply(update, context, "not_allowed")
    raise ApplicationHandlerStop


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("update failed", exc_info=context.error)
    if not isinstance(update, Update):
        return
    with contextlib.suppress(Exception):     # the error reply is best effort: never an error loop
        if update.callback_query:
            await update.callback_query.answer(messages.text("error", _ui_language(update, context)), show_alert=True)
        elif update.effective_message and _spoken_to(update, context):
            await _reply(update, context, "error")


# -- helpers ------------------------------------------------------------------------------------------

def _from_bot(message: Message) -> bool:
    return bool(message.from_user and message.from_user.is_bot)


def _thread(message: Message) -> int | None:
    """The forum topic a message is in (a button's message may be an InaccessibleMessage, with no topic)."""
    return message.message_thread_id if getattr(message, "is_topic_message", False) else None


def _target(update: Update, s: Services) -> delivery.Target:
    message, chat = update.effective_message, update.effective_chat
    return delivery.Target(chat_id=chat.id, thread_id=_thread(message),
                           reply_to=None if chat.type == Chat.PRIVATE else message.message_id,
                           on_migrate=s.store.migrate_chat)


def _command_argument(message: Message) -> str:
    parts = (message.text or message.caption or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def _words(message: Message | None) -> str:
    """What the user wrote, without a leading /command (whose Latin name says nothing of their language)."""
    text = (getattr(message, "text", None) or getattr(message, "caption", None) or "") if message else ""
    return _command_argument(message) if text.startswith("/") else text


def _spoken_to(update: Update, context) -> bool:
    message = update.effective_message
    if update.effective_chat.type == Chat.PRIVATE or (message.text or "").startswith("/"):
        return True
    return addressed_question(message, context.bot.id, context.bot.username) is not None


def _ui_language(update: Update, context) -> str:
    user = update.effective_user
    chat_language = services(context).store.chat_language(update.effective_chat.id) if update.effective_chat else None
    return i18n.pick(chat_language, _words(update.effective_message), user.language_code if user else None)


async def _reply(update: Update, context, key: str, **values) -> None:
    await _send_text(update, context, messages.text(key, _ui_language(update, context), **values))


async def _send_text(update: Update, context, text: str) -> None:
    target = _target(update, services(context))
    try:
        await delivery.send_all(context.bot, target, render.text_messages(text), None)
    except delivery.Undeliverable as exc:
        log.warning("reply not delivered: %s", exc)


async def _admin(update: Update, context) -> bool:
    user = update.effective_user
    if user and services(context).limits.is_admin(user.id):
        return True
    await _reply(update, context, "admin_only")
    return False
