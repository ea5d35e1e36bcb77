"""The real bot (python-telegram-bot Application + the session's engine) long-polling the Telegram emulator.

    async with running_bot(emu, engine, tmp_path, user_cooldown_s=0) as app: ...
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dtm
from pathlib import Path

from telegram import Update

from bot.settings import Settings
from bot.telegram.app import build_application

ADMIN_ID = 42


def bot_settings(emu, engine, directory: Path, **overrides) -> Settings:
    values = dict(telegram_token=emu.token, telegram_api_base_url=emu.api_root,
                  database_path=directory / "bot.sqlite3", admin_user_ids=frozenset({ADMIN_ID}),
                  user_cooldown_s=0.0, chat_questions_per_minute=1000, messages_per_second=0,
                  group_messages_per_minute=0)
    values.update(overrides)
    return dataclasses.replace(engine.settings, **values)


@contextlib.asynccontextmanager
async def running_bot(emu, engine, directory: Path, **overrides):
    app = build_application(bot_settings(emu, engine, directory, **overrides), engine)
    async with app:
        await app.start()
        # every update kind, as `python -m bot run` asks for (reactions are not sent otherwise)
        await app.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=1),
                                        allowed_updates=Update.ALL_TYPES)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


def store_of(app):
    return app.bot_data["services"].store


def engine_with_llm(llm_base_url: str, index_settings, embedder, **llm_overrides):
    """An engine whose answers come from the scripted OpenAI-compatible server."""
    from bot.engine import Engine
    from bot.settings import LLMSettings

    llm = LLMSettings(**dict(dict(model="scripted-model", base_url=llm_base_url, api_key="test-key",
                                  timeout_s=5, deadline_s=20), **llm_overrides))
    return Engine(Settings(index=index_settings, llm=llm), embedder=embedder, progress=False)


async def sentinel(emu, chat, user) -> list[dict]:
    """Wait on an event instead of a quiet period: ``user`` sends /help in ``chat``, which takes its turn after
    every earlier update of theirs there (bot/telegram/ordering.py), so once its reply is there everything the bot
    does for those updates is done. Returns the bot's messages in ``chat`` from before that reply."""
    from bot import messages

    helps = {messages.text("help", language, bot=emu.bot_username) for language in ("zh", "en")}
    asked = await emu.asend(chat, user, "/help")
    [reply, *_] = await emu.await_bot_messages(chat, after=asked, text=lambda text: text in helps, timeout=30)
    return [m for m in emu.bot_messages(chat) if m["message_id"] < reply["message_id"] and m["text"] not in helps]


async def until(predicate, timeout: float = 15.0):
    """Wait until ``predicate()`` (run on the event loop's thread, e.g. a query of the bot's SQLite store) is truthy;
    return its value. The database sends no event to wait on, so this re-checks it every 20 ms up to ``timeout``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (value := predicate()):
        assert asyncio.get_running_loop().time() < deadline, f"condition not met within {timeout}s"
        await asyncio.sleep(0.02)
    return value
