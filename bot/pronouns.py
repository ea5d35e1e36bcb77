"""A pronoun follow-up is asked of the earlier question's subject: "它有多高？" after "埃菲尔铁塔在1889年建成后是做什么
用的？" is asked as "埃菲尔铁塔有多高？", so the answer must speak of the tower, not of whatever else has a height.

In Chinese the subject is the earlier question's first word that the articles use: the topic comes first in a
Chinese question. A rule, so measured (eval.followups: CMRC questions whose article's name became 它, each asked after
another question naming it), before -> after:
- fit split: gold span 0.819 -> 0.852, first citation from the right article 0.948 -> 0.990, refused 0.5 -> 1 %;
- report split: 0.858 -> 0.863, right article 0.938 -> 0.986, refused 0.5 % -> 0.
And on eval/written/followups.jsonl (`python -m eval.followups --set written`: conversations a helper wrote, the
pronoun mostly for a person, part or place inside the article, not its subject), Chinese, all 60: gold span
0.900 -> 0.933, right article 0.917 -> 0.983, refused 5 -> 1.7 %.
The earlier question's most specific word instead (highest IDF), or the word most pervasive in some article, did
no better on the CMRC fit split (0.848, 0.852), and the first picks a rare verb over the subject; its first proper
noun by jieba's tags did better on both fit halves (CMRC 0.862, written 1.0) and worse on the written report half
(0.867 against 0.900).
A question naming its own subject is unchanged (1 of 210 topic switches, which ask a whole question after one about
another article, was rewritten).

In English the subject is the earlier question's first capitalised name ("the Grand Caledonian Curling Club",
"Luigi Bezzera's"; not the capital a question starts with): written follow-ups, fit half 0.767 -> 0.800, report
half 0.933 -> 0.967 (all 60: 0.850 -> 0.883). The first word the articles use instead gave the same on the fit
half but replaced "they" in "What's the role of the skip…" with "role": without a name, English is left to the
earlier question's weighted words (index/keyword.py).
"""
from __future__ import annotations

import re

from index.keyword import KeywordIndex
from index.text import language_of
from index.tokenize import STOPWORDS, normalize, spans

# third-person pronouns, the closed class a follow-up refers back with (traditional writing is read simplified)
PRONOUNS = frozenset({"它", "它们", "牠", "他", "他们", "她", "她们", "其"})
ENGLISH_PRONOUN = re.compile(r"\b(?:it|its|he|him|his|she|her|they|them|their)\b", re.IGNORECASE)
# capitalised words, with the small words inside names (Bank of England, Leonardo da Vinci)
NAME = re.compile(r"\b[A-Z][\w’'-]*(?:\s+(?:(?:of|de|the|von|van|da|del|di)\s+)?[A-Z][\w’'-]*)*")
POSSESSIVE = re.compile(r"[’']s$")


def resolve(text: str, earlier: str, keyword: KeywordIndex) -> str:
    """text with its first third-person pronoun replaced by the earlier question's subject; text itself when
    there is no earlier question, no pronoun, no subject, or the subject is already named."""
    if not earlier:
        return text
    if language_of(text) == "en":
        return _resolve_english(text, earlier)
    simplified = normalize(text)
    # the words are found in the simplified text, and replaced at the same place in the text as written
    read = simplified if len(simplified) == len(text) else text
    pronoun = next(((start, end) for word, start, end in spans(read) if word in PRONOUNS), None)
    if pronoun is None:
        return text
    subject = subject_of(earlier, keyword)
    if not subject or subject in simplified:
        return text
    start, end = pronoun
    end += read.startswith("们", end)     # jieba cuts 牠们 in two
    return text[:start] + subject + text[end:]


def subject_of(question: str, keyword: KeywordIndex) -> str:
    """The question's first word that some article uses (normalised), or ""."""
    return next((c.word for c in keyword.concepts(question, judge_unknown=False) if c.in_corpus >= 1), "")


def _resolve_english(text: str, earlier: str) -> str:
    pronoun = ENGLISH_PRONOUN.search(text)
    name = english_name(earlier) if pronoun else ""
    if not name or name.casefold() in text.casefold():
        return text
    return text[:pronoun.start()] + name + text[pronoun.end():]


def english_name(question: str) -> str:
    """The question's first capitalised name, or "": not a lone capitalised word at its start, without leading
    function words ("The") or a possessive 's."""
    start = len(question) - len(question.lstrip())
    for found in NAME.finditer(question):
        words = found.group(0).split()
        if found.start() == start and len(words) == 1 and words[0][1:].islower():
            continue        # "Who", "Before": the sentence's capital (NASA or McLaren would be a name)
        while words and words[0].casefold() in STOPWORDS:
            words = words[1:]
        if words:
            return POSSESSIVE.sub("", " ".join(words))
    return ""
