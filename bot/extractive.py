"""The offline answerer: quote the sentences of the retrieved passages that most probably hold the answer."""
from __future__ import annotations

from index.text import join_sentences

from .answer import Citation, cite
from .evidence import Candidate

MAX_ANSWER_CHARS = 110      # a second sentence only while the answer stays this short
SECOND_SENTENCE_RATIO = 0.6   # ... and only when it is nearly as probable as the first


def choose(candidates: list[Candidate]) -> list[Candidate]:
    """The most probable sentence, and a runner-up from the same passage or the next one when it is nearly
    as probable, adds words the first lacks (a question with two parts) and the answer stays short."""
    if not candidates:
        return []
    best = candidates[0]
    chosen = [best]
    for other in candidates[1:3]:
        if (other.share >= SECOND_SENTENCE_RATIO * best.share and other.sentence != best.sentence
                and len(best.sentence) + len(other.sentence) <= MAX_ANSWER_CHARS):
            chosen.append(other)
            break
    chosen.sort(key=lambda c: (c.hit_index, c.row))     # in the order the article tells them
    return chosen


def quote(chosen: list[Candidate], hits) -> tuple[str, tuple[Citation, ...]]:
    """The chosen sentences verbatim, each with its [n] marker; citations numbered in order of first use."""
    numbers: dict[int, int] = {}       # hit position -> citation number
    parts = []
    for candidate in chosen:
        n = numbers.setdefault(candidate.hit_index, len(numbers) + 1)
        parts.append(f"{candidate.sentence}[{n}]")
    citations = tuple(cite(n, hits[position]) for position, n in numbers.items())
    return join_sentences(parts), citations
