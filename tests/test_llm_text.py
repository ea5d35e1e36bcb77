"""Unit tests of the parts that read a model's text: citation forms (bot.citations) and normalisation
(bot.llm_text). End to end, through the scripted server: test_llm_replay.py."""
import pytest

from bot import citations, llm_text


@pytest.mark.parametrize("written, expected", [
    ("答案[1]。", "答案[1]。"), ("答案【2】。", "答案[2]。"), ("答案［2］。", "答案[2]。"), ("A [1-3].", "A [1][2][3]."),
    ("A [1–2].", "A [1][2]."), ("B [1, 2].", "B [1][2]."), ("B 【1，3】。", "B [1][3]。"), ("C[^1].", "C[1]."),
    ("D (1).", "D[1]."), ("D（2）。", "D[2]。"), ("E [citation:1].", "E [1]."), ("F (Source 1).", "F [1]."),
    ("F [Source: 2].", "F [2]."), ("G（段落1）。", "G[1]。"), ("H [段落2]。", "H [2]。"), ("W [1†source].", "W [1]."),
    ("Z<sup>2</sup>.", "Z[2]."), ("根据段落1，字节跳动拥有50万个GPU。", "字节跳动拥有50万个GPU[1]。"),
    ("According to passage 2, bytedance rents GPUs.", "Bytedance rents GPUs[2]."),
    ("(1) 第一步", "(1) 第一步"),                                   # an enumeration, not a citation
])
def test_every_citation_form_becomes_brackets(written, expected):
    assert citations.normalise(written)[0] == expected


@pytest.mark.parametrize("written, body, refs", [
    ("答案[1]。\n\n参考：\n[1] 亮点\n[2] 新加坡", "答案[1]。", (1, 2)),
    ("答案[^1]。\n\n[^1]: 亮点：字节跳动…", "答案[1]。", (1,)),
    ("答案。\n\n来源：[1][4]", "答案。", (1, 4)),
    ("Answer.\n\n**Sources:**\n- [3] Highlights", "Answer.", (3,)),
])
def test_a_references_list_is_cut_off_and_returned(written, body, refs):
    assert citations.normalise(written) == (body, refs)


def sentences(text):
    out = llm_text.split(llm_text.to_lines(citations.normalise(llm_text.strip_reasoning(text))[0]))
    for s in out:
        s.numbers = list(s.markers)
    return out


def test_a_marker_after_the_full_stop_belongs_to_the_sentence_before_it():
    ss = sentences("甲说了一件事。[1]乙说了另一件事。[2]")
    assert [(s.body, s.markers) for s in ss] == [("甲说了一件事", (1,)), ("乙说了另一件事", (2,))]
    ss = sentences("One thing is said. [1] Another thing. [2]")
    assert [(s.body, s.markers) for s in ss] == [("One thing is said", (1,)), ("Another thing", (2,))]


def test_reasoning_is_dropped_even_when_it_never_closes():
    assert llm_text.strip_reasoning("<think>想一想</think>答案[1]。") == "答案[1]。"
    assert llm_text.strip_reasoning("答案[1]。<think>还没想完") == "答案[1]。"


def test_markdown_is_rendered_as_plain_lines():
    text = ("### 标题\n**加粗**的句子[1]。\n\n- 要点一[1]。\n* 要点二[2]。\n1. 第一[1]。\n2. 第二[2]。\n"
            "| 公司 | 数量 |\n|---|---|\n| 甲 | 5 |\n```\n代码里的句子\n```\n---\n[链接文字](https://x.org)")
    assert llm_text.join(sentences(text)) == ("加粗的句子[1]。\n• 要点一[1]。\n• 要点二[2]。\n1. 第一[1]。\n2. 第二[2]。\n"
                                             "公司: 甲，数量: 5\n代码里的句子\n链接文字")


def test_sentences_join_without_spaces_in_chinese_and_with_them_in_english():
    assert llm_text.join(sentences("甲[1]。乙[2]。")) == "甲[1]。乙[2]。"
    assert llm_text.join(sentences("One [1]. Two [2].")) == "One[1]. Two[2]."


@pytest.mark.parametrize("text", ["NO_ANSWER", "**NO_ANSWER**", "`NO_ANSWER`.", "no answer", "NO-ANSWER"])
def test_no_answer_in_any_formatting(text):
    assert llm_text.is_no_answer(text)


@pytest.mark.parametrize("body, rest", [
    ("文章没有提到字节跳动的GPU用于哪些业务", ""),
    ("抱歉，根据提供的段落，我无法回答这个问题", ""),
    ("I don't know based on the passages provided", ""),
    ("The passages do not mention what ByteDance uses its GPUs for", ""),
    ("文章没有给出华为的GPU数量，只说华为通过建立一大批公司的网络获取所需材料", "华为通过建立一大批公司的网络获取所需材料"),
    ("The article does not say how many, but it mentions that Huawei built a network", "Huawei built a network"),
])
def test_refusals_in_prose_and_what_follows_them(body, rest):
    assert llm_text.refusal_clause(body) == (True, rest)


@pytest.mark.parametrize("body", ["文章指出字节跳动拥有超过50万个GPU", "ByteDance does not own Oracle", "字节跳动没有违反规定"])
def test_answers_are_not_refusals(body):
    assert llm_text.refusal_clause(body)[0] is False


def test_abbreviations_end_no_sentence():
    ss = sentences("The U.S. government banned exports [1]. Dr. Patel said so, e.g. on a podcast [2].")
    assert [s.body for s in ss] == ["The U.S. government banned exports", "Dr. Patel said so, e.g. on a podcast"]


def emphasised(text):
    return llm_text.emphasis(llm_text.join(sentences(text), styled=True))


def test_bold_italic_and_code_become_spans_beside_the_plain_text():
    text, spans = emphasised("**字节跳动**拥有`H100`芯片[1]。*Oracle* is a <b>customer</b> [2].")
    assert text == "字节跳动拥有H100芯片[1]。Oracle is a customer[2]."
    assert [(text[s:e], style) for s, e, style in spans] == [("字节跳动", "b"), ("H100", "code"), ("Oracle", "i"),
                                                              ("customer", "b")]
    assert [s.body for s in sentences("**字节跳动**拥有芯片[1]。")] == ["字节跳动拥有芯片"]   # what is checked


def test_a_mark_whose_partner_was_dropped_is_ignored_and_no_span_crosses_a_line():
    kept = sentences("**甲说了一件事[1]。乙说了另一件事**[2]。丙[3]。")
    assert llm_text.emphasis(llm_text.join(kept[1:], styled=True)) == ("乙说了另一件事[2]。丙[3]。", ())
    opened = llm_text.MARKS["b"][0]
    assert llm_text.emphasis(f"{opened}甲\n乙{llm_text.MARKS['b'][1]}") == ("甲\n乙", ())


def test_private_use_characters_in_the_models_text_are_not_taken_for_emphasis():
    assert emphasised("甲\ue000说了\ue001一件事[1]。") == ("甲说了一件事[1]。", ())
