"""Does the evidence answer the question? A top score alone can't tell (measured: answerable paraphrases
score as low as unanswerable questions that reuse the article's words), so the decision combines signals:

- nothing matches: the best sentence holds under a fifth of the question's words;
- an unknown name: the question names a company, person, product code or year that no article mentions
  (AMD, 台积电, MI300, 2030) — the articles can't be about it;
- a missing quantity: the question asks how many / when / how old, and the best sentence has no number;
- a missing name: the question asks who / what someone is called, and no chosen sentence names anyone.
"""
from __future__ import annotations

import re

from index.glossary import EQUIVALENTS
from index.keyword import KeywordIndex
from index.tokenize import STOPWORDS, normalize, tokenize

from . import messages
from .answer import Citation, cite
from .extractive import ASKS_NUMBER, HAS_NUMBER, Pick

ASKS_YEAR = re.compile(r"哪年|哪一年|何时|什么时候|(what|which) year|\bwhen\b", re.IGNORECASE)
HAS_YEAR = re.compile(r"(?<!\d)(1[89]|20)\d\d(?!\d)|\d+年|去年|今年|明年|前年")

MIN_COVERAGE = 0.2
_NAME_TAGS = {"nr", "nrt", "nt", "nz", "eng"}
_ASKS_NAME = re.compile(r"叫什么|名字|姓名|\bname\b", re.IGNORECASE)
_HAS_PERSON = re.compile(r"[A-Z][a-z]+ [A-Z][a-z]+")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
# a code (H100, MI300), an acronym (AMD, TSMC) or a capitalised word (Samsung)
_NAME_LIKE = re.compile(r"^(?=.*\d)[A-Za-z0-9.-]{2,}$|^[A-Z]{2,6}$|^[A-Z][a-z]+$")


def unknown_names(question: str, keyword: KeywordIndex) -> list[str]:
    """Names and codes in the question that no article uses, in any glossary spelling."""
    import jieba.posseg

    unknown = []
    for position, pair in enumerate(jieba.posseg.cut(question.strip())):
        word, tag = normalize(pair.word.strip()), pair.flag
        if not word or tag not in _NAME_TAGS:
            continue
        if tag == "eng" and (word in STOPWORDS or not _NAME_LIKE.match(pair.word.strip())
                             or (position == 0 and pair.word.istitle())):
            continue   # ordinary English words (and a capitalised first word) are not names
        parts = [p for p in tokenize(word) if p != word and len(p) > 1]
        if _known(word, keyword) or (parts and all(_known(p, keyword) for p in parts)):
            continue
        unknown.append(word)
    unknown += [y for y in _YEAR.findall(question) if y not in keyword.vocab]
    return unknown


def _known(word: str, keyword: KeywordIndex) -> bool:
    return word in keyword.vocab or any(eq in keyword.vocab for eq in EQUIVALENTS.get(word, ()))


def refusal_reason(question: str, chosen: list[Pick], best_coverage: float, keyword: KeywordIndex) -> str:
    """Why the articles don't answer the question, or "" when they do."""
    if not chosen or best_coverage < MIN_COVERAGE:
        return "nothing matches"
    names = unknown_names(question, keyword)
    if names:
        return "unknown name: " + ", ".join(names)
    if ASKS_YEAR.search(question) and not HAS_YEAR.search(chosen[0].sentence):
        return "no year in the evidence"
    if ASKS_NUMBER.search(question) and not HAS_NUMBER.search(chosen[0].sentence):
        return "no number in the evidence"
    if _ASKS_NAME.search(question) and not any(_HAS_PERSON.search(p.sentence) for p in chosen):
        return "no name in the evidence"
    return ""


def nearest_passages(hits, language: str, count: int = 3) -> tuple[str, tuple[Citation, ...]]:
    """A refusal: say the articles don't cover it, and list the nearest passages as citations."""
    citations = tuple(cite(n, hit) for n, hit in enumerate(hits[:count], 1))
    lines = [messages.text("not_covered", language)]
    lines += [f"[{c.n}] {c.doc} › {c.section}" if c.section else f"[{c.n}] {c.doc}" for c in citations]
    return "\n".join(lines), citations
