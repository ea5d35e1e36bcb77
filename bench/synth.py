"""Synthetic corpora for the scale benchmark, generated at run time from the seed article's real sentences.

How (and what that means for the figures):
- A *pool* of sentence variants: every sentence of corpus/ with its companies, places, people, chip models
  and numbers replaced by others (字节跳动 → 美团, 新加坡 → 越南, H20 → B200, 50万 → 73万 ...).
  Section headings and article titles are varied the same way.
- A paragraph is 2-6 pool sentences under a pool heading and title, drawn by a seeded generator, so a corpus
  of any size is a few integer arrays; paragraph texts are joined from the pool when needed.
- Keyword tokens: every distinct pool sentence / heading / title is tokenized once with the product's
  tokenize() (jieba + OpenCC + glossary); a paragraph's token list is the concatenation of its pieces'
  lists. The BM25 index built from them is the product's real KeywordIndex at every size.
- Dense vectors: every pool sentence, heading and title is embedded once with the real model
  (all-MiniLM-L6-v2); a paragraph's vector is the unit-normalised sum of its pieces' vectors plus Gaussian
  noise. These are *synthetic* vectors ("fixed random vectors" with the structure of real embeddings),
  not embeddings of the paragraph texts: embedding 1M paragraphs on 2 cores would take hours. At 10k the
  full run also embeds the real paragraph texts and compares.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .common import ROOT

COMPANIES_ZH = ["字节跳动", "华为", "阿里巴巴", "腾讯", "百度", "小米", "美团", "京东", "快手", "商汤", "寒武纪",
                "浪潮", "联想", "中兴", "大疆", "网易", "拼多多", "科大讯飞", "比亚迪", "蔚来"]
COMPANIES_EN = ["Oracle", "Google", "Microsoft", "Amazon", "Meta", "NVIDIA", "Nvidia", "Intel", "Dell", "HPE",
                "Supermicro", "CoreWeave", "Lambda", "IBM", "Cisco", "Broadcom", "Qualcomm", "Apple", "Tesla",
                "SemiAnalysis", "TikTok", "Equinix", "Lenovo", "Inspur"]
PLACES = ["中国", "新加坡", "马来西亚", "旧金山", "上海", "美国", "泰国", "越南", "印度尼西亚", "日本", "韩国", "台湾", "香港",
          "深圳", "北京", "迪拜", "印度", "德国", "荷兰", "墨西哥", "巴西", "菲律宾", "西雅图", "纽约", "东京"]
PEOPLE = ["Lex Fridman", "Dylan Patel", "Nathan Lambert", "Jensen Huang", "Lisa Su", "Sam Altman", "Ben Thompson",
          "Chris Miller", "Gina Raimondo", "Kevin Xu"]
PEOPLE_ZH = ["拜登", "特朗普", "黄仁勋", "苏姿丰", "雷军", "马化腾", "任正非", "张一鸣"]
ITEMS = ["GPU", "芯片", "加速卡", "服务器", "显卡", "存储芯片", "光模块", "HBM", "AI芯片", "交换机"]
CHIPS = ["H20", "H100", "A100", "H800", "A800", "B200", "B100", "L40S", "H200", "GB200", "MI300", "MI250", "Gaudi3",
         "昇腾910", "TPU"]

_CATEGORIES = [PEOPLE, COMPANIES_ZH, COMPANIES_EN, PLACES, PEOPLE_ZH, ITEMS, CHIPS]
_ENTITY = re.compile("|".join(re.escape(e) for e in sorted({e for c in _CATEGORIES for e in c}, key=len, reverse=True)))
_CATEGORY_OF = {e: c for c in _CATEGORIES for e in c}
_NUMBER = re.compile(r"\d+")


def seed_pieces() -> tuple[list[str], list[str], list[str]]:
    """Sentences, section headings and titles of the seed corpus, as the product chunks them."""
    from index.chunking import chunk_document
    from index.readers import read_corpus
    from index.text import split_sentences

    documents, _ = read_corpus(ROOT / "corpus")
    chunks = [c for d in documents for c in chunk_document(d)]
    sentences = list(dict.fromkeys(s for c in chunks for s in split_sentences(c.text)))
    headings = list(dict.fromkeys(c.section for c in chunks if c.section))
    titles = list(dict.fromkeys(d.title for d in documents))
    return sentences, headings, titles


def vary(text: str, rng: np.random.Generator) -> str:
    """The same sentence about other companies, places, people, chips and numbers."""
    def entity(m):
        options = _CATEGORY_OF[m.group(0)]
        return options[rng.integers(len(options))]

    def number(m):
        digits = m.group(0)
        if len(digits) == 4 and digits.startswith(("19", "20")):
            return str(rng.integers(1995, 2031))
        low = 10 ** (len(digits) - 1) if len(digits) > 1 else 1
        return str(rng.integers(low, 10 ** len(digits)))

    return _NUMBER.sub(number, _ENTITY.sub(entity, text))


def variants(texts: list[str], per_text: int, rng: np.random.Generator) -> list[str]:
    out = list(texts)
    for _ in range(per_text - 1):
        out.extend(vary(t, rng) for t in texts)
    return list(dict.fromkeys(out))


@dataclass
class Pool:
    sentences: list[str]
    headings: list[str]
    titles: list[str]

    @classmethod
    def make(cls, sentence_variants: int = 80, heading_variants: int = 30, title_variants: int = 40,
             seed: int = 0) -> "Pool":
        rng = np.random.default_rng(seed)
        sentences, headings, titles = seed_pieces()
        return cls(variants(sentences, sentence_variants, rng), variants(headings, heading_variants, rng),
                   variants(titles, title_variants, rng))

    @property
    def texts(self) -> list[str]:
        """Every distinct piece: sentences, then headings, then titles (the order of the vector rows)."""
        return self.sentences + self.headings + self.titles


@dataclass
class Corpus:
    """n paragraphs as pool indices: sentence ids (-1 padded), heading id, title id per paragraph."""
    sentence_ids: np.ndarray     # (n, MAX_SENTENCES) int32
    n_sentences: np.ndarray      # (n,) int8
    heading: np.ndarray          # (n,) int32
    title: np.ndarray            # (n,) int32

    MIN_SENTENCES, MAX_SENTENCES = 2, 6
    PARAGRAPHS_PER_ARTICLE = 12

    @classmethod
    def make(cls, n: int, pool: Pool, seed: int = 1) -> "Corpus":
        rng = np.random.default_rng(seed)
        lengths = rng.integers(cls.MIN_SENTENCES, cls.MAX_SENTENCES + 1, size=n).astype(np.int8)
        ids = rng.integers(0, len(pool.sentences), size=(n, cls.MAX_SENTENCES)).astype(np.int32)
        ids[np.arange(cls.MAX_SENTENCES)[None, :] >= lengths[:, None]] = -1
        articles = np.arange(n) // cls.PARAGRAPHS_PER_ARTICLE
        title = rng.integers(0, len(pool.titles), size=articles[-1] + 1 if n else 0).astype(np.int32)[articles]
        heading = rng.integers(0, len(pool.headings), size=n).astype(np.int32)
        return cls(ids, lengths, heading, title)

    def __len__(self) -> int:
        return len(self.n_sentences)

    def sentence_rows(self, i: int) -> np.ndarray:
        return self.sentence_ids[i, : self.n_sentences[i]]

    def tokens(self, pool_tokens: list[list[str]], pool: Pool) -> list[list[str]]:
        """Per paragraph: tokens of title + heading + sentences, each piece tokenized once (pool_tokens)."""
        s0, h0 = len(pool.sentences), len(pool.sentences) + len(pool.headings)
        out = []
        for i in range(len(self)):
            toks = pool_tokens[h0 + self.title[i]] + pool_tokens[s0 + self.heading[i]]
            for s in self.sentence_ids[i, : self.n_sentences[i]]:
                toks = toks + pool_tokens[s]
            out.append(toks)
        return out

    def text(self, i: int, pool: Pool) -> str:
        return "".join(pool.sentences[s] for s in self.sentence_rows(i))

    def embed_text(self, i: int, pool: Pool) -> str:
        """What the product would embed and keyword-index for paragraph i (index.chunking.Chunk.embed_text)."""
        return f"{pool.titles[self.title[i]]} › {pool.headings[self.heading[i]]}\n{self.text(i, pool)}"

    def vectors(self, pool_vectors: np.ndarray, pool: Pool, noise: float = 0.02, seed: int = 2,
                block: int = 100_000) -> np.ndarray:
        """Unit vectors: normalised sum of the pieces' real embeddings (heading and title at half weight) + noise."""
        rng = np.random.default_rng(seed)
        n, dim = len(self), pool_vectors.shape[1]
        s0, h0 = len(pool.sentences), len(pool.sentences) + len(pool.headings)
        padded = np.vstack([pool_vectors, np.zeros((1, dim), dtype=np.float32)])   # row -1 → zeros
        out = np.empty((n, dim), dtype=np.float32)
        for start in range(0, n, block):
            stop = min(n, start + block)
            acc = 0.5 * (pool_vectors[s0 + self.heading[start:stop]] + pool_vectors[h0 + self.title[start:stop]])
            for j in range(self.MAX_SENTENCES):
                acc += padded[self.sentence_ids[start:stop, j]]
            acc += rng.standard_normal(acc.shape, dtype=np.float32) * noise * np.linalg.norm(acc, axis=1, keepdims=True)
            acc /= np.linalg.norm(acc, axis=1, keepdims=True)
            out[start:stop] = acc
        return out


def write_articles(directory: Path, count: int, pool: Pool, seed: int = 3, first: int = 0) -> list[Path]:
    """`count` Markdown articles of 12 paragraphs (3 sections of 4) made from the pool, as users would drop them in corpus/."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for a in range(first, first + count):
        title = pool.titles[rng.integers(len(pool.titles))]
        lines = ["---", f"title: {title} ({a})", "language: zh", "---", "", f"# {title} ({a})", ""]
        for _ in range(3):
            lines += [f"## {pool.headings[rng.integers(len(pool.headings))]}", ""]
            for _ in range(4):
                n = rng.integers(Corpus.MIN_SENTENCES, Corpus.MAX_SENTENCES + 1)
                lines += ["".join(pool.sentences[s] for s in rng.integers(0, len(pool.sentences), n)), ""]
        path = directory / f"synthetic-{a:04d}.md"
        path.write_text("\n".join(lines), encoding="utf-8")
        paths.append(path)
    return paths
