"""The value that crosses every boundary: an answer with its sources."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from index.chunking import heading_path


class RefusalReason(str, Enum):
    """Why an answer is a refusal; NONE when it isn't one."""
    NONE = ""
    EMPTY_QUESTION = "empty_question"     # nothing to ask: empty, punctuation only
    NO_PASSAGES = "no_passages"           # retrieval found nothing at all
    NO_EVIDENCE = "no_evidence"           # no passage comes close: below the lower threshold, no LLM is asked
    LOW_CONFIDENCE = "low_confidence"     # the best evidence is below the calibrated threshold (bot/refusal.py)
    MODEL_DECLINED = "model_declined"     # the LLM read the passages and said they don't answer


@dataclass(frozen=True)
class Citation:
    n: int            # the [n] marker used in the answer text
    doc: str          # article title
    section: str      # heading path inside the article ("" for the lead)
    chunk_id: str     # stable id: "<article slug>#<ordinal>"
    text: str         # the full passage quoted

    @property
    def where(self) -> str:
        """"article › section", as the answer's source list writes it."""
        return heading_path(self.doc, self.section)


def cite(n: int, hit) -> Citation:
    """The citation [n] for a retrieved passage (an index.retrieve.Hit)."""
    c = hit.chunk
    return Citation(n=n, doc=c.doc_title, section=c.section, chunk_id=c.chunk_id, text=c.text)


@dataclass(frozen=True)
class Retrieved:
    chunk_id: str
    text: str
    score: float
    found_by: tuple[str, ...] = ()   # "dense", "keyword"


@dataclass(frozen=True)
class Answer:
    question: str
    text: str                         # answer with [n] markers
    citations: tuple[Citation, ...]
    refused: bool                     # the articles don't cover the question
    mode: str                         # "extractive" | "llm" | "fallback" | "llm_rejected" | "invalid" | "check"
    language: str                     # "zh" | "en": language of the question
    retrieved: tuple[Retrieved, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)   # stage -> milliseconds
    note: str = ""                    # why a fallback happened, etc. (never secrets)
    confidence: float = 0.0           # 0..1: probability that the evidence answers (bot/evidence.py)
    refusal_reason: RefusalReason = RefusalReason.NONE
    # (start, end, style) over text, style "b" | "i" | "code": the LLM's emphasis (bot/llm_text.py). Spans, not
    # markup in the text: the text stays plain for claims, JSON and storage, and only the renderer makes tags.
    emphasis: tuple[tuple[int, int, str], ...] = ()

    def to_json(self) -> dict:
        """The stable JSON shape other tools read (`python -m bot ask --json`)."""
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "mode": self.mode,
            "confidence": round(self.confidence, 4),
            "refusal_reason": self.refusal_reason.value or None,
            "note": self.note,
            "citations": [
                {"n": c.n, "doc": c.doc, "section": c.section, "chunk_id": c.chunk_id, "text": c.text}
                for c in self.citations
            ],
            "retrieved": [{"chunk_id": r.chunk_id, "text": r.text, "score": round(r.score, 4)} for r in self.retrieved],
            "latency_ms": round(self.timings.get("total", 0.0), 1),
        }


@dataclass(frozen=True)
class Turn:
    """An earlier question and answer, context for a follow-up."""
    question: str
    answer: str
