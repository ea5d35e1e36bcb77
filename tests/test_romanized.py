"""English questions name Chinese people and places in pinyin: the corpus's Chinese words are found by it."""
from index.keyword import KeywordIndex
from index.romanized import Romanized
from index.tokenize import tokenize


def test_a_name_in_one_or_several_latin_words_spells_the_corpus_word():
    romanized = Romanized(["毕昇", "黑龙江", "上海", "伤害", "绿色", "阿曼"])
    assert romanized.names("which book records bi sheng's invention?") == [(("bi", "sheng"), ("毕昇",))]
    assert romanized.names("the heilongjiang museum") == [(("heilongjiang",), ("黑龙江",))]
    assert romanized.names("shanghai") == [(("shanghai",), ("上海", "伤害"))]      # homophones: both
    assert romanized.names("lüse or lvse") == [(("lüse",), ("绿色",)), (("lvse",), ("绿色",))]


def test_english_words_are_not_read_as_pinyin():
    romanized = Romanized(["阿曼", "我们"])
    assert romanized.names("in a man's world, women") == []     # a function word breaks a run, or is none
    assert Romanized(["上海"]).names("上海 h100") == []


def test_an_english_question_finds_the_chinese_passage_by_the_name():
    index = KeywordIndex.build([tokenize(t) for t in ("毕昇发明了活字印刷术", "沈括写了梦溪笔谈", "the printing press")])
    concepts = index.concepts("What did Bi Sheng invent?", judge_unknown=False)
    name = next(c for c in concepts if c.word == "bi sheng")
    assert name.found_in(frozenset(tokenize("毕昇发明了活字印刷术"))) == 1.0 and name.mass > 0
    assert not any(c.word in ("bi", "sheng") for c in concepts)
    assert index.search(index.term_weights("What did Bi Sheng invent?"), 1)[0][0] == 0


def test_the_engine_spells_the_corpus_in_pinyin_in_the_background(engine):
    """Seconds for a large corpus: not while the first English question waits."""
    import threading

    for thread in [t for t in threading.enumerate() if t.name == "pinyin"]:
        thread.join(timeout=30)
    assert "romanized" in vars(engine.index.keyword)
