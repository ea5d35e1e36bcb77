import pytest
from index.keyword import KeywordIndex
from index.tokenize import tokenize


@pytest.fixture(autouse=True)
def small_glossary(tmp_path):
    """A user's glossary file (index/glossary.py): the code itself knows no synonyms."""
    from index import glossary

    (tmp_path / glossary.FILE_NAME).write_text(
        "# test glossary\noracle | 甲骨文\nsingapore | 新加坡\npower | electricity | 电力\nrent | lease | 租赁\n"
        "buy | bought | 购买\n", encoding="utf-8")
    glossary.use(glossary.read(tmp_path))
    yield
    glossary.use(glossary.Glossary())


def test_an_empty_or_unreadable_glossary_is_ignored_with_a_warning(tmp_path, caplog):
    from index import glossary

    path = tmp_path / "g"
    path.mkdir()
    (path / glossary.FILE_NAME).write_text("# nothing here\n\n", encoding="utf-8")
    assert glossary.read(path).groups == () and "no line with two or more spellings" in caplog.text
    (path / glossary.FILE_NAME).write_bytes(b"\xff\xfe\x00bad")
    assert glossary.read(path).groups == () and "cannot be read as UTF-8" in caplog.text


def test_tokens_fold_case_and_traditional_chinese():
    assert "nvidia" in tokenize("NVIDIA與輝達")
    assert "华为" in tokenize("華為")
    assert "h20" in tokenize("H20模型")
    assert "的" not in tokenize("中国的GPU")


def test_bm25_ranks_and_glossary_equivalents():
    docs = [tokenize(t) for t in ("字节跳动是Oracle最大的GPU客户", "新加坡电力短缺", "华为建立采购网络")]
    index = KeywordIndex.build(docs)
    assert index.search(index.term_weights("华为怎么采购？"), 3)[0][0] == 2
    # 甲骨文 is never written in the documents: the glossary finds Oracle
    assert index.search(index.term_weights("甲骨文的客户"), 3)[0][0] == 0
    assert index.search(index.term_weights("Singapore power shortage"), 3)[0][0] == 1
    assert index.search(index.term_weights("量子计算"), 3) == []


def test_a_question_word_counts_once_however_search_splits_it():
    index = KeywordIndex.build([tokenize(t) for t in ("大规模走私通过中转公司", "字节跳动的显卡")])
    words = [c.word for c in index.concepts("大批量的显卡走私通过哪些国家中转？")]
    assert words.count("大批量") == 1 and "大批" not in words and "批量" not in words


def test_an_untranslatable_word_in_another_language_weighs_nothing():
    index = KeywordIndex.build([tokenize("新加坡的电力短缺问题持续了15年")])
    english = {c.word: c.mass for c in index.concepts("Why is Singapore short of power despite everything?",
                                                         judge_unknown=False)}
    assert english["despite"] == 0 and english["singapore"] > 0 and english["power"] > 0
    chinese = {c.word: c.mass for c in index.concepts("新加坡为什么缺少天然气？")}
    # a word no article uses, in the articles' language, weighs by its rarity in general language
    from index.tokenize import general_rarity

    assert chinese["天然气"] == pytest.approx(index.max_idf * general_rarity("天然气"))
    assert general_rarity("啊") < general_rarity("谢谢") < general_rarity("一氯胺") == 1.0


def test_inflected_english_finds_the_glossary():
    index = KeywordIndex.build([tokenize("新规允许小规模租赁和购买")])
    assert index.search(index.term_weights("rented or bought"), 1)


def test_an_unknown_chinese_word_earns_credit_for_shared_characters_only_given_the_text():
    index = KeywordIndex.build([tokenize("GPU的价值超越传统毒品和军火")])
    drug = next(c for c in index.concepts("贩毒") if c.word == "贩毒")
    tokens = frozenset(tokenize("GPU的价值超越传统毒品和军火"))
    assert drug.found_in(tokens) == 0
    assert 0 < drug.found_in(tokens, "GPU的价值超越传统毒品和军火") < 1


def test_a_measure_word_is_not_read_as_a_name():
    assert "张卡" not in tokenize("字节跳动有多少张卡？") and "卡" in tokenize("字节跳动有多少张卡？")


def test_an_english_plural_of_a_code_finds_the_code():
    index = KeywordIndex.build([tokenize("NVIDIA去年的H20模型有100万台被合法运往中国")])
    assert index.search(index.term_weights("How many H20s were shipped?"), 1)


def test_a_compound_found_only_in_part_is_found_only_in_part():
    from index.keyword import part_coverage

    index = KeywordIndex.build([tokenize("标准杆是高尔夫球术语"), tokenize("香港的插头标准")])
    club = next(c for c in index.concepts("什么是标准杆？") if c.word == "标准杆")
    assert club.found_in(frozenset(tokenize("标准杆是高尔夫球术语"))) == 1.0
    assert club.found_in(frozenset(tokenize("香港的插头标准"))) == pytest.approx(part_coverage("标准杆", ["标准"]))
    assert part_coverage("标准杆", ["标准"]) < 0.5
    assert part_coverage("中国共产党", ["中国", "国共", "共产", "共产党"]) == 1.0
