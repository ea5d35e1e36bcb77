"""Keyword search: the product's sparse-matrix BM25 (index/keyword.py) against bm25s, on the same tokens.

python -m bench.bm25 — indexes the dev corpus's passages (CMRC 2018 trial + SQuAD Normans, eval/datasets.py)
repeated to ~10,000 and ~100,000 passages, and times building and answering the dev questions with each.
Prints ms per query, build seconds and the ratio, and how often the two agree on the top passage.
"""
from __future__ import annotations

import time

import numpy as np


def main() -> int:
    import bm25s

    from eval.datasets import development_sets
    from index.chunking import chunk_document
    from index.keyword import KeywordIndex
    from index.readers import Document
    from index.tokenize import tokenize

    corpus, questions = development_sets()
    passages = [c.embed_text for slug, text in corpus.items()
                for c in chunk_document(Document(slug, slug, "", "", "", text, ""))]
    tokens = [tokenize(p) for p in passages]
    queries = [tokenize(q.text) for q in questions][:500]
    print(f"{len(passages)} passages, {len(queries)} questions")
    for copies in (1, 20, 200):
        docs = tokens * copies
        t = time.perf_counter()
        ours = KeywordIndex.build(docs)
        ours_build = time.perf_counter() - t
        t = time.perf_counter()
        theirs = bm25s.BM25(k1=1.2, b=0.75)
        theirs.index(docs, show_progress=False)
        theirs_build = time.perf_counter() - t
        vocab = set(theirs.vocab_dict)
        t = time.perf_counter()
        top_ours = [ours.search({w: 1.0 for w in q}, 5) for q in queries]
        ours_query = (time.perf_counter() - t) / len(queries) * 1000
        asked = [[w for w in q if w in vocab] or ["\x00"] for q in queries]
        t = time.perf_counter()
        found = [theirs.retrieve([q], k=5, show_progress=False) if q != ["\x00"] else None for q in asked]
        theirs_query = (time.perf_counter() - t) / len(queries) * 1000
        # copies tie: the same passage is any of its copies
        agree = np.mean([bool(f is not None and o[0][0] % len(tokens) == int(f[0][0][0]) % len(tokens))
                         for o, f in zip(top_ours, found) if o])
        print(f"{len(docs):>7} passages: build {ours_build:6.2f} s vs bm25s {theirs_build:6.2f} s "
              f"({theirs_build / ours_build:.1f}x); query {ours_query:6.3f} ms vs {theirs_query:6.3f} ms "
              f"({theirs_query / ours_query:.1f}x); same top passage {agree:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
