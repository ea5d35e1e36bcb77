"""Several questions in one message: how a message is cut into its questions, and how their answers are put together."""
from types import SimpleNamespace

import pytest

from bot.answer import Answer, Citation, RefusalReason
from bot.parts import combine, merged_hits, question_parts


@pytest.mark.parametrize("message, parts", [
    ("GPU价格怎么样？字节跳动有多少GPU？", ["GPU价格怎么样？", "字节跳动有多少GPU？"]),
    ("字节跳动有多少GPU？为什么？", ["字节跳动有多少GPU？", "为什么？"]),
    ("What is X? And when did Y happen? Thanks.", ["What is X?", "And when did Y happen? Thanks."]),
    ("我想问一下。X是什么？Y在哪？", ["我想问一下。X是什么？", "Y在哪？"]),
])
def test_a_message_is_cut_after_each_question_mark(message, parts):
    assert question_parts(message) == parts


@pytest.mark.parametrize("message", [
    "字节跳动有多少GPU？谢谢！",           # thanks ask nothing: they stay with the question
    "请问字节跳动有多少GPU？谢谢",
    "《谁动了我的奶酪？》是谁写的？",        # a question mark inside a title ends nothing
    "？？字节跳动有多少GPU？",             # punctuation alone is no question
    "a? b? c? d?",                        # more than MAX_PARTS: a list, answered as one
    "大佬们，字节跳动到底有多少GPU啊",
    "https://example.com/page?id=3 这个链接说了什么？",   # a link's query string asks nothing
])
def test_one_question_stays_one(message):
    assert question_parts(message) == [message]


def _hit(chunk_id):
    return SimpleNamespace(chunk=SimpleNamespace(chunk_id=chunk_id, doc_title="T", section="", text=chunk_id))


def test_passages_are_taken_in_turn_each_once_up_to_the_limit():
    found = [[_hit("a"), _hit("b"), _hit("c")], [_hit("b"), _hit("d")]]
    assert [h.chunk.chunk_id for h in merged_hits(found, 3)] == ["a", "b", "d"]     # b twice counts once


def _answer(text, chunk_ids, refused=False, confidence=0.9):
    citations = tuple(Citation(n, "T", "", chunk_id, chunk_id) for n, chunk_id in enumerate(chunk_ids, 1))
    reason = RefusalReason.LOW_CONFIDENCE if refused else RefusalReason.NONE
    return Answer("q", text, citations, refused, "extractive", "zh", confidence=confidence, refusal_reason=reason)


def test_citations_are_numbered_across_the_parts_and_each_part_sits_under_its_question():
    first = _answer("甲[1]乙[2]", ["a#1", "b#1"], confidence=0.9)
    second = _answer("丙[1]丁[2]", ["b#1", "c#1"], confidence=0.6)
    combined = combine("Q1？Q2？", ["Q1？", "Q2？"], [first, second], [], "zh")
    assert combined.text == "Q1？\n甲[1]乙[2]\n\nQ2？\n丙[2]丁[3]"
    assert [(c.n, c.chunk_id) for c in combined.citations] == [(1, "a#1"), (2, "b#1"), (3, "c#1")]
    assert [combined.text[s:e] for s, e, style in combined.emphasis if style == "b"] == ["Q1？", "Q2？"]
    assert combined.confidence == 0.6 and not combined.refused


def test_a_part_the_articles_dont_cover_says_so_and_the_rest_is_answered():
    combined = combine("Q1？Q2？", ["Q1？", "Q2？"], [_answer("甲[1]", ["a#1"]), _answer("x", [], refused=True)],
                       [], "zh")
    assert not combined.refused and combined.text.endswith("Q2？\n文章没有涉及这一问。")


def test_when_no_part_is_covered_the_whole_is_one_refusal_with_the_nearest_passages():
    answers = [_answer("x", [], refused=True, confidence=0.1), _answer("y", [], refused=True, confidence=0.2)]
    combined = combine("Q1？Q2？", ["Q1？", "Q2？"], answers, [_hit("a#1")], "zh")
    assert combined.refused and combined.refusal_reason == RefusalReason.LOW_CONFIDENCE
    assert combined.text.startswith("文章没有涉及这个问题") and [c.chunk_id for c in combined.citations] == ["a#1"]
