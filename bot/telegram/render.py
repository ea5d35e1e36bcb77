"""An Answer as Telegram messages: escaped HTML under the length limit, and the buttons under it.

Every message is built from blocks of raw text that are escaped one by one, so a split can only fall
between blocks or between sentences of raw text — never inside a tag or an HTML entity. The only tags in an
answer's own lines come from its emphasis spans (the LLM's bold, italic, code: Answer.emphasis); everything
else, article quotes included, is escaped, so an article's `**` or `<b>` shows as written."""
from __future__ import annotations

import html
import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from index.text import split_sentences

from .. import messages
from ..answer import Answer, Citation

LIMIT = 4096            # Telegram's limit for one message's text
BUDGET = 4000           # what we fill, in UTF-16 units of the HTML source (always ≥ the parsed length)
BUTTONS_PER_ROW = 4
_TAG = re.compile(r"<[^>]+>")
_CITED = re.compile(r"([^\[\]]+?)((?:\[\d+\])+)")      # a sentence and the markers after it


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def answer_messages(answer: Answer) -> list[str]:
    """The answer's HTML, as one or more messages in reading order."""
    blocks: list[str] = []
    if label := messages.mode_label(answer.mode, answer.language):
        blocks.append(_italic(label))
    blocks += answer_lines(answer)
    if messages.is_notice(answer.note):
        blocks.append(_italic(answer.note))
    if answer.citations and not answer.refused:
        blocks.append("")
        blocks.append(f"<b>{html.escape(messages.text('sources', answer.language))}</b>")
        blocks += [html.escape(f"[{c.n}] {c.where}") for c in answer.citations]
    return pack(blocks)


_TAGS = (("b", "<b>", "</b>"), ("i", "<i>", "</i>"))


def answer_lines(answer: Answer) -> list[str]:
    """The answer's text as escaped HTML, one block a line, its emphasis spans as tags. Each run of text gets
    the tags of the spans over it, opened and closed around it, so tags never cross; code holds no other tag."""
    out, at = [], 0
    for line in answer.text.split("\n"):
        spans = [(max(s, at) - at, min(e, at + len(line)) - at, style) for s, e, style in answer.emphasis
                 if s < at + len(line) and e > at]
        at += len(line) + 1
        cuts = sorted({0, len(line)} | {p for s, e, _ in spans for p in (s, e)})
        html_line = ""
        for start, end in zip(cuts, cuts[1:]):
            styles = {style for s, e, style in spans if s <= start and end <= e}
            piece = html.escape(line[start:end])
            if "code" in styles:
                piece = f"<code>{piece}</code>"
            else:
                for style, opening, closing in reversed(_TAGS):
                    piece = f"{opening}{piece}{closing}" if style in styles else piece
            html_line += piece
        # a line too long for one message is split on its raw text: then without its tags
        out.append(html_line if utf16_len(html_line) <= BUDGET else html.escape(line))
    return out


def passage_messages(citation: Citation, paragraph: int, language: str, answer_text: str = "") -> list[str]:
    """A cited passage in full, under its article › section and paragraph number; the sentences the answer
    quotes from it are underlined."""
    heading = f"<b>{html.escape(citation.where)}</b>"
    number = _italic(f"[{citation.n}] " + messages.text("paragraph", language, n=paragraph))
    quoted = quoted_sentences(answer_text, citation.n)
    return pack([heading, number, ""] + [_underline(line, quoted) for line in citation.text.split("\n")])


def quoted_sentences(answer_text: str, n: int) -> list[str]:
    """The sentences of an answer that carry the marker [n], without their markers."""
    return [m.group(1).strip() for m in _CITED.finditer(answer_text)
            if f"[{n}]" in m.group(2) and m.group(1).strip()]


def text_messages(text: str) -> list[str]:
    """The bot's own texts (help, stats, …) as escaped HTML messages."""
    return pack([html.escape(line) for line in text.split("\n")])


