"""Development data in SQuAD format: a corpus and its questions, and the same questions with their answers
taken out of the articles."""
import json

from eval.datasets import load, without_answers

CONTEXT = "Kites fly in the wind. The first kite was made in China. Paper kites came later, with the wind."


def squad_file(tmp_path, answers: list[tuple[str, str]]):
    qas = [{"id": f"q{n}", "question": question, "is_impossible": False,
            "answers": [{"text": span, "answer_start": CONTEXT.rindex(span)}]}
           for n, (question, span) in enumerate(answers)]
    path = tmp_path / "squad2_tiny.json"
    path.write_text(json.dumps({"data": [{"title": "Kites", "paragraphs": [{"context": CONTEXT, "qas": qas}]}]}))
    return path


def test_each_question_knows_the_sentence_its_answer_was_marked_in(tmp_path):
    _, questions = load(squad_file(tmp_path, [("Where was the first kite made?", "China"),
                                              ("What came later?", "Paper kites")]), "en")
    assert [q.evidence for q in questions] == [("The first kite was made in China.",),
                                               ("Paper kites came later, with the wind.",)]


def test_without_answers_removes_the_answering_sentence_and_asks_the_question_as_unanswerable(tmp_path):
    corpus, questions = load(squad_file(tmp_path, [("Where was the first kite made?", "China"),
                                                   ("What came later?", "Paper kites")]), "en")
    ablated, asked = without_answers(corpus, questions, group=0)
    text = next(iter(ablated.values()))
    assert "China" not in text and "Kites fly in the wind. Paper kites came later" in text
    assert [(q.id, q.answers, q.answerable) for q in asked] == [("q0-ablated", (), False)]


def test_a_question_whose_answer_is_said_twice_is_left_out(tmp_path):
    # "wind" is marked in the last sentence but the first says it too: removing one sentence doesn't unanswer it
    corpus, questions = load(squad_file(tmp_path, [("What do kites fly in?", "wind")]), "en")
    _, asked = without_answers(corpus, questions, group=0)
    assert asked == []


def test_the_written_follow_ups_quote_their_articles_and_use_a_pronoun():
    from eval.followups import written_followups
    from eval.squad import WRITTEN

    items = written_followups()
    assert len(items) == 120 and len({q.id for _, _, q in items}) == 120
    for question, earlier, q in items:
        article = (WRITTEN / "corpus" / f"{q.article}.md").read_text(encoding="utf-8")
        assert earlier and question and all(span in article for span in q.answers), q.id
