"""Which language the bot speaks in a chat: the chat's setting, else the question's, else the user's Telegram
language. And which script: a question written in traditional characters is answered in traditional ones."""
from __future__ import annotations

import dataclasses
from functools import lru_cache

from index.text import language_of

from ..answer import Answer

LANGUAGES = ("zh", "en")


def pick(chat_language: str | None = None, question: str = "", user_language_code: str | None = None) -> str:
    if chat_language in LANGUAGES:
        return chat_language
    if any(ch.isalpha() for ch in question):
        return language_of(question)
    if user_language_code:
        return "zh" if user_language_code.lower().startswith("zh") else "en"
    return "zh"      # the articles are Chinese; an unknown user most likely reads it


@lru_cache(maxsize=2)
def _converter(config: str):
    from opencc import OpenCC      # already a dependency: the keyword index reads traditional text with it

    return OpenCC(config)


def is_traditional(text: str) -> bool:
    """More of its characters are traditional-only than simplified-only: converting it to simplified changes
    more characters than converting it to traditional does (characters common to both change in neither)."""
    if not any("\u3400" <= ch <= "\u9fff" for ch in text):
        return False
    to_simplified = sum(a != b for a, b in zip(text, _converter("t2s").convert(text)))
    to_traditional = sum(a != b for a, b in zip(text, _converter("s2t").convert(text)))
    return to_simplified > to_traditional


def traditional(text: str) -> str:
    """The text in traditional characters (ASCII, HTML tags and entities are left as they are)."""
    return _converter("s2t").convert(text) if text else text


def in_script_of(question: str, answer: Answer) -> Answer:
    """The answer in traditional characters when the question was written in them: its text, note and the
    citations it quotes (so that the sentences it quotes are still found in the passages it cites)."""
    if answer.language != "zh" or not is_traditional(question):
        return answer
    citations = tuple(dataclasses.replace(c, doc=traditional(c.doc), section=traditional(c.section),
                                          text=traditional(c.text)) for c in answer.citations)
    return dataclasses.replace(answer, text=traditional(answer.text), note=traditional(answer.note),
                               citations=citations)
