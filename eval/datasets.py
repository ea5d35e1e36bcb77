"""Development sets in SQuAD format (CMRC 2018 trial, SQuAD 2.0 Normans) as a corpus and its questions.

A set's articles are split, by a fixed order, into those written into the corpus and those left out:
questions about a left-out article must be refused. Each article's questions are also marked `fit` or
`report` (alternate articles; alternate questions within a one-article set), so the evidence model is
fitted on one half and reported on the other.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    language: str
    article: str               # slug of the article it is about
    answers: tuple[str, ...]   # gold spans; empty = the article doesn't answer it
    in_corpus: bool            # its article is in the corpus
    split: str                 # "fit" | "report"

    @property
    def answerable(self) -> bool:
        return bool(self.answers) and self.in_corpus


def _slug(title: str, prefix: str) -> str:
    return f"{prefix}-{hashlib.sha1(title.encode('utf-8')).hexdigest()[:8]}"


def load(path: Path, language: str, left_out: float = 0.0) -> tuple[dict[str, str], list[Question]]:
    """Articles (slug -> Markdown) to write into a corpus, and every question. left_out: the share of
    articles left out of the corpus (the last ones in the order of their slugs' hashes)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    prefix = Path(path).stem.split("_")[0]
    articles = sorted(data, key=lambda a: _slug(a["title"], prefix))
    keep = len(articles) - int(round(left_out * len(articles)))
    corpus, questions = {}, []
    for position, article in enumerate(articles):
        slug = _slug(article["title"], prefix)
        in_corpus = position < keep
        if in_corpus:
            body = "\n\n".join(re.sub(r"\s*\n\s*", " ", p["context"]).strip() for p in article["paragraphs"])
            corpus[slug] = f"# {article['title']}\n\n{body}\n"
        number = 0
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = () if qa.get("is_impossible") else tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                alternate = number if len(articles) == 1 else position
                questions.append(Question(qa["id"], qa["question"], language, slug, answers, in_corpus,
                                          "fit" if alternate % 2 == 0 else "report"))
                number += 1
    return corpus, questions


def development_sets(left_out: float = 0.22) -> tuple[dict[str, str], list[Question]]:
    """CMRC 2018 trial (a fifth of its articles left out: 200 of 256 in the corpus) and SQuAD 2.0 Normans,
    as one corpus of Chinese and English articles."""
    zh_corpus, zh = load(SHARED_DATA / "cmrc2018_trial.json", "zh", left_out)
    en_corpus, en = load(SHARED_DATA / "squad2_dev_normans.json", "en")
    return {**zh_corpus, **en_corpus}, zh + en


def write_corpus(articles: dict[str, str], directory: Path) -> Path:
    """Write the articles as Markdown files, leaving unchanged files alone (the index then reuses their vectors)."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in set(p.stem for p in directory.glob("*.md")) - set(articles):
        (directory / f"{stale}.md").unlink()
    for slug, text in articles.items():
        path = directory / f"{slug}.md"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return directory
