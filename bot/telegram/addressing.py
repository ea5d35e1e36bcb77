"""Whether a group message speaks to the bot, and what it asks once the @mention is taken out."""
from __future__ import annotations

from telegram import Message, MessageEntity

def is_reply_to_bot(message: Message, bot_id: int) -> bool:
    """A real reply to one of the bot's messages (in forum topics, a plain message "replies" to the topic's
    creation message, which never counts)."""
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot_id and not replied.forum_topic_created)


def addressed_question(message: Message, bot_id: int, bot_username: str) -> str | None:
    """The question of a group message addressed to the bot by @mention, text mention or reply; None if it
    isn't addressed. An addressed message with nothing left to ask gives ""."""
    text = message.text if message.text is not None else (message.caption or "")
    entities = message.entities if message.text is not None else message.caption_entities
    ours = [e for e in entities or () if _names_bot(e, text, bot_id, bot_username)]
    if not ours and not is_reply_to_bot(message, bot_id):
        return None
    return _without(text, ours).strip()


def _names_bot(entity: MessageEntity, text: str, bot_id: int, bot_username: str) -> bool:
    if entity.type == MessageEntity.TEXT_MENTION:
        return bool(entity.user and entity.user.id == bot_id)
    if entity.type == MessageEntity.MENTION:
        return _slice(text, entity.offset, entity.length).lower() == "@" + bot_username.lower()
    return False


def _without(text: str, entities: list[MessageEntity]) -> str:
    """The text with these entities cut out (offsets are in UTF-16 code units, as Telegram counts)."""
    units = text.encode("utf-16-le")
    for e in sorted(entities, key=lambda e: e.offset, reverse=True):
        units = units[: 2 * e.offset] + " ".encode("utf-16-le") + units[2 * (e.offset + e.length):]
    return units.decode("utf-16-le", errors="replace")


def _slice(text: str, offset: int, length: int) -> str:
    return text.encode("utf-16-le")[2 * offset: 2 * (offset + length)].decode("utf-16-le", errors="replace")


def replied_other(message: Message, bot_id: int) -> Message | None:
    """The message of another person (not the bot, not a topic's opening) this one replies to, when it has text."""
    replied = message.reply_to_message
    if replied is None or replied.forum_topic_created or is_reply_to_bot(message, bot_id):
        return None
    return replied if (replied.text or replied.caption) else None


def text_of(message: Message) -> str:
    return message.text if message.text is not None else (message.caption or "")


def asks_nothing(text: str, index) -> bool:
    """Whether a message addressed to the bot asks nothing: "谢谢！", "thanks bot!", "ok", "👍", "好的".
    Measured, not listed: no question mark, no number, and no word the articles use (in any glossary
    spelling). Such a reply gets a reaction, not a message. A question that happens to share no word with
    the articles still asks when it has a question mark; without one it is taken for a remark."""
    if "?" in text or "？" in text or any(ch.isdigit() for ch in text):
        return False
    return not any(c.in_corpus > 0 for c in index.keyword.concepts(text))


def has_content(text: str, index) -> bool:
    """Whether a short text says something of its own that the articles could be asked about (a word they
    use, or a number), as opposed to pointing at another message: "他说的对吗？", "什么意思？", "is that true?"."""
    return any(ch.isdigit() for ch in text) or any(c.in_corpus > 0 for c in index.keyword.concepts(text))
