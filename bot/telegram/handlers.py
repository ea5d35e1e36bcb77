"""What the bot does with each kind of update. One small function per command or update kind; the
question path is ask(): limits → reply-chain memory → engine → render → deliver → store."""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time

from telegram import (Chat, ChatMember, InlineQueryResultArticle, InlineQueryResultsButton, InputTextMessageContent,
                      Message, Update)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from index.errors import UserFacingError

from .. import messages
from ..answer import Turn
from . import delivery, i18n, render
from .addressing import addressed_question, asks_nothing, has_content, is_reply_to_bot, replied_other, text_of
from .answering import Request, respond
from .services import Services

log = logging.getLogger(__name__)

ACKNOWLEDGE = "👌"         # the reaction to a message that asks nothing
MAX_REANSWERS = 3          # a question edited while it is answered is answered again, at most this often
INLINE_TITLE_CHARS = 64
SHUTDOWN_CHECK_S = 0.25    # how often a question waiting for its slot checks whether the bot is stopping
INLINE_CACHE_S = 60        # Telegram may show the same inline answer again for this long without asking


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]


# -- questions ---------------------------------------------------------------------------------------

async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Text or a caption: in a private chat it is a question; in a group only when addressed to the bot. A
    mention replying to someone else's message is about that message: "他说的对吗？" checks its claims, "什么
    意思？" on a question answers it; a mention with a question of its own is answered with that message as
    context. A message that asks nothing ("谢谢！", "👍") gets a reaction, not a message."""
    message = update.effective_message
    if _ignored(message, context):
        return
    s = services(context)
    if update.effective_chat.type == Chat.PRIVATE:
        question = text_of(message)
    else:
        question = addressed_question(message, context.bot.id, context.bot.username)
        if question is None:
            return
    replied = replied_other(message, context.bot.id)
    if replied is not None:
        subject = text_of(replied)
        if has_content(question, s.engine.index):
            await ask(update, context, question, previous=Turn(question=subject, answer=""))
        elif "?" in subject or "？" in subject:
            await ask(update, context, f"{subject} {question}".strip())
        else:
            await ask(update, context, subject, kind="check")
        return
    if question.strip() and asks_nothing(question, s.engine.index):
        await _react(update, context)
        return
    await ask(update, context, question)


async def on_not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos without a caption, voice…: a reply to the bot asks nothing (a reaction); in a private
    chat anything else gets a clear message that only text is answered."""
    message = update.effective_message
    if _ignored(message, context):
        return
    if is_reply_to_bot(message, context.bot.id):
        await _react(update, context)
    elif update.effective_chat.type == Chat.PRIVATE:
        await _reply(update, context, "not_text")


async def cmd_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask <question>, or /ask in reply to someone's message: that message is the question."""
    if _ignored(update.effective_message, context):
        return
    question = _command_argument(update.effective_message)
    if not question and (replied := replied_other(update.effective_message, context.bot.id)) is not None:
        question = text_of(replied)          # /ask in reply to someone's question asks it
    if not question:
        language = _ui_language(update, context)
        await _reply(update, context, "ask_usage", example=services(context).engine.example_questions(language, 1)[0])
        return
    await ask(update, context, question)


async def cmd_check(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/check <claim>, or /check in reply to someone's message: its claims against the articles."""
    message = update.effective_message
    if _ignored(message, context):
        return
    claim = _command_argument(message)
    if not claim and (replied := replied_other(message, context.bot.id)) is not None:
        claim = text_of(replied)
    if not claim:
        await _reply(update, context, "check_usage")
        return
    await ask(update, context, claim, kind="check")


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str, *, kind: str = "ask",
              previous: Turn | None = None) -> None:
    """The question path: limits (a question over them waits for its slot) → reply-chain memory → engine or
    claim check → render → deliver → store. An edited question is answered again in place."""
    received = time.monotonic()
    s = services(context)
    message, chat = update.effective_message, update.effective_chat
    if not question.strip():
        await _reply(update, context, "empty_question")
        return
    if update.edited_message is not None:
        known = s.store.question_of(chat.id, message.message_id)
        if known is not None:
            await _edited(update, context, known, question, kind, received)
            return
    elif s.store.question_seen(chat.id, message.message_id):
        log.info("update for message %d in chat %d delivered again; already handled", message.message_id, chat.id)
        return
    sender = _sender_id(update)
    admission = await _admit(update, context, sender)
    if admission.refused:
        return
    previous_id = None
    if previous is None and is_reply_to_bot(message, context.bot.id):
        shown = s.store.answer_shown_in(chat.id, message.reply_to_message.message_id)
        previous_id, previous = shown if shown else (None, None)
    question_id = s.store.record_question(chat.id, sender, message.message_id, _thread(message), question,
                                          previous_id, kind)
    if not await _wait_for_slot(context, admission.delay, chat.id, sender):
        return
    target = _target(update, s)
    private = chat.type == Chat.PRIVATE
    answered = None
    for _ in range(MAX_REANSWERS):
        text, kind = s.store.question_now(question_id)        # it may have been edited while it waited
        if text == answered:
            break
        shown = s.store.shown(question_id) if answered is not None else None
        answered = await respond(context.bot, s, target, Request(
            question_id, text, previous, private, received, kind=kind,
            replace=shown[1] if shown and shown[2] is not None else []))


