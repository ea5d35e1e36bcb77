"""Citation markers as chat models write them, rewritten to the one form the answer uses: [n].

    normalise(text) -> (text, references)

Every form seen from GPT-4o-mini, DeepSeek-V3, Qwen2.5, Llama-3 and reasoning models (the replay suite in
tests/test_llm_replay.py holds one case for each): [1] [1][2] [1, 2] [1,2,3] [1-3] [1–3] 【1】 【1,2】 ［1］ [^1]
[1†source] [citation:1] [source 1] [Source: 1] [段落1] [passage 1] (1) （1） (Source 1) (段落1) （来源：段落1）
<sup>1</sup>, and a prose lead-in naming a passage ("根据段落1，…", "According to passage 2, …"), which is removed
and becomes the sentence's marker.

A references list at the end (lines such as "参考：[1] [3]", "Sources:", "[1] 亮点", "[^1]: …") is not part of
the answer: it is cut off, and the passage numbers it names are returned as `references`, a hint for the
sentences that cite nothing.

Parenthesised numbers are markers only where they follow text inside a line; "(1) first step" at the
start of a line is an enumeration and stays.
"""
from __future__ import annotations

import re

__all__ = ["normalise", "MARKER"]

MARKER = re.compile(r"\[(\d{1,3})\]")

_NUM_LIST = r"\d{1,3}(?:\s*(?:[-–—~]|to)\s*\d{1,3})?(?:\s*[,，、;；]\s*(?:and\s+)?\d{1,3}(?:\s*[-–—~]\s*\d{1,3})?)*"
_WORD = r"(?:citation|cite|source|sources|ref|passage|passages|段落|来源|出处|文段|资料|参考)"
_BRACKETED = re.compile(
    rf"(?:\[\^?|【|［)\s*(?:{_WORD}\s*[:：]?\s*)?(?P<n>{_NUM_LIST})\s*(?:†[^\]】］]*)?(?:\]|】|］)", re.IGNORECASE)
_PAREN = re.compile(rf"(?<=\S)\s*(?:\(|（)\s*(?:{_WORD}\s*[:：]?\s*)?(?P<n>{_NUM_LIST})\s*(?:\)|）)", re.IGNORECASE)
_PAREN_WORD = re.compile(rf"(?:\(|（)\s*{_WORD}\s*[:：]?\s*(?:{_WORD}\s*)?(?P<n>{_NUM_LIST})\s*(?:\)|）)", re.IGNORECASE)
_SUP = re.compile(rf"<sup>\s*\[?(?P<n>{_NUM_LIST})\]?\s*</sup>", re.IGNORECASE)
_LEAD_IN = re.compile(
    r"(?:根据|据|依据|参见|见)\s*(?:段落|第)\s*(?P<n>\d{1,3})\s*(?:段|段落)?\s*(?:所述|的内容|中)?\s*[，,:：]?\s*"
    r"|(?:according to|as stated in|as (?:noted|mentioned|described) in|per|based on)\s+(?:passage|source)s?\s*"
    r"(?P<m>\d{1,3})\s*,?\s*", re.IGNORECASE)
_REFERENCES_HEAD = re.compile(
    r"^\s*(?:#+\s*|\*\*)?(?:参考(?:资料|文献|段落)?|来源|出处|引用|references?|sources?|citations?)\s*(?:\*\*)?\s*[:：]?\s*(?:\*\*)?",
    re.IGNORECASE)
_REFERENCE_LINE = re.compile(r"^\s*(?:[-*•]\s*)?(?:\[\^?\d{1,3}\]|【\d{1,3}】)\s*[:：]?.*$|^\s*\[\^\d{1,3}\]:.*$")


def normalise(text: str) -> tuple[str, tuple[int, ...]]:
    """The text with every citation as [n] (ranges and lists expanded), and the references list's numbers."""
    text, references = _cut_references(text)
    text = _SUP.sub(lambda m: _markers(m.group("n")), text)
    text = _BRACKETED.sub(lambda m: _markers(m.group("n")), text)
    text = _PAREN_WORD.sub(lambda m: _markers(m.group("n")), text)
    text = _PAREN.sub(lambda m: _markers(m.group("n")) if not _enumeration(text, m) else m.group(), text)
    text = _lead_ins(text)
    return text, references


def _markers(numbers: str) -> str:
    out: list[int] = []
    for part in re.split(r"\s*(?:[,，、;；]|and)\s*", numbers.strip()):
        if not part:
            continue
        bounds = re.split(r"\s*(?:[-–—~]|to)\s*", part)
        if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit():
            low, high = int(bounds[0]), int(bounds[1])
            out += list(range(low, high + 1)) if 0 < high - low < 10 else [low, high]
        elif part.isdigit():
            out.append(int(part))
    return "".join(f"[{n}]" for n in dict.fromkeys(out))


def _enumeration(text: str, m: re.Match) -> bool:
    """(1) at a line's start is an enumeration, not a citation."""
    line_start = text.rfind("\n", 0, m.start()) + 1
    return not text[line_start:m.start()].strip()


def _lead_ins(text: str) -> str:
    """"根据段落1，该桥建于1920年。" → "该桥建于1920年[1]。": the passage named up front becomes the sentence's marker."""
    while m := _LEAD_IN.search(text):
        n = m.group("n") or m.group("m")
        rest = text[m.end():]
        end = re.search(r"[。！？!?]|\.(?=\s|$)|\n|$", rest)
        cut = end.start()
        sentence = rest[:cut]
        at_start = not text[:m.start()].strip() or re.search(r"[.!?。！？\n]\s*$", text[:m.start()])
        if at_start and sentence[:1].islower():
            sentence = sentence[0].upper() + sentence[1:]
        text = text[:m.start()] + sentence + f"[{n}]" + rest[cut:]
    return text


def _cut_references(text: str) -> tuple[str, tuple[int, ...]]:
    """A trailing block of reference lines (under a heading such as "参考：" / "Sources:", or bare "[1] …"
    lines after the answer) is removed; the passage numbers it lists are returned."""
    lines = text.rstrip().split("\n")
    refs: list[int] = []
    cut = len(lines)
    i = len(lines) - 1
    while i >= 0:
        line = lines[i]
        if not line.strip():
            i -= 1
            continue
        if _REFERENCE_LINE.match(line) and _short_reference(line):
            refs = [int(n) for n in re.findall(r"\d{1,3}", line.split("]")[0].split("】")[0])[:1]] + refs
            cut = i
            i -= 1
            continue
        head = _REFERENCES_HEAD.match(line)
        if head and (cut < len(lines) or re.fullmatch(r"[\s\[\]【】\d,，、^:：;；\-–]*", line[head.end():])):
            refs = [int(n) for n in re.findall(r"\d{1,3}", line[head.end():])] + refs
            cut = i
        break
    if cut == 0:                            # the whole text looks like references: leave it to the checks
        return text, ()
    return "\n".join(lines[:cut]).rstrip(), tuple(dict.fromkeys(refs))


def _short_reference(line: str) -> bool:
    """A reference line names a passage ("[1] 历史", "[^2]: 伦敦…") rather than stating a claim: short, or a
    footnote definition."""
    return bool(re.match(r"^\s*\[\^\d{1,3}\]:", line)) or len(MARKER.sub("", line).strip(" -*•:：")) <= 40 \
        and not re.search(r"[。！？!?]\s*$|\.\s*$", line)
