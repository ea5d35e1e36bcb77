"""Answers about the articles as a whole, from their opening paragraphs (unit tests on made-up chunks)."""
from types import SimpleNamespace

from bot import overview
from index.chunking import Chunk


def chunk(slug: str, title: str, ordinal: int, text: str) -> Chunk:
    return Chunk(chunk_id=f"{slug}#{ordinal}", doc_slug=slug, doc_title=title, section="", ordinal=ordinal, text=text,
                 sha256="", language="en")


def test_each_article_is_summed_up_by_its_opening_sentence_under_its_title():
    chunks = [chunk("tea", "Tea in Yunnan", 2, "Later text."), chunk("tea", "Tea in Yunnan", 1, "Pu'er is fermented. More."),
              chunk("gpu", "GPUs", 1, "GPUs are smuggled. Often.")]
    hits = overview.openings(SimpleNamespace(chunks=chunks))
    assert [h.chunk.chunk_id for h in hits] == ["tea#1", "gpu#1"]
    text, citations = overview.compose(hits, "en")
    assert text == "Tea in Yunnan: Pu'er is fermented.[1]\nGPUs: GPUs are smuggled.[2]"
    assert [c.n for c in citations] == [1, 2]


def test_only_a_request_about_the_whole_is_an_overview():
    assert overview.asked("这篇文章讲了什么？", [])
    assert overview.asked("Can you summarize the articles?", [])
    assert not overview.asked("华为是怎么搞到芯片的？", [])
