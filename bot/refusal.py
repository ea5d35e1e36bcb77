"""Whether to answer: one calibrated decision on the evidence's confidence, and what a refusal says.

The confidence is the evidence model's probability that the articles answer (bot/evidence.py). A question
is refused below its language's threshold; the thresholds were chosen on development data by the criterion
recorded in the evidence model's file (the highest that keeps false refusals of answerable questions at
or under 3 %). Below a lower one (1 %) no passage comes close: an LLM, if configured, is not asked either.
An answer from a passage in another language than the question's has thresholds of its own: its evidence
is mostly the embedding, and its confidences run lower.
"""
from __future__ import annotations

from . import messages
from .answer import Citation, RefusalReason, cite
from .evidence import FEATURES, Candidate, Model


def decide(candidates: list[Candidate], sureness: float, language: str, model: Model) -> RefusalReason:
    """Answer, or refuse with the reason; `sureness`: the candidates' confidence (bot.evidence.confidence).
    NO_EVIDENCE (below the 1 % threshold) is not worth an LLM call; LOW_CONFIDENCE is, the model reading the
    passages and deciding."""
    if not candidates:
        return RefusalReason.NO_PASSAGES
    key = threshold_key(language, bool(candidates[0].features[FEATURES.index("other_language")]))
    if sureness < _threshold(model.certain, key, language):
        return RefusalReason.NO_EVIDENCE
    if sureness < _threshold(model.thresholds, key, language):
        return RefusalReason.LOW_CONFIDENCE
    return RefusalReason.NONE


def threshold_key(language: str, across: bool) -> str:
    """Which threshold judges an answer: the question's language, and whether the answer is across languages."""
    return f"{language}-across" if across else language


def _threshold(thresholds: dict[str, float], key: str, language: str) -> float:
    return thresholds.get(key, thresholds.get(language, thresholds["all"]))


def nearest_passages(hits, language: str, count: int = 3) -> tuple[str, tuple[Citation, ...]]:
    """A refusal: say the articles don't cover it, and list the nearest passages as citations."""
    citations = tuple(cite(n, hit) for n, hit in enumerate(hits[:count], 1))
    lines = [messages.text("not_covered", language)]
    lines += [f"[{c.n}] {c.where}" for c in citations]
    return "\n".join(lines), citations
