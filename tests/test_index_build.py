"""Index build on disk: incremental, model-checked, self-repairing (real MiniLM and FAISS)."""
import shutil

import pytest

from index.build import build
from index.errors import IndexMismatchError
from index.loader import open_index
from index.settings import IndexSettings
from index.store import ArticleIndex, IndexDamagedError


class Counting:
    """The real embedder, counting how many texts it is asked to embed."""

    def __init__(self, inner, model_id=None):
        self.inner, self.embedded = inner, 0
        self.model_id, self.dim = model_id or inner.model_id, inner.dim

    def embed_passages(self, texts, progress=False):
        self.embedded += len(texts)
        return self.inner.embed_passages(texts)

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)


@pytest.fixture
def settings(tmp_path, corpus_dir):
    corpus = tmp_path / "corpus"
    shutil.copytree(corpus_dir, corpus)
    return IndexSettings(corpus_dir=corpus, index_dir=tmp_path / "index")


def test_unchanged_corpus_embeds_nothing_and_a_change_embeds_only_what_changed(settings, embedder):
    counting = Counting(embedder)
    first = build(settings, counting)
    assert first.chunks == 12 and counting.embedded == first.embedded > 0

    again = build(settings, counting)
    assert again.up_to_date and counting.embedded == first.embedded

    article = settings.corpus_dir / "gpu-smuggling-china.md"
    article.write_text(article.read_text(encoding="utf-8").replace("15年", "16年"), encoding="utf-8")
    counting.embedded = 0
    changed = build(settings, counting)
    # one paragraph and one of its sentences changed: two texts, not the whole article
    assert changed.embedded == counting.embedded == 2
    index = ArticleIndex.load(settings.index_dir, embedder.model_id)
    assert any("16年" in c.text for c in index.chunks)

    (settings.corpus_dir / "second.txt").write_text("A second article\n\nIt is about apples. Apples are red.")
    counting.embedded = 0
    added = build(settings, counting)
    assert added.documents == 2 and counting.embedded == 3   # its one chunk and two sentences


def test_index_from_another_model_is_refused_then_rebuilt_on_request(settings, embedder):
    build(settings, embedder)
    other = Counting(embedder, model_id="some/other-model")
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        open_index(settings, other)
    report = build(settings, other, rebuild=True)
    assert report.embedded > 0
    assert ArticleIndex.load(settings.index_dir, "some/other-model").manifest["embedding"]["model"] == "some/other-model"


def test_damaged_index_is_detected_and_rebuilt(settings, embedder):
    build(settings, embedder)
    faiss_file = settings.index_dir / "dense.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])        # truncated
    with pytest.raises(IndexDamagedError, match="truncated or damaged"):
        ArticleIndex.load(settings.index_dir, embedder.model_id)
    index = open_index(settings, embedder)
    assert len(index.chunks) == 12


def test_unreadable_article_is_named_and_the_rest_load(settings, embedder):
    (settings.corpus_dir / "broken.md").write_bytes(b"\xff\xfe\xfa")
    report = build(settings, embedder)
    assert report.documents == 1 and "broken.md" in report.errors[0]


def test_missing_model_gives_one_clear_error():
    from index.embedders import SentenceTransformerEmbedder
    from index.errors import EmbeddingModelError

    with pytest.raises(EmbeddingModelError, match="EMBEDDING_MODEL"):
        SentenceTransformerEmbedder("/nonexistent/model-dir")


def test_fast_query_encoder_matches_sentence_transformers(embedder):
    texts = ["字节跳动在中国有多少GPU？", "How many GPUs does ByteDance have?", "x", "新加坡的电力短缺问题持续了15年。" * 40]
    fast = embedder.embed_queries(texts)
    reference = embedder.model.encode(texts, normalize_embeddings=True)
    assert (fast * reference).sum(axis=1).min() > 0.9999
