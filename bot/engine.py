"""The answer engine: question (+ the earlier turn) → Answer. No Telegram here; the CLI and the bot render it.

    engine = Engine(Settings.from_env())
    answer = engine.answer("这篇文章的要点是什么？")
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from index.build import BuildReport, build
from index.loader import open_index
from index.retrieve import Hit, HybridRetriever, Query
from index.store import ArticleIndex
from index.text import clean, language_of

from . import kinds, messages, overview
from .answer import Answer, RefusalReason, Retrieved, Turn
from .evidence import candidates, confidence, model_for
from .extractive import choose, quote
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
        """Offline answers for many questions at once: one batched embedding call for all of them."""
        started = time.perf_counter()
        prepared = [self._prepare(q) for q, _ in questions]
        todo = [i for i, p in enumerate(prepared) if not isinstance(p, Answer)]
        embedded = self.embedder.embed_queries([_dense_text(prepared[i][0], questions[i][1]) for i in todo]) if todo else []
        vector_of = dict(zip(todo, embedded))
        embed_ms = (time.perf_counter() - started) * 1000
        answers: list[Answer] = []
        for i, item in enumerate(prepared):
            if isinstance(item, Answer):
                answers.append(item)
                continue
            text, language, note = item
            answers.append(self._offline(questions[i][0], text, language, note, questions[i][1], vector_of[i],
                                         time.perf_counter(), embed_ms))
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
        query = retriever.prepare(text, context=previous.question if previous else "")
        hits = self._search(retriever, query)
        offline = self._compose(question, query, hits, language, note, retriever, started)
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

    def _offline(self, question, text, language, note, previous, vector, started, embed_ms) -> Answer:
        retriever = self.retriever
        query = retriever.prepare(text, context=previous.question if previous else "", vector=vector)
        query.timings["embed"] = embed_ms
        hits = self._search(retriever, query)
        return self._compose(question, query, hits, language, note, retriever, started)

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


def _dense_text(text: str, previous: Turn | None) -> str:
    from index.retrieve import dense_text

    return dense_text(text, previous.question if previous else "")


def _retrieved(hits: list[Hit]) -> tuple[Retrieved, ...]:
    return tuple(Retrieved(h.chunk.chunk_id, h.chunk.text, h.score, h.found_by) for h in hits)
