"""Check an LLM answer against the passages it cites: markers must point at a passage, and a sentence
must share words (or glossary equivalents) and every number with the passage it cites."""
from __future__ import annotations

import re
from dataclasses import dataclass

from index.glossary import equivalents
from index.text import split_sentences
from index.tokenize import tokenize

MARKER = re.compile(r"\s*\[(\d{1,3})\]")
MIN_SUPPORT = 0.3            # share of a sentence's content words found in the cited passage
_NUMBER = re.compile(r"(\d+(?:[.,]\d+)*)\s*(万亿|亿|万|千|百|k\b|thousand|million|billion)?", re.IGNORECASE)
_SCALE = {"百": 1e2, "千": 1e3, "k": 1e3, "thousand": 1e3, "万": 1e4, "million": 1e6, "亿": 1e8, "billion": 1e9, "万亿": 1e12}


@dataclass(frozen=True)
class Checked:
    text: str                 # answer with valid, renumbered markers
    cited: tuple[int, ...]    # passage positions (0-based) in order of their new numbers
    dropped: int              # sentences removed as unsupported
    bad_markers: int          # markers that pointed at no passage


def numbers_in(text: str) -> set[float]:
    values = set()
    for digits, unit in _NUMBER.findall(text):
        try:
            value = float(digits.replace(",", ""))
        except ValueError:
            continue
        values.add(value * _SCALE.get(unit.lower(), 1) if unit else value)
    return values


def support(sentence: str, passage_tokens: set[str], passage_numbers: set[float]) -> float:
    """0..1: share of the sentence's words the passage holds; 0 when it states a number the passage lacks."""
    tokens = set(tokenize(sentence))
    if not tokens:
        return 1.0
    numbers = numbers_in(sentence)
    if numbers and not numbers <= passage_numbers:
        return 0.0
    found = sum(1 for t in tokens if t in passage_tokens or any(e in passage_tokens for e in equivalents(t)))
    return found / len(tokens)


def check(answer: str, passages: list[str]) -> Checked:
    tokens = [set(tokenize(p)) for p in passages]
    numbers = [numbers_in(p) for p in passages]
    kept, order = [], {}
    dropped = bad = 0
    for sentence in split_sentences(answer):
        cited = [int(n) for n in MARKER.findall(sentence)]
        valid = [n for n in dict.fromkeys(cited) if 1 <= n <= len(passages)]
        bad += len(cited) - len([n for n in cited if 1 <= n <= len(passages)])
        claim = MARKER.sub("", sentence).strip()
        if not claim:
            continue
        scores = {n: support(claim, tokens[n - 1], numbers[n - 1]) for n in range(1, len(passages) + 1)}
        supported = [n for n in valid if scores[n] >= MIN_SUPPORT]
        if not supported and not valid and scores:   # uncited: keep it only if a passage backs it, and cite that one
            best = max(scores, key=scores.get)
            supported = [best] if scores[best] >= MIN_SUPPORT else []
        if not supported:
            dropped += 1
            continue
        marks = "".join(f"[{order.setdefault(n, len(order) + 1)}]" for n in supported)
        body, end = _split_end(claim)
        kept.append(f"{body}{marks}{end}")
    joiner = "" if re.search(r"[\u4e00-\u9fff]", answer) else " "
    return Checked(joiner.join(kept), tuple(n - 1 for n in order), dropped, bad)


def _split_end(sentence: str) -> tuple[str, str]:
    """Markers go before the closing punctuation, as in 'claim[1].'"""
    m = re.search(r"[。！？；.!?;]+$", sentence)
    return (sentence[:m.start()], m.group()) if m else (sentence, "")
