"""The command line as a user runs it: a real process, real models, no network."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(args, index_settings, stdin=None):
    env = dict(os.environ, INDEX_DIR=str(index_settings.index_dir), CORPUS_DIR=str(index_settings.corpus_dir),
               PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", *args], input=stdin, capture_output=True, text=True, env=env,
                          timeout=300)


def test_ask_prints_answer_and_sources(engine, index_settings):
    result = run(["bot", "ask", "字节跳动在中国有多少GPU？"], index_settings)
    assert result.returncode == 0, result.stderr
    assert "50万" in result.stdout and "[1]" in result.stdout and "来源" in result.stdout


@pytest.mark.slow                # a subprocess loading the models; make check keeps one
def test_ask_json_has_the_stable_fields(engine, index_settings):
    result = run(["bot", "ask", "--json", "新加坡的电力短缺持续了多少年？"], index_settings)
    data = json.loads(result.stdout)
    assert set(data) == {"question", "answer", "refused", "mode", "confidence", "refusal_reason", "note",
                         "citations", "retrieved", "latency_ms"}
    assert set(data["citations"][0]) == {"n", "doc", "section", "chunk_id", "text"}
    assert set(data["retrieved"][0]) == {"chunk_id", "text", "score"}
    assert "15年" in data["answer"] and data["refused"] is False and data["mode"] == "extractive"


@pytest.mark.slow                # a subprocess loading the models; make check keeps one
def test_ask_jsonl_answers_each_line(engine, index_settings):
    result = run(["bot", "ask", "--jsonl"], index_settings, stdin="字节跳动是谁的最大GPU客户？\n\nAMD的MI300卖多少钱？\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2 and lines[1]["refused"] is True


@pytest.mark.slow                # a subprocess loading the models; make check keeps one
def test_index_build_and_search_commands(engine, index_settings):
    assert "up to date" in run(["index", "build"], index_settings).stdout
    result = run(["index", "search", "华为 2018"], index_settings)
    assert result.returncode == 0 and "found by" in result.stdout and "gpu-smuggling-china#" in result.stdout


def test_bad_setting_is_one_clear_line(index_settings):
    env_settings = run(["bot", "ask", "x"], index_settings.__class__(index_dir=index_settings.index_dir,
                                                                     corpus_dir=Path("/nonexistent")))
    assert env_settings.returncode == 2 and "Traceback" not in env_settings.stderr
    assert "corpus directory /nonexistent does not exist" in env_settings.stderr
