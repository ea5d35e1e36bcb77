"""Questions about the articles as a whole — "这篇文章讲了什么？", "What is this article about?" — are
answered from each article's opening paragraph. Searching their words finds nothing: 文章 and 讲 are in
no paragraph, so they would be refused.
"""
from __future__ import annotations

import re

from index.keyword import Concept
from index.retrieve import Hit
from index.store import ArticleIndex
from index.text import split_sentences

from .answer import Citation, cite

_ASKS = re.compile(
    r"(?:文章|报道|这篇|本文|全文|节目|播客|这期)[^？?]{0,6}(?:讲|说|写|聊|谈|介绍|关于)[^？?]{0,3}(?:什么|啥)|"
    r"主要内容|内容是什么|讲的是什么|说的是什么|总结|概括|摘要|大意|"
    r"\bsummar(?:y|ize|ise)\b|\btl;?dr\b|"
    r"\bwhat(?:'s| is| are)\b[^?]*\b(?:article|articles|piece|story|episode|podcast)\b[^?]*\babout\b|"
    r"\bwhat (?:does|do) (?:this|the) (?:article|articles|piece|story|episode|podcast)s? (?:say|cover)", re.IGNORECASE)
# words of the request itself; any other word the articles use makes it a question about that
_REQUEST_WORDS = frozenset("""文章 篇文章 这篇 本文 全文 报道 节目 播客 内容 主要 总结 概括 摘要 大意 一下 期 部分
article articles piece story episode podcast summary summarize summarise tldr""".split())
MAX_ARTICLES = 5
MAX_CHARS = 160             # a second opening sentence only while the answer stays short
FOUND_BY = ("overview",)     # marks the hits openings() returns


def asked(question: str, concepts: list[Concept]) -> bool:
    """Does the question ask what the articles are about, and nothing more specific?"""
    return bool(_ASKS.search(question)) and not any(c.in_corpus and c.word not in _REQUEST_WORDS for c in concepts)


def openings(index: ArticleIndex) -> list[Hit]:
    """The first paragraph of each article, in corpus order."""
    first: dict[str, int] = {}
    for row, chunk in enumerate(index.chunks):
        if chunk.doc_slug not in first or chunk.ordinal < index.chunks[first[chunk.doc_slug]].ordinal:
            first[chunk.doc_slug] = row
    return [Hit(row, index.chunks[row], 1.0, found_by=FOUND_BY) for row in list(first.values())[:MAX_ARTICLES]]


def compose(hits: list[Hit], language: str) -> tuple[str, tuple[Citation, ...]]:
    """Each article's opening sentence, cited (two when there is one article and they are short); with
    several articles, each under its title."""
    citations = tuple(cite(n, hit) for n, hit in enumerate(hits, 1))
    lines = []
    for citation in citations:
        sentences = [s.strip() for s in split_sentences(citation.text)] or [citation.text.strip()]
        opening = sentences[0]
        if len(citations) == 1 and len(sentences) > 1 and len(opening) + len(sentences[1]) <= MAX_CHARS:
            opening += ("" if language == "zh" else " ") + sentences[1]   # one article: say a little more
        title = f"《{citation.doc}》" if language == "zh" else f"{citation.doc}: "
        lines.append(f"{opening}[{citation.n}]" if len(citations) == 1 else f"{title}{opening}[{citation.n}]")
    return "\n".join(lines), citations
