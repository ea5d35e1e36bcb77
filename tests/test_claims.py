"""bot.claims.check_claim against the seed article's own paragraphs: what passes, what fails and why."""
from pathlib import Path

import pytest

from bot.claims import check_claim
from llm_server import e5_embedder  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parent.parent


def paragraphs() -> list[str]:
    text = (ROOT / "corpus" / "gpu-smuggling-china.md").read_text(encoding="utf-8")
    out = []
    for section in text.split("\n## ")[1:]:
        out += [p.strip() for p in section.split("\n", 1)[1].split("\n\n") if p.strip()]
    return out


PASSAGES = paragraphs()[:6]     # 亮点, 头等舱, 字节跳动 ×2, 新加坡, 美国的管制


@pytest.mark.parametrize("claim, passage", [
    ("字节跳动被认为是中国最大的GPU走私者，拥有超过50万个GPU。", 0),
    ("字节跳动拥有超过五十万台GPU。", 0),                               # 五十万 = 50万
    ("一张3,000–5,000美元的头等舱机票。", 1),                            # = 3-5千美元
    ("新加坡的电力短缺问题持续了15年，导致该国禁止建设新的数据中心。", 4),
    ("这迫使微软和Oracle等科技巨头转向马来西亚。", 4),
    ("华为在2018年遭禁后，通过建立一大批公司的网络获取所需材料。", 0),
])
def test_true_claims_are_supported_by_the_right_passage(claim, passage):
    check = check_claim(claim, PASSAGES)
    assert check.verdict == "supported" and check.passage == passage, check
    assert check.evidence in PASSAGES[passage]


@pytest.mark.parametrize("claim, why", [
    ("字节跳动不是Oracle的GPU客户。", "negat"),
    ("字节跳动是微软最大的GPU客户，也是亚马逊的第二大客户。", "names"),
    ("字节跳动拥有超过八十万台GPU。", "number"),
    ("字节跳动拥有超过800,000个GPU。", "number"),
    ("字节跳动的租赁行为在法规上是非法的。", "合法"),
    ("每年为走私者带来上亿美元的收入。", "number"),
    ("新加坡的电力短缺问题持续了15年，导致该国允许建设新的数据中心。", "禁止"),
    ("华为在2019年遭禁后，通过建立一大批公司的网络获取所需材料。", "2019"),
])
def test_contradictions_name_their_reason(claim, why):
    check = check_claim(claim, PASSAGES)
    assert check.verdict == "contradicted" and why in check.reason, check


@pytest.mark.parametrize("claim", ["月亮是奶酪做的。", "英伟达的股价翻了三倍。", "The moon is made of cheese."])
def test_claims_about_nothing_in_the_passages_are_unsupported(claim):
    assert check_claim(claim, PASSAGES).verdict == "unsupported"


def test_the_cited_passage_is_preferred_when_it_supports_the_claim():
    claim = "字节跳动拥有超过50万个GPU。"
    assert check_claim(claim, PASSAGES).passage == 0
    assert check_claim(claim, PASSAGES, prefer=[2]).passage == 2       # 其在中国境内的GPU数量已超过50万台
    assert check_claim(claim, PASSAGES, prefer=[4]).passage == 0       # the cited one doesn't say it: re-cited


def test_markers_and_urls_are_not_part_of_the_claim():
    assert check_claim("字节跳动拥有超过50万个GPU[3]。https://example.com/x", PASSAGES).supported


def test_without_a_multilingual_embedder_another_language_is_never_supported():
    assert check_claim("ByteDance has over 500,000 GPUs.", PASSAGES).verdict == "unsupported"


@pytest.mark.parametrize("claim, verdict", [
    ("ByteDance has over 500,000 GPUs.", "supported"),
    ("ByteDance is Oracle's largest GPU customer and Google's second largest.", "supported"),
    ("Singapore's power shortage has lasted 15 years, which led it to ban new data centers.", "supported"),
    ("NVIDIA shipped 1 million H20 units to China legally last year.", "supported"),
    ("ByteDance has over 800,000 GPUs.", "not"),
    ("ByteDance is Microsoft's largest GPU customer, and Amazon's second largest.", "not"),
    ("Smuggling GPUs earns billions of dollars a year.", "not"),
    ("The moon is made of cheese.", "not"),
    ("Apple sells the most phones in Europe.", "not"),
])
def test_english_claims_about_a_chinese_passage_through_the_multilingual_embedder(e5_embedder, claim, verdict):
    check = check_claim(claim, PASSAGES, e5_embedder)
    assert (check.verdict == "supported") == (verdict == "supported"), check


