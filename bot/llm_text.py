"""What a chat model wrote, made into sentences the checks can read and the chat can show.

    strip_reasoning(text) -> str           drop <think>…</think> (an unclosed one: everything after it)
    to_lines(text) -> list[Line]           markdown → lines: headings, rules and table separators dropped,
                                           bold/italic/code marked (below), links unwrapped, list items and
                                           table rows kept as lines (a row reads "header: cell, header: cell")
    split(text) -> list[Sentence]          sentences with their [n] markers; a marker after the sentence's
                                           closing punctuation (。[1] / . [1]) belongs to that sentence
    is_no_answer(text), refusal_clause(s)  NO_ANSWER in any formatting; a refusal said in prose
    join(sentences, styled=False) -> str   sentences back into text: Chinese without spaces, English with
    emphasis(styled) -> (text, spans)      text with emphasis marks → plain text and its Answer.emphasis spans

The answer is plain text with [n] markers: claims are checked on it, the CLI and `--json` print it, and the
Telegram renderer escapes all of it. Markdown's structure becomes plain text ("- item" → "• item", "1. item"
stays numbered, a table one line per row); its emphasis (**bold**, *italic*, `code`, and <b>/<i>/<code> when
a model writes HTML) travels beside the text as spans, never as markup inside it. While the text is split and
checked the emphasis is carried by private-use characters around the emphasised words (Sentence.styled), so
that it follows the words through re-citing and dropped sentences; emphasis() turns what is kept into spans,
dropping a mark whose partner was dropped. Only the renderer makes tags of the spans: an extractive answer has
none, so an article's own `**` or `<b>` is always shown as written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.text import sentence_gap

__all__ = ["Line", "Sentence", "strip_reasoning", "to_lines", "split", "is_no_answer", "refusal_clause", "join",
           "emphasis", "plain", "MAX_ANSWER_CHARS"]

MAX_ANSWER_CHARS = 2000       # an answer longer than this is cut between sentences (and says so)

_THINK = re.compile(r"<(think|thinking|reasoning|reflection)>.*?</\1>\s*", re.DOTALL | re.IGNORECASE)
_THINK_OPEN = re.compile(r"<(think|thinking|reasoning|reflection)>", re.IGNORECASE)
_MARKER = re.compile(r"\[(\d{1,3})\]")
_MARKERS_AT = re.compile(r"\s*((?:\[\d{1,3}\]\s*)+)")
_END = re.compile(r"[。！？!?；;]+|\.(?=\s|$|\[|[\u3400-\u9fff\ue001\ue003\ue005])|…+(?=\s|$)")
_ABBREVIATION = re.compile(r"(?:(?<![A-Za-z])[A-Z]|(?<![A-Za-z])(?:e\.g|i\.e|Mr|Mrs|Ms|Dr|St|vs|No|Inc|Ltd|Co|Jr|Sr))$")
# emphasis marks: (opening, closing) private-use characters per style, removed from the model's text first
MARKS = {"b": ("\ue000", "\ue001"), "i": ("\ue002", "\ue003"), "code": ("\ue004", "\ue005")}
_STYLE_OF = {ch: (style, ch == pair[0]) for style, pair in MARKS.items() for ch in pair}
_ANY_MARK = re.compile("[\ue000-\ue005]")
_CLOSERS = "”’」』）)\"'" + "".join(pair[1] for pair in MARKS.values())
_HAN = re.compile(r"[\u3400-\u9fff]")

# NO_ANSWER however it is dressed: **NO_ANSWER**, `NO_ANSWER`, "NO ANSWER.", no_answer
_NO_ANSWER = re.compile(r"(?<![A-Za-z])no[ _-]?answer(?![A-Za-z])", re.IGNORECASE)

# How real models refuse in prose (the replay cases in tests/test_llm_replay.py: GPT-4o-mini, DeepSeek-V3,
# Qwen2.5, Llama-3 when the passages don't answer). A sentence or clause holding one of these says what the
# passages lack: it is never a claim to cite. Small on purpose: a phrase that also opens real answers
# ("文章指出") would turn answers into refusals.
REFUSALS = re.compile(
    r"(?:文章|文中|段落|资料|材料|上述|提供的|原文)[^，。！？,.!?]{0,12}(?:没有|未|并未|没|无)[^，。！？,.!?]{0,6}"
    r"(?:提到|提及|说明|给出|涉及|包含|提供|记载|信息|相关|说|讲|指出)"
    r"|(?:无法|不能|没法)(?:根据|从|依据)?[^，。！？,.!?]{0,12}(?:回答|确定|判断|得知|找到|给出)"
    r"|抱歉|对不起|我不知道|不清楚|没有(?:相关|足够)(?:的)?信息|未提供|没有提供"
    r"|\bI (?:do not|don't|cannot|can't|am unable to|am not able to) (?:know|answer|find|determine|say)"
    r"|\b(?:passages?|articles?|text|sources?|context)\b[^.!?]{0,40}\b(?:do(?:es)? not|don't|doesn't|never)\b[^.!?]{0,20}"
    r"\b(?:mention|say|state|provide|contain|cover|specify|include|discuss|give)"
    r"|\b(?:no|not enough|insufficient) (?:information|details|data)\b|\bnot (?:mentioned|provided|stated|specified)\b"
    r"|\b(?:I'm|I am) sorry\b|^\s*sorry\b|\bunable to (?:answer|determine)\b",
    re.IGNORECASE)
# After a refusal clause, what the passages do say: "文章没有给出该厂的工人数量，只说该厂…" / "…, but it says …"
_BUT = re.compile(r"[，,；;]\s*(?:但(?:是)?|不过|然而|只|仅|而是|but|however|although|only)\s*"
                  r"(?:文章|文中|原文|it|the (?:article|passage)s?)?\s*(?:只|仅)?(?:说|提到|指出|提及|写道|says?|mentions?|notes?|states?)?"
                  r"(?:了)?\s*(?:that\s+)?[，,:：]?\s*", re.IGNORECASE)


@dataclass
class Line:
    text: str
    prefix: str = ""          # "• " for a bullet, "1. " for a numbered item


@dataclass
class Sentence:
    body: str                          # the sentence without markers or closing punctuation: what is checked
    end: str                           # its closing punctuation, as written ("" at a line's end)
    markers: tuple[int, ...]           # passage numbers it cites, in order
    line: int = 0                      # which line of the answer it is on
    prefix: str = ""                   # the line's list prefix (first sentence of a list item only)
    complete: bool = True              # False: the text ended inside it (a cut-off answer)
    numbers: list[int] = field(default_factory=list)    # final citation numbers (set by the caller)
    styled: str = ""                   # body with its emphasis marks (MARKS); end may hold closing ones

    def render(self, styled: bool = False) -> str:
        marks = "".join(f"[{n}]" for n in self.numbers)
        if styled:
            return f"{self.prefix}{self.styled or self.body}{marks}{self.end}"
        return f"{self.prefix}{self.body}{marks}{plain(self.end)}"


def strip_reasoning(text: str) -> str:
    """The answer without the model's reasoning: <think>…</think> blocks go; after an unclosed <think>
    everything is reasoning (the model was cut off while thinking)."""
    text = _THINK.sub("", text)
    if m := _THINK_OPEN.search(text):
        text = text[:m.start()]
    return text.replace("</think>", "")


def to_lines(text: str) -> list[Line]:
    """Markdown rendered to plain lines (module docstring)."""
    lines: list[Line] = []
    header: list[str] | None = None
    number = 0
    for raw in _ANY_MARK.sub("", text).split("\n"):
        line = raw.strip()
        if re.fullmatch(r"`{3,}.*|~{3,}.*", line):               # code fences: the code lines stay as text
            continue
        if not line or re.fullmatch(r"[-*_=]{3,}", line):
            header = None if not line else header
            continue
        if line.startswith("|") or line.count("|") >= 2:
            cells, trailing = _row(line)
            if cells is None:                                     # |---|---| separator
                continue
            if header is None:
                header = cells
                continue
            pairs = [f"{h}: {c}" if h and h != c else c for h, c in zip(header + [""] * len(cells), cells) if c]
            zh = any(_HAN.search(c) for c in cells)
            lines.append(Line(_inline(("，" if zh else "; ").join(pairs)) + trailing))
            continue
        header = None
        if re.match(r"#{1,6}\s", line):                           # a heading is no claim and no answer
            continue
        line = re.sub(r"^>\s?", "", line)
        if m := re.match(r"[-*+•]\s+(?!\S*\*\*$)", line):
            lines.append(Line(_inline(line[m.end():]), "• "))
            continue
        if m := re.match(r"(\d{1,2})[.)、]\s+", line):
            number += 1
            lines.append(Line(_inline(line[m.end():]), f"{number}. "))
            continue
        lines.append(Line(_inline(line)))
    return [ln for ln in lines if plain(ln.text).strip()]


def _row(line: str) -> tuple[list[str] | None, str]:
    trailing = ""
    if m := re.search(r"\|\s*((?:\[\d{1,3}\]\s*)+)$", line):      # |---|[1] or | … |[1]
        trailing, line = m.group(1).replace(" ", ""), line[:m.start() + 1]
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if all(re.fullmatch(r":?-+:?", c) or not c for c in cells):
        return None, trailing
    return cells, trailing


# A label or a lead-in before the answer itself ("答案：", "根据提供的段落，", "According to the passages, "):
# not a claim, and its words would count against the sentence's support.
_PREAMBLE = re.compile(
    r"^(?:(?:答案|回答|结论|总结|简答|answer|short answer|summary)\s*[:：]\s*"
    r"|(?:根据|依据|按照|从)(?:提供的|所给的?|上述|以上)?(?:段落|文章|资料|材料|原文|内容|信息)(?:内容|信息|中|来看|所述)?[，,：:]\s*"
    r"|(?:according to|based on) (?:the )?(?:provided |given )?(?:passages?|articles?|sources?|context|text)\s*,\s*)",
    re.IGNORECASE)


def _inline(text: str) -> str:
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)                         # images
    text = re.sub(r"\[([^\]\d][^\]]*)\]\((?:[^)]*)\)", r"\1", text)          # [text](url) → text
    text = re.sub(r"`+([^`]+)`+", lambda m: _marked("code", m.group(1)), text)
    text = re.sub(r"<code>(.+?)</code>", lambda m: _marked("code", m.group(1)), text, flags=re.IGNORECASE)
    text = re.sub(r"\*\*(.+?)\*\*|__(.+?)__|<(?:b|strong)>(.+?)</(?:b|strong)>",
                  lambda m: _marked("b", m.group(1) or m.group(2) or m.group(3)), text, flags=re.IGNORECASE)
    text = re.sub(r"(?<![A-Za-z0-9*])\*(?!\s)([^*]+?)(?<!\s)\*(?![A-Za-z0-9*])|<(?:i|em)>(.+?)</(?:i|em)>",
                  lambda m: _marked("i", m.group(1) or m.group(2)), text, flags=re.IGNORECASE)
    text = text.replace("**", "").replace("`", "")
    text = re.sub(r"\s{2,}", " ", text).strip()
    if m := _PREAMBLE.match(plain(text)):
        rest = _after(text, m.end())
        text = _upper_first(rest) if m.group().isascii() else rest
    return text


def _marked(style: str, text: str) -> str:
    opening, closing = MARKS[style]
    return f"{opening}{text}{closing}"


def _after(text: str, n: int) -> str:
    """text without its first n plain characters (emphasis marks among them go too)."""
    seen = 0
    for at, ch in enumerate(text):
        if seen == n:
            return text[at:]
        seen += ch not in _STYLE_OF
    return ""


def _upper_first(text: str) -> str:
    at = next((i for i, ch in enumerate(text) if ch not in _STYLE_OF), len(text))
    return text[:at] + text[at:at + 1].upper() + text[at + 1:]


def plain(text: str) -> str:
    """text without emphasis marks."""
    return _ANY_MARK.sub("", text)


def emphasis(styled: str) -> tuple[str, tuple[tuple[int, int, str], ...]]:
    """(plain text, spans (start, end, style) over it) from text with emphasis marks. A mark whose partner was
    dropped (its sentence failed the check) is ignored, and no span crosses a line."""
    text: list[str] = []
    opened: dict[str, int] = {}
    spans = []
    for ch in styled:
        if ch not in _STYLE_OF:
            if ch == "\n":
                opened.clear()
            text.append(ch)
            continue
        style, opening = _STYLE_OF[ch]
        if opening:
            opened.setdefault(style, len(text))
        elif style in opened and (start := opened.pop(style)) < len(text):
            spans.append((start, len(text), style))
    return "".join(text), tuple(sorted(spans))


def split(lines: list[Line], final: bool = True) -> list[Sentence]:
    """Sentences of the lines with their markers. With final=False (the text is still being written) the last
    sentence is marked incomplete: its end or its markers may still come."""
    out: list[Sentence] = []
    for number, line in enumerate(lines):
        text, at, first = line.text, 0, True
        while at < len(text):
            m = _END.search(text, at)
            while m and m.group() == "." and _ABBREVIATION.search(text, at, m.start()):
                m = _END.search(text, m.end())                   # U.S. / e.g. / Dr. end no sentence
            stop = m.end() if m else len(text)
            while stop < len(text) and text[stop] in _CLOSERS:
                stop += 1
            markers_after = ""
            if mm := _MARKERS_AT.match(text, stop):
                markers_after, stop = mm.group(1), mm.end()
            piece = text[at:stop]
            at = stop
            body_end = piece[:len(piece) - len(markers_after)] if markers_after else piece
            end_m = re.search(r"(?:[。！？!?；;.…]+[" + re.escape(_CLOSERS) + r"]*)$", _unmark(body_end).rstrip())
            clean = _unmark(body_end).rstrip()
            end = end_m.group() if end_m else ""
            styled = clean[:len(clean) - len(end)].strip() if end else clean.strip()
            body = plain(styled).strip()
            markers = tuple(int(n) for n in _MARKER.findall(piece))
            if not body and out and markers and out[-1].line == number:       # stray markers: the sentence before
                out[-1].markers = tuple(dict.fromkeys(out[-1].markers + markers))
                continue
            if not body:
                continue
            out.append(Sentence(body, end, tuple(dict.fromkeys(markers)), number, line.prefix if first else "",
                                styled=styled))
            first = False
    if out and not final:
        out[-1].complete = False
    return out


def _unmark(text: str) -> str:
    return re.sub(r"\s*\[\d{1,3}\]", "", text)


def is_no_answer(text: str) -> bool:
    return bool(_NO_ANSWER.search(text))


def refusal_clause(body: str) -> tuple[bool, str]:
    """(whether the sentence opens by saying the passages lack something, what it goes on to say they do say)."""
    m = REFUSALS.search(body)
    if not m:
        return False, body
    rest = ""
    if but := _BUT.search(body, m.end()):
        rest = body[but.end():].strip()
    return True, rest


def join(sentences: list[Sentence], styled: bool = False) -> str:
    """Rendered sentences as text: a new line where the answer had one, else Chinese without a space and
    English with one; with styled=True, with their emphasis marks (for emphasis())."""
    out = ""
    previous: Sentence | None = None
    for s in sentences:
        out += separator(previous, s) + s.render(styled)
        previous = s
    return out


def separator(previous: Sentence | None, s: Sentence) -> str:
    if previous is None:
        return ""
    if s.line != previous.line:
        return "\n"
    return sentence_gap(previous.render())
