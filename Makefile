# One setup command, then one command per job. `make help` lists them.
PY := .venv/bin/python

.PHONY: help setup ask run check test eval bench bench-quick

help:
	@echo "make setup        create .venv and install everything (CPU torch, models ship as packages)"
	@echo "make ask Q='…'    answer one question offline"
	@echo "make run          run the Telegram bot (needs TELEGRAM_BOT_TOKEN)"
	@echo "make check        the fast tier of the tests (no slow marker, under 90 s)"
	@echo "make test         run the whole test suite"
	@echo "make eval         answer quality: CMRC+SQuAD dev, held-out (two sets), cross-language, mixed corpus, follow-ups, two questions in one message, seed dev and test"
	@echo "make bench        run the benchmarks (bench-quick: ~2 minutes)"

setup:
	python3 -m venv .venv
	.venv/bin/pip install --upgrade pip
	.venv/bin/pip install -e '.[dev]'
	$(PY) -m index build

ask:
	$(PY) -m bot ask "$(Q)"

run:
	$(PY) -m bot run

check:
	$(PY) -m pytest -q -m "not slow"

test:
	$(PY) -m pytest -q

eval:
	$(PY) -m eval.squad --set dev
	$(PY) -m eval.squad --set heldout
	$(PY) -m eval.squad --set written
	$(PY) -m eval.squad --set crosslang
	$(PY) -m eval.mixed
	$(PY) -m eval.followups
	$(PY) -m eval.followups --set written
	$(PY) -m eval.compound
	$(PY) -m eval.seed eval/dev.jsonl
	$(PY) -m eval.seed eval/test.jsonl --out bench/results/eval_test.json

bench:
	$(PY) -m bench

bench-quick:
	$(PY) -m bench --quick
