"""A pronoun follow-up asked of the earlier question's subject (bot/pronouns.py), on the seed article's index."""
import pytest

from bot.pronouns import resolve


@pytest.fixture(scope="module")
def keyword(engine):
    return engine.index.keyword


def test_the_pronoun_becomes_the_earlier_questions_first_word_the_articles_use(keyword):
    assert resolve("它有多少GPU？", "华为在2018年遭禁后是怎么获取材料的？", keyword) == "华为有多少GPU？"
    assert resolve("牠們有多少GPU？", "字節跳動是哪家公司的最大客户？", keyword) == "字节跳动有多少GPU？"


@pytest.mark.parametrize("text, earlier", [
    ("它有多少GPU？", ""),                                    # no earlier question
    ("其他公司有多少GPU？", "华为是怎么获取材料的？"),            # 其他 is not a pronoun
    ("华为和它的供应商有多少GPU？", "华为是怎么获取材料的？"),      # the subject is already named
    ("它有多少GPU？", "？？"),                                # the earlier question names nothing
])
def test_questions_without_a_pronoun_to_resolve_are_unchanged(keyword, text, earlier):
    assert resolve(text, earlier, keyword) == text


def test_one_answer_and_many_resolve_alike(engine):
    from bot.answer import Turn

    earlier = Turn("华为在2018年遭禁后是怎么获取材料的？", "")
    alone = engine.answer("它有多少GPU？", previous=earlier)
    [batched] = engine.answer_many([("它有多少GPU？", earlier)])
    in_one_message = engine.answer("华为在2018年遭禁后是怎么获取材料的？它有多少GPU？")
    assert "华为" in alone.text and batched.text == alone.text
    assert in_one_message.text.count("华为") >= 2 and "50万" not in in_one_message.text


@pytest.mark.parametrize("earlier, asked, searched", [
    ("What was new about Luigi Bezzera's coffee machine?", "When did he patent it?",
     "When did Luigi Bezzera patent it?"),
    ("When was the World Curling Federation founded?", "Where is its headquarters?",
     "Where is World Curling Federation headquarters?"),
    ("What's the role of the skip on a curling team?", "Where do they stand?", "Where do they stand?"),   # no name
    ("Before a match, why do they spray the ice?", "What does it do?", "What does it do?"),      # a sentence's capital
    ("Who was Dirk Coster?", "Was Dirk Coster Dutch?", "Was Dirk Coster Dutch?"),                 # already named
    ("NASA was founded when?", "Who led it?", "Who led NASA?"),                                 # a name, first
])
def test_an_english_pronoun_becomes_the_earlier_questions_first_name(keyword, earlier, asked, searched):
    assert resolve(asked, earlier, keyword) == searched
