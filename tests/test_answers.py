"""The offline answer engine end to end: real multilingual e5, FAISS, BM25 and the extractive answerer."""
import re

import pytest

from bot.answer import Turn


def test_bytedance_gpu_count_is_answered_with_a_citation(engine):
    answer = engine.answer("字节跳动在中国有多少GPU？")
    assert not answer.refused and answer.mode == "extractive"
    assert "50万" in answer.text and "[1]" in answer.text
    cited = answer.citations[0]
    assert cited.chunk_id.startswith("gpu-smuggling-china#") and cited.doc.startswith("揭秘")
    sentence = re.match(r"(.+?)\[1\]", answer.text).group(1)
    assert sentence in cited.text                    # quoted verbatim
    assert len(answer.text) < 200


def test_a_pronoun_follow_up_speaks_of_the_earlier_subject(engine):
    first = engine.answer("华为在2018年遭禁后是怎么获取材料的？")
    follow = engine.answer("它有多少GPU？", previous=Turn(first.question, first.text))
    assert "华为" in follow.retrieved[0].text
    assert "华为" in follow.text and "50万" not in follow.text      # not 字节跳动's GPUs
    assert follow.question == "它有多少GPU？"                        # shown as asked


@pytest.mark.parametrize("question", ["字节跳动有多少GPU？谢谢", "请问字节跳动有多少GPU？谢谢！", "大佬们，字节跳动到底有多少GPU啊",
                                      "字節跳動有多少GPU？"])
def test_polite_filler_and_traditional_characters_change_nothing(engine, question):
    answer = engine.answer(question)
    assert not answer.refused and "50万" in answer.text and answer.citations


def test_answers_carry_a_calibrated_confidence(engine):
    answered = engine.answer("字节跳动在中国有多少GPU？")
    refused = engine.answer("AMD的MI300在中国卖多少钱？")
    assert answered.confidence > refused.confidence
    assert answered.refusal_reason.value == "" and refused.refusal_reason.value in ("no_evidence", "low_confidence")


def test_unanswerable_question_is_refused_with_nearest_passages(engine):
    answer = engine.answer("AMD的MI300在中国卖多少钱？")
    assert answer.refused and answer.text.startswith("文章没有涉及")
    assert 1 <= len(answer.citations) <= 3
    english = engine.answer("Who won the 1998 football World Cup?")
    assert english.refused and english.text.startswith("The articles don't cover")


@pytest.mark.parametrize("question", ["", "   \n\t", "\x00\x07\x1b", "？？？", "🙂🙂"])
def test_empty_questions_get_a_clear_message(engine, question):
    answer = engine.answer(question)
    assert answer.mode == "invalid" and answer.refused and "问题" in answer.text


@pytest.mark.parametrize("question", [
    "字节跳动" * 2500,                                  # 10,000 characters
    "华为\u200b\u202e在2018年\x00\x1f怎么了？",            # zero-width, right-to-left, control characters
    "مرحبا GPU שלום 👨‍👩‍👧 华为",
    "<b>华为</b> & <script>alert(1)</script>",
])
def test_odd_questions_get_an_answer_not_a_traceback(engine, question):
    answer = engine.answer(question)
    assert answer.text and answer.mode in ("extractive", "invalid")
    assert "\x00" not in answer.text


def test_long_question_is_cut_and_says_so(engine):
    answer = engine.answer("字节跳动" * 2500)
    assert "1000" in answer.note


def test_two_questions_in_one_message_are_each_answered_under_their_question(engine):
    answer = engine.answer("GPU价格怎么样？字节跳动有多少GPU？")
    assert not answer.refused and answer.refusal_reason.value == ""
    price, count = answer.text.split("\n\n")
    assert price.startswith("GPU价格怎么样？\n") and "[1]" in price and "美元" in price
    assert count.startswith("字节跳动有多少GPU？\n") and "50万" in count
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)} == {c.n for c in answer.citations}


def test_a_part_of_a_message_the_articles_dont_cover_is_said_so(engine):
    answer = engine.answer("字节跳动有多少GPU？今天北京的天气怎么样？")
    assert not answer.refused and "50万" in answer.text
    assert answer.text.endswith("今天北京的天气怎么样？\n文章没有涉及这一问。")


def test_answer_many_matches_single_answers(engine):
    questions = ["字节跳动在中国有多少GPU？", "新加坡的电力短缺持续了多少年？", "", "GPU价格怎么样？字节跳动有多少GPU？"]
    batch = engine.answer_many([(q, None) for q in questions])
    single = [engine.answer(q) for q in questions]
    assert [a.text for a in batch] == [a.text for a in single]


def test_a_count_question_is_answered_by_the_sentence_with_the_count(engine):
    answer = engine.answer("Under the new US export rules, up to how many GPUs can be rented or bought at a time?")
    assert not answer.refused and "2000" in answer.text


@pytest.mark.parametrize("question, expected", [
    ("华为呢？", "华为"),                           # only a name: the asker wants to know about it
    ("Oracle和字节什么关系？", "Oracle"),             # two names meeting in one sentence is the answer
    ("Who is Nathan Lambert?", "Nathan Lambert"),
    ("字节跳动租了多少GPU？", "50万"),               # 租…多少GPU counts GPUs; it doesn't ask a price
    ("微软去哪了？", "马来西亚"),                     # 去 is too slight a word to miss
    ("字节跳动有多少张卡？", "50万"),                 # 多少张卡: not a person called 张卡
    ("How many H20s were shipped legally?", "100万"),  # H20s is H20
    ("马来西亚为什么是GPU天堂？", "马来西亚"),          # GPU天堂 is in the section heading only
    ("SemiAnalysis是什么机构？", "研究公司"),          # 机构 names what is asked; the answer needn't repeat it
])
def test_everyday_questions_the_articles_answer_are_not_refused(engine, question, expected):
    answer = engine.answer(question)
    assert not answer.refused and expected in answer.text


def test_words_only_a_section_heading_uses_still_find_its_section(engine):
    answer = engine.answer("为什么说GPU是新黑金？")
    assert not answer.refused and "新黑金" in answer.citations[0].section


@pytest.mark.parametrize("question", ["这篇文章讲了什么？", "What is this article about?", "总结一下", "文章有哪些要点？",
                                      "这篇文章的主要观点是什么？", "What are the key points?"])
def test_a_question_about_the_whole_article_is_answered_from_its_outline(engine, question):
    answer = engine.answer(question)
    assert not answer.refused and answer.citations[0].chunk_id == "gpu-smuggling-china#1"
    assert len(answer.citations) > 1                   # one line for each section, each cited
    assert all(f"[{c.n}]" in answer.text for c in answer.citations)


def test_a_summary_of_one_part_is_a_search_not_the_opening(engine):
    answer = engine.answer("总结一下华为的部分")
    assert [c.chunk_id for c in answer.citations] != ["gpu-smuggling-china#1"]
