"""The bot's command line.

    python -m bot ask "这篇文章的要点是什么？"        answer one question (offline without an LLM)
    python -m bot ask --json "…"                     the answer as one JSON object
    python -m bot ask --jsonl < questions.txt        one JSON object per input line, models loaded once
    python -m bot run                                 run the Telegram bot
    python -m bot health                              exit 0 if the running bot's webhook server answers
"""
from __future__ import annotations

import argparse
import logging
import sys

from index.errors import UserFacingError


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Answer questions about the articles in corpus/.")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer a question")
    ask.add_argument("question", nargs="?", help="the question (omit with --jsonl)")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--jsonl", action="store_true", help="read questions from stdin, one per line")
    sub.add_parser("run", help="run the Telegram bot")
    sub.add_parser("health", help="check the webhook server of a running bot (container HEALTHCHECK)")
    args = parser.parse_args(argv)
    if args.command == "ask" and not args.jsonl and args.question is None:
        parser.error("give a question, or --jsonl to read questions from stdin")

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)   # request URLs carry the bot token
    try:
        from .settings import Settings

        settings = Settings.from_env()
        if args.command == "run":
            from .telegram.run import run

            return run(settings)
        if args.command == "health":
            from .telegram.health import health

            return health(settings)
        from .cli import ask as ask_command
        from .engine import Engine

        return ask_command(Engine(settings), args.question, args.json, args.jsonl)
    except UserFacingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
