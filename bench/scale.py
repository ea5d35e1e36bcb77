"""Scale: synthetic corpora of 10k, 100k and 1M paragraphs (bench/synth.py says how they are made).

For the keyword index (real BM25 over real jieba tokens at every size) and each FAISS index type (flat, IVF,
and HNSW up to 100k: its build is too slow at 1M on 2 cores): build time, peak RSS while building, size on
disk, single-query search p50/p95, recall@10 of the approximate indexes against flat on the same vectors
(with an nprobe / efSearch sweep), and the product's hybrid retrieval (index.retrieve.HybridRetriever:
keyword + dense + fusion + sentence re-rank) at each size.

Each size runs in its own process (`python -m bench.scale --worker SIZE ...`) so memory figures are per
size. The parent makes the sentence pool once (real MiniLM vectors, real jieba tokens). The full run also
embeds the real paragraph texts of one corpus to check the synthetic vectors against real ones.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from index.retrieve import CANDIDATES      # what the product asks each retriever for, per question

from .common import PY, ROOT, PeakRSS, load_questions, maxrss_mb, say, summary, write

K = 10                  # recall@K against flat
NPROBES = (8, 16, 24, 32, 48, 64, 96, 128, 192, 256)
EF_SEARCHES = (32, 64, 96, 128, 256)
RECALL_TARGET = 0.95
LATENCY_TARGET_MS = 20.0
HNSW_MAX = 100_000
REAL_PARAGRAPHS = 3_000


# ---------------------------------------------------------------- parent: pool, queries, orchestration

def prepare_pool(directory: Path, quick: bool, real: int | None) -> dict:
    """Pool texts with their tokens and MiniLM vectors, the query vectors, and (real) real paragraph vectors."""
    from index.embedders import SentenceTransformerEmbedder
    from index.tokenize import tokenize

    from .synth import Corpus, Pool

    pool = Pool.make(3, 3, 3) if quick else Pool.make()
    tokens = [tokenize(t) for t in pool.texts]
    embedder = SentenceTransformerEmbedder()
    t = time.perf_counter()
    # batch 16: same vectors as the product's 64, faster on these short texts (see build.json's batch sizes)
    vectors = embedder.model.encode(pool.texts, batch_size=16, normalize_embeddings=True, show_progress_bar=False)
    embed_s = time.perf_counter() - t
    dev = [q["question"] for q in load_questions()]
    extra = [pool.sentences[i] for i in np.random.default_rng(7).choice(len(pool.sentences), 131, replace=False)]
    queries = dev + extra
    (directory / "pool.json").write_text(json.dumps({
        "sentences": pool.sentences, "headings": pool.headings, "titles": pool.titles, "tokens": tokens,
        "queries": queries, "dev_queries": len(dev)}, ensure_ascii=False), encoding="utf-8")
    np.save(directory / "pool_vectors.npy", vectors)
    np.save(directory / "query_vectors.npy", embedder.embed_queries(queries))
    info = {"sentences": len(pool.sentences), "headings": len(pool.headings), "titles": len(pool.titles),
            "embed_s": embed_s, "queries": len(queries), "dev_queries": len(dev)}
    if real:
        corpus = Corpus.make(real, pool)
        texts = [corpus.embed_text(i, pool) for i in range(real)]
        t = time.perf_counter()
        real_vectors = embedder.model.encode(texts, batch_size=16, normalize_embeddings=True, show_progress_bar=False)
        seconds = time.perf_counter() - t
        np.save(directory / f"real_vectors_{real}.npy", real_vectors)
        cosine = np.einsum("ij,ij->i", real_vectors, corpus.vectors(vectors, pool))
        info["real_check"] = {"paragraphs": real, "embed_s": seconds, "paragraphs_per_s": real / seconds,
                              "cosine_real_vs_composed": summary(cosine.tolist())}
    return info


def run_worker(size: int, directory: Path, vectors: str, kinds: list[str]) -> dict:
    out = directory / f"result_{size}_{vectors}.json"
    cmd = [PY, "-m", "bench.scale", "--worker", str(size), "--pool", str(directory), "--vectors", vectors,
           "--kinds", ",".join(kinds), "--out", str(out)]
    t = time.perf_counter()
    code = subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT))).returncode
    if code != 0:
        return {"size": size, "vectors": vectors, "error": f"worker exited {code}"}
    result = json.loads(out.read_text())
    result["wall_s"] = time.perf_counter() - t
    return result


def main(quick: bool = False) -> dict:
    sizes = [10_000] if quick else [10_000, 100_000, 1_000_000]
    real = None if quick else REAL_PARAGRAPHS
    tmp = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        say("scale: sentence pool (real jieba tokens, real MiniLM vectors)…")
        pool = prepare_pool(tmp, quick, real)
        say(f"  {pool['sentences']} sentences, {pool['headings']} headings, {pool['titles']} titles; "
            f"embedded in {pool['embed_s']:.1f} s")
        if real:
            c = pool["real_check"]
            say(f"  {real:,} real paragraphs embedded at {c['paragraphs_per_s']:.0f}/s; cosine real vs composed "
                f"vector p50 {c['cosine_real_vs_composed']['p50']:.3f}")
        runs = []
        for size in sizes:
            kinds = ["flat", "ivf"] + (["hnsw"] if size <= HNSW_MAX and not quick else [])
            say(f"scale: {size:,} paragraphs ({', '.join(kinds)})…")
            runs.append(run_worker(size, tmp, "composed", kinds))
            _print_run(runs[-1])
        if real:       # the same corpus with composed and with real vectors
            for vectors in ("composed", "real"):
                say(f"scale: {real:,} paragraphs, {vectors} vectors…")
                runs.append(run_worker(real, tmp, vectors, ["flat", "ivf", "hnsw"]))
                _print_run(runs[-1])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result = {"pool": pool, "runs": runs, "k": K,
              "targets": {"p50_ms_at_1M": LATENCY_TARGET_MS, "recall@10": RECALL_TARGET}}
    write("scale", result, quick)
    return result


def _print_run(run: dict) -> None:
    if "error" in run:
        say(f"  ERROR: {run['error']}")
        return
    kw = run["keyword"]
    say(f"  keyword: build {kw['build']['seconds']:.1f} s, peak +{kw['build']['rss_peak_delta_mb']:.0f} MB, "
        f"disk {kw['disk_mb']:.0f} MB, search p50 {kw['search_ms']['p50']:.2f} ms "
        f"(scores {kw['scores_ms']['p50']:.2f}, top-k {kw['search_ms']['p50'] - kw['scores_ms']['p50']:.2f})")
    for kind, d in run["dense"].items():
        recall = f", recall@10 {d['recall@10']:.3f}" if "recall@10" in d else ""
        say(f"  {kind:5s}: build {d['build']['seconds']:.1f} s, peak +{d['build']['rss_peak_delta_mb']:.0f} MB, "
            f"disk {d['disk_mb']:.0f} MB, search p50 {d['search_ms']['p50']:.2f} p95 {d['search_ms']['p95']:.2f} ms "
            f"(1 thread p50 {d['search_ms_1thread']['p50']:.2f}){recall}")
    for name, h in run["hybrid"].items():
        say(f"  hybrid with {name}: p50 {h['total_ms']['p50']:.2f} p95 {h['total_ms']['p95']:.2f} ms (dense "
            f"{h['dense_ms']['p50']:.2f}, keyword {h['keyword_ms']['p50']:.2f}, fusion {h['fusion_ms']['p50']:.2f})")
    say(f"  peak RSS of the process {run['maxrss_mb']:.0f} MB, wall {run['wall_s']:.0f} s")


# ---------------------------------------------------------------- worker: one size

def _disk_mb(paths) -> float:
    return sum(Path(p).stat().st_size for p in paths) / 2**20


def _time_ms(fn, items, rounds: int) -> list[float]:
    for item in items[:10]:
        fn(item)                       # warm-up
    out = []
    for _ in range(rounds):
        for item in items:
            t = time.perf_counter()
            fn(item)
            out.append((time.perf_counter() - t) * 1000)
    return out


def recall_at_k(truth: np.ndarray, found: np.ndarray) -> float:
    return float(np.mean([len(set(t) & set(f[f >= 0])) / len(t) for t, f in zip(truth, found)]))


@contextlib.contextmanager
def faiss_threads(n: int):
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def worker(size: int, directory: Path, vectors_kind: str, kinds: list[str]) -> dict:
    from index.keyword import KeywordIndex

    from .synth import Corpus, Pool

    data = json.loads((directory / "pool.json").read_text(encoding="utf-8"))
    pool = Pool(data["sentences"], data["headings"], data["titles"])
    queries, dev = data["queries"], data["dev_queries"]
    query_vectors = np.load(directory / "query_vectors.npy")
    rounds = 3 if size <= 100_000 else 1
    files = directory / f"index_{size}_{vectors_kind}"
    files.mkdir(exist_ok=True)
    result: dict = {"size": size, "vectors": vectors_kind}

    corpus = Corpus.make(size, pool)
    with PeakRSS() as compose:
        tokens = corpus.tokens(data["tokens"], pool)
    with PeakRSS() as build:
        keyword = KeywordIndex.build(tokens)
    del tokens
    gc.collect()
    t = time.perf_counter()
    keyword.save(files)
    save_s = time.perf_counter() - t
    terms = [keyword.term_weights(q) for q in queries[:dev]]
    weights = keyword.weights
    postings = [sum(int(weights.indptr[keyword.vocab[t] + 1] - weights.indptr[keyword.vocab[t]])
                    for t in tw if t in keyword.vocab) for tw in terms]
    result["keyword"] = {
        "compose_tokens_s": compose.seconds, "build": build.as_dict(), "save_s": save_s,
        "disk_mb": _disk_mb(files.glob("keyword*")), "vocab": len(keyword.vocab), "postings": int(weights.nnz),
        "postings_per_question": summary(postings),
        "search_ms": summary(_time_ms(lambda tw: keyword.search(tw, CANDIDATES), terms, rounds)),
        "scores_ms": summary(_time_ms(keyword.scores, terms, rounds)),     # the sparse product alone
    }

    with PeakRSS() as made:
        if vectors_kind == "real":
            vectors = np.load(directory / f"real_vectors_{size}.npy")
        else:
            vectors = corpus.vectors(np.load(directory / "pool_vectors.npy"), pool)
    result["vector_generation_s"] = made.seconds
    indexes, truth = dense(vectors, kinds, query_vectors, dev, rounds, files, result)
    hybrid = {kind: (kind, None) for kind in indexes}
    tuned = result["dense"].get("ivf", {}).get("nprobe_for_target")
    if tuned and tuned > result["dense"]["ivf"]["nprobe"]:          # the shipped nprobe misses the target
        hybrid[f"ivf, nprobe {tuned}"] = ("ivf", tuned)
    result["hybrid"] = hybrid_latency(corpus, pool, data["tokens"], keyword, vectors, indexes, hybrid,
                                      queries[:dev], query_vectors[:dev], rounds)
    for name, (kind, nprobe) in hybrid.items():          # the dense index's recall@10 at that setting
        d = result["dense"][kind]
        result["hybrid"][name]["recall@10"] = 1.0 if kind == "flat" else d["recall@10"] if not nprobe else \
            next(p["recall@10"] for p in d["sweep"] if p["nprobe"] == nprobe)
    result["maxrss_mb"] = maxrss_mb()
    shutil.rmtree(files, ignore_errors=True)
    return result


def dense(vectors, kinds, query_vectors, dev, rounds, files, result) -> tuple[dict, np.ndarray]:
    """Build each FAISS index as the product does (index.dense.build_faiss); time it, size it, check recall."""
    import faiss

    from index.dense import build_faiss
    from index.dense import search as dense_search

    indexes, truth, result["dense"] = {}, None, {}
    single = [query_vectors[i:i + 1] for i in range(len(query_vectors))]
    for kind in kinds:
        gc.collect()
        with PeakRSS() as build:
            index = build_faiss(vectors, kind)
        path = files / f"{kind}.faiss"
        faiss.write_index(index, str(path))
        d = {"build": build.as_dict(), "disk_mb": _disk_mb([path]), "type": type(index).__name__}
        path.unlink()
        queries = single[:dev] if kind == "flat" and len(vectors) >= 1_000_000 else single   # flat at 1M: slow
        search = lambda q: dense_search(index, q, CANDIDATES)   # noqa: E731
        d["search_ms"] = summary(_time_ms(search, queries, rounds))
        with faiss_threads(1):
            d["search_ms_1thread"] = summary(_time_ms(search, queries, rounds))
        _, ids = dense_search(index, query_vectors, K)
        if kind == "flat":
            truth = ids
        else:
            d["recall@10"] = recall_at_k(truth, ids)
            d["recall@10_dev_questions"] = recall_at_k(truth[:dev], ids[:dev])
            d.update(sweep(index, kind, query_vectors, single, truth))
        result["dense"][kind] = d
        indexes[kind] = index
    return indexes, truth


def sweep(index, kind: str, query_vectors, single, truth) -> dict:
    """recall@10 and single-query p50 at each nprobe (IVF) or efSearch (HNSW); the smallest meeting the target."""
    import faiss

    from index.dense import search as dense_search

    if kind == "ivf":
        knob, values, owner = "nprobe", NPROBES, faiss.extract_index_ivf(index)
    else:
        knob, values, owner = "efSearch", EF_SEARCHES, index.hnsw
    shipped = getattr(owner, knob)
    points = []
    for value in values:
        setattr(owner, knob, value)
        _, found = dense_search(index, query_vectors, K)
        ms = summary(_time_ms(lambda q: dense_search(index, q, CANDIDATES), single, 1))
        points.append({knob: value, "recall@10": recall_at_k(truth, found), "p50_ms": ms["p50"], "p95_ms": ms["p95"]})
    setattr(owner, knob, shipped)
    good = [p[knob] for p in points if p["recall@10"] >= RECALL_TARGET]
    out = {knob: shipped, "sweep": points, f"{knob}_for_target": min(good) if good else None}
    if kind == "ivf":
        out["nlist"] = owner.nlist
    return out


def hybrid_latency(corpus, pool, pool_tokens, keyword, vectors, indexes, configs, texts, text_vectors, rounds) -> dict:
    """The product's HybridRetriever over the synthetic index: prepare (query terms; the query vector is given,
    its embedding does not grow with the corpus) + search (dense + keyword + fusion + sentence re-rank)."""
    import faiss

    from index.chunking import Chunk
    from index.retrieve import HybridRetriever
    from index.store import ArticleIndex, SentenceTable

    n = len(corpus)
    chunks = [Chunk(chunk_id=f"synth-{i // 12}#{i % 12 + 1}", doc_slug=f"synth-{i // 12}",
                    doc_title=pool.titles[corpus.title[i]], section=pool.headings[corpus.heading[i]],
                    ordinal=i % 12 + 1, text=corpus.text(i, pool), sha256="", language="zh") for i in range(n)]
    lengths = corpus.n_sentences.astype(np.int64)
    pool_sentence = corpus.sentence_ids[corpus.sentence_ids >= 0]          # sentence row -> pool sentence
    token_sets = [frozenset(t) for t in pool_tokens[:len(pool.sentences)]]

    class PoolSentences(SentenceTable):
        """The product's sentence table; a sentence's tokens are its pool sentence's (the product caches them too)."""

        def tokens(self, row: int) -> frozenset[str]:
            return token_sets[pool_sentence[row]]

    sentences = PoolSentences(texts=[], chunk_of=np.repeat(np.arange(n), lengths),
                              starts=np.concatenate([[0], np.cumsum(lengths)]), vectors=vectors[:0])

    class Embedder:                    # never called: every query comes with its vector
        model_id = "all-MiniLM-L6-v2"

    out = {}
    for name, (kind, nprobe) in configs.items():
        faiss_index = indexes[kind]
        if nprobe:
            ivf = faiss.extract_index_ivf(faiss_index)
            shipped, ivf.nprobe = ivf.nprobe, nprobe
        index = ArticleIndex(Path("."), {"documents": {"synth": {"language": "zh"}}}, chunks, vectors, faiss_index,
                             keyword, sentences)
        retriever = HybridRetriever(index, Embedder())
        stages = []

        def one(i):
            query = retriever.prepare(texts[i], vector=text_vectors[i])
            retriever.search(query, 5)
            stages.append(query.timings)

        totals = _time_ms(one, list(range(len(texts))), rounds)
        stages = stages[-len(totals):]
        if nprobe:
            ivf.nprobe = shipped
        out[name] = {"nprobe": nprobe, "total_ms": summary(totals),
                     **{f"{s}_ms": summary([t[s] for t in stages]) for s in ("dense", "keyword", "fusion")}}
    return out


def _cli(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", type=int, help="(internal) measure one size")
    parser.add_argument("--pool", type=Path)
    parser.add_argument("--vectors", default="composed")
    parser.add_argument("--kinds", default="flat,ivf")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.worker:
        result = worker(args.worker, args.pool, args.vectors, args.kinds.split(","))
        args.out.write_text(json.dumps(result, default=float), encoding="utf-8")
    else:
        main(args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(_cli())
