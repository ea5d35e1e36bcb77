"""Which sentences the offline answer quotes (bot/extractive.choose), on hand-made candidates."""
import numpy as np

from bot.evidence import Candidate
from bot.extractive import CONTEXT_CHARS, choose
from index.chunking import Chunk

CHUNK = Chunk("a#1", "a", "A", "", 1, "", "", "zh")


def candidate(row: int, sentence: str, share: float, hit_index: int = 0, opens_item: bool = False) -> Candidate:
    return Candidate(hit_index, CHUNK, row, sentence, np.zeros(1), share, opens_item)


def ranked(*found: Candidate) -> list[Candidate]:
    return sorted(found, key=lambda c: -c.share)


def test_short_answers_take_the_best_sentences_neighbours_in_the_articles_order():
    before, best, after = candidate(4, "宋建成，河北人。", 0.05), candidate(5, "他是首位副馆长。", 0.9), candidate(6, "后任馆长。", 0.05)
    far = candidate(9, "与此无关。", 0.04)
    assert [c.row for c in choose(ranked(before, best, after, far))] == [4, 5, 6]


def test_the_next_sentence_comes_before_the_previous_one_and_the_budget_holds():
    before = candidate(4, "前" * 40, 0.05)
    best = candidate(5, "答" * 40, 0.9)
    after = candidate(6, "后" * (CONTEXT_CHARS - 60), 0.05)
    assert [c.row for c in choose(ranked(before, best, after))] == [5, 6]     # no room left for the one before
    alone = candidate(5, "答" * CONTEXT_CHARS, 0.9)
    assert [c.row for c in choose(ranked(before, alone, after))] == [5]


def test_neighbours_are_only_of_the_same_passage():
    best = candidate(5, "答案。", 0.9, hit_index=0)
    other_passage = candidate(6, "别的段落。", 0.05, hit_index=1)
    assert [c.hit_index for c in choose(ranked(best, other_passage))] == [0]


def test_a_list_items_neighbours_are_other_points_and_stay_out():
    item_before = candidate(4, "字节跳动拥有50万个GPU。", 0.05, opens_item=True)
    item = candidate(5, "华为通过公司网络获取材料。", 0.9, opens_item=True)
    same_item = candidate(6, "这些公司遍布全球。", 0.05)
    next_item = candidate(7, "NVIDIA的H20运往中国。", 0.04, opens_item=True)
    assert [c.row for c in choose(ranked(item_before, item, same_item, next_item))] == [5, 6]
    assert [c.row for c in choose(ranked(item_before, item, next_item))] == [5]


def test_a_ranked_second_sentence_is_kept_and_not_repeated():
    best, second = candidate(5, "第一部分。", 0.6), candidate(6, "第二部分。", 0.4)
    assert [c.row for c in choose(ranked(best, second))] == [5, 6]
    assert choose([]) == []
