"""Questions across languages in a corpus of both: python -m eval.mixed

The corpus: the seed article (Chinese), SQuAD's Normans (English) and the first 30 CMRC articles (Chinese).
The seed's dev questions, English and Chinese, must find the seed's passages although the Normans article
shares a few English words with the English ones; Normans' and CMRC's own questions show what the mix costs
them. Prints, per set: questions, the share whose first retrieved passage holds the evidence (or is from
the right article), and the share answered right.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .datasets import development_sets
from .seed import load_questions
from .squad import ROOT, contains_gold, engine_for

SEED_DEV = Path(__file__).resolve().parent / "dev.jsonl"
CMRC_ARTICLES = 30
QUESTIONS_PER_SET = 60


def mixed_corpus(corpus: dict[str, str]) -> dict[str, str]:
    articles = {f"seed-{p.stem}": p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("*.md"))}
    cmrc = sorted(k for k in corpus if k.startswith("cmrc"))[:CMRC_ARTICLES]
    chosen = [k for k in corpus if k.startswith("squad")] + cmrc
    return articles | {k: corpus[k] for k in chosen}


def seed_figures(engine, rows: list[dict]) -> tuple[int, float, float]:
    found = right = 0
    for r in rows:
        top = engine.retriever.search(engine.retriever.prepare(r["question"]), engine.settings.passages)[:1]
        found += any(ev in h.chunk.text for ev in r["evidence"] for h in top)
        answer = engine.answer(r["question"])
        gold = tuple(r["evidence"]) + tuple(x for alternatives in r["answer"] for x in alternatives)
        right += not answer.refused and contains_gold(answer.text, gold)
    return len(rows), round(found / len(rows), 2), round(right / len(rows), 2)


def dev_figures(engine, questions) -> tuple[int, float, float]:
    found = right = 0
    for q in questions:
        top = engine.retriever.search(engine.retriever.prepare(q.text), engine.settings.passages)
        found += bool(top) and top[0].chunk.doc_slug == q.article
        answer = engine.answer(q.text)
        right += not answer.refused and contains_gold(answer.text, q.answers)
    return len(questions), round(found / len(questions), 2), round(right / len(questions), 2)


def main() -> int:
    corpus, questions = development_sets()
    articles = mixed_corpus(corpus)
    engine = engine_for(articles, "mixed")
    seed = [r for r in load_questions(SEED_DEV) if r["evidence"]]
    print(f"mixed corpus ({len(articles)} articles), embedder {engine.embedder.model_id}")
    print("set        questions  first passage right  answered right")
    for language in ("en", "zh"):
        print(f"seed {language}  ", *seed_figures(engine, [r for r in seed if r["lang"] == language]), sep="  ")
    for name, prefix in (("normans", "squad"), ("cmrc   ", "cmrc")):
        chosen = [q for q in questions if q.article in articles and q.article.startswith(prefix) and q.answerable]
        print(name, *dev_figures(engine, chosen[:QUESTIONS_PER_SET]), sep="    ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
