"""Development sets in SQuAD format (CMRC 2018 trial, SQuAD 2.0 Normans) as a corpus and its questions.

A set's articles are split, by a fixed order, into those written into the corpus and those left out:
questions about a left-out article must be refused. Each article's questions are also marked `fit` or
`report` (alternate articles; alternate questions within a one-article set), so the evidence model is
fitted on one half and reported on the other.
"""
from __future__ import annotations

import dataclasses
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
    evidence: tuple[str, ...] = ()     # the article's sentences the gold spans were marked in, where known

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
                if not qa["question"].strip():
                    continue        # two CMRC trial questions have no text: the bot asks for one, rightly
                answers = () if qa.get("is_impossible") else tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                alternate = number if len(articles) == 1 else position
                evidence = tuple(dict.fromkeys(_sentence_at(paragraph["context"], a["answer_start"])
                                               for a in qa["answers"] if answers))
                questions.append(Question(qa["id"], qa["question"], language, slug, answers, in_corpus,
                                          "fit" if alternate % 2 == 0 else "report", evidence))
                number += 1
    return corpus, questions


def _sentence_at(context: str, offset: int) -> str:
    """The sentence of a paragraph (as the corpus writes it) that character `offset` falls in."""
    from index.text import split_sentences

    before = len(re.sub(r"\s*\n\s*", " ", context[:offset]).lstrip())
    paragraph = re.sub(r"\s*\n\s*", " ", context).strip()
    start = 0
    for sentence in split_sentences(paragraph):
        start = paragraph.index(sentence, start)
        if start <= before < start + len(sentence):
            return sentence
        start += len(sentence)
    return ""


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


def without_answers(corpus: dict[str, str], questions: list[Question], group: int = 0,
                    groups: int = 2) -> tuple[dict[str, str], list[Question]]:
    """The corpus with the sentences holding the gold spans of some answerable questions removed, and those
    questions turned unanswerable: the article is there and speaks of what is asked, the fact isn't (SQuAD
    2.0's unanswerable questions, made from any answerable set). Some: the `group`-th of every `groups` of an
    article's questions, so most of the article stays. A question whose span still appears (across two
    sentences, or said twice) is left out."""
    from index.text import join_sentences, split_sentences

    from .squad import contains_gold

    chosen: dict[str, list[Question]] = {}
    for q in questions:
        if q.answerable:
            chosen.setdefault(q.article, []).append(q)
    chosen = {slug: mine[group::groups] for slug, mine in chosen.items()}
    ablated = {}
    for slug, text in corpus.items():
        removed = {sentence for q in chosen.get(slug, ()) for sentence in q.evidence}
        title, *paragraphs = text.split("\n\n")
        kept = [join_sentences([s for s in split_sentences(p) if s not in removed]) for p in paragraphs]
        ablated[slug] = "\n\n".join([title, *(p for p in kept if p.strip())]).rstrip() + "\n"
    asked = [dataclasses.replace(q, id=f"{q.id}-ablated", answers=()) for mine in chosen.values() for q in mine
             if not any(contains_gold(ablated[q.article], (a,)) for a in q.answers)]
    return ablated, asked
