"""Build or update the index from corpus/, embedding only what changed."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np

from . import glossary
from .chunking import Chunk, chunk_document
from .dense import build_faiss
from .errors import IndexFormatError, IndexMismatchError, UserFacingError
from .keyword import KeywordIndex
from .readers import read_corpus
from .settings import IndexSettings
from .store import (EMBEDDING_KEYS, EMBEDDINGS, IndexDamagedError, check_compatible, check_model, read_manifest,
                    save_index, text_key, verify_files)
from .tokenize import tokenize

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    documents: int = 0
    chunks: int = 0
    embedded: int = 0          # texts sent to the model
    reused: int = 0            # texts whose vectors came from the previous build
    up_to_date: bool = False
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.up_to_date:
            return f"index up to date: {self.documents} articles, {self.chunks} chunks ({self.seconds:.2f} s)"
        return (f"indexed {self.documents} articles, {self.chunks} chunks: embedded {self.embedded} texts, "
                f"reused {self.reused} ({self.seconds:.1f} s)")


def corpus_fingerprint(documents) -> dict[str, dict]:
    return {d.slug: {"path": d.path, "sha256": d.sha256, "title": d.title, "language": d.language, "source": d.source}
            for d in documents}


def is_current(settings: IndexSettings, model_id: str) -> bool:
    """True when the index on disk was built from exactly the corpus there is now, with this model."""
    manifest = read_manifest(settings.index_dir)
    return manifest is not None and _describes_corpus(manifest, settings, model_id)


def _describes_corpus(manifest: dict, settings: IndexSettings, model_id: str) -> bool:
    try:
        check_compatible(manifest, model_id, settings.index_dir)
    except IndexFormatError:
        return False
    documents, _ = read_corpus(settings.corpus_dir)
    known = {slug: {k: v for k, v in meta.items() if k != "chunks"} for slug, meta in manifest["documents"].items()}
    return (known == corpus_fingerprint(documents) and manifest.get("faiss_index") == settings.faiss_index
            and manifest.get("glossary", "") == glossary.read(settings.corpus_dir).sha256)


def up_to_date(settings: IndexSettings, model_id: str) -> BuildReport | None:
    """The report of a build with nothing to do, or None when the corpus or settings changed. Needs no model."""
    started = time.perf_counter()
    manifest = read_manifest(settings.index_dir)
    if manifest is None or not _describes_corpus(manifest, settings, model_id):
        return None
    return BuildReport(documents=len(manifest["documents"]), chunks=manifest["chunk_count"], up_to_date=True,
                       seconds=time.perf_counter() - started)


def _previous_vectors(settings: IndexSettings, model_id: str, rebuild: bool) -> dict[str, np.ndarray]:
    """Vectors of the last build, by text hash, when they were made by the same model (in any index format)."""
    directory = settings.index_dir
    try:
        manifest = read_manifest(directory)
        if manifest is None:
            return {}
        check_model(manifest, model_id, directory)
        verify_files(directory, {"files": {k: v for k, v in manifest["files"].items() if k in (EMBEDDINGS, EMBEDDING_KEYS)}})
        import json

        keys = json.loads((directory / EMBEDDING_KEYS).read_text(encoding="utf-8"))
        vectors = np.load(directory / EMBEDDINGS)
        return dict(zip(keys, vectors))
    except IndexMismatchError:
        if rebuild:
            return {}
        raise
    except IndexDamagedError as exc:
        log.warning("previous index not reused: %s", exc)
        return {}


def build(settings: IndexSettings, embedder, *, rebuild: bool = False, force: bool = False,
          progress: bool = True) -> BuildReport:
    """rebuild: start over (another model); force: rewrite the index files even if the corpus is unchanged."""
    started = time.perf_counter()
    if not (rebuild or force) and (report := up_to_date(settings, embedder.model_id)):
        return report
    report = BuildReport()
    synonyms = glossary.read(settings.corpus_dir)
    glossary.use(synonyms)
    documents, report.errors = read_corpus(settings.corpus_dir)
    if not documents:
        raise UserFacingError(f"no readable articles in {settings.corpus_dir} (.md, .txt or .html)")
    chunks: list[Chunk] = []
    doc_meta = corpus_fingerprint(documents)
    for doc in documents:
        doc_chunks = chunk_document(doc)
        doc_meta[doc.slug]["chunks"] = len(doc_chunks)
        chunks.extend(doc_chunks)

    texts = [c.embed_text for c in chunks] + [c.sentence_embed_text(s) for c in chunks for s in c.sentences]
    keys = list(dict.fromkeys(text_key(t) for t in texts))
    text_of = {text_key(t): t for t in texts}
    previous = _previous_vectors(settings, embedder.model_id, rebuild)
    missing = [k for k in keys if k not in previous]
    fresh = embedder.embed_passages([text_of[k] for k in missing], progress=progress and len(missing) > 64)
    vectors = dict(previous)
    vectors.update(zip(missing, fresh))
    embeddings = np.vstack([vectors[k] for k in keys]).astype(np.float32)

    row_of = {k: i for i, k in enumerate(keys)}
    chunk_vectors = embeddings[[row_of[text_key(c.embed_text)] for c in chunks]]
    keyword = KeywordIndex.build([tokenize(c.embed_text) for c in chunks])
    manifest = {
        "embedding": {"backend": settings.embedding_backend, "model": embedder.model_id, "dim": int(embeddings.shape[1])},
        "faiss_index": settings.faiss_index,
        "glossary": synonyms.sha256,
        "documents": doc_meta,
        "chunk_count": len(chunks),
    }
    save_index(settings.index_dir, manifest, chunks, keys, embeddings,
               build_faiss(chunk_vectors, settings.faiss_index), keyword)
    report.documents, report.chunks = len(documents), len(chunks)
    report.embedded, report.reused = len(missing), len(keys) - len(missing)
    report.seconds = time.perf_counter() - started
    log.info("index built: %s", report.summary())
    return report