def preview(text: str) -> str:
    """A streaming preview: plain text (no parse mode, so half-written markup can't fail), under the limit."""
    text = text.strip() or "…"
    if utf16_len(text) <= BUDGET:
        return text
    while utf16_len(text) > BUDGET - 1:
        text = text[: len(text) - max(1, (utf16_len(text) - BUDGET) // 2)]
    return text + "…"


def plain(html_text: str) -> str:
    """What a message says without its markup: the fallback when Telegram refuses to parse the HTML."""
    return html.unescape(_TAG.sub("", html_text))


def paragraph_of(citation: Citation) -> int:
    """The 1-based paragraph number inside the article, from the stable chunk id "<slug>#<ordinal>"."""
    return int(citation.chunk_id.rsplit("#", 1)[1])


def keyboard(answer_id: int, answer: Answer, votes: tuple[int, int] = (0, 0)) -> InlineKeyboardMarkup | None:
    """One button per cited passage (for a refusal: the nearest passages), then 👍/👎 with their counts."""
    if answer.mode == "invalid":
        return None
    return buttons(answer_id, answer.citations, votes)


def buttons(answer_id: int, citations, votes: tuple[int, int] = (0, 0)) -> InlineKeyboardMarkup:
    passages = [InlineKeyboardButton(f"[{c.n}] ¶{paragraph_of(c)}", callback_data=f"p:{answer_id}:{c.n}")
                for c in citations]
    rows = [passages[i:i + BUTTONS_PER_ROW] for i in range(0, len(passages), BUTTONS_PER_ROW)]
    rows.append(feedback_row(answer_id, votes))
    return InlineKeyboardMarkup(rows)


def feedback_row(answer_id: int, votes: tuple[int, int]) -> list[InlineKeyboardButton]:
    up, down = votes
    return [InlineKeyboardButton(f"👍 {up}" if up else "👍", callback_data=f"f:{answer_id}:1"),
            InlineKeyboardButton(f"👎 {down}" if down else "👎", callback_data=f"f:{answer_id}:-1")]


def with_votes(markup: InlineKeyboardMarkup, answer_id: int, votes: tuple[int, int]) -> InlineKeyboardMarkup:
    """The same keyboard with its 👍/👎 row showing these counts."""
    rows = [list(row) for row in markup.inline_keyboard
            if not any((b.callback_data or "").startswith("f:") for b in row)]
    return InlineKeyboardMarkup(rows + [feedback_row(answer_id, votes)])


def inline_message(answer: Answer) -> str:
    """An answer as one message sent through inline mode: the question, the answer and its sources as text
    (there are no buttons to open them), under the length limit."""
    question = messages.text("inline_question", answer.language) + answer.question
    blocks = [f"<b>{html.escape(question)}</b>", ""] + answer_lines(answer)
    if answer.citations:
        blocks.append("")
        blocks.append(f"<b>{html.escape(messages.text('sources', answer.language))}</b>")
        blocks += [html.escape(f"[{c.n}] {c.where} ¶{paragraph_of(c)}") for c in answer.citations]
    parts = pack(blocks)
    return parts[0]


def pack(blocks: list[str], budget: int = BUDGET) -> list[str]:
    """Join HTML blocks with newlines into as few messages as fit; a block too long alone is split first."""
    out: list[str] = []
    current = ""
    for block in _fitting(blocks, budget):
        joined = f"{current}\n{block}" if current else block
        if current and utf16_len(joined) > budget:
            out.append(current.strip("\n"))
            joined = block
        current = joined
    if current.strip():
        out.append(current.strip("\n"))
    return out or ["…"]


def _fitting(blocks: list[str], budget: int):
    for block in blocks:
        if utf16_len(block) <= budget:
            yield block
            continue
        # only plain escaped text gets this long: split its raw text at sentences, then at characters
        raw = html.unescape(block)
        for sentence in split_sentences(raw) or [raw]:
            piece = html.escape(sentence)
            while utf16_len(piece) > budget:
                cut = _cut(sentence, budget)
                yield html.escape(sentence[:cut])
                sentence = sentence[cut:]
                piece = html.escape(sentence)
            yield piece


def _cut(raw: str, budget: int) -> int:
    """The longest prefix of raw text whose escaped form fits the budget."""
    lo, hi = 1, len(raw)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if utf16_len(html.escape(raw[:mid])) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _underline(line: str, quoted: list[str]) -> str:
    """The escaped line with every quoted sentence in it underlined (split on raw text, then escaped)."""
    spans = sorted((line.find(q), q) for q in quoted if q in line)
    out, at = [], 0
    for start, sentence in spans:
        if start < at:
            continue          # overlapping quotes: the first one wins
        out += [html.escape(line[at:start]), f"<u>{html.escape(sentence)}</u>"]
        at = start + len(sentence)
    return "".join(out) + html.escape(line[at:])


def _italic(text: str) -> str:
    return f"<i>{html.escape(text)}</i>"

