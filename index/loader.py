"""Open the index for use, building or repairing it first when it is missing, stale or damaged."""
from __future__ import annotations

import logging

from . import glossary
from .build import build, is_current
from .settings import IndexSettings
from .store import ArticleIndex, IndexDamagedError

log = logging.getLogger(__name__)


def open_index(settings: IndexSettings, embedder, *, progress: bool = True) -> ArticleIndex:
    """The current index. Missing or stale → (re)built incrementally; damaged files → rebuilt from corpus/.
    One written by an older version of this code is rebuilt, its vectors reused. One made with another embedding
    model is refused (IndexMismatchError), never overwritten."""
    glossary.use(glossary.read(settings.corpus_dir))
    damaged = False
    try:
        if is_current(settings, embedder.model_id):
            return ArticleIndex.load(settings.index_dir, embedder.model_id)
    except IndexDamagedError as exc:
        log.warning("index damaged, rebuilding from %s: %s", settings.corpus_dir, exc)
        damaged = True
    report = build(settings, embedder, force=damaged, progress=progress)
    log.info(report.summary())
    return ArticleIndex.load(settings.index_dir, embedder.model_id)
