from index.keyword import KeywordIndex
from index.tokenize import tokenize


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
