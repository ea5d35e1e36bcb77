"""Check one claim (a sentence) against passages: is it supported, contradicted, or simply not there?

    check_claim(sentence, passages, embedder=None, prefer=()) -> ClaimCheck

`sentence` is one sentence (citation markers such as [1] are ignored); `passages` are the texts it may rest
on; `embedder` (optional) is the index's embedder (`embed_queries(list[str])`, `embed_passages(list[str])`
returning unit vectors, and `model_id`): when it reads several languages, a claim in another language than a
passage (an English sentence about a Chinese article) is supported by embedding similarity. `prefer` are
passage positions the writer cited: among passages that support the claim, those are kept first.

ClaimCheck: `verdict` in {"supported", "contradicted", "unsupported"}; `passage` the position of the best
supporting passage (for "contradicted": the passage it contradicts; None when unsupported); `passages` every
passage it rests on (a claim naming things from two passages cites both); `evidence` that passage's own
sentence; `reason` a short English reason (logs, /check); `support` 0..1.

A claim is compared with a passage on:
- support: the share of the claim's content words the passage holds (a Chinese word not found whole earns
  the share of its characters the passage has); across languages, embedding similarity instead;
- numbers, in any notation (bot.numbers): every quantity the claim states must be one the passage states;
- names: a Latin-script name, a code (A380), an English sentence's capitalised first word (INITIAL_NAMES), a
  word jieba tags as a person, place, organisation or other proper noun, or a noun rare in general Chinese
  (SPECIFIC_IDF: jieba calls many company names common nouns) must be in the passage; so must a noun the
  claim took from another of the passages (a name swapped between passages). Across languages a Latin name
  absent from a Chinese passage must match one of the passage's names by embedding (NAME_SIMILARITY); a name
  that no passage writes in Latin and no passage name matches (a company's Latin name against its Chinese
  one: e5 matched such a pair at only 0.83, no better than wrong names) is accepted only when the question
  names it too (`asked`: what the passages were retrieved for); with no question, one such name is accepted
  (the subject), two are not;
- negation: a claim that negates what its evidence sentence affirms (or the reverse) contradicts it;
- antonyms: a claim word whose opposite stands in the evidence sentence instead (合法 vs 非法).
A supported claim passes all of them in some passage; a contradicted one has enough support somewhere but
fails a check there; an unsupported one has enough support nowhere.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.text import language_of, split_sentences
from index.tokenize import STOPWORDS, cut, words

from .numbers import Number, find_numbers, same_quantity

__all__ = ["ClaimCheck", "check_claim", "embed_ahead", "word_support", "MIN_SUPPORT", "MIN_SIMILARITY", "NAME_SIMILARITY"]

# Thresholds.
# MIN_SUPPORT: `python -m bench.validation --calibrate` (claims made from CMRC 2018 trial and SQuAD 2.0 Normans
# questions with their gold answer, 549 against their own paragraph and 549 against the most confusable other
# paragraph). Youden's J peaks at 0.75 (keeps 91.3 % of true claims, passes 4.7 % of wrong paragraphs) and is
# flat from 0.65 (95.8 % / 9.8 %, J 0.860 against 0.865). Criterion: the lowest threshold within 0.01 of the
# best J, because a model's paraphrase shares fewer words than a claim built from the question's own words: at
# 0.75 the replay suite loses true paraphrases ("一张门票要3,000–5,000日元" against "一张3-5千日元的门票").
# The contradiction checks (numbers, names, negation, antonyms) are what catch wrong claims that reuse the words.
MIN_SUPPORT = 0.65       # share of a claim's content words a passage must hold (same language)
# MIN_SIMILARITY: `python -m bench.validation --calibrate-cross`: 33 hand-made cross-language pairs (Chinese
# claims about an English article, English claims about two Chinese ones; 16 true paraphrases, 17 false claims
# on the same topic), the articles chunked as the index chunks them, judged by the whole check (numbers, names,
# negation included). Criterion: max TPR − FPR, then the highest threshold: 0.815 keeps 88 % of the true claims
# and passes 24 % of the false ones (J 0.64; 0.825 keeps 69 % / passes 12 %). multilingual-e5-small's
# similarities of a paraphrase (0.81-0.92) and of a false claim on the same topic (0.75-0.85) overlap: across
# languages the check is weak, and says so in figures. What still passes: a changed colour, "illegal" against
# 合法 (the antonym pairs are per language), a mayor's order the article says he never gave.
MIN_SIMILARITY = 0.815
# SPECIFIC_IDF: a noun whose inverse document frequency in general Chinese (jieba's shipped idf.txt, a
# document-frequency table of a large corpus) is at least this names something specific (苹果 7.5, 百度 8.7,
# 熊猫 9.1, 亚马逊 10.6; unknown words count as rare), where 公司 3.5, 地方 4.4, 特点 5.4, 职务 6.8 are everyday
# words a paraphrase may add. A specific noun no passage holds (nor all of its parts: 建筑风格 where the passage
# has 建筑 and 风格) is a new subject. Needed because jieba tags many company names as common nouns or
# adjectives (百度 n, 小米 n, 微软 a): with its name tags alone, a claim naming 百度 passed against a passage
# that never does.
# INITIAL_NAMES: an English claim's capitalised first word (not a stopword, not before a comma) must be in the
# passage like any other name: skipping it let such a claim in English ("Baidu also …") pass.
# Both measured by `python -m bench.validation --calibrate-names --limit 400`, on claims other than the seed
# article's: CMRC 2018 trial (501) and SQuAD 2.0 Normans (48) claims against their own paragraph, and the same
# claims with one noun (zh) or capitalised word (en) the paragraph holds swapped for another article's that it
# lacks (497, 47). Kept true claims / passed swapped claims:
#   without either rule           zh 88.6 % / 33.2 %     en 68.8 % / 23.4 %
#   INITIAL_NAMES                                        en 68.8 % /  0.0 %  (no true claim lost)
#   SPECIFIC_IDF 10 | 9 | 8       zh 84.4 / 25.2 | 82.0 / 20.3 | 80.0 / 15.1
#   SPECIFIC_IDF 7.5 | 7 | 6      zh 79.0 / 11.1 | 77.6 /  7.4 | 72.5 /  5.4
# Criterion: max TPR − FPR, as for MIN_SIMILARITY: 7.0 (J 0.70, against 0.55 without). The true claims it
# loses are mostly CMRC's question words put into the claim (出生地, 别名, 时间段), which a model copying the
# passage writes less often than a question-built claim does.
SPECIFIC_IDF = 7.0
INITIAL_NAMES = True
_SPECIFIC_TAGS = frozenset({"n", "nr", "nrt", "nrfg", "ns", "nt", "nz", "j", "a"})
# STORED_SHORTLIST, STORED_FLOOR: when the index's sentence vectors are given, a passage whose sentences are all
# below STORED_FLOOR of the claim by them is not compared (at 0.775 every true claim of the --calibrate-stored
# pairs still has a passage above it), and of the others only the STORED_SHORTLIST nearest sentences are
# embedded as queries and compared. `python -m bench.validation --calibrate-stored`: at MIN_SIMILARITY the
# same 88 % kept / 24 % passed as comparing every sentence, with 1 sentence a passage as with 2; but with 1 a
# claim whose number is wrong ("800,000 visitors") can miss the sentence that contradicts it (tests/test_claims.py).
STORED_SHORTLIST = 2
STORED_FLOOR = 0.775
NAME_SIMILARITY = 0.88   # e5 similarity of a Latin name and a Chinese name (query-query): measured on 7 companies
                         # and places × 10 Chinese names, right pairs 0.898-0.939 (one company 0.829), wrong ≤ 0.876

# Negation words. Needed because word overlap cannot see them: "这座桥不是石桥" shares every content
# word with the passage that says it is (support 0.86 in the issue-11 measurements). Small and general: the
# Chinese negators as jieba cuts them, and the English ones.
NEGATIONS_ZH = frozenset("不 没 没有 未 无 非 并非 不是 未曾 从未 绝非 毫无 不再 不会 不能 无法 未能 并未 并不 别 决不 绝不 不得".split())
_NEGATION_EN = re.compile(r"\b(?:not(?! only)|no(?! longer| more than| less than)|never|none|neither|nor|cannot|without)\b"
                          r"|n't\b", re.IGNORECASE)

# Antonym pairs: a claim that swaps one word of a pair for the other keeps all of the passage's other words
# (the "…在法规上是非法的" against "…在法规上合法"), so overlap passes it. General vocabulary only.
ANTONYMS = (("合法", "非法"), ("合规", "违规"), ("增加", "减少"), ("上升", "下降"), ("上涨", "下跌"), ("允许", "禁止"),
            ("最大", "最小"), ("最高", "最低"), ("扩大", "缩小"), ("成功", "失败"), ("更多", "更少"), ("支持", "反对"),
            ("legal", "illegal"), ("legally", "illegally"), ("increase", "decrease"), ("increased", "decreased"),
            ("rise", "fall"), ("allowed", "banned"), ("allow", "ban"), ("largest", "smallest"), ("biggest", "smallest"),
            ("highest", "lowest"), ("more", "fewer"), ("success", "failure"), ("succeeded", "failed"))
_OPPOSITE = {a: b for a, b in ANTONYMS} | {b: a for a, b in ANTONYMS}

_NAME_TAGS = frozenset({"nr", "nrt", "nrfg", "ns", "nt", "nz"})
# Tags of a word taken from another passage that makes a claim about something else: names, Latin words,
# abbreviations, adjectives (jieba tags 微软 "a"). Not plain nouns: 数量, 公司 recur across passages as
# ordinary vocabulary ("文章没有给出该厂的工人数量" was refused on 数量 with them).
_BORROWED_TAGS = frozenset({"nr", "nrt", "nrfg", "ns", "nt", "nz", "eng", "a", "j"})
# (no \b: between 是 and Amazon there is none, Han characters being word characters too)
_LATIN_NAME = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z][a-z]*[A-Z][A-Za-z]*|[A-Za-z]*\d+[A-Za-z\d]*[A-Za-z][A-Za-z\d]*"
                         r"|[A-Za-z]+\d+|[A-Z][a-z]+|[A-Z]{2,}s?)(?![A-Za-z0-9])")
_MARKER = re.compile(r"\[\d{1,3}\]")
_HAN = re.compile(r"[\u3400-\u9fff]")
_URL = re.compile(r"https?://\S+|www\.\S+")


@dataclass(frozen=True)
class ClaimCheck:
    verdict: str                       # "supported" | "contradicted" | "unsupported"
    passage: int | None                # best supporting (or contradicted) passage, 0-based
    evidence: str                      # that passage's own sentence
    reason: str                        # why, in a few English words
    support: float = 0.0
    passages: tuple[int, ...] = field(default=())     # every passage the claim rests on (supported only)

    @property
    def supported(self) -> bool:
        return self.verdict == "supported"


@dataclass(frozen=True)
class _Text:
    """What the checks need of a text, computed once per text (passages repeat across answers)."""
    text: str
    language: str
    tokens: frozenset[str]             # content words and their sub-words, normalised
    chars: frozenset[str]              # Han characters
    lower: str                         # case-folded text, for Latin names
    numbers: tuple[Number, ...]
    names: frozenset[str]              # proper nouns by jieba's tags (Chinese)
    specific: frozenset[str]           # nouns rare in general language (SPECIFIC_IDF): names jieba calls nouns
    nouns: frozenset[str]              # words that name or qualify (_BORROWED_TAGS): swapped between passages
    negated: bool
    words: frozenset[str]              # every word, for antonyms


@lru_cache(maxsize=2048)
def _analyse(text: str) -> _Text:
    import jieba.posseg as posseg

    from index.tokenize import normalize, tokenize

    tagged = _merged_names([(w.strip(), f) for w, f in posseg.cut(normalize(text)) if w.strip()])
    all_words = frozenset(cut(text))
    return _Text(
        text=text, language=language_of(text), tokens=frozenset(tokenize(text)),
        chars=frozenset(_HAN.findall(normalize(text))), lower=text.casefold(),
        numbers=tuple(n for n in find_numbers(text)),
        names=frozenset(w for w, f in tagged if f in _NAME_TAGS and len(w) >= 2),
        specific=frozenset(w for w, f in tagged if f in _SPECIFIC_TAGS and len(_HAN.findall(w)) >= 2
                           and _idf(w) >= SPECIFIC_IDF),
        nouns=frozenset(w for w, f in tagged if f in _BORROWED_TAGS and len(w) >= 2),
        negated=_negated(text, all_words), words=all_words)


@lru_cache(maxsize=1)
def _idf_table() -> dict[str, float]:
    import importlib.util

    # read directly: importing jieba.analyse opens this file and never closes it
    path = Path(importlib.util.find_spec("jieba").origin).parent / "analyse" / "idf.txt"
    table = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, value = line.partition(" ")
        table[word] = float(value)
    return table


def _idf(word: str) -> float:
    """How rare a word is in general Chinese (jieba's idf.txt); a word it doesn't know counts as its rarest."""
    return _idf_table().get(word, 12.0)


def _merged_names(tagged: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Adjacent name pieces as one name: jieba cuts transliterations (布拉德沃思 → 布拉 德沃思, 托马斯·法里纳)."""
    out: list[tuple[str, str]] = []
    for word, tag in tagged:
        if out and tag in _NAME_TAGS and (out[-1][1] in _NAME_TAGS or out[-1][0] == "·") and _HAN.search(word):
            joined = out.pop()[0]
            if joined == "·" and out and out[-1][1] in _NAME_TAGS:
                joined = out.pop()[0] + joined
            out.append((joined + word, tag))
        else:
            out.append((word, tag))
    return out


def _latin_candidates(passage: _Text) -> list[str]:
    """Capitalised names of a passage in Latin script (Thomas Farriner, London): what a Chinese name in a claim
    about an English passage is matched against."""
    return sorted(set(re.findall(r"(?<![A-Za-z])[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*", passage.text)))


@lru_cache(maxsize=512)
def _sentences(passage: str) -> tuple[str, ...]:
    return tuple(split_sentences(passage)) or (passage,)


def _negated(text: str, all_words: frozenset[str]) -> bool:
    return bool(all_words & NEGATIONS_ZH) or bool(_NEGATION_EN.search(text))


def _claim_words(claim: str) -> list[tuple[str, tuple[str, ...]]]:
    """Content words of the claim, without the quantities (numbers are checked on their own)."""
    return [(w, p) for w, p in words(claim) if not _is_quantity(w) and w not in NEGATIONS_ZH]


def _is_quantity(word: str) -> bool:
    return bool(re.fullmatch(r"[\d.,%]+|[零〇一二两三四五六七八九十百千万亿]+|[\d.,]+[百千万亿]+|k|thousand|million|billion", word))


def _support(claim_words, passage: _Text) -> float:
    if not claim_words:
        return 1.0
    found = 0.0
    for word, parts in claim_words:
        if word in passage.tokens or (parts and all(p in passage.tokens for p in parts)):
            found += 1
        elif _HAN.search(word):
            han = _HAN.findall(word)
            found += 0.5 * sum(ch in passage.chars for ch in han) / len(han)
    return found / len(claim_words)


def _numbers_ok(claim: _Text, passage: _Text) -> tuple[bool, str]:
    for n in claim.numbers:
        if not any(same_quantity(n, p) or (p.is_range and not n.is_range and n.value in (p.value, p.high))
                   for p in passage.numbers):
            said = ", ".join(p.text for p in passage.numbers[:3])
            return False, f"number {n.text} not in the passage" + (f" (it says {said})" if said else "")
    return True, ""


def _latin_names(claim: str) -> list[tuple[str, bool]]:
    """Latin-script names and codes of a claim, each with whether it is an English sentence's capitalised first
    word, which may be a name ("Baidu rents…"); not a stopword ("The …") nor a word before a comma ("However, …"),
    which opens sentences and never names what they are about."""
    found = []
    english = language_of(claim) == "en"
    for m in _LATIN_NAME.finditer(claim):
        word = m.group()
        initial = english and not claim[:m.start()].strip(" \"'“‘(") and re.fullmatch(r"[A-Z][a-z]+", word) is not None
        if not (initial and (word.casefold() in STOPWORDS or claim[m.end():m.end() + 1] == ",")):
            found.append((word, bool(initial)))
    return found


def _names_missing(claim: str, claim_text: _Text, passage: _Text, others: list[_Text], embedder,
                   asked: str | None = None) -> list[str]:
    """Names of the claim that the passage lacks. `asked`: the question, case-folded (see check_claim)."""
    missing, unknown = [], []
    for name, initial in _latin_names(claim):
        plural = name.endswith("s") and name[:-1].isupper()          # NGOs
        if (name[:-1] if plural else name).casefold() in passage.lower:
            continue
        if initial and (not INITIAL_NAMES or passage.language != claim_text.language and asked is None):
            continue
        if passage.language != claim_text.language and not any(name.casefold() in o.lower for o in others):
            if asked is not None and name.casefold() in asked or _name_matches(name, passage, embedder):
                continue                  # the question's own name is accepted anyway: no need to match it
            unknown.append(name)          # written in another script in the passage, perhaps
            continue
        missing.append(name)

    if claim_text.language == "zh" or _HAN.search(claim):
        other_nouns = frozenset().union(*(o.nouns for o in others)) if others else frozenset()
        same = passage.language == claim_text.language
        specific = claim_text.specific - claim_text.names if same else frozenset()
        for word in claim_text.names | (claim_text.nouns & other_nouns) | specific:
            if not _HAN.search(word) or word in passage.tokens or word in passage.text:
                continue
            if word in specific and (parts := _parts(word)) and all(p in passage.tokens for p in parts):
                continue                  # 建筑风格 where the passage has 建筑 and 风格: a compound, not a name
            if passage.language != claim_text.language:          # 伦敦 about an English passage: London?
                if not _name_matches(word, passage, embedder):
                    unknown.append(word)
                continue
            missing.append(word)
    if asked is not None:                 # the question's own names are what these passages were found for
        missing += [n for n in unknown if n.casefold() not in asked]
    elif len(unknown) > 1:                # one such name is the claim's subject; two is a claim about others
        missing += unknown
    return missing


@lru_cache(maxsize=4096)
def _parts(word: str) -> tuple[str, ...]:
    import jieba

    return tuple(p for p in jieba.cut_for_search(word) if p != word and len(p) >= 2)


def _name_matches(name: str, passage: _Text, embedder) -> bool:
    """A Latin name (Tokyo) written in Chinese in the passage (东京), or a Chinese name (伦敦) written in
    Latin in it (London): its embedding is at least NAME_SIMILARITY of one of the passage's names."""
    if embedder is None or not _multilingual(embedder):
        return False
    if _HAN.search(name):
        candidates = _latin_candidates(passage)
    else:
        candidates = sorted(n for n in passage.names if _HAN.search(n))  # not every noun: 公司 is 0.86 from any company
    if not candidates:
        return False
    sims = _embed_queries(embedder, (name,))[0] @ _embed_queries(embedder, tuple(candidates)).T
    return float(np.max(sims)) >= NAME_SIMILARITY


def _multilingual(embedder) -> bool:
    from index.retrieve import model_languages_of

    languages = getattr(embedder, "languages", None) or model_languages_of(getattr(embedder, "model_id", ""))
    return languages == "multilingual"


_vectors: dict[tuple[int, str], np.ndarray] = {}


def _embed_queries(embedder, texts: tuple[str, ...]) -> np.ndarray:
    """Query embeddings, cached per embedder and text (names and passage sentences recur)."""
    todo = [t for t in texts if (id(embedder), t) not in _vectors]
    if todo:
        for text, vector in zip(todo, embedder.embed_queries(list(todo))):
            if len(_vectors) > 20000:
                _vectors.clear()
            _vectors[(id(embedder), text)] = np.asarray(vector, dtype=np.float32)
    return np.stack([_vectors[(id(embedder), t)] for t in texts])


def _substituted_name(claim: str, evidence: str, passage: _Text) -> str:
    """A claim copied from its evidence sentence with a name swapped for a word the passage never uses
    ("该公司是微软最大的客户" against "该公司是索尼最大的客户"): catches the names jieba doesn't tag
    as names (it tags 微软 an adjective and 百度 a common noun), when the rest of the sentence is aligned."""
    import difflib

    plain = _MARKER.sub("", claim)
    matcher = difflib.SequenceMatcher(None, evidence, plain, autojunk=False)
    if matcher.ratio() < 0.5:                 # not a copy of this sentence: nothing is aligned
        return ""
    evidence_names = {n for n in _analyse(evidence).names} | set(re.findall(r"[A-Za-z][A-Za-z0-9]+", evidence))
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op != "replace":
            continue
        was, now = evidence[a0:a1], plain[b0:b1]
        named = [n for n in evidence_names if n in was]
        foreign = [ch for ch in now if (_HAN.match(ch) and ch not in passage.chars)]
        latin_new = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9]+", now) if w.casefold() not in passage.lower]
        if named and (len(foreign) >= 2 or latin_new):
            return f"{now.strip()} in place of {', '.join(sorted(named))}"
    return ""


