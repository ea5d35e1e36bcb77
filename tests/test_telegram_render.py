"""Rendering an Answer as Telegram HTML, and reading who a group message speaks to (pure functions)."""
from __future__ import annotations

import html
from html.parser import HTMLParser

from telegram import Message

from bot import messages
from bot.answer import Answer, Citation
from bot.telegram import render
from bot.telegram.addressing import addressed_question

BOT_ID, BOT_NAME = 123456, "ArticleQABot"


def citation(n: int, text: str = "段落") -> Citation:
    return Citation(n=n, doc="文章 <一>", section="A & B", chunk_id=f"doc#{n + 2}", text=text)


def answer(text: str, *citations: Citation, **kw) -> Answer:
    return Answer(question="q", text=text, citations=citations, refused=False, language="zh", **{"mode": "extractive", **kw})


class TagChecker(HTMLParser):
    """Fails on anything Telegram's HTML parser would refuse: unknown tags, unclosed or crossed tags."""
    ALLOWED = {"b", "i", "u", "code"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        assert tag in self.ALLOWED, tag
        self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open.pop() == tag, tag


def assert_valid(message: str) -> None:
    checker = TagChecker()
    checker.feed(message)
    checker.close()
    assert checker.open == [] and render.utf16_len(message) <= render.LIMIT
    assert "&" not in render._TAG.sub("", message).replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")\
        .replace("&quot;", "").replace("&#x27;", "")


def test_everything_from_the_answer_and_the_articles_is_escaped():
    [message] = render.answer_messages(answer("<script>x & y</script>[1]", citation(1)))
    assert "&lt;script&gt;x &amp; y&lt;/script&gt;[1]" in message
    assert "[1] 文章 &lt;一&gt; › A &amp; B" in message and "<b>来源</b>" in message
    assert_valid(message)


def test_the_llm_emphasis_becomes_tags_and_everything_else_stays_escaped():
    text = "字节跳动<拥有>超过50万个GPU[1]。\n• H100 & A100 很贵[1]。"
    h100, amp = text.index("H100"), text.index("&")
    spans = ((0, 4, "b"), (2, 10, "i"), (h100, h100 + 4, "b"), (h100, h100 + 4, "code"), (amp, amp + 6, "b"))
    [message] = render.answer_messages(answer(text, citation(1), mode="llm", emphasis=spans))
    # italic crossing bold, bold over code: runs of text each get their own tags, so tags never cross
    assert message.startswith("<b>字节</b><b><i>跳动</i></b><i>&lt;拥有&gt;超过</i>50万个GPU[1]。\n"
                              "• <code>H100</code> <b>&amp; A100</b> 很贵[1]。")
    assert_valid(message)


def test_an_articles_own_markup_is_shown_as_written():
    quoted = "文章写着**加粗**和<b>标签</b>以及`代码`[1]。"            # an extractive answer has no emphasis
    [message] = render.answer_messages(answer(quoted, citation(1)))
    assert "文章写着**加粗**和&lt;b&gt;标签&lt;/b&gt;以及`代码`[1]。" in message
    assert "<b>" not in message.split("\n")[0]
    assert_valid(message)


def test_a_rejected_llm_answer_is_labelled_as_such_never_as_model_unavailable():
    [message] = render.answer_messages(answer("原文摘录[1]。", citation(1), mode="llm_rejected"))
    assert message.startswith(f"<i>{html.escape(messages.text('llm_unchecked', 'zh'))}</i>\n原文摘录[1]。")
    assert messages.text("fallback", "zh") not in message
    [fallback] = render.answer_messages(answer("原文摘录[1]。", citation(1), mode="fallback"))
    assert fallback.startswith(f"<i>{messages.text('fallback', 'zh')}</i>")


def test_long_answers_split_at_sentences_under_the_limit_and_lose_nothing():
    sentence = "字节跳动<拥有>超过50万个GPU&更多[1]。"
    long_text = sentence * 400 + "\n" + "x" * 9000          # sentences, then one unbreakable run
    parts = render.answer_messages(answer(long_text, citation(1)))
    assert len(parts) > 3
    for part in parts:
        assert_valid(part)
    assert "".join(render.plain(p).replace("\n", "") for p in parts).startswith((sentence * 400).replace("\n", ""))
    assert sum(render.plain(p).count("x") for p in parts) == 9000
    # every part but the ones cut inside the 9000-character run ends at a sentence end
    assert all(render.plain(p).rstrip().endswith(("。", "x", "】", "›", "B")) for p in parts)


def test_emoji_count_as_two_utf16_units():
    parts = render.pack([html.escape("😀" * 3000)])
    assert all(render.utf16_len(p) <= render.BUDGET for p in parts) and len(parts) == 2


def test_buttons_open_each_citation_then_feedback():
    markup = render.keyboard(7, answer("a[1][2]", citation(1), citation(2)))
    rows = [[b.callback_data for b in row] for row in markup.inline_keyboard]
    assert rows == [["p:7:1", "p:7:2"], ["f:7:1", "f:7:-1"]]
    assert markup.inline_keyboard[0][0].text == "[1] ¶3"


def test_passage_shows_its_paragraph_number_and_full_text():
    [message] = render.passage_messages(citation(1, "第一句。\n第二句 <b>。"), paragraph=3, language="zh")
    assert "<b>文章 &lt;一&gt; › A &amp; B</b>" in message and "第 3 段" in message
    assert "第二句 &lt;b&gt;。" in message
    assert_valid(message)


def test_the_sentences_an_answer_quotes_are_underlined_in_the_passage():
    passage = citation(2, "甲<说>：A&B。乙说了别的。丙又说。")
    answer_text = "甲<说>：A&B。[2]丙又说。[1][2]无关。[1]"
    assert render.quoted_sentences(answer_text, 2) == ["甲<说>：A&B。", "丙又说。"]
    [message] = render.passage_messages(passage, paragraph=4, language="zh", answer_text=answer_text)
    assert "<u>甲&lt;说&gt;：A&amp;B。</u>乙说了别的。<u>丙又说。</u>" in message
    assert_valid(message)


def test_previews_stay_under_the_limit():
    assert render.utf16_len(render.preview("长" * 10_000)) <= render.BUDGET and render.preview("") == "…"


def message(text: str, entities=(), reply_from: int | None = None) -> Message:
    data = {"message_id": 5, "date": 0, "chat": {"id": -1, "type": "group", "title": "g"},
            "from": {"id": 9, "is_bot": False, "first_name": "U"}, "text": text, "entities": list(entities)}
    if reply_from is not None:
        data["reply_to_message"] = {"message_id": 4, "date": 0, "chat": data["chat"], "text": "earlier",
                                    "from": {"id": reply_from, "is_bot": reply_from == BOT_ID, "first_name": "B"}}
    return Message.de_json(data, None)


def test_a_mention_addresses_the_bot_and_is_cut_from_the_question():
    text = "😀 @articleqabot 字节跳动有多少GPU？"        # emoji before it: offsets are UTF-16
    entity = {"type": "mention", "offset": 3, "length": 13}
    assert addressed_question(message(text, [entity]), BOT_ID, BOT_NAME).split() == ["😀", "字节跳动有多少GPU？"]


def test_other_mentions_and_replies_to_others_do_not_address_the_bot():
    entity = {"type": "mention", "offset": 0, "length": 6}
    assert addressed_question(message("@other 你好", [entity]), BOT_ID, BOT_NAME) is None
    assert addressed_question(message("你好", reply_from=77), BOT_ID, BOT_NAME) is None
    assert addressed_question(message("那华为呢？", reply_from=BOT_ID), BOT_ID, BOT_NAME) == "那华为呢？"


def test_a_text_mention_addresses_the_bot_by_id():
    entity = {"type": "text_mention", "offset": 0, "length": 3, "user": {"id": BOT_ID, "is_bot": True, "first_name": "Bot"}}
    assert addressed_question(message("Bot 问题", [entity]), BOT_ID, BOT_NAME) == "问题"
