"""Evaluate retrieval and answers on a question set: python -m eval.seed eval/dev.jsonl [--out FILE]

Each line: {"question", "lang", "evidence": [article substrings], "answer": [[alternatives], …]}
(empty evidence and answer = the articles don't answer it). Prints a table and writes JSON.
This is the one tool that looks at the whole product, so it imports the answer engine from bot/.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

RETRIEVERS = ("keyword", "dense", "hybrid")
K = 5


def load_questions(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def first_relevant_rank(hits, evidence: list[str]) -> int | None:
    for rank, hit in enumerate(hits, 1):
        if any(ev in hit.chunk.text for ev in evidence):
            return rank
    return None


def retrieval_metrics(ranks: list[int | None]) -> dict:
    n = len(ranks) or 1
    return {
        "recall@1": sum(1 for r in ranks if r == 1) / n,
        "recall@3": sum(1 for r in ranks if r and r <= 3) / n,
        "recall@5": sum(1 for r in ranks if r and r <= 5) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
        "n": len(ranks),
    }


def is_correct(answer_text: str, groups: list[list[str]]) -> bool:
    text = answer_text.lower()
    return all(any(alt.lower() in text for alt in group) for group in groups)


def citations_valid(answer, index) -> bool:
    """Every marker points at a listed citation; every citation quotes a real chunk; quoted sentences exist."""
    numbers = {c.n for c in answer.citations}
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.text)}
    if not markers <= numbers:
        return False
    for c in answer.citations:
        row = index.by_id.get(c.chunk_id)
        if row is None or index.chunks[row].text != c.text:
            return False
    if answer.mode == "extractive" and not answer.refused:
        by_n = {c.n: c.text for c in answer.citations}
        for sentence, n in re.findall(r"(.+?)\[(\d+)\]", answer.text):
            if sentence.strip() not in by_n.get(int(n), ""):
                return False
    return True


def evaluate(engine, questions: list[dict]) -> dict:
    from index.retrieve import HybridRetriever

    report: dict = {"retrieval": {}, "answers": {}}
    retrievers = {m: HybridRetriever(engine.index, engine.embedder, m, engine.settings.index.embedding_languages)
                  for m in RETRIEVERS}
    answerable = [q for q in questions if q["evidence"]]
    for mode, retriever in retrievers.items():
        by_lang: dict[str, list] = {}
        for q in answerable:
            hits = retriever.search(retriever.prepare(q["question"]), K)
            by_lang.setdefault(q["lang"], []).append(first_relevant_rank(hits, q["evidence"]))
        report["retrieval"][mode] = {lang: retrieval_metrics(r) for lang, r in sorted(by_lang.items())}

    rows = []
    for q in questions:
        answer = engine.answer(q["question"])
        rows.append({"id": q.get("id"), "lang": q["lang"], "answerable": bool(q["evidence"]),
                     "refused": answer.refused, "correct": bool(q["answer"]) and not answer.refused and is_correct(answer.text, q["answer"]),
                     "citations_valid": citations_valid(answer, engine.index), "chars": len(answer.text),
                     "mode": answer.mode, "latency_ms": answer.timings.get("total", 0.0), "answer": answer.text})
    for lang in sorted({r["lang"] for r in rows}) + ["all"]:
        subset = [r for r in rows if lang == "all" or r["lang"] == lang]
        ans = [r for r in subset if r["answerable"]]
        unans = [r for r in subset if not r["answerable"]]
        refused = [r for r in subset if r["refused"]]
        report["answers"][lang] = {
            "accuracy": sum(r["correct"] for r in ans) / len(ans) if ans else None,
            "answerable": len(ans),
            "unanswerable": len(unans),
            "refused_unanswerable": sum(r["refused"] for r in unans),
            "false_refusals": sum(r["refused"] for r in ans),
            "refusal_precision": sum(not r["answerable"] for r in refused) / len(refused) if refused else None,
            "refusal_recall": sum(r["refused"] for r in unans) / len(unans) if unans else None,
            "citations_valid": sum(r["citations_valid"] for r in subset) / len(subset),
            "median_answer_chars": statistics.median(r["chars"] for r in ans if not r["refused"]) if any(not r["refused"] for r in ans) else None,
            "median_latency_ms": statistics.median(r["latency_ms"] for r in subset),
        }
    report["questions"] = rows
    report["embedding_model"] = engine.embedder.model_id
    report["mode"] = "llm" if engine.llm else "extractive"
    return report


def print_table(report: dict) -> None:
    print(f"embedding model: {report['embedding_model']}   answers: {report['mode']}")
    print(f"{'retriever':<9} {'lang':<4} {'R@1':>5} {'R@3':>5} {'R@5':>5} {'MRR':>5} {'n':>3}")
    for mode, langs in report["retrieval"].items():
        for lang, m in langs.items():   # three decimals: 35/37 = 0.946 must not print as 0.95
            print(f"{mode:<9} {lang:<4} {m['recall@1']:5.3f} {m['recall@3']:5.3f} {m['recall@5']:5.3f} {m['mrr']:5.3f} {m['n']:3d}")
    print()
    print(f"{'lang':<4} {'accuracy':>8} {'refused unans.':>14} {'false refusals':>14} {'ref.prec':>8} {'ref.rec':>7} "
          f"{'cites ok':>8} {'median chars':>12}")

    def f(v, spec="5.2f"):
        return format(v, spec) if v is not None else "  -  "

    for lang, a in report["answers"].items():
        print(f"{lang:<4} {f(a['accuracy'], '8.2f')} {a['refused_unanswerable']:>9d} of {a['unanswerable']:<2d} "
              f"{a['false_refusals']:>9d} of {a['answerable']:<2d} {f(a['refusal_precision'], '8.2f')} "
              f"{f(a['refusal_recall'], '7.2f')} {a['citations_valid']:8.2f} {f(a['median_answer_chars'], '12.0f')}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.seed", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--out", type=Path, default=Path("bench/results/eval.json"))
    parser.add_argument("--wrong", action="store_true", help="list the questions answered wrongly")
    args = parser.parse_args(argv)
    from bot.engine import Engine
    from bot.settings import Settings

    from index.errors import UserFacingError

    try:
        engine = Engine(Settings.from_env())
    except UserFacingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = evaluate(engine, load_questions(args.file))
    print_table(report)
    if args.wrong:
        for r in report["questions"]:
            if (r["answerable"] and not r["correct"]) or (not r["answerable"] and not r["refused"]):
                print(f"  {r['id']}: {r['answer'][:80]!r}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nwritten: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
