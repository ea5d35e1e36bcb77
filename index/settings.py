"""Index settings, read once from the environment (and a .env file in the working directory)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .embedders import DEFAULT_MODEL
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


@dataclass(frozen=True)
class IndexSettings:
    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path(".index")
    embedding_backend: str = "sentence-transformers"   # or "openai"
    embedding_model: str = DEFAULT_MODEL
    embedding_base_url: str = ""
    embedding_api_key: str = ""
    faiss_index: str = "flat"
    embedding_languages: str = "auto"   # "en", "zh", "multilingual"; auto = guessed from the model name

    @classmethod
    def from_env(cls) -> "IndexSettings":
        backend = env("EMBEDDING_BACKEND", "sentence-transformers").lower()
        if backend not in ("sentence-transformers", "openai"):
            raise UserFacingError(f"EMBEDDING_BACKEND must be 'sentence-transformers' or 'openai', not {backend!r}")
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
        )

    @property
    def model_id(self) -> str:
        """The model id an index built with these settings records (what their embedder calls itself)."""
        return f"openai:{self.embedding_model}" if self.embedding_backend == "openai" else self.embedding_model

    def embedder(self):
        from .embedders import OpenAIEmbedder, SentenceTransformerEmbedder

        match self.embedding_backend:
            case "openai":
                return OpenAIEmbedder(self.embedding_model, self.embedding_base_url or None, self.embedding_api_key or None)
            case _:
                return SentenceTransformerEmbedder(self.embedding_model)
