"""The offline answerer: quote the sentences of the retrieved passages that answer the question.

Sentences are scored on (1) how much of the question they hold — IDF-weighted typed words or their
glossary equivalents, (2) their embedding similarity to the question when the model reads the
language, (3) whether they give the kind of answer asked (a count, a sum, a year: bot/kinds.py),
(4) the rank of their passage.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from index.chunking import Chunk
from index.retrieve import Hit, Query, sentence_match
from index.store import ArticleIndex
from index.tokenize import tokenize

from . import kinds

PASSAGES_CONSIDERED = 3
MAX_ANSWER_CHARS = 160      # a second sentence is added only while the answer stays short
SECOND_SENTENCE_RATIO = 0.6
KIND_LEAD_RATIO = 0.6
KIND_BONUS = 0.3            # for a sentence giving the kind of answer asked: a count for how many, a sum for how much

_LIST_MARK = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")


@dataclass(frozen=True)
class Pick:
    hit_index: int     # position of the passage in the hits
    chunk: Chunk       # the passage
    sentence: str
    tokens: frozenset[str]   # the sentence's keyword tokens
    gives_kind: bool   # it gives the kind of answer asked (bot/kinds.py)
    score: float
    coverage: float    # share of the question's words it holds
    similarity: float  # cosine to the question embedding


def score_sentences(index: ArticleIndex, query: Query, hits: list[Hit], dense_trust: float,
                    kind: str | None) -> list[Pick]:
    picks = []
    for position, hit in enumerate(hits[:PASSAGES_CONSIDERED]):
        for row in index.sentences.rows_of(hit.row):
            tokens = index.sentences.tokens(row)
            coverage = sentence_match(query.concepts, tokens, index.sentences.texts[row])
            similarity = float(index.sentences.vectors[row] @ query.vector) if query.vector is not None else 0.0
            sentence = _LIST_MARK.sub("", index.sentences.texts[row]).strip()
            gives_kind = bool(kind) and kinds.gives(sentence, kind)
            score = coverage + dense_trust * 0.5 * max(similarity, 0.0) + KIND_BONUS * gives_kind - 0.05 * position
            picks.append(Pick(position, hit.chunk, sentence, tokens, gives_kind, score, coverage, similarity))
    picks.sort(key=lambda p: -p.score)
    return picks


def choose(picks: list[Pick], kind: str | None) -> list[Pick]:
    """The best sentence, and a runner-up when it is nearly as good and the answer stays short.
    A question asking for a kind of answer (how many, how much, when) is led by the best sentence
    that gives one, if it is close enough."""
    if not picks:
        return []
    if kind:
        giving = [p for p in picks if p.gives_kind and p.score >= KIND_LEAD_RATIO * picks[0].score
                  and p.coverage >= 0.5 * picks[0].coverage]
        if giving:
            picks = giving[:1] + [p for p in picks if p is not giving[0]]
    chosen = [picks[0]]
    for pick in picks[1:3]:
        if (pick.score >= SECOND_SENTENCE_RATIO * picks[0].score and pick.sentence != picks[0].sentence
                and len(picks[0].sentence) + len(pick.sentence) <= MAX_ANSWER_CHARS):
            chosen.append(pick)
            break
    return chosen


def coverage_under_heading(query: Query, pick: Pick) -> float:
    """How much of the question a sentence holds together with its section heading: "为什么说GPU是新黑金？"
    is answered under "GPU走私：超越毒品与军火的“新黑金”", whose sentences don't repeat the word."""
    return sentence_match(query.concepts, evidence_tokens([pick]), pick.sentence)


def evidence_tokens(picks: list[Pick]) -> frozenset[str]:
    """Keyword tokens of the chosen sentences and of the headings they stand under."""
    return frozenset().union(*(pick.tokens | _heading_tokens(pick.chunk.section) for pick in picks))


@lru_cache(maxsize=1024)
def _heading_tokens(section: str) -> frozenset[str]:
    return frozenset(tokenize(section))
