"""Several questions in one message, answered part by part (bot/parts.py): python -m eval.compound

Messages are made from the report half of the development sets (eval/datasets.py), each two questions joined:
two questions about one article, about two articles, and a question followed by a follow-up that names its
subject only by a pronoun (eval/followups.py: "它是哪年出版的？" after a question naming the article's subject).
Reported: the answer holds both gold spans, at least one, the message refused; for the follow-up pairs, the
second part's block holds its gold span.
"""
from __future__ import annotations

import argparse
import random
import sys

from .datasets import Question, development_sets
from .followups import followups
from .squad import contains_gold, engine_for

PAIRS = 60


def joined(first: str, second: str) -> str:
    first = first.strip()
    mark = "" if first[-1] in "?？" else ("?" if first.isascii() else "？")
    return f"{first}{mark} {second}" if first.isascii() else f"{first}{mark}{second}"


def independent_pairs(questions: list[Question], language: str) -> dict[str, list[tuple[Question, Question]]]:
    """Consecutive answerable questions about one article; and each question with a random one about another."""
    asked = [q for q in questions if q.split == "report" and q.answerable and q.language == language]
    same = [(a, b) for a, b in zip(asked, asked[1:]) if a.article == b.article][:PAIRS]
    shuffled = random.Random(0).sample(asked, len(asked))
    other = [(a, b) for a, b in zip(asked, shuffled) if a.article != b.article][:PAIRS]
    return {"one article": same, "two articles": other}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.compound", description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    corpus, questions = development_sets()
    engine = engine_for(corpus, "dev")
    print(f"two questions in one message, report split, embedder {engine.embedder.model_id}")
    print(f"{'':<22}{'pairs':>6}{'both':>7}{'either':>8}{'refused':>9}")
    for language in ("zh", "en"):
        for kind, pairs in independent_pairs(questions, language).items():
            if not pairs:
                continue
            both = either = refused = 0
            for a, b in pairs:
                answer = engine.answer(joined(a.text, b.text))
                found = [not answer.refused and contains_gold(answer.text, q.answers) for q in (a, b)]
                both, either, refused = both + all(found), either + any(found), refused + answer.refused
            n = len(pairs)
            print(f"{language + ' ' + kind:<22}{n:>6}{both / n:>7.2f}{either / n:>8.2f}{refused / n:>9.2f}")
    titles = {c.doc_slug: c.doc_title for c in engine.index.chunks}
    pronoun, _ = followups(questions, titles, "report")
    pronoun = pronoun[:2 * PAIRS]
    second_right = 0
    for text, earlier, q in pronoun:
        answer = engine.answer(joined(earlier, text))
        second_right += not answer.refused and contains_gold(answer.text.split("\n\n")[-1], q.answers)
    print(f"question + pronoun follow-up, the follow-up's block holds its gold span: "
          f"{second_right / len(pronoun):.2f} of {len(pronoun)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
