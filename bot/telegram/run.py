"""`python -m bot run`: load the engine, then serve Telegram by long polling, or by webhook when WEBHOOK_URL
is set. SIGINT/SIGTERM stop fetching updates and let the answers in flight finish before exiting."""
from __future__ import annotations

import logging
import sys

from telegram import Update
from telegram.error import InvalidToken, NetworkError

from ..engine import Engine
from ..settings import Settings

log = logging.getLogger("bot")

NO_TOKEN = ("error: TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather in Telegram (/newbot), "
            "then put its token in .env as TELEGRAM_BOT_TOKEN=… or export it.")


def run(settings: Settings) -> int:
    if not settings.telegram_token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    logging.getLogger("bot").setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)    # its INFO lines carry the URL, and the URL the token
    from .app import build_application

    engine = Engine(settings)
    engine.answer("预热")      # load the query encoder and jieba now, not on the first user's question
    app = build_application(settings, engine)
    log.info("serving %d articles (%d passages) %s", len(engine.index.documents), len(engine.index.chunks),
             f"by webhook at {settings.webhook_path}" if settings.webhook_url else "by long polling")
    try:
        if settings.webhook_url:
            app.run_webhook(listen=settings.webhook_listen, port=settings.webhook_port,
                            url_path=settings.webhook_path, webhook_url=settings.webhook_url,
                            secret_token=settings.webhook_secret or None, allowed_updates=Update.ALL_TYPES)
        else:
            app.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        print("error: Telegram rejected TELEGRAM_BOT_TOKEN; copy it again from @BotFather.", file=sys.stderr)
        return 2
    except NetworkError as exc:
        print(f"error: cannot reach the Telegram Bot API at {settings.telegram_api_base_url} "
              f"({exc.__class__.__name__}); check the network or TELEGRAM_API_BASE_URL.", file=sys.stderr)
        return 1
    return 0
