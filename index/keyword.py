"""BM25 over keyword tokens, as a sparse matrix so a query costs one sparse column sum."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
from scipy import sparse

from .glossary import EQUIVALENTS
from .tokenize import tokenize

K1, B = 1.2, 0.75
EQUIVALENT_WEIGHT = 0.7   # a glossary equivalent counts a little less than the word the user typed


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

    def term_weights(self, text: str, context: str = "", context_weight: float = 0.3) -> dict[str, float]:
        """Query terms with weights: typed words 1, glossary equivalents less, earlier-turn words less still."""
        weights: dict[str, float] = {}

        def add(term: str, w: float):
            if w > weights.get(term, 0.0):
                weights[term] = w

        for source, base in ((text, 1.0), (context, context_weight)):
            for token in tokenize(source) if source else []:
                add(token, base)
                for eq in EQUIVALENTS.get(token, ()):
                    add(eq, base * EQUIVALENT_WEIGHT)
        return weights

    def idf_of(self, term: str) -> float:
        """IDF of a term; a term the corpus never uses is as specific as the rarest one."""
        col = self.vocab.get(term)
        return float(self.idf[col]) if col is not None else self.max_idf

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
