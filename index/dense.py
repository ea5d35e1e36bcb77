"""FAISS over unit vectors: inner product = cosine. Exact by default; HNSW or IVF for big corpora."""
from __future__ import annotations

import math

import faiss
import numpy as np

HNSW_M = 32
HNSW_EF_SEARCH = 96
IVF_NPROBE = 96          # recall@10 ≥ 0.95 against flat at 100k and 1M paragraphs (BENCHMARKS.md)


def build_faiss(vectors: np.ndarray, kind: str = "flat") -> faiss.Index:
    n, dim = vectors.shape
    match kind:
        case "hnsw":
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 64
            index.hnsw.efSearch = HNSW_EF_SEARCH
        case "ivf" if n >= 1000:
            n_lists = max(1, min(int(4 * math.sqrt(n)), n // 39))
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, n_lists, faiss.METRIC_INNER_PRODUCT)
            sample = vectors[np.random.default_rng(0).choice(n, min(n, n_lists * 64), replace=False)]
            index.train(sample)
            index.nprobe = IVF_NPROBE
        case _:  # "flat", and IVF on a corpus too small to train clusters
            index = faiss.IndexFlatIP(dim)
    if n:
        index.add(vectors)
    return index


def search(index: faiss.Index, query_vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores and row ids, k per query; rows of -1 (fewer hits than k) are left for the caller to skip."""
    k = max(1, min(k, index.ntotal))
    return index.search(np.ascontiguousarray(query_vectors, dtype=np.float32), k)


def load_faiss(path) -> faiss.Index:
    index = faiss.read_index(str(path))
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    elif hasattr(index, "nprobe"):
        faiss.extract_index_ivf(index).nprobe = IVF_NPROBE
    return index
