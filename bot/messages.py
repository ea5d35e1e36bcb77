"""Everything the product says in its own words, in Chinese and English."""
from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "empty_question": {
        "zh": "请输入一个问题，例如：这篇文章的要点是什么？",
        "en": "Please ask a question, for example: What are the article's key points?",
    },
    "part_not_covered": {"zh": "文章没有涉及这一问。", "en": "The articles don't cover this part."},
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
    # -- LLM answers (bot/llm.py) -----------------------------------------------------------------------
    "llm_unchecked": {
        "zh": "（语言模型的回答没能通过与原文的核对，以下为文章原文摘录）",
        "en": "(The language model's answer did not pass the check against the articles; quoting them instead.)",
    },
    "llm_cut": {"zh": "（回答被截断，只显示了已核对的完整句子。）",
                "en": "(The answer was cut off; only its complete, checked sentences are shown.)"},
    "llm_filtered": {"zh": "（回答被模型服务的内容过滤截断，只显示了已核对的完整句子。）",
                     "en": "(The model service's content filter cut the answer off; only its complete, checked "
                           "sentences are shown.)"},
    "llm_partial": {"zh": "（文章只回答了问题的一部分。）", "en": "(The articles answer only part of the question.)"},
    # -- the Telegram bot ---------------------------------------------------------------------------
    "start": {
        "zh": "你好！我回答关于这些文章的问题，并标出每句话出自哪一段：\n{titles}\n\n可以这样问：\n{examples}\n\n"
              "点答案下面的按钮可以查看原文段落；回复我的回答可以继续追问。/help 查看用法。",
        "en": "Hello! I answer questions about these articles and show which paragraph each sentence comes from:\n"
              "{titles}\n\nTry asking:\n{examples}\n\nThe buttons under an answer open the quoted paragraphs; "
              "reply to an answer to ask a follow-up. /help shows how to use me.",
    },
    "example_about_section": {"zh": "关于“{heading}”，文章怎么说？", "en": "What does the article say about {heading}?"},
    "example_about_article": {"zh": "《{title}》讲了什么？", "en": "What is {title} about?"},
    "help": {
        "zh": "私聊：直接发送问题即可。\n群组：用 /ask 问题、@{bot} 问题，或回复我的消息。\n"
              "回复我的回答可以继续追问，上下文跟着回复链走。\n\n"
              "/sources 文章列表\n/ask 问题 提问\n/check 说法 核对说法（或用 /check 回复别人的消息）\n"
              "/language zh|en|auto 本聊天使用的语言（群里仅管理员）\n\n在任何聊天里输入 @{bot} 问题 也可以直接发送带出处的回答。",
        "en": "Private chat: just send a question.\nGroups: /ask question, @{bot} question, or reply to my message.\n"
              "Reply to an answer to ask a follow-up; the context follows the reply chain.\n\n"
              "/sources the articles\n/ask question ask\n/check claim check a claim (or reply to someone's message "
              "with /check)\n/language zh|en|auto this chat's language (in groups: admins only)\n\n"
              "In any chat, type @{bot} question to send a cited answer.",
    },
    "sources_list": {"zh": "我知道的文章：", "en": "The articles I know:"},
    "article_line": {"zh": "{title}（{passages} 段）", "en": "{title} ({passages} paragraphs)"},
    "ask_usage": {"zh": "请在 /ask 后面写上问题，例如：/ask {example}",
                  "en": "Put the question after /ask, for example: /ask {example}"},
    "not_text": {"zh": "我只能回答文字问题，请用文字提问。", "en": "I can only answer questions sent as text."},
    "cooldown": {"zh": "请稍等 {seconds} 秒再提问。", "en": "Please wait {seconds} s before asking again."},
    "chat_busy": {"zh": "这个聊天的提问有点多，请 {seconds} 秒后再试。",
                  "en": "This chat is asking a lot right now; please try again in {seconds} s."},
    "not_allowed": {"zh": "抱歉，这个机器人只对受邀的聊天开放。", "en": "Sorry, this bot is only open to invited chats."},
    "admin_only": {"zh": "这个命令只有管理员可以使用。", "en": "Only admins can use this command."},
    "reloading": {"zh": "正在重新索引文章……", "en": "Re-indexing the articles…"},
    "reload_failed": {"zh": "重新索引失败，继续使用原来的索引：{reason}",
                      "en": "Re-indexing failed; the previous index stays in use: {reason}"},
    "reloaded": {"zh": "索引已更新：{summary}", "en": "Index updated: {summary}"},
    "stats": {
        "zh": "问题：{questions}（已回答 {answered}，未涉及 {refused}）\n反馈：👍 {up}  👎 {down}\n"
              "延迟 p50/p90/p99：{p50} / {p90} / {p99} 毫秒",
        "en": "Questions: {questions} ({answered} answered, {refused} not covered)\nFeedback: 👍 {up}  👎 {down}\n"
              "Latency p50/p90/p99: {p50} / {p90} / {p99} ms",
    },
    "stats_llm": {"zh": "语言模型：{model}（熔断器：{circuit}）", "en": "LLM: {model} (circuit breaker: {circuit})"},
    "stats_offline": {"zh": "语言模型：未配置，使用原文摘录回答", "en": "LLM: none configured, answering by quoting"},
    "stats_index": {"zh": "索引：{articles} 篇文章，{passages} 段，嵌入模型 {model}",
                    "en": "Index: {articles} articles, {passages} paragraphs, embedding model {model}"},
    "unknown_command": {"zh": "没有这个命令。/help 查看用法，或直接发送问题。",
                        "en": "I don't know that command. /help shows what I can do, or just send a question."},
    "error": {"zh": "抱歉，出了点问题，请稍后再试。", "en": "Sorry, something went wrong. Please try again later."},
    "feedback_thanks": {"zh": "谢谢反馈！", "en": "Thanks for the feedback!"},
    "answer_missing": {"zh": "找不到这个回答了。", "en": "That answer is no longer available."},
    "passage_missing": {"zh": "找不到这段原文了。", "en": "That passage is no longer available."},
    "paragraph": {"zh": "第 {n} 段", "en": "paragraph {n}"},
    "language_set": {"zh": "好的，这个聊天使用中文。", "en": "OK, this chat now uses English."},
    "language_auto": {"zh": "好的，按提问的语言回复。", "en": "OK, I'll follow each question's language."},
    "language_usage": {"zh": "用法：/language zh、/language en 或 /language auto",
                       "en": "Usage: /language zh, /language en or /language auto"},
    # -- issue 12: waiting instead of refusing, quiet manners, claim checks, inline mode ------------
    "queued": {"zh": "收到，{seconds} 秒后按顺序回答。", "en": "Got it; I'll answer in order in {seconds} s."},
    "chat_queued": {"zh": "这个聊天的提问有点多，我会按顺序回答，请稍候。",
                    "en": "This chat is asking a lot right now; I'll answer in order, please bear with me."},
    "flood": {"zh": "问题太多了，请等前面的回答发出后再问。",
              "en": "That's a lot of questions at once; please wait for the answers before asking more."},
    "language_admins_only": {"zh": "只有群管理员可以更改本群的语言。", "en": "Only the group's admins can change its language."},
    "vote_up": {"zh": "你的评价：👍（再点一次可撤销）", "en": "Your vote: 👍 (press again to take it back)"},
    "vote_down": {"zh": "你的评价：👎（再点一次可撤销）", "en": "Your vote: 👎 (press again to take it back)"},
    "vote_removed": {"zh": "已撤销评价。", "en": "Vote taken back."},
    "passage_shown": {"zh": "这段原文已经发在上面了 ↑", "en": "That passage is already shown above ↑"},
    "check_usage": {"zh": "请在 /check 后面写上要核对的说法，或用 /check 回复别人的消息。",
                    "en": "Put the claim after /check, or reply to someone's message with /check."},
    "check_heading": {"zh": "核对文章：", "en": "Checked against the articles:"},
    "check_supported": {"zh": "✅ 文章支持", "en": "✅ Supported"},
    "check_contradicted": {"zh": "❌ 与文章不符", "en": "❌ Contradicted"},
    "check_unsupported": {"zh": "❔ 文章没有提到", "en": "❔ The articles don't say"},
    "check_says": {"zh": "文章原文：", "en": "The article says: "},
    "check_nothing": {"zh": "这条消息里没有可以核对的说法。", "en": "There is no claim in that message to check."},
    "inline_empty": {"zh": "输入一个关于文章的问题", "en": "Type a question about the articles"},
    "inline_question": {"zh": "问：", "en": "Q: "},
}


def mode_label(mode: str, language: str) -> str:
    """The line an answer is shown under when it is not what was asked for: the articles quoted because the
    model was unavailable ("fallback") or because its answer did not pass the check ("llm_rejected")."""
    key = {"fallback": "fallback", "llm_rejected": "llm_unchecked"}.get(mode)
    return text(key, language) if key else ""


def is_notice(note: str) -> bool:
    """Whether an Answer's note is meant for the reader (the question was cut); other notes are for logs."""
    return any(note.startswith(TEXTS["truncated"][lang].split("{")[0]) for lang in ("zh", "en"))


def text(key: str, language: str, **values) -> str:
    entry = TEXTS[key]
    return entry.get(language, entry["en"]).format(**values)
