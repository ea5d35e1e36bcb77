from index.chunking import chunk_document, split_long
from index.readers import Document, read_corpus, read_document
from index.text import join_sentences, split_sentences


def doc(body: str, title: str = "T") -> Document:
    return Document(slug="t", title=title, language="zh", source="", path="t.md", body=body, sha256="x")


def test_headings_lists_and_positions():
    chunks = chunk_document(doc("# T\n\n导语。\n\n## 亮点\n- 一。\n- 二。\n\n## 甲\n### 乙\n正文一。\n\n正文二。"))
    assert [(c.section, c.ordinal) for c in chunks] == [("", 1), ("亮点", 2), ("甲 › 乙", 3), ("甲 › 乙", 4)]
    assert chunks[1].text == "- 一。\n- 二。"           # the list stays whole, under its heading
    assert chunks[2].chunk_id == "t#3" and chunks[2].heading_path == "T › 甲 › 乙"
    assert len({c.sha256 for c in chunks}) == 4


def test_long_paragraphs_split_between_sentences_only():
    sentences = [f"第{i}句话说的是一件事情。" for i in range(100)]
    pieces = split_long("".join(sentences), max_chars=100)
    assert all(len(p) <= 100 for p in pieces)
    assert "".join(pieces) == "".join(sentences)
    assert all(p.endswith("。") for p in pieces)


def test_sentence_split_keeps_decimals_and_codes():
    assert split_sentences("价格是3.5万美元。H100.x 很贵！Really? Yes.") == ["价格是3.5万美元。", "H100.x 很贵！", "Really?", "Yes."]


def test_initials_titles_brackets_and_semicolons_end_no_sentence():
    assert split_sentences("主席是约翰·麦克阿瑟（John H. McArthur）教授。S.G. Tallentyre wrote it. Then") == [
        "主席是约翰·麦克阿瑟（John H. McArthur）教授。", "S.G. Tallentyre wrote it.", "Then"]
    assert split_sentences("在《CDTV×Sacas！》中演唱（详见下文。）后走红。主治感冒；近用于乳糜尿。") == [
        "在《CDTV×Sacas！》中演唱（详见下文。）后走红。", "主治感冒；近用于乳糜尿。"]
    assert split_sentences("An open (bracket. Never closed. Fine.") == ["An open (bracket.", "Never closed.", "Fine."]


def test_seed_article_metadata_and_text_kept_exactly(tmp_path):
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    article = read_document(root / "corpus" / "gpu-smuggling-china.md")
    seed = (root.parent / "shared" / "seeds" / "000_16e0ebf70bcb418a.txt")
    assert article.title == "揭秘：中国GPU非法走私背后的科技暗战"
    assert article.language == "zh" and "Lex Fridman" in article.source
    if seed.exists():
        assert article.body == seed.read_text(encoding="utf-8")


def test_readers_html_text_and_a_broken_file(tmp_path):
    (tmp_path / "a.html").write_text("<html><head><title>HT</title></head><body><h2>Sec</h2><p>Para one.</p>"
                                     "<ul><li>x</li><li>y</li></ul><script>bad()</script></body></html>")
    (tmp_path / "b.txt").write_text("Plain title\n\nFirst paragraph.\n\nSecond.")
    (tmp_path / "c.md").write_bytes(b"\xff\xfe\x00bad")
    docs, errors = read_corpus(tmp_path)
    assert [d.title for d in docs] == ["HT", "Plain title"]
    assert docs[0].body == "## Sec\n\nPara one.\n\n- x\n- y"
    assert len(errors) == 1 and "c.md" in errors[0]


def test_sentences_join_without_a_space_after_chinese_and_with_one_after_english():
    assert join_sentences(["第一句。", "第二句[1]", "第三句。"]) == "第一句。第二句[1]第三句。"
    assert join_sentences(["One.", "Two[1]", "Three."]) == "One. Two[1] Three."
    assert join_sentences(["他说“好”", "Then it ended."]) == "他说“好”Then it ended."
    assert join_sentences(["It was GPU.", "然后结束。"]) == "It was GPU. 然后结束。"
