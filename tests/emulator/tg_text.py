"""Telegram's text rules for the emulator: HTML parse_mode, trimming, auto-detected entities.

Modelled on TDLib's ``parse_html`` / ``fix_formatted_text`` (what the Bot API server runs):

* tags: b strong i em u ins s strike del tg-spoiler, span class="tg-spoiler", a href, code
  (class="language-x" inside pre), pre, blockquote [expandable], tg-emoji emoji-id, tg-time;
  tag names are case-insensitive, unknown attributes are ignored, ``</>`` closes the last tag;
* character references: ``&lt; &gt; &amp; &quot;`` (the ``;`` may be omitted) and numeric
  ``&#NNN; &#xHH;``. Anything else after ``&`` is kept literally -- Telegram does not reject a
  bare ``&`` (``strict_amp=True`` makes the emulator reject it anyway, as a lint);
* errors use TDLib's wording: ``Unsupported start tag "br" at byte offset 5`` etc.;
* offsets and lengths are UTF-16 code units; leading/trailing whitespace is trimmed after
  parsing and the entities are clipped accordingly.
"""

from __future__ import annotations

import re

__all__ = ["ParseError", "utf16_len", "parse_html", "trim", "auto_entities", "clip_entities"]


class ParseError(ValueError):
    """The text cannot be parsed; str(exc) is TDLib's message (without "can't parse entities")."""


def utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


_SIMPLE_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler", "code": "code", "pre": "pre",
}
_ALLOWED_TAGS = set(_SIMPLE_TAGS) | {"a", "blockquote", "tg-emoji", "tg-time"}
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACE = " \t\n\r\f\v"


def _decode_reference(src: str, i: int) -> tuple[str, int] | None:
    """Decode a character reference at src[i] == '&' like TDLib; None if it is not one."""
    j = i + 1
    if src.startswith("#", j):
        j += 1
        hexa = src.startswith("x", j)
        if hexa:
            j += 1
        digits = "0123456789abcdefABCDEF" if hexa else "0123456789"
        start = j
        while j < len(src) and src[j] in digits:
            j += 1
        if j == start or j - i >= 10:
            return None
        code = int(src[start:j], 16 if hexa else 10)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        start = j
        while j < len(src) and src[j].isascii() and src[j].isalpha():
            j += 1
        char = _NAMED_REFS.get(src[start:j])
        if char is None:
            return None
    if src.startswith(";", j):
        j += 1
    return char, j


def _byte_offset(src: str, i: int) -> int:
    return len(src[:i].encode("utf-8"))