async def _edited(update: Update, context, known, question: str, kind: str, received: float) -> None:
    """The asker edited a question. Not answered yet (waiting, or being answered): the new text is what gets
    answered. Answered: it is answered again, in the messages that show the old answer."""
    s = services(context)
    chat = update.effective_chat
    if question == known.text and kind == known.kind:
        return                                  # e.g. only the formatting changed
    s.store.edit_question(known.id, question, kind)
    if known.answer_id is None:
        log.info("q%d edited before its answer; the new text will be answered", known.id)
        return
    sender = _sender_id(update)
    admission = await _admit(update, context, sender)
    if admission.refused:
        return
    if not await _wait_for_slot(context, admission.delay, chat.id, sender):
        return
    shown = s.store.shown(known.id)
    previous = s.store.turn(known.previous_answer_id) if known.previous_answer_id else None
    log.info("q%d edited after its answer; answering again in place", known.id)
    await respond(context.bot, s, _target(update, s), Request(
        known.id, question, previous, chat.type == Chat.PRIVATE, received, kind=kind,
        replace=shown[1] if shown and shown[0] == chat.id else []))


async def _wait_for_slot(context, delay: float, chat_id: int, sender: int | None) -> bool:
    """Wait for a question's slot; False if the bot is stopping meanwhile. The question is stored, so the next
    start answers it (answering.resume_unanswered) instead of holding the shutdown for up to a minute."""
    if delay <= 0:
        return True
    app = context.application
    deadline = time.monotonic() + delay
    try:
        while (left := deadline - time.monotonic()) > 0:
            if not app.running:
                return False
            await asyncio.sleep(min(left, SHUTDOWN_CHECK_S))
        return app.running
    finally:
        services(context).limits.done_waiting(chat_id, sender)


async def _admit(update: Update, context, sender: int | None):
    s = services(context)
    admission = s.limits.admit(update.effective_chat.id, sender)
    if admission.notice:
        await _reply(update, context, admission.notice, seconds=admission.seconds)
    return admission


async def on_inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """"@bot question" in any chat: one result, the offline answer with its sources as text, to send."""
    query = update.inline_query
    text = query.query.strip()
    language = i18n.pick(None, text, query.from_user.language_code if query.from_user else None)
    hint = InlineQueryResultsButton(text=messages.text("inline_empty", language), start_parameter="inline")
    answer = await services(context).batcher.answer(text, None) if text else None
    if answer is None or answer.mode == "invalid":
        await _answer_inline(query, [], button=hint, cache_time=5)
        return
    answer = i18n.in_script_of(text, answer)
    body = render.inline_message(answer)
    title = render.plain(render.answer_messages(answer)[0]).split("\n")[0]
    if i18n.is_traditional(text) and answer.language == "zh":
        body, title = i18n.traditional(body), i18n.traditional(title)
    result = InlineQueryResultArticle(
        id=hashlib.sha1(text.encode()).hexdigest()[:32], title=_shorten(title, INLINE_TITLE_CHARS),
        description=_shorten(text, INLINE_TITLE_CHARS),
        input_message_content=InputTextMessageContent(body, parse_mode=ParseMode.HTML,
                                                      link_preview_options=delivery.NO_PREVIEW))
    await _answer_inline(query, [result], cache_time=INLINE_CACHE_S)
    log.info("inline answer: mode=%s refused=%s citations=%d", answer.mode, answer.refused, len(answer.citations))


async def _answer_inline(query, results, **options) -> None:
    try:
        await query.answer(results, **options)
    except TelegramError as exc:      # e.g. the user typed on and the query expired: nothing to tell anyone
        log.info("inline query not answered (%s)", exc.__class__.__name__)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- commands ----------------------------------------------------------------------------------------

async def cmd_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = _ui_language(update, context)
    titles = "\n".join(f"• {d['title']}" for d in services(context).engine.index.documents.values())
    examples = "\n".join(services(context).engine.example_questions(language))
    await _reply(update, context, "start", titles=titles, examples=examples)


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
    """A chat setting: anyone in a private chat, only the admins in a group."""
    choice = _command_argument(update.effective_message).lower()
    if choice not in ("zh", "en", "auto"):
        await _reply(update, context, "language_usage")
        return
    if not await _group_admin(update, context):
        await _reply(update, context, "language_admins_only")
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
    if update.effective_chat.type == Chat.PRIVATE and not _ignored(update.effective_message, context):
        await _reply(update, context, "unknown_command")


# -- buttons ------------------------------------------------------------------------------------------

