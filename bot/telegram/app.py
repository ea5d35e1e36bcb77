"""The python-telegram-bot Application: handlers, flood control, start-up and shut-down, wired in one place."""
from __future__ import annotations

import asyncio
import logging
import os

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import (AIORateLimiter, Application, ApplicationBuilder, CallbackQueryHandler,
                          CommandHandler, InlineQueryHandler, MessageHandler, MessageReactionHandler,
                          TypeHandler, filters)

from ..batching import MicroBatcher
from ..engine import Engine
from ..settings import Settings
from . import handlers
from .answering import resume_unanswered
from .limits import Limits
from .ordering import PerSenderOrder
from .services import Services
from .storage import Store

log = logging.getLogger(__name__)

CONCURRENT_UPDATES = 256      # answers wait on the model or the LLM, not on each other (per sender: in order)

COMMANDS = {
    "zh": [("ask", "提问"), ("check", "核对一个说法是否符合文章"), ("sources", "文章列表"), ("help", "用法"),
           ("language", "本聊天的语言：zh、en 或 auto")],
    "en": [("ask", "ask a question"), ("check", "check a claim against the articles"), ("sources", "the articles"),
           ("help", "how to use me"), ("language", "this chat's language: zh, en or auto")],
}


def build_application(settings: Settings, engine: Engine) -> Application:
    # PTB reports flood waits as timedelta only with this set (the int form is deprecated and warns)
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    services = Services(settings=settings, engine=engine, store=Store(settings.database_path),
                        limits=Limits(settings), batcher=MicroBatcher(engine))
    base = settings.telegram_api_base_url
    app = (ApplicationBuilder()
           .token(settings.telegram_token)
           .base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
           .rate_limiter(AIORateLimiter(overall_max_rate=settings.messages_per_second,
                                        group_max_rate=settings.group_messages_per_minute))
           .concurrent_updates(PerSenderOrder(CONCURRENT_UPDATES))
           .post_init(_post_init).post_shutdown(_post_shutdown)
           .build())
    app.bot_data["services"] = services

    app.add_handler(TypeHandler(Update, handlers.gate), group=-1)
    app.add_handler(CommandHandler("start", handlers.cmd_start))
    app.add_handler(CommandHandler("help", handlers.cmd_help))
    app.add_handler(CommandHandler("sources", handlers.cmd_sources))
    app.add_handler(CommandHandler("ask", handlers.cmd_ask))
    app.add_handler(CommandHandler("check", handlers.cmd_check))
    app.add_handler(CommandHandler("language", handlers.cmd_language))
    app.add_handler(CommandHandler("reload", handlers.cmd_reload))
    app.add_handler(CommandHandler("stats", handlers.cmd_stats))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, handlers.on_migrate))
    app.add_handler(MessageHandler(filters.COMMAND, handlers.on_unknown_command))
    app.add_handler(MessageHandler((filters.TEXT | filters.CAPTION) & ~filters.COMMAND, handlers.on_message))
    app.add_handler(MessageHandler(~filters.StatusUpdate.ALL & ~filters.TEXT & ~filters.CAPTION, handlers.on_not_text))
    app.add_handler(CallbackQueryHandler(handlers.on_button))
    app.add_handler(InlineQueryHandler(handlers.on_inline_query))
    app.add_handler(MessageReactionHandler(handlers.on_reaction))
    app.add_error_handler(handlers.on_error)
    return app


async def _post_init(app: Application) -> None:
    app.bot_data["resuming"] = asyncio.create_task(resume_unanswered(app))
    for language, commands in COMMANDS.items():
        try:
            await app.bot.set_my_commands([BotCommand(*c) for c in commands],
                                          language_code=None if language == "en" else language)
        except TelegramError as exc:   # a missing command menu is no reason not to answer
            log.warning("could not set the command menu (%s)", exc.__class__.__name__)


async def _post_shutdown(app: Application) -> None:
    services: Services = app.bot_data["services"]
    await services.batcher.close()
    services.store.close()