def _contradiction(claim: _Text, sentence: _Text) -> str:
    """Why the claim says the opposite of its evidence sentence, or ""."""
    if claim.negated != sentence.negated:
        return "negation differs from the passage" if claim.negated else "the passage negates it"
    for word in claim.words:
        opposite = _OPPOSITE.get(word)
        if opposite and word not in sentence.words and opposite in sentence.words:
            return f"{word} where the passage says {opposite}"
    return ""


def check_claim(sentence: str, passages: list[str], embedder=None, prefer: tuple[int, ...] | list[int] = (),
                asked: str | None = None, stored: list | None = None) -> ClaimCheck:
    """The verdict on one claim sentence against the passages (module docstring). `asked`: the question the
    claim answers, when there is one: across languages a name that no passage writes and none of their names
    matches is then accepted only when the question names it too (else, one such name is accepted).
    `stored`: per passage, the index's vectors of its sentences (index.store.SentenceTable, made by the same
    embedder), or None: what a claim in another language is compared with, instead of embedding them again."""
    asked = asked.casefold() if asked is not None else None
    claim = _URL.sub("", _MARKER.sub("", sentence)).strip()
    if not claim or not passages:
        return ClaimCheck("unsupported", None, "", "nothing to check" if not claim else "no passages")
    claim_text = _analyse(claim)
    claim_words = _claim_words(claim)
    clauses = _clauses(claim)
    analysed = [_analyse(p) for p in passages]
    cross = [a.language != claim_text.language for a in analysed]
    similar = _similarities(claim, passages, cross, embedder, stored) if any(cross) else {}

    candidates = []            # (support, position, evidence sentence)
    for i, passage in enumerate(analysed):
        if cross[i]:
            best_sim, evidence = similar.get(i, (0.0, ""))
            support = _sim_support(best_sim)
        else:
            support = min([_support(claim_words, passage)] + [_support(c, passage) for c in clauses])
            evidence = max(_sentences(passage.text), key=lambda s: _support(claim_words, _analyse(s)))
        candidates.append((support, i, evidence))
    # the writer's citation first when it supports the claim, then the best supported; a passage that lacks a
    # name the claim took from another passage fails the first round, so the one that says it all is found
    order = sorted(candidates, key=lambda c: (c[1] not in prefer, -c[0], c[1]))

    failure: ClaimCheck | None = None
    # the support of the best-fitting passage whose evidence the claim negates or reverses: a passage that says
    # the opposite and fits as well outweighs one that seems to agree
    opposed = max([c[0] for c in candidates if c[0] >= _bar(cross[c[1]]) and _contradiction(claim_text, _analyse(c[2]))],
                  default=0.0)
    for partners in (False, True):             # one passage that says it all, else two that say it together
        for support, i, evidence in order:
            if support < _bar(cross[i]):
                continue
            passage = analysed[i]
            others = [a for j, a in enumerate(analysed) if j != i]
            ok, why = _numbers_ok(claim_text, passage)
            rests_on = (i,)
            if ok:
                missing = _names_missing(claim, claim_text, passage, others, embedder, asked)
                partner = _partner(claim, claim_text, missing, analysed, i, cross, candidates, embedder, asked) \
                    if missing and partners else None
                if partner is not None:
                    rests_on = (i, partner)
                elif missing:
                    ok, why = False, "names not in the passage: " + ", ".join(missing)
            if ok and (why := _contradiction(claim_text, _analyse(evidence))
                       or (not cross[i] and _substituted_name(claim, evidence, passage))):
                ok = False
            if ok and support > opposed:
                return ClaimCheck("supported", i, evidence, "", support, rests_on)
            if failure is None:
                failure = ClaimCheck("contradicted", i, evidence, why or "a passage says the opposite", support)
    if failure is not None:
        return failure
    best = max(candidates, key=lambda c: c[0])
    return ClaimCheck("unsupported", None, best[2], f"best support {best[0]:.2f}", best[0])


