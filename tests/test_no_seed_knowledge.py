"""bot/ and index/ know no article (issue 10): none of the seed article's own names and terms appears in their
code, comments or docstrings. The words are the seed's, found by statistics, not listed here: its capitalised
Latin names, and the nouns it uses at least twice that are rare in general Chinese (jieba's frequencies)."""
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "gpu-smuggling-china.md"
NOUN_TAGS = ("n", "nr", "ns", "nt", "nz", "nrt", "nrfg", "vn")
RARE = 0.45           # index.tokenize.general_rarity: 0.2 for 中国 or 上海, 0.49 for 华为, 1.0 for a word jieba lacks


def seed_terms() -> set[str]:
    import jieba.posseg as posseg

    from index.tokenize import general_rarity, normalize

    text = SEED.read_text(encoding="utf-8")
    nouns = Counter(w.word for w in posseg.cut(normalize(text))
                    if w.flag in NOUN_TAGS and len(w.word) >= 2 and re.search(r"[\u3400-\u9fff]", w.word))
    chinese = {word for word, count in nouns.items() if count >= 2 and general_rarity(word) >= RARE}
    latin = set(re.findall(r"(?<![A-Za-z0-9])[A-Z][A-Za-z0-9]*[A-Za-z0-9](?![A-Za-z0-9])", text))
    return chinese | {name for name in latin if len(name) >= 3}


def test_the_code_names_nothing_of_the_seed_article():
    terms = seed_terms()
    assert {"SemiAnalysis", "华为"} <= terms          # the check finds the seed's own names
    found = {}
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "index").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        named = sorted(t for t in terms if re.search(rf"(?<![A-Za-z0-9]){re.escape(t)}(?![A-Za-z0-9])", text))
        if named:
            found[str(path.relative_to(ROOT))] = named
    assert found == {}
