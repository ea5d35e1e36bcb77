"""Split a Document into paragraph chunks that remember where they came from."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .readers import Document
from .text import join_sentences, sentence_gap, split_sentences

MAX_CHUNK_CHARS = 700
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")     # "- ", "• ", "1. ", "2) " (bot/evidence.py strips it)


def heading_path(*parts: str) -> str:
    """"article › section › subsection": how a passage's place is written everywhere (the empty parts left out)."""
    return " › ".join(p for p in parts if p)


@dataclass(frozen=True)
class Chunk:
    chunk_id: str        # "<slug>#<ordinal>", stable while the article's structure is
    doc_slug: str
    doc_title: str
    section: str         # heading path below the title, "A › B"; "" for the lead
    ordinal: int         # 1-based position in the article (the paragraph number users see)
    text: str            # verbatim paragraph (list items keep their "- " markers)
    sha256: str          # content hash: decides what needs re-embedding
    language: str

    @property
    def heading_path(self) -> str:
        return heading_path(self.doc_title, self.section)

    @property
    def embed_text(self) -> str:
        """What is embedded and keyword-indexed: the passage with its heading path for context."""
        return f"{self.heading_path}\n{self.text}"

    @property
    def sentences(self) -> list[str]:
        return split_sentences(self.text)

    def sentence_embed_text(self, sentence: str) -> str:
        """What a sentence is embedded as: with the heading path it stands under, so "It was founded in 1786"
        or "本鱼分布于…" carries its subject (contextual headers)."""
        return f"{self.heading_path}: {sentence}"

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _blocks(body: str):
    """Yield ('heading', level, text) and ('para', text) blocks; a list stays one block."""
    para: list[str] = []
    for line in body.split("\n") + [""]:
        heading = _HEADING.match(line.strip())
        if heading or not line.strip():
            if para:
                yield ("para", "\n".join(para))
                para = []
            if heading:
                yield ("heading", len(heading.group(1)), heading.group(2).strip())
            continue
        # a list item after prose, or prose after a list, starts a new block
        if para and bool(LIST_ITEM.match(line)) != bool(LIST_ITEM.match(para[-1])):
            yield ("para", "\n".join(para))
            para = []
        para.append(line.rstrip())


def split_long(text: str, max_chars: int = MAX_CHUNK_CHARS) -> list[str]:
    """Pieces of at most max_chars, cut only between sentences (a longer sentence stays whole)."""
    if len(text) <= max_chars:
        return [text]
    pieces, current = [], ""
    for sentence in split_sentences(text):
        if current and len(current) + len(sentence_gap(current)) + len(sentence) > max_chars:
            pieces.append(current)
            current = sentence
        else:
            current = join_sentences([current, sentence]) if current else sentence
    if current:
        pieces.append(current)
    return pieces


def chunk_document(doc: Document, max_chars: int = MAX_CHUNK_CHARS) -> list[Chunk]:
    path: list[tuple[int, str]] = []   # open headings (level, text) below the title
    chunks: list[Chunk] = []
    for block in _blocks(doc.body):
        if block[0] == "heading":
            _, level, text = block
            if level == 1 and text == doc.title:
                continue
            path = [(lvl, t) for lvl, t in path if lvl < level] + [(level, text)]
            continue
        section = heading_path(*(t for _, t in path))
        for piece in split_long(block[1], max_chars):
            ordinal = len(chunks) + 1
            chunks.append(Chunk(
                chunk_id=f"{doc.slug}#{ordinal}",
                doc_slug=doc.slug,
                doc_title=doc.title,
                section=section,
                ordinal=ordinal,
                text=piece,
                sha256=hashlib.sha256(piece.encode("utf-8")).hexdigest()[:16],
                language=doc.language,
            ))
    return chunks
