"""Whether to answer: one calibrated decision on the evidence's confidence, and what a refusal says.

The confidence is the evidence model's probability that the articles answer (bot/evidence.py). A question
is refused below its language's threshold; the thresholds were chosen on development data by the criterion
recorded in the evidence model's file (the highest that keeps false refusals of answerable questions at
or under 3 %).
"""
from __future__ import annotations

from . import messages
from .answer import Citation, RefusalReason, cite
from .evidence import Candidate, Model


def decide(candidates: list[Candidate], sureness: float, language: str, model: Model) -> RefusalReason:
    """Answer, or refuse with the reason; `sureness`: the candidates' confidence (bot.evidence.confidence)."""
    if not candidates:
        return RefusalReason.NO_PASSAGES
    if sureness < model.thresholds.get(language, model.thresholds["all"]):
        return RefusalReason.LOW_CONFIDENCE
    return RefusalReason.NONE


def certain(sureness: float, language: str, model: Model) -> bool:
    """So little evidence that no passage can answer: the LLM is not asked. Its threshold keeps false
    refusals at or under 1 % on the development data; between it and the refusal threshold the model reads
    the passages and decides."""
    return sureness < model.certain.get(language, model.certain["all"])


def nearest_passages(hits, language: str, count: int = 3) -> tuple[str, tuple[Citation, ...]]:
    """A refusal: say the articles don't cover it, and list the nearest passages as citations."""
    citations = tuple(cite(n, hit) for n, hit in enumerate(hits[:count], 1))
    lines = [messages.text("not_covered", language)]
    lines += [f"[{c.n}] {c.where}" for c in citations]
    return "\n".join(lines), citations
