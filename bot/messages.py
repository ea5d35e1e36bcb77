"""Everything the product says in its own words, in Chinese and English."""
from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "empty_question": {
        "zh": "请输入一个问题，例如：字节跳动在中国有多少GPU？",
        "en": "Please ask a question, for example: How many GPUs does ByteDance have in China?",
    },
    "not_covered": {
        "zh": "文章没有涉及这个问题。以下是最接近的段落：",
        "en": "The articles don't cover this question. These are the nearest passages:",
    },
    "truncated": {
        "zh": "问题太长，只使用了前 {limit} 个字符。",
        "en": "The question was long; only its first {limit} characters were used.",
    },
    "fallback": {
        "zh": "（语言模型暂不可用，以下为文章原文摘录）",
        "en": "(The language model is unavailable; quoting the articles instead.)",
    },
    "sources": {"zh": "来源", "en": "Sources"},
}


def text(key: str, language: str, **values) -> str:
    entry = TEXTS[key]
    return entry.get(language, entry["en"]).format(**values)
