"""Questions about the articles as a whole — "这篇文章讲了什么？", "文章有哪些要点？", "What are the key
points?" — are answered from the articles' structure: one article's opening and the first sentence of each
of its sections, or each article's opening when there are several. Searching their words finds nothing:
文章, 要点 and "key points" are in no paragraph, so they would be refused.

Why a phrase pattern: these requests name the article, not its content, so no statistic over the articles
can see them. Measured on eval/heldout (articles and questions the code was not written for): its four
whole-article questions are all refused without it and all answered with it.
"""
from __future__ import annotations

import re

from index.chunking import LIST_ITEM
from index.keyword import Concept
from index.retrieve import Hit
from index.store import ArticleIndex
from index.text import join_sentences, split_sentences

from .answer import Citation, cite

_ASKS = re.compile(
    r"(?:文章|报道|这篇|本文|全文)[^？?]{0,6}(?:讲|说|写|聊|谈|介绍|关于)[^？?]{0,3}(?:什么|啥)|"
    r"主要内容|内容是什么|讲的是什么|说的是什么|总结|概括|摘要|大意|要点|重点|主要观点|核心观点|主旨|"
    r"\bsummar(?:y|ize|ise)\b|\btl;?dr\b|\b(?:key|main) (?:points?|ideas?|takeaways?)\b|\bgist\b|"
    r"\bwhat(?:'s| is| are)\b[^?]*\b(?:article|articles|piece|story|text)\b[^?]*\babout\b|"
    r"\bwhat (?:does|do) (?:this|the) (?:article|articles|piece|story|text)s? (?:say|cover)", re.IGNORECASE)
# words of the request itself; any other word the articles use makes it a question about that
_REQUEST_WORDS = frozenset("""文章 篇文章 这篇 本文 全文 报道 内容 主要 总结 概括 摘要 大意 一下 部分 要点 重点 观点 主要观点
核心 核心观点 主旨 哪些 article articles piece story text summary summarize summarise tldr key main points point ideas
takeaways gist""".split())
MAX_SECTIONS = 5            # passages quoted: an article's opening and sections, or several articles' openings
MAX_CHARS = 160             # a second opening sentence only while the answer stays short
FOUND_BY = ("overview",)     # marks the hits openings() returns


def asked(question: str, concepts: list[Concept]) -> bool:
    """Does the question ask what the articles are about, and nothing more specific?"""
    return bool(_ASKS.search(question)) and not any(c.in_corpus and c.word not in _REQUEST_WORDS for c in concepts)


def openings(index: ArticleIndex) -> list[Hit]:
    """The first paragraph of each article, in corpus order; with one article, the first paragraph of each
    of its sections (its outline)."""
    first: dict[tuple[str, str], int] = {}      # (article, section) -> row of its lowest paragraph number
    for row, chunk in enumerate(index.chunks):
        key = (chunk.doc_slug, chunk.section)
        if key not in first or chunk.ordinal < index.chunks[first[key]].ordinal:
            first[key] = row
    articles = list(dict.fromkeys(slug for slug, _ in first))
    by_ordinal = lambda row: index.chunks[row].ordinal    # noqa: E731
    if len(articles) == 1:
        rows = sorted(first.values(), key=by_ordinal)
    else:
        rows = [min((row for (slug, _), row in first.items() if slug == article), key=by_ordinal)
                for article in articles]
    return [Hit(row, index.chunks[row], 1.0, found_by=FOUND_BY) for row in rows[:MAX_SECTIONS]]


def compose(hits: list[Hit], language: str) -> tuple[str, tuple[Citation, ...]]:
    """One line a passage: its first sentence, cited, under its section (one article) or its title (several)."""
    citations = tuple(cite(n, hit) for n, hit in enumerate(hits, 1))
    one_article = len({c.doc for c in citations}) == 1
    lines = []
    for citation in citations:
        sentences = [LIST_ITEM.sub("", s).strip() for s in split_sentences(citation.text)] or [citation.text.strip()]
        opening = sentences[0]
        if len(citations) == 1 and len(sentences) > 1 and len(opening) + len(sentences[1]) <= MAX_CHARS:
            opening = join_sentences([opening, sentences[1]])      # only an opening: say a little more
        label = citation.section if one_article else citation.doc
        lines.append(f"{opening}[{citation.n}]" if not label else f"{label}: {opening}[{citation.n}]"
                     if language == "en" else f"【{label}】{opening}[{citation.n}]")
    return "\n".join(lines), citations