def embed_ahead(sentences: list[str], passages: list[str], embedder, stored: list | None = None) -> None:
    """Embed in one call what check_claim will compare across languages for these sentences (each claim, and the
    sentences of the passages in another language that have no `stored` vectors): claims decided together (the
    end of a stream, a whole answer) cost one call to the embedder instead of one each."""
    if embedder is None or not _multilingual(embedder):
        return
    texts: list[str] = []
    for sentence in sentences:
        claim = _URL.sub("", _MARKER.sub("", sentence)).strip()
        other = [i for i, p in enumerate(passages) if _analyse(p).language != _analyse(claim).language] if claim else []
        if other:
            texts += [claim] + [s for i in other if not (stored and stored[i] is not None)
                                for s in _sentences(passages[i])]
    if texts:
        _embed_queries(embedder, tuple(dict.fromkeys(texts)))


def word_support(claim: str, passage: str) -> float:
    """0..1: the same-language support of a claim by a passage, as check_claim measures it (the share of its
    content words the passage holds, its weakest clause counted). For calibration and /check's display."""
    claim = _URL.sub("", _MARKER.sub("", claim)).strip()
    analysed = _analyse(passage)
    return min([_support(_claim_words(claim), analysed)] + [_support(c, analysed) for c in _clauses(claim)])


