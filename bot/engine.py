"""The answer engine: question (+ the earlier turn) → Answer. No Telegram here; the CLI and the bot render it.

    engine = Engine(Settings.from_env())
    answer = engine.answer("这篇文章的要点是什么？")
"""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Iterator

from index.build import BuildReport, build
from index.keyword import KeywordIndex
from index.loader import open_index
from index.retrieve import Hit, HybridRetriever, Query, dense_text
from index.store import ArticleIndex
from index.text import clean, language_of

from . import kinds, messages, overview, pronouns
from .answer import Answer, RefusalReason, Retrieved, Turn
from .evidence import candidates, confidence, model_for
from .extractive import choose, quote
from .parts import combine, merged_hits, question_parts
from .refusal import decide, nearest_passages
from .settings import Settings

log = logging.getLogger(__name__)


class Engine:
    def __init__(self, settings: Settings, *, embedder=None, progress: bool = True):
        self.settings = settings
        self.embedder = embedder or settings.index.embedder()
        self.evidence_model = model_for(self.embedder.model_id)
        self._swap = threading.Lock()
        self._use(open_index(settings.index, self.embedder, progress=progress))
        self.llm = None
        if settings.llm.configured:
            from .llm import LLMAnswerer

            self.llm = LLMAnswerer(settings.llm, embedder=self.embedder)

    def _use(self, index: ArticleIndex) -> None:
        retriever = HybridRetriever(index, self.embedder, model_languages=self.settings.index.embedding_languages)
        with self._swap:
            self.index, self.retriever = index, retriever
        # spelling every Chinese word of a large corpus in pinyin takes seconds (4.8 s for 200,000 words): done
        # now, in the background, not while the first English question waits (index/romanized.py)
        threading.Thread(target=lambda: index.keyword.romanized, name="pinyin", daemon=True).start()

    def reload(self) -> BuildReport:
        """Re-index corpus/ (only what changed) and switch to it; questions in flight finish on the old one."""
        report = build(self.settings.index, self.embedder, progress=False)
        self._use(open_index(self.settings.index, self.embedder, progress=False))
        return report

    # -- the public entry points -------------------------------------------------------------------

    def answer(self, question: str, previous: Turn | None = None) -> Answer:
        final = None
        for item in self.stream(question, previous):
            if isinstance(item, Answer):
                final = item
        return final

    def answer_many(self, questions: list[tuple[str, Turn | None]]) -> list[Answer]:
        """Offline answers for many questions at once: one batched embedding call for all of them (each part
        of a message that asks several)."""
        started = time.perf_counter()
        prepared = [self._prepare(q) for q, _ in questions]
        keyword = self.retriever.index.keyword
        asked = {i: _asked_parts(p[0], questions[i][1], keyword) for i, p in enumerate(prepared)
                 if not isinstance(p, Answer)}
        texts = [dense_text(searched, context) for i in asked for _, context, searched in asked[i]]
        vectors = iter(self.embedder.embed_queries(texts) if texts else [])
        embed_ms = (time.perf_counter() - started) * 1000
        answers: list[Answer] = []
        for i, item in enumerate(prepared):
            if isinstance(item, Answer):
                answers.append(item)
                continue
            text, language, note = item
            part_vectors = [next(vectors) for _ in asked[i]]
            _, answer = self._offline(self.retriever, questions[i][0], asked[i], language, note, time.perf_counter(),
                                      part_vectors, embed_ms)
            answers.append(answer)
        return answers

    def stream(self, question: str, previous: Turn | None = None) -> Iterator[str | Answer]:
        """Text deltas while an LLM writes (none offline), then the final, validated Answer."""
        started = time.perf_counter()
        prepared = self._prepare(question)
        if isinstance(prepared, Answer):
            yield prepared
            return
        text, language, note = prepared
        retriever = self.retriever
        hits, offline = self._offline(retriever, question, _asked_parts(text, previous, retriever.index.keyword),
                                      language, note, started)
        if self.llm is None or offline.refusal_reason in (RefusalReason.NO_PASSAGES, RefusalReason.NO_EVIDENCE):
            yield offline
            return
        yield from self.llm.stream(text, language, previous, hits, offline, started, retriever.index.sentences)

    def example_questions(self, language: str, count: int = 3) -> list[str]:
        """Questions to suggest (/start): from the corpus's own section headings, else its articles' titles,
        so they fit whatever articles are there."""
        chunks = self.index.chunks
        headings = list(dict.fromkeys(c.section.split(" › ")[-1] for c in chunks if c.section))
        if headings:
            return [messages.text("example_about_section", language, heading=h) for h in headings[:count]]
        titles = list(dict.fromkeys(c.doc_title for c in chunks))
        return [messages.text("example_about_article", language, title=t) for t in titles[:count]]

    # -- steps ---------------------------------------------------------------------------------------

    def _prepare(self, question: str) -> Answer | tuple[str, str, str]:
        """Clean the question; an empty one gets a clear message, an over-long one is cut (and says so)."""
        text = clean(question or "")
        language = language_of(text) if text else "zh"
        if not any(ch.isalnum() for ch in text):
            return Answer(question=question or "", text=messages.text("empty_question", language), citations=(),
                          refused=True, mode="invalid", language=language,
                          refusal_reason=RefusalReason.EMPTY_QUESTION)
        note = ""
        limit = self.settings.max_question_chars
        if len(text) > limit:
            text, note = text[:limit], messages.text("truncated", language, limit=limit)
        return text, language, note

    def _offline(self, retriever: HybridRetriever, question: str, asked: list[tuple[str, str, str]], language: str,
                 note: str, started: float, vectors=None, embed_ms: float | None = None) -> tuple[list[Hit], Answer]:
        """The offline answer and the passages it drew on. A message asking several questions (bot/parts.py) is
        answered part by part, each from its own passages; the LLM gets all of them."""
        found, answers = [], []
        for k, (part, context, searched) in enumerate(asked):
            query = retriever.prepare(searched, context=context, vector=vectors[k] if vectors else None)
            if embed_ms is not None:
                query.timings["embed"] = embed_ms
            hits = self._search(retriever, query)
            found.append(hits)
            answers.append(self._compose(question if len(asked) == 1 else part, query, hits, language,
                                         note if len(asked) == 1 else "", retriever, started))
        if len(asked) == 1:
            return found[0], answers[0]
        hits = merged_hits(found, self.settings.passages)
        answer = combine(question, [part for part, _, _ in asked], answers, hits, language)
        return hits, dataclasses.replace(answer, note=note, retrieved=_retrieved(hits),
                                         timings=dict(answer.timings, total=(time.perf_counter() - started) * 1000))

    def _search(self, retriever: HybridRetriever, query: Query) -> list[Hit]:
        if overview.asked(query.text, query.concepts):
            return overview.openings(retriever.index)
        return retriever.search(query, self.settings.passages)

    def _compose(self, question, query, hits, language, note, retriever, started) -> Answer:
        """The offline answer: quoted sentences, an outline, or a refusal, with its confidence."""
        t = time.perf_counter()
        if hits and hits[0].found_by == overview.FOUND_BY:
            (body, citations), reason, sureness = overview.compose(hits, language), RefusalReason.NONE, 1.0
        else:
            evidence = candidates(retriever.index, query, hits, kinds.asked_in(query.text, query.context),
                                  self.evidence_model)
            sureness = confidence(evidence, self.evidence_model)
            reason = decide(evidence, sureness, language, self.evidence_model)
            if reason:
                body, citations = nearest_passages(hits, language)
            else:
                body, citations = quote(choose(evidence), hits)
        timings = dict(query.timings, compose=(time.perf_counter() - t) * 1000,
                       total=(time.perf_counter() - started) * 1000)
        return Answer(question=question, text=body, citations=citations, refused=bool(reason), mode="extractive",
                      language=language, retrieved=_retrieved(hits), timings=timings, note=note,
                      confidence=sureness, refusal_reason=reason)


def _asked_parts(text: str, previous: Turn | None, keyword: KeywordIndex) -> list[tuple[str, str, str]]:
    """The message's questions, each with the earlier question it may follow up ("为什么？" after one) and as it
    is searched, a pronoun read as that earlier question's subject (bot/pronouns.py)."""
    parts = question_parts(text)
    earlier = [previous.question if previous else "", *parts[:-1]]
    return [(part, context, pronouns.resolve(part, context, keyword)) for part, context in zip(parts, earlier)]


def _retrieved(hits: list[Hit]) -> tuple[Retrieved, ...]:
    return tuple(Retrieved(h.chunk.chunk_id, h.chunk.text, h.score, h.found_by) for h in hits)
