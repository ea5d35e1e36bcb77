"""The quality targets of the offline default, measured on the dev question set."""
from pathlib import Path

from index.eval import evaluate, load_questions

DEV = Path(__file__).resolve().parent.parent / "eval" / "dev.jsonl"


def test_offline_default_meets_the_chinese_targets(engine):
    report = evaluate(engine, load_questions(DEV))
    zh = report["answers"]["zh"]
    hybrid, keyword, dense = (report["retrieval"][m] for m in ("hybrid", "keyword", "dense"))
    assert hybrid["zh"]["recall@1"] >= 0.95
    assert zh["accuracy"] >= 0.9
    answers = report["answers"]["all"]
    assert answers["refused_unanswerable"] >= 5 / 6 * answers["unanswerable"]
    assert answers["false_refusals"] <= 1
    assert report["answers"]["all"]["citations_valid"] == 1.0
    assert report["answers"]["all"]["median_answer_chars"] <= 150
    for lang in ("zh", "en"):   # fusion never worse than the better of its parts
        assert hybrid[lang]["recall@1"] >= max(keyword[lang]["recall@1"], dense[lang]["recall@1"])
