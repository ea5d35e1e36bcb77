"""Follow-up questions on articles the product wasn't built around: python -m eval.followups [--split fit|report]
[--set written]

Built from CMRC's Chinese questions that name their article's title (eval/datasets.py's dev corpus):
- a pronoun follow-up: the question with the title replaced by 它, asked after another question about the
  same article ("X的作者是谁？" then "它是哪年出版的？");
- a topic switch: the question as written, asked after a question about another article (the earlier
  turn must not pull the answer to its own article).
--set written: eval/written/followups.jsonl instead, 120 conversations a helper wrote from the written set's
articles alone (without the code or the other data): a question naming something, mostly not the article's subject
(a person, a part, a place in it), then one that refers to it by a pronoun ("Who was Dirk Coster?" then "Which
country did he help Meitner get into?"); asked of the written set's corpus, in both languages.
Prints, for each, the share answered with the gold span, the share whose first citation is from the right
article, and the share refused. The weights of the earlier question (index/keyword.py, bot/evidence.py)
were chosen on the fit split with this script; its fit split's follow-ups also train the evidence model
(eval/fit.py).
"""
from __future__ import annotations

import argparse
import random
import sys
from collections import defaultdict

from .datasets import Question, development_sets
from .seed import load_questions
from .squad import WRITTEN, contains_gold, engine_for


def followups(questions: list[Question], titles: dict[str, str], split: str, seed: int = 0):
    """(pronoun follow-ups, topic switches): each (question, earlier question, the question it stands for)."""
    rng = random.Random(seed)
    by_article: dict[str, list[Question]] = defaultdict(list)
    for q in questions:
        if q.split == split and q.answerable and q.language == "zh":
            by_article[q.article].append(q)
    pronoun, switch = [], []
    for article, group in sorted(by_article.items()):
        title = titles[article]
        naming = [q for q in group if len(title) >= 2 and title in q.text]
        for q in naming:
            others = [o for o in naming if o is not q]
            if not others:
                continue
            pronoun.append((q.text.replace(title, "它"), rng.choice(others).text, q))
            elsewhere = rng.choice([a for a in sorted(by_article) if a != article])
            switch.append((q.text, rng.choice(by_article[elsewhere]).text, q))
    return pronoun, switch


def written_followups() -> list[tuple[str, str, Question]]:
    """eval/written/followups.jsonl as (question, earlier question, the question with its gold spans)."""
    rows = load_questions(WRITTEN / "followups.jsonl")
    return [(r["question"], r["earlier"], Question(r["id"], r["question"], r["lang"], r["article"], tuple(r["answers"]),
                                                   True, "report")) for r in rows]


def score(engine, items) -> dict[str, float]:
    from bot.answer import Turn

    right = article = refused = 0
    for text, earlier, q in items:
        answer = engine.answer(text, previous=Turn(earlier, ""))
        refused += answer.refused
        right += not answer.refused and contains_gold(answer.text, q.answers)
        article += bool(not answer.refused and answer.citations
                        and answer.citations[0].chunk_id.split("#")[0] == q.article)
    n = len(items) or 1
    return {"n": len(items), "gold_span_in_answer": round(right / n, 3),
            "first_citation_right_article": round(article / n, 3), "refused": round(refused / n, 3)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.followups", description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("fit", "report"), default="report")
    parser.add_argument("--set", choices=("dev", "written"), default="dev")
    args = parser.parse_args(argv)
    if args.set == "written":
        engine = engine_for(WRITTEN / "corpus", "written")
        items = written_followups()
        print(f"pronoun follow-ups about the written set's articles, embedder {engine.embedder.model_id}")
        for language in ("zh", "en"):
            print(f"{language} ", score(engine, [item for item in items if item[2].language == language]))
        return 0
    corpus, questions = development_sets()
    engine = engine_for(corpus, "dev")
    titles = {c.doc_slug: c.doc_title for c in engine.index.chunks}
    pronoun, switch = followups(questions, titles, args.split)
    print(f"follow-ups, {args.split} split, embedder {engine.embedder.model_id}")
    print("pronoun follow-up ", score(engine, pronoun))
    print("topic switch      ", score(engine, switch))
    return 0


if __name__ == "__main__":
    sys.exit(main())
