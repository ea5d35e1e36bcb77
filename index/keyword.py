"""BM25 over keyword tokens, as a sparse matrix so a query costs one sparse column sum."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from scipy import sparse

from .glossary import equivalents
from .romanized import Romanized
from .tokenize import general_rarity, normalize, tokenize, words

K1, B = 1.2, 0.75
EQUIVALENT_WEIGHT = 0.7   # a glossary equivalent counts a little less than the word the user typed
# an earlier turn's words, when the question is a follow-up: chosen with bot/evidence.py's CONTEXT_WEIGHT on
# the fit split of python -m eval.followups (0.3 -> 0.6 with 0.25 -> 0.5 there: pronoun follow-ups cite the
# right article 0.86 -> 0.91, topic switches unchanged)
CONTEXT_WEIGHT = 0.6
MORPHEME_CREDIT = 0.5     # an unknown word whose characters a sentence has is half found


@dataclass(frozen=True)
class Concept:
    """One word of a question as the corpus sees it."""
    word: str
    spellings: frozenset[str]   # the word and its glossary equivalents: finding any finds the word
    parts: tuple[str, ...]      # sub-words of a compound, each finding a share of it (part_coverage)
    mass: float                 # how specific it is: IDF of its commonest spelling the corpus uses
    in_corpus: float            # 1 when some article uses one of its spellings, else part_coverage of its parts used

    def found_in(self, tokens: frozenset[str], text: str = "") -> float:
        """1 when a spelling is in tokens, else part_coverage of the compound's parts that are. Given the text
        the tokens came from, a Chinese word no article uses gets a little credit for each of its characters
        the text has: a paraphrase often keeps a morpheme (购买 → 采购, 值钱 → 价值, 违规 → 法规)."""
        if not self.spellings.isdisjoint(tokens):
            return 1.0
        found = part_coverage(self.word, [p for p in self.parts if p in tokens])
        if text and not found and not self.in_corpus:
            hanzi = [ch for ch in self.word if "\u3400" <= ch <= "\u9fff"]
            if hanzi:
                found = MORPHEME_CREDIT * sum(ch in text for ch in hanzi) / len(hanzi)
        return found


def part_coverage(word: str, parts: list[str]) -> float:
    """How much of a compound these of its sub-words find: the share of its characters they cover, squared
    (标准 finds 4/9 of 标准杆, 中国 4/25 of 中国共产党). Counting found sub-words instead gave 标准 all of 标准杆,
    its only sub-word, and a passage on any 标准 scored as one on the 标准杆. Measured on the report half of the
    development sets (python -m eval.fit --dry-run): questions about left-out articles refused 0.873 -> 0.900
    (covered share, not squared: 0.891), false refusals 0.7 % either way, the top sentence unchanged."""
    if not parts:
        return 0.0
    covered = [False] * len(word)
    for part in parts:
        start = word.find(part)
        while start >= 0:
            covered[start:start + len(part)] = [True] * len(part)
            start = word.find(part, start + 1)
    return (sum(covered) / len(word)) ** 2


class KeywordIndex:
    def __init__(self, vocab: dict[str, int], weights: sparse.csc_matrix, idf: np.ndarray):
        self.vocab = vocab
        self.weights = weights          # docs × terms, BM25 weight of each term in each doc
        self.idf = idf
        self.max_idf = float(idf.max()) if len(idf) else 1.0

    @classmethod
    def build(cls, docs_tokens: list[list[str]]) -> "KeywordIndex":
        vocab: dict[str, int] = {}
        rows, cols, tfs = [], [], []
        lengths = np.zeros(len(docs_tokens), dtype=np.float32)
        for row, tokens in enumerate(docs_tokens):
            lengths[row] = len(tokens)
            for term, tf in Counter(tokens).items():
                rows.append(row)
                cols.append(vocab.setdefault(term, len(vocab)))
                tfs.append(tf)
        n_docs = max(len(docs_tokens), 1)
        rows_a, cols_a = np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64)
        tf_a = np.array(tfs, dtype=np.float32)
        df = np.bincount(cols_a, minlength=len(vocab)).astype(np.float32)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        avg_len = float(lengths.mean()) if len(lengths) and lengths.mean() > 0 else 1.0
        norm = K1 * (1 - B + B * lengths[rows_a] / avg_len)
        values = idf[cols_a] * tf_a * (K1 + 1) / (tf_a + norm)
        weights = sparse.csc_matrix((values, (rows_a, cols_a)), shape=(len(docs_tokens), len(vocab)), dtype=np.float32)
        return cls(vocab, weights, idf)

    def term_weights(self, text: str, context: str = "", context_weight: float = CONTEXT_WEIGHT) -> dict[str, float]:
        """Query terms with weights: typed words 1, glossary equivalents less, earlier-turn words less still."""
        weights: dict[str, float] = {}

        def add(term: str, w: float):
            if w > weights.get(term, 0.0):
                weights[term] = w

        for source, base in ((text, 1.0), (context, context_weight)):
            for token in tokenize(source) if source else []:
                add(token, base)
                for eq in equivalents(token):
                    add(eq, base * EQUIVALENT_WEIGHT)
            for _, chinese in self._names(source):
                for word in chinese:
                    add(word, base * EQUIVALENT_WEIGHT)
        return weights

    @cached_property
    def romanized(self) -> Romanized:
        return Romanized(self.vocab)

    def _names(self, text: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        """The Chinese words of the corpus the text's Latin words spell in pinyin (index/romanized.py)."""
        text = normalize(text) if text else ""
        return self.romanized.names(text) if any("a" <= ch <= "z" for ch in text) else []

    def concepts(self, text: str, judge_unknown: bool = True) -> list[Concept]:
        """The words of a question, each weighed once however many spellings or sub-words it has.
        A word no article uses is as specific as the rarest word — when the question is in the articles'
        language. In another language an untranslatable word says nothing either way, so it weighs 0."""
        found = []
        for word, parts in words(text):
            spellings = frozenset((word, *equivalents(word)))
            # the most common spelling: a concept is as specific as all its spellings together
            used = [self.idf[self.vocab[s]] for s in spellings if s in self.vocab]
            if used:
                mass, in_corpus = float(min(used)), 1.0
            else:   # no article uses the word; a compound's parts may still be used
                mass = self.max_idf * general_rarity(word) if judge_unknown else 0.0
                in_corpus = part_coverage(word, [p for p in parts if p in self.vocab])
            found.append(Concept(word, spellings, parts, mass, in_corpus))
        return self._with_names(text, found)

    def _with_names(self, text: str, found: list[Concept]) -> list[Concept]:
        """A romanized name (Bi Sheng, Heilongjiang) is one concept with the Chinese words it spells as spellings,
        in place of its Latin words; the Latin words stay spellings of it, found in part in an English text."""
        for latin, chinese in self._names(text):
            spellings = frozenset((*latin, *chinese)) if len(latin) == 1 else frozenset(chinese)
            mass = float(min(self.idf[self.vocab[s]] for s in spellings if s in self.vocab))
            found = [c for c in found if c.word not in latin]
            found.append(Concept(" ".join(latin), spellings, latin if len(latin) > 1 else (), mass, 1.0))
        return found

    def scores(self, term_weights: dict[str, float]) -> np.ndarray:
        cols, w = [], []
        for term, weight in term_weights.items():
            col = self.vocab.get(term)
            if col is not None:
                cols.append(col)
                w.append(weight)
        if not cols:
            return np.zeros(self.weights.shape[0], dtype=np.float32)
        return np.asarray(self.weights[:, cols] @ np.array(w, dtype=np.float32)).ravel()

    def search(self, term_weights: dict[str, float], k: int) -> list[tuple[int, float]]:
        scores = self.scores(term_weights)
        k = min(k, len(scores))
        if k == 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def save(self, directory: Path) -> None:
        sparse.save_npz(directory / "keyword.npz", self.weights.tocsc())
        np.save(directory / "keyword_idf.npy", self.idf)
        (directory / "keyword_vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> "KeywordIndex":
        vocab = json.loads((directory / "keyword_vocab.json").read_text(encoding="utf-8"))
        return cls(vocab, sparse.load_npz(directory / "keyword.npz").tocsc(), np.load(directory / "keyword_idf.npy"))
