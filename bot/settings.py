"""All settings, read once from the environment (and ./.env) into one typed object."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from index.settings import IndexSettings, env, env_float, env_int


@dataclass(frozen=True)
class LLMSettings:
    model: str = ""                 # LLM_MODEL; empty = no LLM, offline extractive answers
    base_url: str = ""              # OPENAI_BASE_URL (the openai client reads it too)
    api_key: str = ""               # OPENAI_API_KEY
    timeout_s: float = 20.0         # LLM_TIMEOUT: first token and between tokens
    deadline_s: float = 45.0        # LLM_DEADLINE: a whole answer, after which the extractive answer is used
    temperature: float = 0.1
    max_tokens: int = 600

    @property
    def configured(self) -> bool:
        return bool(self.model)


@dataclass(frozen=True)
class Settings:
    index: IndexSettings = field(default_factory=IndexSettings)
    llm: LLMSettings = field(default_factory=LLMSettings)
    max_question_chars: int = 1000
    passages: int = 5               # retrieved passages given to the answerer
    # Telegram
    telegram_token: str = ""
    telegram_api_base_url: str = "https://api.telegram.org"
    database_path: Path = Path("data/bot.sqlite3")
    allowed_chat_ids: frozenset[int] = frozenset()     # empty = everyone
    allowed_user_ids: frozenset[int] = frozenset()
    admin_user_ids: frozenset[int] = frozenset()
    user_cooldown_s: float = 3.0
    chat_questions_per_minute: int = 20
    messages_per_second: float = 30      # flood control for all chats together (Telegram: about 30); 0 = off
    group_messages_per_minute: float = 20   # and per group (Telegram: about 20); 0 = off
    webhook_url: str = ""           # set = webhook mode
    webhook_secret: str = ""
    webhook_port: int = 8443
    webhook_listen: str = "0.0.0.0"

    @property
    def webhook_path(self) -> str:
        """The local path the webhook server listens on: the public URL's path ("/" → "telegram")."""
        return urlsplit(self.webhook_url).path.strip("/") or "telegram"

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            index=IndexSettings.from_env(),
            llm=LLMSettings(
                model=env("LLM_MODEL"),
                base_url=env("OPENAI_BASE_URL"),
                api_key=env("OPENAI_API_KEY"),
                timeout_s=env_float("LLM_TIMEOUT", 20.0),
                deadline_s=env_float("LLM_DEADLINE", 45.0),
                temperature=env_float("LLM_TEMPERATURE", 0.1),
                max_tokens=env_int("LLM_MAX_TOKENS", 600),
            ),
            max_question_chars=env_int("MAX_QUESTION_CHARS", 1000),
            passages=env_int("PASSAGES", 5),
            telegram_token=env("TELEGRAM_BOT_TOKEN"),
            telegram_api_base_url=env("TELEGRAM_API_BASE_URL", "https://api.telegram.org").rstrip("/"),
            database_path=Path(env("DATABASE_PATH", "data/bot.sqlite3")),
            allowed_chat_ids=_ids("ALLOWED_CHAT_IDS"),
            allowed_user_ids=_ids("ALLOWED_USER_IDS"),
            admin_user_ids=_ids("ADMIN_USER_IDS"),
            user_cooldown_s=env_float("USER_COOLDOWN_SECONDS", 3.0),
            chat_questions_per_minute=env_int("CHAT_QUESTIONS_PER_MINUTE", 20),
            messages_per_second=env_float("TELEGRAM_MESSAGES_PER_SECOND", 30),
            group_messages_per_minute=env_float("TELEGRAM_GROUP_MESSAGES_PER_MINUTE", 20),
            webhook_url=env("WEBHOOK_URL"),
            webhook_secret=env("WEBHOOK_SECRET"),
            webhook_port=env_int("WEBHOOK_PORT", 8443),
            webhook_listen=env("WEBHOOK_LISTEN", "0.0.0.0"),
        )


def _ids(name: str) -> frozenset[int]:
    from index.errors import UserFacingError

    raw = env(name)
    try:
        return frozenset(int(part) for part in raw.replace(";", ",").split(",") if part.strip())
    except ValueError:
        raise UserFacingError(f"setting {name} must be a comma-separated list of numeric ids") from None