async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    language = _ui_language(update, context)
    kind, answer_id, value = _parse_button(query.data)
    store = services(context).store
    if kind == "f":
        await _vote(query, store, answer_id, 1 if value > 0 else -1, language)
        return
    citation = store.citation(answer_id, value) if kind == "p" else None
    if citation is None or query.message is None:
        await query.answer(messages.text("passage_missing", language), show_alert=True)
        return
    answer_message = query.message
    if store.passage_opened(answer_message.chat.id, answer_id, value) is not None:
        await query.answer(messages.text("passage_shown", language))     # not posted twice
        return
    await query.answer()
    target = delivery.Target(chat_id=answer_message.chat.id, thread_id=_thread(answer_message),
                             reply_to=answer_message.message_id, on_migrate=store.migrate_chat)
    turn = store.turn(answer_id)
    parts = render.passage_messages(citation, render.paragraph_of(citation), language, turn.answer if turn else "")
    sent = await delivery.send_all(context.bot, target, parts, None)
    # replying to the passage continues the same conversation as replying to the answer
    store.record_opened(target.chat_id, answer_id, value, [m.message_id for m in sent])


async def _vote(query, store, answer_id: int, value: int, language: str) -> None:
    """👍/👎: a press votes, a second press of the same button takes the vote back, the other one changes it.
    The buttons show the counts."""
    user_id = query.from_user.id
    new = 0 if store.vote(answer_id, user_id) == value else value
    if not store.record_feedback(answer_id, user_id, new):
        await query.answer(messages.text("answer_missing", language))
        return
    await query.answer(messages.text({1: "vote_up", -1: "vote_down", 0: "vote_removed"}[new], language))
    message = query.message
    markup = getattr(message, "reply_markup", None)
    if markup is None:
        return
    try:
        await message.edit_reply_markup(render.with_votes(markup, answer_id, store.votes(answer_id)))
    except TelegramError as exc:     # "not modified" (two quick presses), or the message is gone
        log.info("vote counts not shown (%s)", exc.__class__.__name__)


async def on_reaction(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A 👍 or 👎 reaction on an answer is a vote, like its buttons (whose counts follow). Telegram sends
    reactions only to a bot that asked for them (allowed_updates) and, in groups, is an administrator."""
    reaction = update.message_reaction
    if reaction.user is None:                 # an anonymous reaction: nobody to count the vote for
        return
    store = services(context).store
    shown = store.answer_shown_in(reaction.chat.id, reaction.message_id)
    if shown is None:
        return
    answer_id, user_id = shown[0], reaction.user.id
    new, old = _vote_of(reaction.new_reaction), _vote_of(reaction.old_reaction)
    if new == old or (new == 0 and store.vote(answer_id, user_id) != old):   # a button changed it since
        return
    store.record_feedback(answer_id, user_id, new)
    where = store.buttons_shown_in(answer_id)
    if where is None:
        return
    markup = render.buttons(answer_id, store.citations(answer_id), store.votes(answer_id))
    try:
        await context.bot.edit_message_reply_markup(where[0], where[1], reply_markup=markup)
    except TelegramError as exc:
        log.info("vote counts not shown (%s)", exc.__class__.__name__)


def _vote_of(reactions) -> int:
    emoji = {getattr(r, "emoji", None) for r in reactions or ()}
    return (("👍" in emoji) - ("👎" in emoji))


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
    limits = services(context).limits
    if update.inline_query is not None:
        if limits.allowed(None, user.id if user else None):
            return
        log.info("inline query from a user outside the allowlist")
        language = i18n.pick(None, "", user.language_code if user else None)
        button = InlineQueryResultsButton(text=messages.text("not_allowed", language), start_parameter="not_allowed")
        await _answer_inline(update.inline_query, [], button=button, cache_time=60, is_personal=True)
        raise ApplicationHandlerStop
    if chat is None or limits.allowed(chat.id, user.id if user else None):
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

def _ignored(message: Message, context) -> bool:
    """Messages the bot never answers: other bots' (no loops), and what was sent through its own inline mode.
    Messages on behalf of a chat come from Telegram's helper bots but are people: anonymous admins and
    channel posts carry sender_chat, and are answered."""
    if message.via_bot and message.via_bot.id == context.bot.id:
        return True
    if message.is_automatic_forward:
        return True
    return bool(message.from_user and message.from_user.is_bot and message.sender_chat is None)


def _sender_id(update: Update) -> int | None:
    """Who asks: a person, or the chat an anonymous admin or a channel speaks as (its id, negative)."""
    sender = update.effective_sender
    return sender.id if sender else None


async def _react(update: Update, context) -> None:
    """Acknowledge a message that asks nothing without writing to the chat."""
    message = update.effective_message
    try:
        await context.bot.set_message_reaction(message.chat.id, message.message_id, ACKNOWLEDGE)
    except TelegramError as exc:      # reactions disabled in the chat, an old message…: silence is fine too
        log.info("no reaction (%s)", exc.__class__.__name__)


async def _group_admin(update: Update, context) -> bool:
    """In a group: an anonymous admin (posting as the group), a chat creator or administrator, or a bot admin."""
    chat, message, user = update.effective_chat, update.effective_message, update.effective_user
    if chat.type == Chat.PRIVATE:
        return True
    if message.sender_chat is not None:
        return message.sender_chat.id == chat.id       # as the group: an admin; as a channel: not
    if user and services(context).limits.is_admin(user.id):
        return True
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.info("could not check chat %d admins (%s)", chat.id, exc.__class__.__name__)
        return False
    return member.status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR)


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
