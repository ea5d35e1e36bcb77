"""An optional glossary of synonyms the user puts beside the articles: `corpus/glossary.tsv`.

Keyword search matches words, so "Reykjavík" never finds "雷克雅未克" unless someone says they are the same.
The multilingual embedding model already bridges languages; a glossary helps keyword search and answer
checks with the corpus's own names and jargon. Format, one group of spellings of the same thing a line:

    # comments and blank lines are ignored
    reykjavík | 雷克雅未克
    aeroplane | airplane | 飞机

A query word in a group also searches the other spellings (at a lower weight, see keyword.py). The code
knows no words of its own: without the file there are no equivalents. An empty or unreadable file is named
in a warning and ignored.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

FILE_NAME = "glossary.tsv"
_SUFFIXES = ("ing", "ed", "es", "s", "d")


@dataclass(frozen=True)
class Glossary:
    groups: tuple[tuple[str, ...], ...] = ()
    sha256: str = ""

    @cached_property
    def phrases(self) -> list[str]:
        """English phrases of more than one word, longest first, matched before single words."""
        return sorted((t for g in self.groups for t in g if t.isascii() and not t.isalnum()), key=len, reverse=True)

    @cached_property
    def chinese_words(self) -> list[str]:
        return [t for g in self.groups for t in g if not t.isascii()]


def read(corpus_dir: Path) -> Glossary:
    """The glossary in corpus_dir, or an empty one (with a warning when the file exists but can't be used).
    Read once per version of the file: a start reads it several times, and warns once."""
    path = Path(corpus_dir) / FILE_NAME
    try:
        stat = path.stat()
    except OSError:
        return Glossary()
    return _read(path, stat.st_mtime_ns, stat.st_size) if path.is_file() else Glossary()


@lru_cache(maxsize=16)
def _read(path: Path, mtime_ns: int, size: int) -> Glossary:
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("glossary %s ignored: it cannot be read as UTF-8 text (%s)", path, exc.__class__.__name__)
        return Glossary()
    groups = []
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        spellings = tuple(dict.fromkeys(s.strip().casefold() for s in line.replace("\t", "|").split("|") if s.strip()))
        if len(spellings) > 1:
            groups.append(spellings)
    if not groups:
        log.warning("glossary %s ignored: it has no line with two or more spellings ('a | b')", path)
        return Glossary()
    return Glossary(tuple(groups), hashlib.sha256(raw).hexdigest())


_lock = threading.Lock()
_active = Glossary()
_equivalents: dict[str, tuple[str, ...]] = {}


def use(glossary: Glossary) -> None:
    """Make glossary the one tokenizing and search use (jieba's dictionary is process-wide, and so is this)."""
    global _active, _equivalents
    with _lock:
        if glossary == _active:
            return
        from .tokenize import register_words

        register_words(glossary.chinese_words, _active.chinese_words)
        _active = glossary
        _equivalents = {term: tuple(t for t in group if t != term) for group in glossary.groups for term in group}


def active() -> Glossary:
    return _active


def equivalents(term: str) -> tuple[str, ...]:
    """Other spellings of a term. An English word not in the glossary is also looked up without its
    inflection (rented → rent, then its group); failing that, its bare stems are its spellings (a380s → a380)."""
    found = _equivalents.get(term)
    if found is not None or not term.isascii():
        return found or ()
    stems = [term[: -len(suffix)] for suffix in _SUFFIXES if term.endswith(suffix) and len(term) > len(suffix) + 2]
    stem = next((s for s in stems if s in _equivalents), None)
    return (stem, *_equivalents[stem]) if stem else tuple(stems)
