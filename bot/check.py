"""Claim checks (`/check`, or a mention replying to someone's statement): each claim of a message against the
articles — supported, contradicted, or not in them — with the article's own sentence and a citation.

    answer = check_text(engine, "我听说某公司只有1万个GPU。")     # an Answer, mode "check"

A claim is one sentence of the message. For each, the passages are retrieved as for a question
(engine.retriever) and bot.claims.check_claim compares the claim with them: numbers in any notation, names,
negation and antonyms (see its docstring). The result is an ordinary Answer, so the bot renders, stores and
buttons it like any answer: one line per claim with its verdict, then the evidence sentence with its [n]
marker. No claim the articles speak to: refused, with the nearest passages as buttons.

No knowledge of any article here: everything comes from the index and bot.claims.
"""
from __future__ import annotations

import re
import time

from index.text import clean, language_of, split_sentences

from . import messages
from .answer import Answer, Citation, cite
from .claims import check_claim

MAX_CLAIMS = 5           # sentences checked per message; a long message is checked on its first five
MIN_CLAUSE_CHARS = 4     # letters or digits a clause needs to be checked on its own
_CLAUSE = re.compile(r"[，,；;：:]\s*")
NEAREST = 3              # passages offered when the articles say nothing about any claim
VERDICT_KEYS = {"supported": "check_supported", "contradicted": "check_contradicted",
                "unsupported": "check_unsupported"}


def claims_of(text: str) -> list[str]:
    """The sentences of a message that can be checked: the ones with a word or a number in them."""
    sentences = [s.strip() for s in split_sentences(clean(text or ""))]
    return [s for s in sentences if any(ch.isalnum() for ch in s)][:MAX_CLAIMS]


def _checked(engine, claims: list[str]):
    """(claim, passages, ClaimCheck) for each claim. A sentence the articles don't speak to as a whole may
    join clauses that they do ("某公司只有1万个GPU，而且都是合法买的": its words are spread over two topics,
    so no passage holds enough of them): then each clause is checked on its own."""
    retriever, embedder = engine.retriever, getattr(engine, "embedder", None)

    def one(claim: str, sentence: str = ""):
        hits = retriever.search(retriever.prepare(claim, context=sentence), engine.settings.passages)
        return claim, hits, check_claim(claim, [h.chunk.text for h in hits], embedder)

    for claim in claims:
        whole = one(claim)
        clauses = [c.strip() for c in _CLAUSE.split(claim) if sum(ch.isalnum() for ch in c) >= MIN_CLAUSE_CHARS]
        if whole[2].verdict != "unsupported" or len(clauses) < 2:
            yield whole
            continue
        # a clause is searched with its sentence as context: "而且都是合法买的" is about the sentence's subject
        yield from (one(clause, claim) for clause in clauses[:MAX_CLAIMS])


def check_text(engine, text: str) -> Answer:
    """Every claim of text checked against the articles, as one Answer (mode "check")."""
    started = time.perf_counter()
    language = language_of(text or "")
    claims = claims_of(text)
    if not claims:
        return Answer(question=text, text=messages.text("check_nothing", language), citations=(), refused=True,
                      mode="check", language=language)
    retriever = engine.retriever
    numbers: dict[str, Citation] = {}          # chunk id -> its citation, numbered in order of first use
    nearest: list = []
    lines = [messages.text("check_heading", language)]
    verdicts = []
    for claim, hits, result in _checked(engine, claims):
        nearest = nearest or hits
        verdicts.append(result.verdict)
        label = messages.text(VERDICT_KEYS[result.verdict], language)
        lines.append(f"{label}：{claim}" if language == "zh" else f"{label}: {claim}")
        if result.verdict != "unsupported" and result.passage is not None:
            hit = hits[result.passage]
            citation = numbers.setdefault(hit.chunk.chunk_id, cite(len(numbers) + 1, hit))
            evidence = result.evidence.strip().lstrip("-•* ").strip() or hit.chunk.text
            lines.append(f"{messages.text('check_says', language)}{evidence}[{citation.n}]")
    refused = all(v == "unsupported" for v in verdicts)
    citations = tuple(numbers.values())
    if refused:
        citations = tuple(cite(i + 1, hit) for i, hit in enumerate(nearest[:NEAREST]))
    return Answer(question=text, text="\n".join(lines), citations=citations, refused=refused, mode="check",
                  language=language, timings={"total": (time.perf_counter() - started) * 1000},
                  note="verdicts: " + ",".join(verdicts))
