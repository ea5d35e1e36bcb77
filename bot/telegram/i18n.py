"""Which language the bot speaks in a chat: the chat's setting, else the question's, else the user's Telegram language."""
from __future__ import annotations

from index.text import language_of

LANGUAGES = ("zh", "en")


def pick(chat_language: str | None = None, question: str = "", user_language_code: str | None = None) -> str:
    if chat_language in LANGUAGES:
        return chat_language
    if any(ch.isalpha() for ch in question):
        return language_of(question)
    if user_language_code:
        return "zh" if user_language_code.lower().startswith("zh") else "en"
    return "zh"      # the articles are Chinese; an unknown user most likely reads it
