"""Keyword tokens for Chinese and English text: jieba words, Traditional→Simplified, case-folded."""
from __future__ import annotations

import logging
import math
import re
import threading
from functools import lru_cache

from . import glossary

_WORD = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)
_init_lock = threading.Lock()
_ready = False

# Words that carry no topic: question words, particles, function words.
STOPWORDS = frozenset("""
的 了 是 在 和 与 及 或 有 也 都 就 而 被 把 对 从 为 以 于 其 这 那 这个 那个 这些 那些 这种 一个 一种 一张 一名 一位 一台 之 等 中 上 下 里
吗 呢 吧 啊 呀 么 嘛 多少 数量 什么 怎么 怎样 如何 为什么 为何 哪 哪些 哪个 哪里 哪儿 谁 几 多 是否 是不是 有没有 能 能否 会 可以 可能 请问 请 告诉 我 你 他 她 它 我们 你们 他们
啥 咋 为啥 咋样 干啥 哪去 哪儿去 后来 文中 自己 比 大 排 个 台 颗 块 张 家 位 名 部 件 款 枚 次 座 批 文章 提到 说 讲 随着 已 已经 成为 成了 一般 通常 一直 曾经 正在 将 将会 能够 这样 那样 哪家 哪种 哪国 第几 大概 大约 左右 多大 几个 认为 根据 关于 通过 之后 以后 之前 目前 现在 还 又 再 很 非常 更 最 所 因为 所以 但 但是 如果 虽然 然而 并 且 另外 另有
the a an of to in on at for by with from as is are was were be been being do does did has have had what which who whom whose when where why how
this that these those it its they them their he she his her we our you your i me my about into than then there here can could would should will shall may might
article say says said tell according not no yes any some much many more most other also just only very so if or and but
""".split())


def _ensure_jieba():
    global _ready
    if _ready:
        return
    with _init_lock:
        if _ready:
            return
        import jieba

        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        _ready = True


_dictionary_before: dict[str, int] = {}     # a glossary word's count in jieba's own dictionary before it was added


def register_words(added: list[str], removed: list[str] = ()) -> None:
    """Teach jieba the glossary's Chinese words (a glossary word is cut whole); a previous glossary's words
    get back the count jieba's own dictionary had for them (上海 stays a word), or are forgotten."""
    _ensure_jieba()
    import jieba

    for word in removed:
        count = _dictionary_before.pop(word, 0)
        if count:
            jieba.add_word(word, freq=count)
        else:
            jieba.del_word(word)
    for word in added:
        _dictionary_before.setdefault(word, jieba.dt.FREQ.get(word, 0))
        jieba.add_word(word)


@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


def normalize(text: str) -> str:
    return _t2s().convert(text).casefold()


MEASURE_WORDS = "个台颗块张家位名人部件款枚次座所批"     # Chinese classifiers: 几张卡, 50万个座位, 3家公司 (bot/kinds.py too)
_MEASURE_WORD = re.compile(rf"((?:多少|几|\d)\s*[{MEASURE_WORDS}])(?=[\u3400-\u9fff])")


def separate_measure_words(text: str) -> str:
    """多少张卡 → 多少张 卡: otherwise jieba reads 张卡 as a person called Zhang."""
    return _MEASURE_WORD.sub(r"\1 ", text)


def _phrase_tokens(text: str) -> tuple[str, list[str]]:
    """Pull known multi-word English phrases out as single tokens."""
    found = []
    for phrase in glossary.active().phrases:
        pattern = r"\b" + re.escape(phrase) + r"\b"
        if re.search(pattern, text):
            found.append(phrase)
            text = re.sub(pattern, " ", text)
    return text, found


def tokenize(text: str) -> list[str]:
    """Content tokens of text, in order; stopwords and punctuation dropped. A long word comes with its
    sub-words (图书馆员 → 图书, 图书馆, 馆员, 图书馆员…) so a search finds it either way."""
    _ensure_jieba()
    import jieba

    text, tokens = _phrase_tokens(separate_measure_words(normalize(text)))
    tokens += [t for t in (t.strip() for t in jieba.cut_for_search(text)) if _is_content(t)]
    return tokens


def cut(text: str) -> list[str]:
    """Every word of text, stopwords and punctuation included, normalised."""
    _ensure_jieba()
    import jieba

    return [w for w in (w.strip() for w in jieba.cut(separate_measure_words(normalize(text)))) if w]


def spans(text: str) -> list[tuple[str, int, int]]:
    """Every word of text as written (not normalised), with where it starts and ends."""
    _ensure_jieba()
    import jieba

    return list(jieba.tokenize(text))


def words(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Content words of text, each once, with its sub-words: 大批量 → (大批量, (大批, 批量)).
    Measuring how much of a question a passage holds counts words, not the sub-words search adds."""
    _ensure_jieba()
    import jieba

    text, phrases = _phrase_tokens(separate_measure_words(normalize(text)))
    found = [(phrase, ()) for phrase in phrases]
    for word in (w.strip() for w in jieba.cut(text)):
        if _is_content(word):
            parts = tuple(t for t in jieba.cut_for_search(word) if t != word and _is_content(t))
            found.append((word, parts))
    return list(dict.fromkeys(found))


def general_rarity(word: str) -> float:
    """0.2..1: how rare a Chinese word is in general language, from jieba's dictionary frequencies. A question
    word no article uses weighs this share of the rarest word's weight: 谢谢 or 到底 say little about whether the
    articles cover a question, 台积电 or 一氯胺 much. Words jieba doesn't know, and English words, weigh 1."""
    _ensure_jieba()
    import jieba

    count = jieba.dt.FREQ.get(word, 0)
    if not count or word.isascii():
        return 1.0
    surprise = -math.log10(count / jieba.dt.total)      # 3.4 for 啊, 4.7 for 谢谢, 7+ for rare names
    return min(1.0, max(0.2, (surprise - 3.0) / 4.5))


def _is_content(token: str) -> bool:
    """Not a stopword, not punctuation, not a lone Latin letter (the s of "Tokyo's")."""
    return (bool(token) and token not in STOPWORDS and bool(_WORD.search(token))
            and not (len(token) == 1 and token.isascii() and token.isalpha()))
