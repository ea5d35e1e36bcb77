"""Hybrid retrieval's pool for the sentence rerank: passages in another language than the question's get in."""
from types import SimpleNamespace

from index.retrieve import OTHER_LANGUAGE_RERANK, RERANK, Hit, HybridRetriever, Query


def hits(languages: str) -> list[Hit]:
    return [Hit(row, SimpleNamespace(language={"z": "zh", "e": "en"}[code]), 1.0 - row / 100)
            for row, code in enumerate(languages)]


def test_each_other_languages_best_passages_join_the_rerank_beside_the_best_fused():
    """Words can't match across languages, so fusion puts the English passages last behind 40 Chinese ones."""
    fused = hits("z" * 40 + "e" * 5)
    pool = HybridRetriever._rerank_pool(None, Query("巴拿马运河是哪一年开通的？", language_shift={"en": 0.05}), fused)
    assert pool[:RERANK] == fused[:RERANK]
    assert [h.row for h in pool[RERANK:]] == list(range(40, 40 + OTHER_LANGUAGE_RERANK))


def test_without_another_language_the_pool_is_the_best_fused():
    fused = hits("z" * 40 + "e" * 5)
    assert HybridRetriever._rerank_pool(None, Query("巴拿马运河是哪一年开通的？"), fused) == fused[:RERANK]
