"""Several questions in one message ("丹顶鹤吃什么？它们在哪里过冬？"): each is answered from its own passages
and the answers are put together, each under its question.

Answered as one, the message's best sentence holds the words of one part only: the other part goes unanswered,
or the whole is refused. Measured with python -m eval.compound (pairs of report-half development questions in
one message), the answer holds both gold spans, answered as one message -> part by part: Chinese, one article
0.23 -> 0.73, two articles 0.12 -> 0.73; English 0.06 -> 0.63 (refused 16 % -> 2 %). A later part is asked with
the one before it as its earlier question, as a reply's follow-up is ("为什么？", "它是哪年出版的？"): the
pronoun follow-up's own block then holds its answer 0.84 of the time (0.49 when each part was asked alone,
measured before the evidence model's context_held).
"""
from __future__ import annotations

import dataclasses
import re

from index.retrieve import Hit
from index.text import split_sentences

from . import messages
from .answer import Answer, Citation, RefusalReason
from .refusal import nearest_passages

MAX_PARTS = 3           # more question marks than this is a list or a quote, not questions to answer one by one
_ASKS = re.compile(r"[?？][”」』）)\"']*$")
_MARKER = re.compile(r"\[(\d+)\]")


def question_parts(text: str) -> list[str]:
    """The questions of a message: a part ends at a question mark (not one inside 《》 or brackets: the
    sentence splitter's rule); what follows the last one (谢谢！) stays with it. One part when there are
    fewer than two or more than MAX_PARTS."""
    parts: list[str] = []
    current = ""
    for sentence in _sentences(text):
        current = _joined(current, sentence)
        if _ASKS.search(sentence) and any(ch.isalnum() for ch in current):
            parts.append(current)
            current = ""
    if current:
        parts = [*parts[:-1], _joined(parts[-1], current)] if parts else [current]
    return parts if 1 < len(parts) <= MAX_PARTS else [text]


def _sentences(text: str) -> list[str]:
    """The sentence splitter's sentences, but an ASCII ? or ! inside a token (a link's query string,
    page?id=3) ends nothing: it is glued to what follows it."""
    found: list[str] = []
    end = 0
    for sentence in split_sentences(text):
        start = text.find(sentence, end)
        if found and found[-1][-1] in "?!" and start == end and text[start:start + 1].isascii() \
                and text[start:start + 1].isalnum():
            found[-1] += sentence
        else:
            found.append(sentence)
        end = start + len(sentence)
    return found


def merged_hits(found: list[list[Hit]], limit: int) -> list[Hit]:
    """The parts' passages taken in turn (each part's best first), each passage once, at most limit (the
    number of passages the LLM is given stays what PASSAGES sets)."""
    merged: dict[str, Hit] = {}
    for rank in range(max(map(len, found), default=0)):
        for hits in found:
            if rank < len(hits) and len(merged) < limit:
                merged.setdefault(hits[rank].chunk.chunk_id, hits[rank])
    return list(merged.values())


def combine(question: str, parts: list[str], answers: list[Answer], hits: list[Hit], language: str) -> Answer:
    """One answer from the parts' answers: each part's question in bold, then its answer, the citations
    numbered across all of them. When no part is answered, one refusal with the nearest passages of all."""
    answered = [a for a in answers if not a.refused]
    base = dataclasses.replace(answers[0], question=question, timings=_summed(answers))
    if not answered:
        text, citations = nearest_passages(hits, language)
        return dataclasses.replace(base, text=text, citations=citations, confidence=max(a.confidence for a in answers),
                                   refusal_reason=_weakest_reason(answers))
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    blocks, emphasis, length = [], [], 0
    for part, answer in zip(parts, answers):
        body = messages.text("part_not_covered", language) if answer.refused else _renumbered(answer, numbers,
                                                                                           citations)
        emphasis.append((length, length + len(part), "b"))
        block = f"{part}\n{body}"
        blocks.append(block)
        length += len(block) + 2
    return dataclasses.replace(base, text="\n\n".join(blocks), citations=tuple(citations), refused=False,
                               confidence=min(a.confidence for a in answered), refusal_reason=RefusalReason.NONE,
                               emphasis=tuple(emphasis), mode=answered[0].mode)


def _renumbered(answer: Answer, numbers: dict[str, int], citations: list[Citation]) -> str:
    """The answer's text with its [n] markers numbered across the whole message (a passage keeps one number)."""
    local = {}
    for c in answer.citations:
        if c.chunk_id not in numbers:
            numbers[c.chunk_id] = len(numbers) + 1
            citations.append(dataclasses.replace(c, n=numbers[c.chunk_id]))
        local[c.n] = numbers[c.chunk_id]
    return _MARKER.sub(lambda m: f"[{local.get(int(m.group(1)), int(m.group(1)))}]", answer.text)


def _joined(before: str, sentence: str) -> str:
    return f"{before} {sentence}" if before and before[-1].isascii() and sentence[0].isascii() else before + sentence


def _weakest_reason(answers: list[Answer]) -> RefusalReason:
    """A refusal of the whole is as weak as its weakest part's: a low-confidence part may still be answered
    by the LLM; only when every part has no evidence is the LLM skipped."""
    reasons = [a.refusal_reason for a in answers]
    for reason in (RefusalReason.LOW_CONFIDENCE, RefusalReason.NO_EVIDENCE):
        if reason in reasons:
            return reason
    return reasons[0]


def _summed(answers: list[Answer]) -> dict[str, float]:
    timings: dict[str, float] = {}
    for answer in answers:
        for stage, ms in answer.timings.items():
            timings[stage] = timings.get(stage, 0.0) + ms
    return timings