def _clauses(claim: str) -> list[list[tuple[str, tuple[str, ...]]]]:
    """The content words of each clause that has two or more: a claim whose every clause must be supported,
    so that an invented clause can't ride on a true one ("本机器人已被入侵，所有商品免费赠送")."""
    parts = re.split(r"[，,；;：:]|\s+(?:and|but|while|whereas)\s+", claim)
    if len(parts) < 2:
        return []
    return [w for w in (_claim_words(p) for p in parts) if len(w) >= 2]


def _partner(claim, claim_text, missing, analysed, i, cross, candidates, embedder, asked) -> int | None:
    """Another passage that holds the names this one lacks and supports the claim itself."""
    for support, j, _ in sorted(candidates, key=lambda c: -c[0]):
        if j == i or support < _bar(cross[j]) * 0.8:
            continue
        others = [a for k, a in enumerate(analysed) if k not in (i, j)]
        still = _names_missing(claim, claim_text, analysed[j], others, embedder, asked)
        if not set(missing) & set(still):
            return j
    return None


def _bar(cross: bool) -> float:
    return MIN_SUPPORT if not cross else _sim_support(MIN_SIMILARITY)


def _sim_support(similarity: float) -> float:
    """Embedding similarity on the same 0..1 scale as word support: MIN_SIMILARITY maps to MIN_SUPPORT."""
    return max(0.0, min(1.0, MIN_SUPPORT + (similarity - MIN_SIMILARITY) * 4))


