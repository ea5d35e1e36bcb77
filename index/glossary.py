"""A small bilingual glossary of names and terms common in tech-policy articles.

Keyword search matches words, so "英伟达" never finds "NVIDIA" and an English question never finds a
Chinese paragraph. Each group lists spellings of one thing; a query term in a group also searches the
other spellings (at a lower weight, see keyword.py). General vocabulary, not tuned to one article.
"""

NAMES: list[tuple[str, ...]] = [
    # companies and organisations
    ("nvidia", "英伟达", "辉达", "輝達"),
    ("amd", "超威"),
    ("intel", "英特尔"),
    ("tsmc", "台积电"),
    ("samsung", "三星"),
    ("google", "谷歌", "alphabet"),
    ("oracle", "甲骨文"),
    ("microsoft", "微软"),
    ("amazon", "亚马逊", "aws"),
    ("meta", "facebook", "脸书"),
    ("openai",),
    ("bytedance", "字节跳动", "字节", "抖音母公司"),
    ("tiktok", "抖音"),
    ("huawei", "华为"),
    ("alibaba", "阿里巴巴", "阿里"),
    ("tencent", "腾讯"),
    ("baidu", "百度"),
    ("deepseek", "深度求索"),
    ("supermicro", "超微"),
    ("semianalysis",),
    ("allen", "艾伦"),
    # people
    ("biden", "拜登"),
    ("trump", "特朗普", "川普"),
    ("lex", "fridman"),
    # places
    ("china", "chinese", "中国", "中方", "国内"),
    ("us", "usa", "america", "american", "united states", "美国"),
    ("singapore", "新加坡", "狮城"),
    ("malaysia", "马来西亚", "大马"),
    ("san francisco", "旧金山"),
    ("shanghai", "上海"),
    ("taiwan", "台湾"),
    ("japan", "日本"),
    ("europe", "欧洲"),
]

TERMS: list[tuple[str, ...]] = [
    # hardware and compute
    ("gpu", "gpus", "显卡", "图形处理器", "算力卡", "卡"),
    ("chip", "chips", "芯片"),
    ("semiconductor", "semiconductors", "半导体"),
    ("server", "servers", "服务器"),
    ("data center", "data centers", "datacenter", "数据中心", "机房"),
    ("cloud", "云服务", "云"),
    ("compute", "computing", "算力", "计算资源"),
    ("hardware", "硬件"),
    ("ai", "artificial intelligence", "人工智能"),
    ("model", "models", "模型"),
    ("training", "训练"),
    ("inference", "推理"),
    # trade and law
    ("smuggling", "smuggle", "smuggled", "smuggler", "smugglers", "走私"),
    ("export", "exports", "出口"),
    ("export control", "export controls", "出口管制"),
    ("ban", "banned", "bans", "禁令", "禁止", "遭禁"),
    ("sanction", "sanctions", "sanctioned", "制裁", "封锁"),
    ("rent", "rental", "renting", "lease", "leasing", "租赁", "租用"),
    ("buy", "bought", "purchase", "purchasing", "购买", "采购"),
    ("customer", "customers", "client", "客户"),
    ("rule", "rules", "regulation", "regulations", "规则", "新规", "法规"),
    ("loophole", "loopholes", "漏洞", "空子"),
    ("legal", "legally", "合法"),
    ("illegal", "illegally", "非法"),
    ("black market", "黑市"),
    ("network", "networks", "网络"),
    ("supply chain", "供应链"),
    ("price", "prices", "cost", "costs", "价格", "成本", "售价"),
    ("profit", "profits", "利润", "收益"),
    ("value", "worth", "价值"),
    ("drugs", "drug", "毒品"),
    ("weapons", "weapon", "arms", "武器", "军火"),
    ("electricity", "power", "电力"),
    ("shortage", "shortages", "短缺"),
    ("ticket", "tickets", "机票"),
    ("first class", "first-class", "头等舱"),
    ("flight", "plane", "航班", "飞往", "飞机"),
    ("passenger", "乘客"),
    ("podcast", "播客"),
    ("episode", "本期", "节目"),
    ("guest", "guests", "嘉宾"),
    ("research", "研究"),
    ("institute", "研究所"),
    ("company", "companies", "firm", "firms", "公司", "企业"),
    ("intermediary", "intermediaries", "middleman", "middlemen", "中间商"),
    ("subsidiary", "subsidiaries", "子公司"),
    ("million", "百万"),
    ("largest", "biggest", "最大"),
    ("second", "第二", "第二大"),
    ("third", "第三", "第三大"),
]

GROUPS = NAMES + TERMS
_EQUIVALENTS: dict[str, tuple[str, ...]] = {}
for group in GROUPS:
    for term in group:
        _EQUIVALENTS[term] = tuple(t for t in group if t != term)
_SUFFIXES = ("ing", "ed", "es", "s", "d")


def equivalents(term: str) -> tuple[str, ...]:
    """Other spellings of a term. An English word not in the glossary is also looked up without its
    inflection (rented → rent, then its group); failing that, its bare stems are its spellings (h20s → h20)."""
    found = _EQUIVALENTS.get(term)
    if found is not None or not term.isascii():
        return found or ()
    stems = [term[: -len(suffix)] for suffix in _SUFFIXES if term.endswith(suffix) and len(term) > len(suffix) + 2]
    stem = next((s for s in stems if s in _EQUIVALENTS), None)
    return (stem, *_EQUIVALENTS[stem]) if stem else tuple(stems)

# English phrases of more than one word, longest first, matched before single words.
PHRASES = sorted((t for g in GROUPS for t in g if t.isascii() and not t.isalnum()), key=len, reverse=True)
CHINESE_NAMES = [t for g in NAMES for t in g if not t.isascii()]
CHINESE_TERMS = [t for g in TERMS for t in g if not t.isascii()]
