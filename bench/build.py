"""Index build: full build throughput against the bare model, a no-change rebuild, adding one article.

- Full build: index.build.build() into an empty index directory, model already loaded (as in a running bot's
  /reload or a second `index build`), against model.encode() of exactly the texts that build embeds
  (each paragraph with its heading path, and each sentence, deduplicated), alternated, medians.
  Ratio = build throughput ÷ raw encode throughput on those texts (= encode seconds ÷ build seconds).
  Done on the seed corpus (12 paragraphs: fixed costs dominate) and on a synthetic corpus of 50 articles.
- No-change rebuild: build() again on an unchanged corpus (in process), `python -m index build` as a
  command (process start + imports included), and build(force=True) (every file rewritten, no re-embedding).
- Adding one article: copy of the corpus, one new 12-paragraph article, build(): seconds, texts embedded/reused.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .common import PY, ROOT, say, summary, write

RATIO_TARGET = 0.9
NOCHANGE_TARGET_S = 1.0


def texts_build_embeds(corpus_dir: Path) -> tuple[int, list[str]]:
    """The chunk count and the distinct texts a fresh build sends to the model, as index/build.py lists them."""
    from index.chunking import chunk_document
    from index.readers import read_corpus
    from index.store import text_key
    from index.text import split_sentences

    documents, _ = read_corpus(corpus_dir)
    chunks = [c for d in documents for c in chunk_document(d)]
    texts = [c.embed_text for c in chunks] + [s for c in chunks for s in split_sentences(c.text)]
    unique = {text_key(t): t for t in texts}
    return len(chunks), list(unique.values())


def full_build(corpus_dir: Path, embedder, work: Path, reps: int) -> dict:
    from index.build import build
    from index.settings import IndexSettings

    chunks, texts = texts_build_embeds(corpus_dir)
    model = embedder.model
    build_s, encode_s, embedded = [], [], None
    for rep in range(reps):
        settings = IndexSettings(corpus_dir=corpus_dir, index_dir=work / f"full-{rep}")
        report = build(settings, embedder, progress=False)
        build_s.append(report.seconds)
        embedded = report.embedded
        t = time.perf_counter()
        model.encode(texts, batch_size=embedder.batch_size, convert_to_numpy=True, show_progress_bar=False)
        encode_s.append(time.perf_counter() - t)
        shutil.rmtree(settings.index_dir, ignore_errors=True)
    b, e = summary(build_s)["p50"], summary(encode_s)["p50"]
    paired = [x / y for x, y in zip(encode_s, build_s)]
    ratio = summary(paired)["p50"]      # median of the paired (back-to-back) ratios: robust to a busy neighbour
    return {"chunks": chunks, "texts": len(texts), "embedded_by_build": embedded, "reps": reps,
            "build_s": summary(build_s), "encode_s": summary(encode_s),
            "build_chunks_per_s": chunks / b, "build_texts_per_s": len(texts) / b,
            "encode_texts_per_s": len(texts) / e, "encode_chunks_per_s": chunks / e,
            "ratio": ratio, "ratio_of_medians": e / b, "ratio_per_rep": paired, "target": RATIO_TARGET,
            "met": ratio >= RATIO_TARGET}


def batch_sizes(corpus_dir: Path, embedder, sizes=(8, 16, 32, 64), reps: int = 3) -> dict:
    """model.encode of the build's texts at several batch sizes, interleaved, medians: a batch is padded to its
    longest text, so on mixed lengths the batch size decides much of the cost."""
    _, texts = texts_build_embeds(corpus_dir)
    model = embedder.model
    seconds: dict[int, list[float]] = {bs: [] for bs in sizes}
    for _ in range(reps):
        for bs in sizes:
            t = time.perf_counter()
            model.encode(texts, batch_size=bs, convert_to_numpy=True, show_progress_bar=False)
            seconds[bs].append(time.perf_counter() - t)
    return {"texts": len(texts), "reps": reps, "product_batch_size": embedder.batch_size,
            "texts_per_s_by_batch_size": {bs: len(texts) / summary(s)["p50"] for bs, s in seconds.items()}}


def no_change(corpus_dir: Path, embedder, work: Path, reps: int, profile: bool) -> dict:
    from index.build import build
    from index.settings import IndexSettings

    settings = IndexSettings(corpus_dir=corpus_dir, index_dir=work / "nochange")
    build(settings, embedder, progress=False)
    in_process = [build(settings, embedder, progress=False) for _ in range(reps)]
    assert all(r.up_to_date for r in in_process)
    forced = [build(settings, embedder, force=True, progress=False) for _ in range(reps)]
    env = dict(os.environ, INDEX_DIR=str(settings.index_dir), CORPUS_DIR=str(corpus_dir), PYTHONPATH=str(ROOT))
    command = []
    for _ in range(max(1, reps // 2)):
        t = time.perf_counter()
        subprocess.run([PY, "-m", "index", "build"], cwd=ROOT, env=env, check=True, capture_output=True)
        command.append(time.perf_counter() - t)
    profile = command_profile(env) if profile else None
    shutil.rmtree(settings.index_dir, ignore_errors=True)
    s = summary([r.seconds for r in in_process])
    return {"in_process_s": s, "forced_rewrite_s": summary([r.seconds for r in forced]),
            "forced_embedded": forced[-1].embedded, "command_s": summary(command), "command_profile": profile,
            "target_s": NOCHANGE_TARGET_S, "met": s["p50"] <= NOCHANGE_TARGET_S,
            "command_met": summary(command)["p50"] <= NOCHANGE_TARGET_S}


def command_profile(env: dict) -> dict:
    """Where a no-change `python -m index build` spends its time: the slowest top-level imports (-X importtime),
    and the same up-to-date check in a process that never creates the embedder (so never imports torch)."""
    out = subprocess.run([PY, "-X", "importtime", "-m", "index", "build"], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stderr
    imports = []
    for line in out.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("  "):
            imports.append((int(parts[1]) / 1e6, parts[2].strip()))       # top level only: cumulative seconds
    check = ("from index.build import is_current; from index.settings import IndexSettings; "
             "s = IndexSettings.from_env(); assert is_current(s, s.embedding_model)")
    t = time.perf_counter()
    subprocess.run([PY, "-c", check], cwd=ROOT, env=env, check=True, capture_output=True)
    return {"slowest_imports_s": {name: seconds for seconds, name in sorted(imports, reverse=True)[:6]},
            "check_without_embedder_s": time.perf_counter() - t}


def add_article(corpus_dir: Path, embedder, work: Path, pool, reps: int) -> dict:
    from index.build import build
    from index.settings import IndexSettings

    from .synth import write_articles

    corpus = work / "add-corpus"
    shutil.copytree(corpus_dir, corpus)
    settings = IndexSettings(corpus_dir=corpus, index_dir=work / "add-index")
    base = build(settings, embedder, progress=False)
    runs = []
    for rep in range(reps):
        write_articles(corpus, 1, pool, seed=100 + rep, first=9000 + rep)
        r = build(settings, embedder, progress=False)
        runs.append({"seconds": r.seconds, "embedded": r.embedded, "reused": r.reused, "chunks": r.chunks})
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(settings.index_dir, ignore_errors=True)
    return {"base_chunks": base.chunks, "runs": runs, "seconds": summary([r["seconds"] for r in runs])}


def main(quick: bool = False) -> dict:
    from index.embedders import SentenceTransformerEmbedder

    from .synth import Pool, write_articles

    work = Path(tempfile.mkdtemp(prefix="bench-build-"))
    try:
        embedder = SentenceTransformerEmbedder()
        embedder.model                                 # load once, outside every timing
        # a warm process, as a bot's /reload: jieba's dictionary and OpenCC are loaded before the timings
        from index.tokenize import tokenize

        tokenize("预热 warm-up")
        pool = Pool.make(sentence_variants=10 if quick else 40)
        synthetic = work / "synthetic-corpus"
        articles = 25
        corpora = [("seed", ROOT / "corpus")]
        if not quick:
            write_articles(synthetic, articles, pool)
            corpora.append((f"synthetic_{articles}_articles", synthetic))
        result = {}
        say("build: full build vs raw model.encode on the same texts…")
        for (name, corpus), reps in zip(corpora, (1, 1) if quick else (5, 2)):
            r = result.setdefault("full", {})[name] = full_build(corpus, embedder, work, reps)
            say(f"  {name}: {r['chunks']} chunks, {r['texts']} texts; build {r['build_s']['p50']:.2f} s "
                f"({r['build_chunks_per_s']:.1f} chunks/s), encode {r['encode_s']['p50']:.2f} s → ratio {r['ratio']:.2f} "
                f"(target ≥ {RATIO_TARGET})")
        say("build: no-change rebuild…")
        for name, corpus in corpora:
            r = result.setdefault("no_change", {})[name] = no_change(corpus, embedder, work, 2 if quick else 5, not quick)
            say(f"  {name}: in process {r['in_process_s']['p50'] * 1000:.0f} ms, forced rewrite "
                f"{r['forced_rewrite_s']['p50']:.2f} s, `python -m index build` {r['command_s']['p50']:.2f} s")
        say("build: adding one article…")
        for name, corpus in [] if quick else corpora:
            r = result.setdefault("add_article", {})[name] = add_article(corpus, embedder, work, pool, 1 if quick else 3)
            say(f"  {name} ({r['base_chunks']} chunks) + 1 article: {r['seconds']['p50']:.2f} s, "
                f"embedded {r['runs'][-1]['embedded']}, reused {r['runs'][-1]['reused']}")
        if not quick:
            say("build: model.encode throughput by batch size (the product embeds passages in batches of 16)…")
            r = result["batch_sizes"] = batch_sizes(ROOT / "corpus", embedder)
            say("  seed texts/s: " + ", ".join(f"batch {k}: {v:.1f}" for k, v in r["texts_per_s_by_batch_size"].items()))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write("build", result, quick)
    return result


if __name__ == "__main__":
    import sys

    main("--quick" in sys.argv)
