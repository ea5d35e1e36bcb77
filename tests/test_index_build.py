"""Index build on disk: incremental, model-checked, self-repairing (real MiniLM and FAISS)."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import reliability
from bot.engine import Engine
from bot.settings import Settings
from index.build import build
from index.errors import IndexMismatchError
from index.loader import open_index
from index.settings import IndexSettings
from index.store import (CHUNKS, DATA_FILES, EMBEDDING_KEYS, EMBEDDINGS, FAISS_FILE, FORMAT_VERSION, MANIFEST,
                         MANIFEST_CHECKSUM, ArticleIndex, IndexDamagedError, manifest_checksum, text_key)

ROOT = Path(__file__).resolve().parent.parent


class Counting:
    """The real embedder, counting how many texts it is asked to embed. With ``known`` (text -> the vector the
    same model gave it, as the session's index holds them), a known text gets that vector back instead of being
    encoded a second time: a rebuild still sends every text, and the index it writes holds the model's vectors."""

    def __init__(self, inner, model_id=None, known=None):
        self.inner, self.embedded, self.known = inner, 0, known or {}
        self.model_id, self.dim = model_id or inner.model_id, inner.dim

    def embed_passages(self, texts, progress=False):
        self.embedded += len(texts)
        new = [t for t in texts if text_key(t) not in self.known]
        if len(new) == len(texts):
            return self.inner.embed_passages(texts)
        self.known.update(zip(map(text_key, new), self.inner.embed_passages(new) if new else []))
        return np.vstack([self.known[text_key(t)] for t in texts])

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)


@pytest.fixture(scope="module")
def session_vectors(engine, index_settings) -> dict:
    """Every text of the session's index, by its key, with the vector the session's model gave it."""
    keys = json.loads((index_settings.index_dir / EMBEDDING_KEYS).read_text(encoding="utf-8"))
    return dict(zip(keys, np.load(index_settings.index_dir / EMBEDDINGS)))


@pytest.fixture
def settings(tmp_path, engine, index_settings):
    """A copy of the session's corpus and of its index, built once by the session's engine: a test that changes
    either embeds only what it changed."""
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(index_settings.corpus_dir, corpus)
    shutil.copytree(index_settings.index_dir, index)
    return IndexSettings(corpus_dir=corpus, index_dir=index)


def test_unchanged_corpus_embeds_nothing_and_a_change_embeds_only_what_changed(settings, embedder):
    counting = Counting(embedder)
    first = build(settings, counting)      # a copy in a new place: its vectors are reused, nothing is embedded
    assert first.chunks == 12 and counting.embedded == first.embedded == 0 and first.reused > first.chunks

    again = build(settings, counting)
    assert again.up_to_date and counting.embedded == 0

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


@pytest.mark.slow
def test_index_from_another_model_is_refused_then_rebuilt_on_request(settings, embedder, session_vectors):
    other = Counting(embedder, model_id="some/other-model", known=dict(session_vectors))
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        open_index(settings, other)
    report = build(settings, other, rebuild=True)
    assert report.chunks == 12 and other.embedded == report.embedded > report.chunks    # every chunk and sentence
    assert ArticleIndex.load(settings.index_dir, "some/other-model").manifest["embedding"]["model"] == "some/other-model"


