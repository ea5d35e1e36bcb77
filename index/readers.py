"""Read articles from corpus/: Markdown (with optional front matter), plain text and HTML.

Every reader returns a Document whose body is Markdown-shaped text ('#' headings, '- ' list items,
blank lines between paragraphs), so one chunker serves every format.
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import CorpusError
from .text import is_chinese_or_english, language_of

log = logging.getLogger(__name__)

SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".html": "html", ".htm": "html"}


@dataclass(frozen=True)
class Document:
    slug: str
    title: str
    language: str
    source: str
    path: str
    body: str
    sha256: str


def slug_of(path: Path) -> str:
    slug = re.sub(r"[^\w-]+", "-", path.stem.lower(), flags=re.UNICODE).strip("-")
    return slug or "article"


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 4)
    if end < 0:
        return {}, text
    meta = {}
    for line in text[4:end].splitlines():
        key, sep, value = line.partition(":")
        if sep:
            meta[key.strip().lower()] = value.strip().strip("\"'")
    return meta, text[end + 4:].lstrip("\n")


def _first_heading(body: str) -> str:
    m = re.search(r"^#\s+(.+)$", body, flags=re.MULTILINE)
    return m.group(1).strip() if m else ""


def _html_to_markdown(html: str) -> tuple[str, str]:
    from bs4 import BeautifulSoup  # lazy: only HTML articles need it

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "nav", "footer", "header", "aside", "noscript"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    blocks = []
    for el in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "pre"]):
        text = " ".join(el.get_text(" ", strip=True).split())
        if not text or el.find_parent(["li", "blockquote"]) is not None and el.name == "p":
            continue
        if el.name.startswith("h"):
            blocks.append("#" * int(el.name[1]) + " " + text)
        elif el.name == "li":
            # consecutive items form one list block
            if blocks and blocks[-1].startswith("- "):
                blocks[-1] += "\n- " + text
                continue
            blocks.append("- " + text)
        else:
            blocks.append(text)
    return title, "\n\n".join(blocks)


def read_document(path: Path) -> Document:
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise CorpusError(f"{path}: unsupported file type (use {', '.join(sorted(SUFFIXES))})")
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{path}: cannot be read as UTF-8 text ({exc.__class__.__name__})") from exc
    meta: dict[str, str] = {}
    if kind == "html":
        html_title, body = _html_to_markdown(text)
        meta["title"] = html_title
    elif kind == "markdown":
        meta, body = _front_matter(text)
    else:
        lines = text.strip().split("\n", 1)
        meta["title"] = lines[0].strip()
        body = lines[1].strip() if len(lines) > 1 else ""
    if not body.strip():
        raise CorpusError(f"{path}: the article is empty")
    title = meta.get("title") or _first_heading(body) or path.stem
    return Document(
        slug=slug_of(path),
        title=title,
        language=meta.get("language") or language_of(body),
        source=meta.get("source", ""),
        path=str(path),
        body=body,
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def read_corpus(corpus_dir: Path) -> tuple[list[Document], list[str]]:
    """All readable articles, sorted by path, and one error line per file that could not be read."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus directory {corpus_dir} does not exist")
    documents, errors = [], []
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file() and not p.name.startswith(".")):
        if path.suffix.lower() not in SUFFIXES:
            continue
        try:
            document = read_document(path)
        except CorpusError as exc:
            log.warning("skipping article: %s", exc)
            errors.append(str(exc))
            continue
        documents.append(document)
        if not is_chinese_or_english(document.body):
            # kept: the multilingual embedder still finds it, but the answerer's word statistics are for zh/en
            message = (f"{path}: written mostly in neither Chinese nor English; it is indexed, "
                       f"but answers about it will be poor")
            log.warning("%s", message)
            errors.append(message)
    seen: dict[str, str] = {}
    for doc in documents:
        if doc.slug in seen:
            raise CorpusError(f"{doc.path} and {seen[doc.slug]} have the same name; rename one")
        seen[doc.slug] = doc.path
    return documents, errors
