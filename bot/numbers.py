"""Numbers in text, in every common notation, as values: 八十万 = 80万 = 800,000 = 800k = "800 thousand".

    find_numbers(text) -> list[Number]     every quantity in reading order, with its character span
    same_quantity(a, b) -> bool            the same value (and range, and percent-ness) in any notation

A Number is `start, end` (span in `text`), `text` (the span), `value` (a float; the low end of a range),
`high` (the high end; == value for a single number), `percent` (50%, 百分之五十, 50 percent) and `year`
(a whole number 1000-2100 written in digits without a scale, or followed by 年: 2018, 1066.).

Handled: Arabic digits with thousands separators and decimals (7,000; 1.5; a trailing full stop is not a
decimal point: "1066."), dates (9月2日 = 2 September = September 2nd, as month × 100 + day; a month alone
is its number, 9月 = September), full-width digits, traditional and financial numerals (50萬, 壹仟), scales after digits (百 千 万 亿 万亿, k, thousand, million,
billion, trillion, bn), Chinese numerals (两千三百, 八十万, 一亿五千万, 十五), English number words
("half a million", "two hundred thousand", "twenty-five"), ranges sharing a scale (3-5千 = 3,000-5,000,
20万到30万, 200,000–300,000, "between 3 and 5 thousand" is two numbers), and percentages.

Not numbers here, because in running Chinese they are words rather than quantities (checked on the seed
article and the CMRC 2018 trial paragraphs, where each of these occurs as a word): a lone 一 or 一-prefixed
word (一个, 一大批, 一夜之间), a lone 百, 千 or 万 (百度, 千克, 上万 — but a lone 亿 counts: 上亿美元 is a claim of
at least 100,000,000), 十分 (very), 万一 (in case), 千万 before 不/别/要 (by all means), and in English
the word "one" alone (one of the…) — a claim saying "one" is not checked for it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Number", "find_numbers", "same_quantity"]


@dataclass(frozen=True)
class Number:
    start: int
    end: int
    value: float
    high: float
    text: str
    percent: bool = False
    year: bool = False
    date: bool = False        # a day of the year (month × 100 + day: 902 for 9月2日 / 2 September) or a month

    @property
    def is_range(self) -> bool:
        return self.high != self.value


_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)} | {0xFF0C: ord(","), 0xFF0E: ord("."), 0xFF05: ord("%")}
# Traditional and financial numerals, one character for one (spans stay valid): 萬 億 兩, 壹 贰 … 仟
_FULLWIDTH |= {ord(a): ord(b) for a, b in zip("萬億兩壹貳贰參叁肆伍陸陆柒捌玖拾佰仟", "万亿两一二二三三四五六六七八九十百千")}

_ZH_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_SMALL = {"十": 10, "百": 100, "千": 1000}
_ZH_BIG = {"万": 1e4, "亿": 1e8}
_SCALE = {"hundred": 1e2, "百": 1e2, "千": 1e3, "万": 1e4, "亿": 1e8, "万亿": 1e12, "k": 1e3, "thousand": 1e3, "million": 1e6,
          "mn": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}

_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE_RE = r"万亿|亿|万|千|百|k(?![a-z])|thousand|million|mn(?![a-z])|billion|bn(?![a-z])|trillion"
_DASH = r"\s*(?:-|–|—|~|～|〜|到|至|to)\s*"
_ARABIC = re.compile(
    rf"(?P<a>{_DIGITS})(?:\s*(?P<sa>{_SCALE_RE}))?"
    rf"(?:(?P<dash>{_DASH})(?P<b>{_DIGITS})(?:\s*(?P<sb>{_SCALE_RE}))?)?"
    r"(?P<pct>\s*(?:%|percent\b|per cent\b))?", re.IGNORECASE)
_ZH_CHARS = "零〇一二两三四五六七八九十百千万亿"
_ZH_RUN = re.compile(rf"(百分之)?([{_ZH_CHARS}]+)(?:(?:{_DASH})([{_ZH_CHARS}]+))?")
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
_MONTH_RE = r"(?:January|February|March|April|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
_DATE_ZH = re.compile(r"(?P<m>\d{1,2}|十[一二]?|[一二三四五六七八九])月(?:份)?(?:(?P<d>\d{1,2}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])[日号])?")
_DATE_EN = re.compile(rf"(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m>{_MONTH_RE}|May)"
                      rf"|(?P<m2>{_MONTH_RE}|May)\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)|(?P<m3>{_MONTH_RE}))(?![a-z])")
_EN_PLURAL = re.compile(r"\b(hundred|thousand|million|billion|trillion)s\b", re.IGNORECASE)
_ZH_WORDS = ("十分", "万一")           # words, not quantities (see the module docstring)

_EN_UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                        "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_EN_TENS = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i >= 2}
_EN_WORD = "|".join(list(_EN_UNITS) + list(_EN_TENS) + ["hundred", "thousand", "million", "billion", "trillion"])
_EN_RUN = re.compile(rf"\b(?:(?:half\s+an?|an?|{_EN_WORD})(?:[\s-]+(?:and\s+)?(?:{_EN_WORD})\b)*)\b(?:\s+(?:percent|per cent)\b)?",
                     re.IGNORECASE)


def find_numbers(text: str) -> list[Number]:
    """Every quantity in text, in reading order (see the module docstring for the notations)."""
    plain = text.translate(_FULLWIDTH)          # same length: spans stay valid for `text`
    found: list[Number] = []
    taken = [False] * len(plain)

    def add(start: int, end: int, value: float, high: float, percent=False, year=False, date=False) -> None:
        if any(taken[start:end]):
            return
        for i in range(start, end):
            taken[i] = True
        found.append(Number(start, end, value, high, text[start:end], percent, year, date))

    for m in _DATE_ZH.finditer(plain):                           # 9月2日, 九月二日, 9月
        month, day = _small(m.group("m")), _small(m.group("d")) if m.group("d") else 0
        if month and 1 <= month <= 12:
            value = float(month * 100 + day if day else month)
            add(m.start(), m.end(), value, value, date=True)
    for m in _DATE_EN.finditer(plain):                           # 2 September, September 2nd, September
        month = _MONTHS[(m.group("m") or m.group("m2") or m.group("m3"))[:3].lower()]
        day = int(m.group("d1") or m.group("d2") or 0)
        value = float(month * 100 + day if day else month)
        add(m.start(), m.end(), value, value, date=True)

    for m in _ARABIC.finditer(plain):
        if _inside_word(plain, m.start()):                        # A380, MP3, GPT-4: a model name, not a count
            continue
        a, sa, b, sb = m.group("a"), m.group("sa"), m.group("b"), m.group("sb")
        low = high = _arabic(a)
        if b is not None:
            scale_b = _SCALE[sb.lower()] if sb else 1.0
            scale_a = _SCALE[sa.lower()] if sa else scale_b        # 3-5千: the scale after the range is shared
            low, high = low * scale_a, _arabic(b) * scale_b
        elif sa:
            low = high = low * _SCALE[sa.lower()]
        pct = bool(m.group("pct"))
        year = (b is None and not sa and not pct and "," not in a and "." not in a and 1000 <= low <= 2100)
        add(m.start(), m.end(), low, max(low, high), pct, year)

    for m in _ZH_RUN.finditer(plain):
        run, other = m.group(2), m.group(3)
        if _zh_word(plain, m.start(2), run) or (other is None and run.strip("零〇") == ""):
            continue
        value = _chinese(run)
        if value is None:
            continue
        if other is not None:
            high = _chinese(other)
            if high is None:
                continue
            tail = re.search(r"[十百千万亿]+$", other)
            if tail and not re.search(r"[十百千万亿]", run):   # 三到五千: the scale after the range is shared
                value = value * _chinese("一" + tail.group()) if value < 10 else value
            add(m.start(), m.end(), value, max(value, high), bool(m.group(1)))
        else:
            add(m.start(), m.end(2), value, value, bool(m.group(1)))

    for m in _EN_PLURAL.finditer(plain):                           # "billions of dollars": at least that much
        add(m.start(), m.end(), _SCALE[m.group(1).lower()], _SCALE[m.group(1).lower()])

    for m in _EN_RUN.finditer(plain):
        words = m.group().lower()
        if words.strip() in ("a", "an", "one", "half a", "half an", "zero"):
            continue
        value = _english(words)
        if value is not None and value != 1:
            add(m.start(), m.end(), value, value, "percent" in words or "per cent" in words)

    return sorted(found, key=lambda n: n.start)


def same_quantity(a: Number, b: Number) -> bool:
    """The same quantity in any notation: equal value and high end (within rounding of the written digits),
    both or neither a percentage, both or neither a date."""
    return a.percent == b.percent and a.date == b.date and _close(a.value, b.value) and _close(a.high, b.high)


def _small(numeral: str) -> int:
    if numeral.isdigit():
        return int(numeral)
    value = _chinese(numeral)
    return int(value) if value is not None else 0


def _close(x: float, y: float) -> bool:
    return abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))


def _arabic(digits: str) -> float:
    return float(digits.replace(",", ""))


def _inside_word(text: str, start: int) -> bool:
    """Digits glued to a Latin letter (A380) or to a letter and a hyphen (GPT-4) belong to a name."""
    before = text[max(0, start - 2):start]
    return bool(re.search(r"[A-Za-z]$|[A-Za-z][-_]$", before))


def _zh_word(text: str, start: int, run: str) -> bool:
    """Runs of numeral characters that are words here, not quantities (module docstring)."""
    if any(text.startswith(w, start) for w in _ZH_WORDS) or text[max(0, start - 1):start + 1] == "万一":
        return True
    if run in ("一", "百", "千", "万"):        # 百度, 千克, 上万: a lone 百/千/万 is a word's character or vague
        return True
    if run == "千万" and text[start + 2:start + 3] in ("不", "别", "要"):
        return True
    if start > 0 and text[start - 1] in "统唯之" and run.startswith("一"):     # 统一, 唯一, 之一
        return True
    return False


def _chinese(run: str) -> float | None:
    """两千三百 → 2300, 八十万 → 800000, 一亿五千万 → 150000000, 十五 → 15, 三五 → None (not a number)."""
    if all(ch in _ZH_DIGIT for ch in run):                       # digit by digit: 二〇一八
        return float("".join(str(_ZH_DIGIT[ch]) for ch in run)) if len(run) > 1 else float(_ZH_DIGIT[run])
    total, section, digit = 0.0, 0.0, None
    for ch in run:
        if ch in _ZH_DIGIT:
            if digit is not None:
                return None
            digit = _ZH_DIGIT[ch]
        elif ch in _ZH_SMALL:
            section += (1 if digit is None else digit) * _ZH_SMALL[ch]
            digit = None
        else:                                                     # 万 亿
            section += digit or 0
            if section == 0:
                section = 1
            big = _ZH_BIG[ch]
            if big == 1e4 and total >= 1e8 and total % 1e8 == 0 and section < 1e4:
                total += section * big
            else:
                total = (total + section) * big
            section, digit = 0.0, None
    return total + section + (digit or 0)


def _english(words: str) -> float | None:
    tokens = [t for t in re.split(r"[\s-]+", words) if t and t != "and"]
    pct = False
    if tokens and tokens[-1] in ("percent", "cent"):
        pct = True
        tokens = tokens[:-2] if tokens[-1] == "cent" else tokens[:-1]
    total, current, seen = 0.0, 0.0, False
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t == "half" and i + 1 < len(tokens) and tokens[i + 1] in ("a", "an"):
            current, seen, i = 0.5, True, i + 2
            continue
        if t in ("a", "an"):
            current, seen = 1.0, True
        elif t in _EN_UNITS:
            current += _EN_UNITS[t]
            seen = True
        elif t in _EN_TENS:
            current += _EN_TENS[t]
            seen = True
        elif t == "hundred":
            current = (current or 1) * 100
        elif t in ("thousand", "million", "billion", "trillion"):
            total += (current or 1) * _SCALE[t]
            current = 0.0
        else:
            return None
        i += 1
    if not seen:
        return None
    return total + current if not pct else total + current
