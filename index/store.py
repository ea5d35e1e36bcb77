"""The index on disk: manifest, chunk store, embedding cache, FAISS and keyword indexes.

Every file is written to a temporary name and renamed, the manifest last, and the manifest records
each file's size and hash (and its own), so a half-written or damaged index is noticed at load, never used.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .chunking import Chunk
from .dense import load_faiss
from .errors import IndexFormatError, IndexMismatchError, UserFacingError
from .keyword import KeywordIndex
from .tokenize import normalize, tokenize

FORMAT_VERSION = 4   # 4: an initial's period (H. McArthur) ends no sentence; 3: sentences embedded under their heading path; 2: other keyword tokens
MANIFEST = "manifest.json"
MANIFEST_CHECKSUM = "manifest_sha256"
CHUNKS = "chunks.jsonl"
EMBEDDINGS = "embeddings.npy"
EMBEDDING_KEYS = "embedding_keys.json"
FAISS_FILE = "dense.faiss"
DATA_FILES = (CHUNKS, EMBEDDINGS, EMBEDDING_KEYS, FAISS_FILE, "keyword.npz", "keyword_idf.npy", "keyword_vocab.json")


class IndexDamagedError(UserFacingError):
    pass


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_atomic(path: Path, write) -> None:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_manifest(directory: Path) -> dict | None:
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise IndexDamagedError(f"index manifest in {directory} is unreadable ({exc.__class__.__name__})") from exc
    # the manifest vouches for the other files, its checksum for itself (one written before checksums is taken as is)
    if not isinstance(manifest, dict) or manifest.get(MANIFEST_CHECKSUM) not in (None, manifest_checksum(manifest)):
        raise IndexDamagedError(f"index manifest in {directory} is damaged (its checksum does not match)")
    return manifest


def manifest_checksum(manifest: dict) -> str:
    fields = {k: v for k, v in manifest.items() if k != MANIFEST_CHECKSUM}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def check_compatible(manifest: dict, model_id: str, directory: Path) -> None:
    """Refuse an index built with another embedding model, or written in another format (IndexFormatError:
    building replaces it by itself and keeps its vectors)."""
    check_model(manifest, model_id, directory)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexFormatError(
            f"the index in {directory} has format {manifest.get('format_version')}, this version reads "
            f"{FORMAT_VERSION}. Rebuild it: python -m index build --rebuild")


def check_model(manifest: dict, model_id: str, directory: Path) -> None:
    """Refuse vectors made by another embedding model: they mean something else."""
    built_with = manifest.get("embedding", {}).get("model")
    if built_with != model_id:
        raise IndexMismatchError(
            f"the index in {directory} was built with embedding model {built_with!r}, but the setting "
            f"EMBEDDING_MODEL asks for {model_id!r}. Rebuild it: python -m index build --rebuild")


def verify_files(directory: Path, manifest: dict) -> None:
    for name, expected in manifest.get("files", {}).items():
        path = directory / name
        if not path.exists():
            raise IndexDamagedError(f"index file {path} is missing")
        if path.stat().st_size != expected["size"] or file_digest(path) != expected["sha256"]:
            raise IndexDamagedError(f"index file {path} is truncated or damaged")


@dataclass
class SentenceTable:
    """Every sentence of every chunk, in order, with the row range each chunk owns."""
    texts: list[str]
    chunk_of: np.ndarray        # sentence row -> chunk row
    starts: np.ndarray          # chunk row -> first sentence row
    vectors: np.ndarray         # sentence row -> unit vector
    _tokens: dict[int, frozenset[str]] = field(default_factory=dict)
    _normalized: dict[int, str] = field(default_factory=dict)

    def tokens(self, row: int) -> frozenset[str]:
        """Keyword tokens of one sentence, computed on first use (a sentence is tokenized once per process)."""
        found = self._tokens.get(row)
        if found is None:
            found = self._tokens[row] = frozenset(tokenize(self.texts[row]))
        return found

    def normalized(self, row: int) -> str:
        """The sentence simplified and case-folded (what question words are looked for in), computed once."""
        found = self._normalized.get(row)
        if found is None:
            found = self._normalized[row] = normalize(self.texts[row])
        return found

    def rows_of(self, chunk_row: int) -> range:
        return range(int(self.starts[chunk_row]), int(self.starts[chunk_row + 1]))


class ArticleIndex:
    """A loaded index: everything retrieval and answering read."""

    def __init__(self, directory: Path, manifest: dict, chunks: list[Chunk], chunk_vectors: np.ndarray,
                 faiss_index, keyword: KeywordIndex, sentences: SentenceTable):
        self.directory = directory
        self.manifest = manifest
        self.chunks = chunks
        self.chunk_vectors = chunk_vectors
        self.faiss = faiss_index
        self.keyword = keyword
        self.sentences = sentences
        self.by_id = {c.chunk_id: i for i, c in enumerate(chunks)}

    @property
    def documents(self) -> dict[str, dict]:
        return self.manifest.get("documents", {})

    @classmethod
    def load(cls, directory: Path, model_id: str) -> "ArticleIndex":
        manifest = read_manifest(directory)
        if manifest is None:
            raise IndexDamagedError(f"there is no index in {directory}")
        check_compatible(manifest, model_id, directory)
        verify_files(directory, manifest)
        try:
            with open(directory / CHUNKS, encoding="utf-8") as f:
                chunks = [Chunk(**json.loads(line)) for line in f if line.strip()]
            embeddings = np.load(directory / EMBEDDINGS)
            keys = json.loads((directory / EMBEDDING_KEYS).read_text(encoding="utf-8"))
            faiss_index = load_faiss(directory / FAISS_FILE)
            keyword = KeywordIndex.load(directory)
        except (OSError, ValueError, TypeError, RuntimeError) as exc:
            raise IndexDamagedError(f"index in {directory} cannot be read ({exc.__class__.__name__})") from exc
        row_of = {k: i for i, k in enumerate(keys)}
        chunk_vectors = embeddings[[row_of[text_key(c.embed_text)] for c in chunks]] if chunks else embeddings[:0]
        return cls(directory, manifest, chunks, chunk_vectors, faiss_index, keyword,
                   sentence_table(chunks, embeddings, row_of))


def sentence_table(chunks: list[Chunk], embeddings: np.ndarray, row_of: dict[str, int]) -> SentenceTable:
    texts, chunk_of, starts, rows = [], [], [0], []
    for row, chunk in enumerate(chunks):
        for sentence in chunk.sentences:
            texts.append(sentence)
            chunk_of.append(row)
            rows.append(row_of[text_key(chunk.sentence_embed_text(sentence))])
        starts.append(len(texts))
    return SentenceTable(texts, np.array(chunk_of, dtype=np.int64), np.array(starts, dtype=np.int64),
                         embeddings[rows] if rows else np.zeros((0, embeddings.shape[1]), dtype=np.float32))


def save_index(directory: Path, manifest: dict, chunks: list[Chunk], keys: list[str], embeddings: np.ndarray,
               faiss_index, keyword: KeywordIndex) -> None:
    import faiss

    directory.mkdir(parents=True, exist_ok=True)
    (directory / MANIFEST).unlink(missing_ok=True)   # no manifest = no index, until everything is written

    def write_chunks(tmp: Path):
        with open(tmp, "w", encoding="utf-8") as f:
            for chunk in chunks:
                f.write(json.dumps(chunk.to_json(), ensure_ascii=False) + "\n")

    write_atomic(directory / CHUNKS, write_chunks)
    def write_embeddings(tmp: Path):
        with open(tmp, "wb") as f:
            np.save(f, embeddings)

    write_atomic(directory / EMBEDDINGS, write_embeddings)
    write_atomic(directory / EMBEDDING_KEYS, lambda tmp: tmp.write_text(json.dumps(keys), encoding="utf-8"))
    write_atomic(directory / FAISS_FILE, lambda tmp: faiss.write_index(faiss_index, str(tmp)))
    keyword.save(directory)
    manifest = dict(manifest, format_version=FORMAT_VERSION, built_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    files={name: {"size": (directory / name).stat().st_size, "sha256": file_digest(directory / name)}
                           for name in DATA_FILES})
    manifest[MANIFEST_CHECKSUM] = manifest_checksum(manifest)
    write_atomic(directory / MANIFEST,
                 lambda tmp: tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"))