NO_SINGAPORE = [p for p in paragraphs() if "微软" not in p][:6]      # no passage names 微软 at all


@pytest.mark.parametrize("claim, why", [
    ("字节跳动是微软最大的GPU客户。", "微软"),        # jieba tags 微软 an adjective, not a name
    ("字节跳动是百度最大的GPU客户。", "百度"),        # and 百度 a common noun
    ("字节跳动是Amazon最大的GPU客户。", "Amazon"),
])
def test_a_name_swapped_for_one_no_passage_uses_is_caught(claim, why):
    check = check_claim(claim, NO_SINGAPORE)
    assert check.verdict == "contradicted" and why in check.reason, check


def test_a_reworded_sentence_with_its_names_kept_is_supported():
    assert check_claim("字节跳动是Oracle最重要的GPU客户。", NO_SINGAPORE).supported


@pytest.mark.parametrize("claim, why", [
    ("百度也从Oracle租赁GPU。", "百度"),                       # a company no passage names, as the subject
    ("小米通过租赁GPU成功绕过相关的出口禁令。", "小米"),
    ("字节跳动也从阿里巴巴租赁GPU。", "阿里巴巴"),              # or as the source
])
def test_a_company_no_passage_names_fails_the_claim_whatever_jieba_tags_it(claim, why):
    check = check_claim(claim, NO_SINGAPORE)
    assert check.verdict == "contradicted" and why in check.reason, check


def test_everyday_nouns_a_paraphrase_adds_are_not_taken_for_names():
    assert check_claim("字节跳动也从Oracle租赁GPU。", NO_SINGAPORE).supported
    assert check_claim("截至目前，字节跳动在中国境内的GPU数量已超过50万台。", NO_SINGAPORE).supported


ENGLISH = ["ByteDance rents GPUs from Oracle and Google to get around the export bans.",
           "Singapore banned new data centers after a power shortage that lasted 15 years."]


@pytest.mark.parametrize("claim, supported", [
    ("Baidu also rents GPUs from Oracle.", False),             # a name as an English sentence's first word
    ("ByteDance also rents GPUs from Tencent.", False),
    ("However, ByteDance rents GPUs from Oracle.", True),      # a first word before a comma names nothing
    ("The company rents GPUs from Oracle and Google.", True),
])
def test_an_english_claims_first_word_is_a_name_like_any_other(claim, supported):
    assert check_claim(claim, ENGLISH).supported == supported


@pytest.mark.parametrize("claim, supported", [
    ("Baidu also rents GPUs from Oracle.", False),
    ("ByteDance also rents GPUs from Tencent.", False),
    ("ByteDance rents GPUs from Oracle and Google.", True),
])
def test_across_languages_only_the_questions_own_names_may_be_written_differently(e5_embedder, claim, supported):
    asked = "How many GPUs does ByteDance have in China?"
    assert check_claim(claim, NO_SINGAPORE, e5_embedder, asked=asked).supported == supported


def test_the_index_sentence_vectors_choose_what_is_compared_without_changing_verdicts(e5_embedder):
    from index.text import split_sentences

    stored = [e5_embedder.embed_passages(split_sentences(p)) for p in PASSAGES]
    for claim in ("ByteDance has over 500,000 GPUs.", "ByteDance has over 800,000 GPUs.",
                  "Singapore's power shortage has lasted 15 years, which led it to ban new data centers.",
                  "The moon is made of cheese."):
        alone, guided = check_claim(claim, PASSAGES, e5_embedder), check_claim(claim, PASSAGES, e5_embedder, stored=stored)
        assert guided.verdict == alone.verdict, claim          # (the passage may be another that says it too)
        assert guided.passage is None or guided.evidence in PASSAGES[guided.passage]