def test_index_written_by_an_older_version_is_rebuilt_by_itself_keeping_its_vectors(settings, embedder):
    manifest = json.loads((settings.index_dir / MANIFEST).read_text(encoding="utf-8"))
    manifest["format_version"] = FORMAT_VERSION - 1
    manifest[MANIFEST_CHECKSUM] = manifest_checksum(manifest)
    (settings.index_dir / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    counting = Counting(embedder)
    index = open_index(settings, counting, progress=False)
    assert index.manifest["format_version"] == FORMAT_VERSION and index.chunks
    assert counting.embedded == 0


DAMAGES = {
    "truncated": lambda data: data[:len(data) // 2],
    "corrupted": lambda data: data[:len(data) // 2] + b"\x00\xffgarbage\x00\xfe{]\"\n#" + data[len(data) // 2 + 16:],
    "one letter changed": lambda data: data.replace(b'"documents"', b'"documentz"', 1),    # still valid JSON
}
# every file truncated (caught by its size); the three main kinds also corrupted at the same size (caught by the
# hash, or by the manifest's JSON parser). Damage to the manifest or the vectors sends every text to the embedder
# again (it answers with the session's vectors, see Counting); the subprocess case below re-embeds them for real.
CASES = [(name, "truncated") for name in (MANIFEST, *DATA_FILES)] + [(n, "corrupted") for n in (MANIFEST, CHUNKS, FAISS_FILE)] + [
    (MANIFEST, "one letter changed")]


def damaged_copy(index_settings, tmp_path, name: str, damage: str) -> IndexSettings:
    """A copy of the session's index with one file damaged; the corpus is the session's, read-only."""
    settings = IndexSettings(corpus_dir=index_settings.corpus_dir, index_dir=tmp_path / "index")
    shutil.copytree(index_settings.index_dir, settings.index_dir)
    path = settings.index_dir / name
    data = path.read_bytes()
    path.write_bytes(DAMAGES[damage](data))
    assert path.read_bytes() != data and (damage == "truncated") == (path.stat().st_size < len(data))
    return settings


FAST_CASE = (CHUNKS, "corrupted")      # make check: one kind of damage; make test: every kind


@pytest.mark.parametrize("name, damage", [case if case == FAST_CASE else pytest.param(*case, marks=pytest.mark.slow)
                                          for case in CASES])
def test_damaged_index_file_is_detected_with_a_clear_message_and_rebuilt(engine, index_settings, embedder, tmp_path,
                                                                         session_vectors, caplog, name, damage):
    reliability.record("Process: truncated or corrupted index file", injected=(
        "each of the 8 index files cut to half its size; manifest, chunk store and FAISS index also with "
        "16 bytes in the middle overwritten; a key of the manifest changed by one letter"))
    settings = damaged_copy(index_settings, tmp_path, name, damage)
    with pytest.raises(IndexDamagedError, match="manifest in .* is (unreadable|damaged)" if name == MANIFEST else
                       f"index file .*{name} is truncated or damaged"):
        ArticleIndex.load(settings.index_dir, embedder.model_id)

    counting = Counting(embedder, known=dict(session_vectors))
    answer = Engine(Settings(index=settings), embedder=counting, progress=False).answer("字节跳动在中国有多少GPU？")
    assert "50万" in answer.text and answer.citations
    [warning] = [r.getMessage() for r in caplog.records if r.name == "index.loader"]
    assert warning.startswith(f"index damaged, rebuilding from {settings.corpus_dir}: ")
    assert (name if name != MANIFEST else "index manifest") in warning
    assert len(ArticleIndex.load(settings.index_dir, embedder.model_id).chunks) == 12    # whole again on disk


@pytest.mark.slow
@pytest.mark.parametrize("name, damage", [(FAISS_FILE, "truncated"), (CHUNKS, "corrupted"), (MANIFEST, "truncated")])
def test_ask_with_a_damaged_index_says_so_and_still_answers(engine, index_settings, tmp_path, name, damage):
    reliability.record("Process: truncated or corrupted index file", injected=(
        "python -m bot ask, in a subprocess, on an index whose FAISS file is truncated, chunk store corrupted "
        "or manifest truncated"))
    settings = damaged_copy(index_settings, tmp_path, name, damage)
    env = dict(os.environ, INDEX_DIR=str(settings.index_dir), CORPUS_DIR=str(settings.corpus_dir), PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "bot", "ask", "字节跳动在中国有多少GPU？"], capture_output=True,
                            text=True, env=env, timeout=300)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "index damaged, rebuilding from" in result.stderr and (name if name != MANIFEST else "manifest") in result.stderr
    assert "50万" in result.stdout and "[1]" in result.stdout


def test_unreadable_article_is_named_and_the_rest_load(settings, embedder):
    (settings.corpus_dir / "broken.md").write_bytes(b"\xff\xfe\xfa")
    report = build(settings, embedder)
    assert report.documents == 1 and "broken.md" in report.errors[0]


def test_an_article_in_another_language_is_indexed_with_a_warning(settings, embedder):
    (settings.corpus_dir / "russian.md").write_text("# Статья\n\nМосква — столица России. Население около 13 миллионов.\n",
                                                     encoding="utf-8")
    report = build(settings, embedder)
    assert report.documents == 2 and any("russian.md" in e and "neither Chinese nor English" in e for e in report.errors)


def test_a_glossary_file_is_not_an_article_and_its_change_rebuilds(settings, embedder):
    from index.build import is_current

    assert build(settings, embedder).embedded == 0          # the copy made current
    (settings.corpus_dir / "glossary.tsv").write_text("gpu | 显卡\n", encoding="utf-8")
    assert not is_current(settings, embedder.model_id)
    report = build(settings, embedder)
    assert report.documents == 1 and not report.errors and report.embedded == 0


@pytest.mark.slow                            # imports sentence-transformers (≈ 8 s)
def test_missing_model_gives_one_clear_error():
    from index.embedders import SentenceTransformerEmbedder
    from index.errors import EmbeddingModelError

    with pytest.raises(EmbeddingModelError, match="EMBEDDING_MODEL"):
        SentenceTransformerEmbedder("/nonexistent/model-dir")


@pytest.mark.slow                            # loads MiniLM through sentence-transformers
def test_fast_query_encoder_matches_sentence_transformers():
    from index.embedders import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()     # the sentence-transformers backend, MiniLM as shipped
    texts = ["字节跳动在中国有多少GPU？", "How many GPUs does ByteDance have?", "x", "新加坡的电力短缺问题持续了15年。" * 40]
    fast = embedder.embed_queries(texts)
    reference = embedder.model.encode(texts, normalize_embeddings=True)
    assert (fast * reference).sum(axis=1).min() > 0.9999