def _normalize_url(url: str) -> str | None:
    """Roughly what Telegram does to a text_link URL: add a scheme and a trailing '/'."""
    url = url.strip()
    if not url or any(c in url for c in _SPACE):
        return None
    m = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*):(//)?", url)
    if m is None:
        url = "http://" + url
    elif m.group(1).lower() not in ("http", "https", "tg", "ton", "ftp", "mailto"):
        return None
    m = re.match(r"(https?|ftp)://[^/?#]+$", url, re.IGNORECASE)
    return url + "/" if m else url


def parse_html(src: str, *, strict_amp: bool = False, known_users: dict | None = None
               ) -> tuple[str, list[dict]]:
    """Parse Telegram HTML into (text, entities). Raises ParseError with TDLib's message."""
    out: list[str] = []  # pieces of the result text
    pos16 = 0  # current UTF-16 offset in the result
    stack: list[dict] = []  # open tags
    entities: list[dict] = []
    n = len(src)
    i = 0

    def emit(s: str) -> None:
        nonlocal pos16
        out.append(s)
        pos16 += utf16_len(s)

    while i < n:
        c = src[i]
        if c == "&":
            ref = _decode_reference(src, i)
            if ref is not None:
                emit(ref[0])
                i = ref[1]
                continue
            if strict_amp:
                raise ParseError(
                    f"Bare '&' at byte offset {_byte_offset(src, i)} (emulator strict_amp lint; "
                    "real Telegram keeps it literally)")
        if c != "<":
            j = i + 1
            while j < n and src[j] not in "<&":
                j += 1
            emit(src[i:j])
            i = j
            continue

        begin = i
        if not src.startswith("/", i + 1):  # start tag
            i += 1
            while i < n and src[i] not in _SPACE and src[i] != ">":
                i += 1
            if i >= n:
                raise ParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
            tag = src[begin + 1:i].lower()
            if tag not in _ALLOWED_TAGS:
                raise ParseError(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(src, begin)}')
            attrs: dict[str, str] = {}
            while i < n and src[i] != ">":
                while i < n and src[i] in _SPACE:
                    i += 1
                if i >= n:
                    raise ParseError(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(src, begin)}')
                if src[i] == ">":
                    break
                name_start = i
                while i < n and src[i] not in _SPACE and src[i] not in "=>":
                    i += 1
                name = src[name_start:i].lower()
                if not name:
                    raise ParseError(f'Empty attribute name in the tag "{tag}" at byte offset '
                                     f"{_byte_offset(src, begin)}")
                while i < n and src[i] in _SPACE:
                    i += 1
                if i >= n:
                    raise ParseError(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(src, begin)}')
                if src[i] != "=":
                    if tag == "blockquote" and name == "expandable":
                        attrs[name] = ""
                        continue
                    raise ParseError(
                        f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                        f"at byte offset {_byte_offset(src, begin)}")
                i += 1
                while i < n and src[i] in _SPACE:
                    i += 1
                if i >= n:
                    raise ParseError(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(src, begin)}')
                if src[i] in "\"'":
                    quote = src[i]
                    i += 1
                    value = []
                    while i < n and src[i] != quote:
                        ref = _decode_reference(src, i) if src[i] == "&" else None
                        if ref is not None:
                            value.append(ref[0])
                            i = ref[1]
                        else:
                            value.append(src[i])
                            i += 1
                    if i >= n:
                        raise ParseError(
                            f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
                    i += 1
                    attrs[name] = "".join(value)
                else:  # a name token
                    token_start = i
                    while i < n and (src[i].isascii() and src[i].isalnum() or src[i] in ".-"):
                        i += 1
                    if i >= n:
                        raise ParseError(
                            f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
                    if src[i] not in _SPACE and src[i] != ">":
                        raise ParseError(f"Unexpected end of name token at byte offset "
                                         f"{_byte_offset(src, token_start)}")
                    attrs[name] = src[token_start:i].lower()
            if i >= n:
                raise ParseError(f"Unclosed start tag at byte offset {_byte_offset(src, begin)}")
            i += 1  # skip '>'
            if tag == "span" and attrs.get("class") != "tg-spoiler":
                raise ParseError(f'Tag "span" must have class "tg-spoiler" at byte offset '
                                 f"{_byte_offset(src, begin)}")
            stack.append({"tag": tag, "attrs": attrs, "offset": pos16, "text_start": len(out)})
            continue

        # end tag
        if not stack:
            raise ParseError(f"Unexpected end tag at byte offset {_byte_offset(src, begin)}")
        i += 2
        name_start = i
        while i < n and src[i] not in _SPACE and src[i] != ">":
            i += 1
        end_tag = src[name_start:i].lower()
        while i < n and src[i] in _SPACE:
            i += 1
        if i >= n or src[i] != ">":
            raise ParseError(f"Unclosed end tag at byte offset {_byte_offset(src, begin)}")
        i += 1
        open_ = stack.pop()
        if end_tag and end_tag != open_["tag"]:
            raise ParseError(f"Unmatched end tag at byte offset {_byte_offset(src, begin)}, "
                             f'expected "</{open_["tag"]}>", found "</{end_tag}>"')
        entity = _close_tag(open_, "".join(out[open_["text_start"]:]), pos16, entities,
                            known_users or {})
        if entity is not None:
            entities.append(entity)

    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]["tag"]}"')
    for e in entities:
        if e["type"] == "code":
            e.pop("language", None)  # a language only counts inside <pre>
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _close_tag(open_: dict, inner: str, pos16: int, entities: list[dict], users: dict
               ) -> dict | None:
    tag, attrs, offset = open_["tag"], open_["attrs"], open_["offset"]
    length = pos16 - offset
    if tag == "tg-emoji":
        emoji_id = attrs.get("emoji-id", "")
        if not emoji_id.isdigit() or int(emoji_id) == 0:
            raise ParseError("Invalid custom emoji identifier specified")
    if tag == "tg-time" and not attrs.get("unix", "").lstrip("-").isdigit():
        raise ParseError("Invalid Unix time specified")
    if length <= 0:
        return None
    entity: dict = {"offset": offset, "length": length}
    if tag in _SIMPLE_TAGS:
        entity["type"] = _SIMPLE_TAGS[tag]
        if tag == "code" and attrs.get("class", "").startswith("language-"):
            entity["language"] = attrs["class"][len("language-"):]
        if tag == "pre" and entities and entities[-1]["type"] == "code" \
                and entities[-1]["offset"] == offset and entities[-1]["length"] == length:
            code = entities.pop()  # <pre><code class="language-x">..</code></pre> -> one entity
            if code.get("language"):
                entity["language"] = code["language"]
    elif tag == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in attrs else "blockquote"
    elif tag == "tg-emoji":
        entity.update(type="custom_emoji", custom_emoji_id=attrs["emoji-id"])
    elif tag == "tg-time":
        entity.update(type="date_time", unix_time=int(attrs["unix"]))
        if attrs.get("format"):
            entity["date_time_format"] = attrs["format"]
    else:  # <a>
        href = attrs.get("href") or inner
        m = re.fullmatch(r"tg://user\?id=(\d+)", href.strip())
        if m:
            uid = int(m.group(1))
            user = users.get(uid, {"id": uid, "is_bot": False, "first_name": inner})
            entity.update(type="text_mention", user=user)
        else:
            url = _normalize_url(href)
            if url is None:
                return None  # Telegram drops links it cannot use
            entity.update(type="text_link", url=url)
    return {"type": entity.pop("type"), **entity}


def clip_entities(text: str, entities: list[dict]) -> list[dict]:
    """Drop/clip entities that do not fit the text (Telegram silently fixes them)."""
    total = utf16_len(text)
    result = []
    for e in entities:
        start = max(0, int(e.get("offset", 0)))
        end = min(total, start + int(e.get("length", 0)))
        if end > start:
            result.append({**e, "offset": start, "length": end - start})
    result.sort(key=lambda e: (e["offset"], -e["length"]))
    return result


def trim(text: str, entities: list[dict]) -> tuple[str, list[dict]]:
    """Strip leading/trailing whitespace as Telegram does and shift/clip the entities."""
    stripped_left = text.lstrip(_SPACE)
    shift = utf16_len(text) - utf16_len(stripped_left)
    new_text = stripped_left.rstrip(_SPACE)
    moved = [{**e, "offset": e["offset"] - shift} for e in entities]
    clipped = []
    for e in moved:
        start = max(0, e["offset"])
        end = e["offset"] + e["length"]
        clipped.append({**e, "offset": start, "length": end - start})
    return new_text, clip_entities(new_text, clipped)


# --- auto-detected entities (what the server adds to every text) --------------------------------
_WORD = r"0-9A-Za-z_\u00C0-\uFFFF"
_STOP = r"\s<>\"\u3000-\u303F\uFF00-\uFFEF"  # whitespace, brackets, CJK punctuation
_TLDS = "com|org|net|io|dev|app|ai|me|ru|cn|info|edu|gov|co|uk|de|jp|fr|tv|xyz|site|online"
_AUTO_PATTERNS = [
    ("url", re.compile(rf"(?<![{_WORD}@.])(?:(?:https?|ftp|tg|ton)://[^{_STOP}]+"
                       rf"|(?:www\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:{_TLDS})"
                       rf"(?![A-Za-z0-9-])(?:[/?#][^{_STOP}]*)?)")),
    ("email", re.compile(r"(?<![\w.+-])[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
    ("bot_command", re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z][A-Za-z0-9_]{2,31})?"
                               r"(?![\w/])")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")),
    ("cashtag", re.compile(r"(?<![\w$])\$[A-Z]{3,8}(?![\w])")),
]
_NO_AUTO_INSIDE = {"code", "pre", "text_link", "url", "email", "mention", "text_mention",
                   "bot_command", "hashtag", "cashtag", "custom_emoji"}


def auto_entities(text: str, entities: list[dict]) -> list[dict]:
    """Add url/email/bot_command/mention/hashtag/cashtag entities roughly as Telegram does."""
    taken = [(e["offset"], e["offset"] + e["length"]) for e in entities
             if e["type"] in _NO_AUTO_INSIDE]
    found = []
    for kind, pattern in _AUTO_PATTERNS:
        for m in pattern.finditer(text):
            chunk = m.group(0)
            if kind == "url":
                chunk = _trim_url(chunk)
            start = utf16_len(text[:m.start()])
            end = start + utf16_len(chunk)
            if any(start < b and a < end for a, b in taken):
                continue
            taken.append((start, end))
            found.append({"type": kind, "offset": start, "length": end - start})
    return sorted(entities + found, key=lambda e: (e["offset"], -e["length"]))


def _trim_url(url: str) -> str:
    while url and url[-1] in ".,;:!?'\"":
        url = url[:-1]
    while url.endswith(")") and url.count(")") > url.count("("):
        url = url[:-1]
    return url
