"""Does the evidence answer the question? A top score alone can't tell (measured: answerable paraphrases
score as low as unanswerable questions that reuse the article's words), so the decision combines signals:

- nothing matches: the best sentence holds under a fifth of the question's words;
- an unknown name: the question names a company, person, product code or year that no article mentions
  (AMD, 台积电, MI300, 2030) — the articles can't be about it;
- a missing kind of answer: the question asks how many / how much / when / how old, and the best sentence
  gives no such thing (bot/kinds.py: "15年" answers how long, not how many data centers);
- a missing name: the question asks who / what someone is called, and no chosen sentence names anyone;
- names elsewhere: the question names things the articles know, and the passage the answer leads with
  names none of them;
- only a name matches: the chosen sentences share one name with the question and none of its other words.
"""
from __future__ import annotations

import re

from index.glossary import NAMES, TERMS, equivalents
from index.keyword import Concept, KeywordIndex
from index.retrieve import Query
from index.tokenize import STOPWORDS, normalize, separate_measure_words, tokenize

from . import kinds, messages
from .answer import Citation, cite
from .extractive import Pick, evidence_tokens

MIN_COVERAGE = 0.2
_NAME_TAGS = {"nr", "nrt", "nt", "nz", "eng"}    # not ns: jieba tags 回国 and 外国 as places
_NAME_SPELLINGS = frozenset(spelling for group in NAMES for spelling in group)
_TERM_SPELLINGS = frozenset(spelling for group in TERMS for spelling in group)
_ASKS_NAME = re.compile(r"叫什么|名字|姓名|\bname\b", re.IGNORECASE)
_HAS_PERSON = re.compile(r"[A-Z][a-z]+ [A-Z][a-z]+")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
# a code (H100, MI300), an acronym (AMD, TSMC) or a capitalised word (Samsung)
_NAME_LIKE = re.compile(r"^(?=.*\d)[A-Za-z0-9.-]{2,}$|^[A-Z]{2,6}$|^[A-Z][a-z]+$")


def question_names(question: str) -> list[str]:
    """Names and codes in the question (people, places, organisations, products), normalised."""
    import jieba.posseg

    names = []
    for position, pair in enumerate(jieba.posseg.cut(separate_measure_words(question.strip()))):
        word, tag = normalize(pair.word.strip()), pair.flag
        if not word or tag not in _NAME_TAGS:
            continue
        if tag == "eng" and (word in STOPWORDS or not _NAME_LIKE.match(pair.word.strip())
                             or (position == 0 and pair.word.istitle())):
            continue   # ordinary English words (and a capitalised first word) are not names
        names.append(word)
    return names


def unknown_names(question: str, names: list[str], keyword: KeywordIndex) -> list[str]:
    """The question's names and codes, and years, that no article uses in any glossary spelling."""
    unknown = []
    for word in names:
        parts = [p for p in tokenize(word) if p != word and len(p) > 1]
        if not (_known(word, keyword) or (parts and all(_known(p, keyword) for p in parts))):
            unknown.append(word)
    unknown += [y for y in _YEAR.findall(question) if y not in keyword.vocab]
    return unknown


def only_names_match(question: str, names: list[str], concepts: list[Concept], chosen: list[Pick]) -> bool:
    """The chosen sentences share one name with the question and miss what it asks about that name:
    上海明天的天气 is not answered by a sentence about a flight to Shanghai. Not a refusal when the question
    is only names ("华为呢？", "Who is Nathan Lambert?"), or when two of its names meet in the evidence
    ("Oracle和字节什么关系？": that they meet is the answer)."""
    tokens = evidence_tokens(chosen)
    matched = [c for c in concepts if c.found_in(tokens) == 1.0]
    if len(matched) != 1 or not _is_name(matched[0], names):
        return False
    asked_for = kinds.asked_type(question)
    return any(c is not matched[0] and not _is_name(c, names) and _substantial(c.word) and c.word not in asked_for
               for c in concepts)


def names_elsewhere(names: list[str], concepts: list[Concept], chosen: list[Pick]) -> bool:
    """The question names things the articles know, and the passage the answer leads with names none of
    them: "What is the price of an H20?" is not answered by the price of a plane ticket. Spellings are
    looked for in the passage's text (超微 is in 超微型, a word of its own to jieba), which errs towards
    answering."""
    named = [c for c in concepts if c.in_corpus == 1.0 and _is_name(c, names)]
    passage = normalize(chosen[0].chunk.embed_text)
    return bool(named) and not any(spelling in passage for c in named for spelling in c.spellings)


def _is_name(concept: Concept, names: list[str]) -> bool:
    """A name of the question's (by jieba's tags) or of the glossary's, and not a term (GPU looks like one)."""
    spellings = concept.spellings - _TERM_SPELLINGS
    return not spellings.isdisjoint(names) or not spellings.isdisjoint(_NAME_SPELLINGS)


def _substantial(word: str) -> bool:
    """A word that says what is asked: not a lone Chinese character (去, 做, 搞) or a two-letter word."""
    return len(word) >= (3 if word.isascii() else 2)


def _known(word: str, keyword: KeywordIndex) -> bool:
    return word in keyword.vocab or any(eq in keyword.vocab for eq in equivalents(word))


def refusal_reason(query: Query, kind: str | None, chosen: list[Pick], best_coverage: float,
                   keyword: KeywordIndex) -> str:
    """Why the articles don't answer the question, or "" when they do. kind: what the question asks for."""
    if not chosen or best_coverage < MIN_COVERAGE:
        return "nothing matches"
    names = question_names(query.text)
    unknown = unknown_names(query.text, names, keyword)
    if unknown:
        return "unknown name: " + ", ".join(unknown)
    if names_elsewhere(names, query.concepts, chosen):
        return "the question's names are not in the evidence"
    if kind and not chosen[0].gives_kind:
        return f"no {kind} in the evidence"
    # "那华为呢？" is all names by design: what it asks comes from the earlier question
    elliptical = kinds.is_elliptical(query.text, query.context)
    if kind is None and not elliptical and only_names_match(query.text, names, query.concepts, chosen):
        return "only names match"
    if _ASKS_NAME.search(query.text) and not any(_HAS_PERSON.search(p.sentence) for p in chosen):
        return "no name in the evidence"
    return ""


def certain(reason: str) -> bool:
    """No passage can answer: nothing matches, or the question names what no article mentions. The other
    reasons judge the sentences the offline answerer would quote; an LLM reads whole passages, and decides."""
    return reason.startswith(("nothing matches", "unknown name"))


def nearest_passages(hits, language: str, count: int = 3) -> tuple[str, tuple[Citation, ...]]:
    """A refusal: say the articles don't cover it, and list the nearest passages as citations."""
    citations = tuple(cite(n, hit) for n, hit in enumerate(hits[:count], 1))
    lines = [messages.text("not_covered", language)]
    lines += [f"[{c.n}] {c.doc} › {c.section}" if c.section else f"[{c.n}] {c.doc}" for c in citations]
    return "\n".join(lines), citations