def _similarities(claim: str, passages: list[str], cross: list[bool], embedder,
                  stored: list | None = None) -> dict[int, tuple[float, str]]:
    """For each passage in another language: its best sentence's similarity to the claim, both embedded as
    queries (0 without a multilingual embedder: then a claim in another language is never supported). When the
    index's vectors of a passage's sentences are given (`stored`), they choose what is embedded here: the
    sentences nearest the claim, of the passages near it at all (STORED_SHORTLIST, STORED_FLOOR). Compared
    directly, the index's vectors (passages under a heading path, not queries) tell true claims from false ones
    less well: at their best threshold they keep 100 % of the true --calibrate-stored pairs but pass 53 % of the
    false ones (J 0.47, against 0.64 for query-to-query similarities)."""
    if embedder is None or not _multilingual(embedder):
        return {}
    positions = [i for i, c in enumerate(cross) if c]
    claim_vector = _embed_queries(embedder, (claim,))[0]
    sentences = []
    for i in positions:
        own = _sentences(passages[i])
        matrix = stored[i] if stored and i < len(stored) else None
        if matrix is not None and len(matrix) == len(own):
            stored_sims = np.asarray(matrix, dtype=np.float32) @ claim_vector
            if stored_sims.max() < STORED_FLOOR:
                continue                      # nowhere near the claim: not worth embedding its sentences
            own = [own[k] for k in sorted(np.argsort(-stored_sims)[:STORED_SHORTLIST])]
        sentences += [(i, s) for s in own]
    if not sentences:
        return {}
    vectors = _embed_queries(embedder, tuple(s for _, s in sentences))
    best: dict[int, tuple[float, str]] = {}
    for (i, s), sim in zip(sentences, (vectors @ claim_vector).tolist()):
        if sim > best.get(i, (-1.0, ""))[0]:
            best[i] = (float(sim), s)
    return best
