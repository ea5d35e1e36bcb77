"""The offline answerer: quote the sentences of the retrieved passages that answer the question.

Sentences are scored on (1) how much of the question they hold — IDF-weighted typed words or their
glossary equivalents, (2) their embedding similarity to the question when the model reads the
language, (3) whether they carry a number when the question asks for one, (4) the rank of their passage.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from index.retrieve import Hit, Query, sentence_match
from index.store import ArticleIndex

PASSAGES_CONSIDERED = 3
MAX_ANSWER_CHARS = 160      # a second sentence is added only while the answer stays short
SECOND_SENTENCE_RATIO = 0.6
NUMBERED_LEAD_RATIO = 0.6
NUMBER_BONUS = 0.3          # a question asking how many is answered by a sentence with a number

ASKS_NUMBER = re.compile(r"多少|第几|几[个位岁家台颗次种]|有几|多久|多长时间|哪年|哪一年|多大|年纪|年龄|"
                         r"how (many|much|long|old)|(what|which) year|\bwhen\b", re.IGNORECASE)
HAS_NUMBER = re.compile(r"(?<![A-Za-z\d])\d|[一二两三四五六七八九十百千万亿]+[万亿千百]|第[一二三四五六七八九十]|[二两三四五六七八九十]+[年个位家台颗]"
                        r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|(?:thir|four|fif|six|seven|"
                        r"eigh|nine)teen|(?:twen|thir|for|fif|six|seven|eigh|nine)ty|hundred|thousand|million|billion|dozen)s?\b",
                        re.IGNORECASE)
_LIST_MARK = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")


@dataclass(frozen=True)
class Pick:
    hit_index: int     # position of the passage in the hits
    sentence: str
    score: float
    coverage: float    # share of the question's words it holds
    similarity: float  # cosine to the question embedding


def score_sentences(index: ArticleIndex, query: Query, hits: list[Hit], dense_trust: float) -> list[Pick]:
    asks_number = bool(ASKS_NUMBER.search(query.text))
    picks = []
    for position, hit in enumerate(hits[:PASSAGES_CONSIDERED]):
        for row in index.sentences.rows_of(hit.row):
            coverage = sentence_match(query.concepts, index.sentences.tokens(row), index.sentences.texts[row])
            similarity = float(index.sentences.vectors[row] @ query.vector) if query.vector is not None else 0.0
            sentence = _LIST_MARK.sub("", index.sentences.texts[row]).strip()
            score = (coverage + dense_trust * 0.5 * max(similarity, 0.0)
                     + (NUMBER_BONUS if asks_number and HAS_NUMBER.search(sentence) else 0.0)
                     - 0.05 * position)
            picks.append(Pick(position, sentence, score, coverage, similarity))
    picks.sort(key=lambda p: -p.score)
    return picks


def choose(picks: list[Pick], question: str) -> list[Pick]:
    """The best sentence, and a runner-up when it is nearly as good and the answer stays short.
    A question asking how many is led by the best sentence that has a number, if it is close enough."""
    if not picks:
        return []
    if ASKS_NUMBER.search(question):
        numbered = [p for p in picks if HAS_NUMBER.search(p.sentence) and p.score >= NUMBERED_LEAD_RATIO * picks[0].score
                    and p.coverage >= 0.5 * picks[0].coverage]
        if numbered:
            picks = numbered[:1] + [p for p in picks if p is not numbered[0]]
    chosen = [picks[0]]
    for pick in picks[1:3]:
        if (pick.score >= SECOND_SENTENCE_RATIO * picks[0].score and pick.sentence != picks[0].sentence
                and len(picks[0].sentence) + len(pick.sentence) <= MAX_ANSWER_CHARS):
            chosen.append(pick)
            break
    return chosen
