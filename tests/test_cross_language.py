"""A question in one language about an article in the other, in a corpus of both: found by the multilingual
embedder, not lost to the same-language article that shares a few of its words.

Offline, an English question sharing no word with the Chinese article may be refused (listing that passage
first, and leaving it to an LLM if one is configured): see the test. A Chinese question about the English
article is answered from it, judged by the threshold calibrated on Chinese questions about an English article
(eval/fit.py): before it had one, such answers faced the Chinese threshold, and were refused."""
import pytest

from bot.engine import Engine
from bot.settings import Settings
from index.settings import IndexSettings

CHINESE = """# 景德镇瓷器

景德镇位于江西省东北部，自古以来以烧制瓷器闻名，被称为“瓷都”。

## 历史

宋朝景德年间，朝廷命当地烧制御用瓷器，并以年号为镇名，景德镇由此得名。
明朝洪武二年（1369年），朝廷在景德镇设立御窑厂，专门为皇宫烧造瓷器，直到清朝末年。

## 工艺

景德镇的青花瓷以钴料在白色瓷胎上绘画，再施透明釉，经一千三百度左右高温一次烧成。
"""

ENGLISH = """# The Panama Canal

The Panama Canal is an artificial waterway in Panama that connects the Atlantic Ocean with the Pacific Ocean.

## History

France began work on the canal in 1881 but stopped because of engineering problems and a high death rate.
The United States took over the project in 1904 and opened the canal on 15 August 1914.

## Operation

Ships are raised by locks to Gatun Lake, an artificial lake created to reduce the amount of work required.
"""


@pytest.fixture(scope="module")
def mixed_engine(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("mixed")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "jingdezhen.md").write_text(CHINESE, encoding="utf-8")
    (corpus / "panama.md").write_text(ENGLISH, encoding="utf-8")
    return Engine(Settings(index=IndexSettings(corpus_dir=corpus, index_dir=root / "index")), embedder=embedder,
                  progress=False)


@pytest.mark.parametrize("question, article", [
    ("In which year was the imperial kiln factory set up in Jingdezhen?", "jingdezhen"),
    ("At what temperature is blue-and-white porcelain fired?", "jingdezhen"),
])
def test_a_question_finds_the_article_in_the_other_language(mixed_engine, question, article):
    """Its passage first, answered or not. These share no word with the article, and e5-small's cosine alone
    rates them no closer to it than questions on other subjects (eval/offtopic.jsonl) to the articles they
    are asked of: offline they may be refused, but as low_confidence, which a configured LLM then reads."""
    answer = mixed_engine.answer(question)
    assert answer.citations[0].chunk_id.startswith(article + "#"), answer.text
    assert not answer.refused or answer.refusal_reason.value == "low_confidence"


@pytest.mark.parametrize("question, quoted", [
    ("巴拿马运河是哪一年开通的？", "1914"),
    ("法国是哪一年开始修建巴拿马运河的？", "1881"),
    ("美国什么时候接手了巴拿马运河工程？", "1904"),
])
def test_a_chinese_question_about_the_english_article_is_answered_from_it(mixed_engine, question, quoted):
    answer = mixed_engine.answer(question)
    assert not answer.refused and quoted in answer.text and answer.citations[0].chunk_id.startswith("panama#")


@pytest.mark.parametrize("question", ["今天天气怎么样？", "谁赢得了1998年世界杯？"])
def test_a_chinese_question_on_another_subject_is_still_refused(mixed_engine, question):
    assert mixed_engine.answer(question).refused


def test_an_english_question_naming_the_place_in_pinyin_is_answered_from_the_chinese_article(mixed_engine):
    """Jingdezhen is 景德镇 in pinyin (index/romanized.py): the name is evidence the embedding alone isn't. Without
    it this question is refused (confidence 0.018, under the 0.024 threshold; with it 0.67)."""
    answer = mixed_engine.answer("What is Jingdezhen called?")
    assert not answer.refused and "瓷都" in answer.text and answer.citations[0].chunk_id.startswith("jingdezhen#")
