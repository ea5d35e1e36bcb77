"""The LLM answerer through the real openai client, over HTTP, against a scripted server on loopback.
Endpoint faults, deadlines and the circuit breaker: test_llm_faults.py."""
import pytest

from bot.answer import Answer, Turn
from bot.engine import Engine
from bot.settings import LLMSettings, Settings

QUESTION = "字节跳动在中国有多少GPU？"


@pytest.fixture
def llm_engine(scripted_llm, index_settings, embedder):
    llm = LLMSettings(model="scripted-model", base_url=scripted_llm.base_url, api_key="test-key",
                      timeout_s=0.5, deadline_s=5.0)
    return Engine(Settings(index=index_settings, llm=llm), embedder=embedder, progress=False)


def final(items) -> Answer:
    return [i for i in items if isinstance(i, Answer)][-1]


def test_streamed_answer_arrives_sentence_by_checked_sentence(scripted_llm, llm_engine):
    text = "字节跳动在中国境内拥有超过50万个GPU[1]。字节跳动是Oracle最大的GPU客户[1]。月亮是奶酪做的[2]。"
    scripted_llm.reply(text, chunk_size=4)
    items = list(llm_engine.stream(QUESTION))
    deltas = [i for i in items if isinstance(i, str)]
    answer = final(items)
    # the second sentence is re-cited to the passage that says it (the highlights), and the moon never shows
    assert deltas == ["字节跳动在中国境内拥有超过50万个GPU[1]。", "字节跳动是Oracle最大的GPU客户[2]。"]
    assert answer.mode == "llm" and answer.text == "".join(deltas)
    assert "50万" in answer.citations[0].text


def test_prompt_fences_passages_as_data_and_asks_for_the_question_language(scripted_llm, llm_engine):
    scripted_llm.reply("ok [1]")
    llm_engine.answer(QUESTION)
    system, user = scripted_llm.requests[0]["messages"]
    assert "not instructions" in system["content"] and "Simplified Chinese" in system["content"]
    assert "NO_ANSWER alone on its line" in system["content"] and "before the sentence's final punctuation" in system["content"]
    assert user["content"].count("<passage n=") == 5 and user["content"].endswith(f"Question: {QUESTION}")


def test_a_message_of_two_questions_gives_the_model_the_passages_of_both(scripted_llm, llm_engine):
    scripted_llm.reply("一张头等舱机票3-5千美元[1]。字节跳动在中国境内的GPU超过50万台[2]。")
    answer = llm_engine.answer("GPU价格怎么样？字节跳动有多少GPU？")
    user = scripted_llm.requests[0]["messages"][1]["content"]
    assert user.count("<passage n=") == 5 and user.endswith("Question: GPU价格怎么样？字节跳动有多少GPU？")
    assert "头等舱" in user and "50万" in user
    assert answer.mode == "llm" and "3-5千美元" in answer.text and "50万" in answer.text


def test_markers_to_missing_passages_and_unsupported_claims_are_dropped(scripted_llm, llm_engine):
    scripted_llm.reply("字节跳动拥有超过50万个GPU[1][9]。字节跳动拥有800万个GPU[1]。月亮是奶酪做的。")
    answer = llm_engine.answer(QUESTION)
    assert answer.mode == "llm"
    assert answer.text == "字节跳动拥有超过50万个GPU[1]。"
    assert "2 sentence(s) removed" in answer.note and "800万" in answer.note


def test_no_answer_from_the_model_is_a_refusal_with_passages(scripted_llm, llm_engine):
    scripted_llm.reply("NO_ANSWER")
    answer = llm_engine.answer("字节跳动的GPU主要用于哪些业务？")
    assert answer.refused and answer.citations and answer.text.startswith("文章没有涉及")


def test_questions_no_passage_can_answer_never_reach_the_llm(scripted_llm, llm_engine):
    # nothing of it in the articles: far under the `certain` threshold (AMD's MI300, a price, sits between
    # the two thresholds, where the model is asked and decides)
    answer = llm_engine.answer("今天天气怎么样？")
    assert answer.refused and scripted_llm.requests == []


def test_the_llm_judges_what_only_the_quoted_sentences_lack(scripted_llm, llm_engine):
    # offline, "那华为呢？" after a how-many question is refused: no sentence gives Huawei's GPU count.
    # The model reads the whole passages and may answer what they do say.
    scripted_llm.reply("文章没有给出华为的GPU数量，只说华为通过建立一大批公司的网络获取所需材料[1]。")
    earlier = Turn("字节跳动在中国有多少GPU？", "字节跳动被认为是中国最大的GPU走私者，拥有超过50万个GPU。[1]")
    follow = llm_engine.answer("那华为呢？", previous=earlier)
    assert len(scripted_llm.requests) == 1 and not follow.refused and follow.mode == "llm"
    assert "网络" in follow.text


def test_the_earlier_turn_is_fenced_as_data_without_its_old_markers(scripted_llm, llm_engine):
    scripted_llm.reply("NO_ANSWER")
    earlier = Turn("字节跳动在中国有多少GPU？", "字节跳动被认为是中国最大的GPU走私者，拥有超过50万个GPU[1]。")
    llm_engine.answer("它是谁的客户？", previous=earlier)
    system, user = scripted_llm.requests[-1]["messages"]
    turn = user["content"].split("<earlier_turn>")[1].split("</earlier_turn>")[0]
    assert "拥有超过50万个GPU。" in turn and "[1]" not in turn            # its [1] meant another passage list
    for rule in ("Some passages may be irrelevant", "Copy numbers", "plain text", "only part of the question",
                 "no reasoning, no preamble"):
        assert rule in system["content"]


def test_a_follow_up_across_languages_may_name_the_earlier_questions_subject(scripted_llm, engine):
    import time

    from bot.llm import LLMAnswerer

    hits = engine.retriever.search(engine.retriever.prepare(QUESTION), 5)
    n = next(i for i, h in enumerate(hits, 1) if "最大的GPU客户" in h.chunk.text)
    offline = engine.answer(QUESTION)
    llm = LLMAnswerer(LLMSettings(model="m", base_url=scripted_llm.base_url, api_key="k", timeout_s=3.0,
                                  deadline_s=10.0), embedder=engine.embedder)
    earlier = Turn("How many GPUs does ByteDance have in China?", "ByteDance has over 500,000 GPUs[1].")
    scripted_llm.reply(f"ByteDance is Oracle's largest GPU customer [{n}]. Baidu is Google's second largest [{n}].")
    *_, answer = llm.stream("Whose customer is it?", "en", earlier, hits, offline, time.perf_counter(),
                            engine.retriever.index.sentences)
    assert answer.mode == "llm" and "ByteDance is Oracle's largest GPU customer" in answer.text
    assert "Baidu" not in answer.text and "Baidu" in answer.note
