"""Where the bot's event-loop thread spends its time: a sampling profiler for the throughput benchmark.

    python -m bench.sampler OUT.json MODULE [ARG ...]      runs `python -m MODULE ARG ...` under it

On SIGUSR1 (sent once the bot is serving, so start-up is left out) a daemon thread starts reading the main
thread's Python stack every 5 ms (sys._current_frames). It counts where the innermost frame is (a project
file, a library, or a standard-library module) and which project functions and libraries are anywhere on
the stack. Waiting in the event loop's select() is idle. The counts are written to OUT.json at exit.
"""
from __future__ import annotations

import atexit
import json
import runpy
import signal
import sys
import threading
from collections import Counter
from pathlib import Path

ROOT = str(Path(__file__).resolve().parent.parent) + "/"
INTERVAL_S = 0.005
ENTRY_POINTS = ("bench/", "bot/__main__.py", "bot/telegram/run.py")     # on every stack: says nothing


def place(path: str) -> str:
    """A project file (bot/telegram/storage.py), a library (httpx) or a standard-library module (asyncio)."""
    if "/site-packages/" in path:
        return path.split("/site-packages/", 1)[1].split("/", 1)[0]
    if path.startswith(ROOT):
        return path[len(ROOT):]
    parts = Path(path).parts
    return parts[-2] if len(parts) > 1 and parts[-2] in ("asyncio", "json", "sqlite3", "logging", "concurrent") \
        else Path(path).stem.strip("<>").removeprefix("frozen ")


class Sampler:
    def __init__(self, thread_id: int):
        self.thread_id = thread_id
        self.samples = self.idle = 0
        self.innermost: Counter[str] = Counter()
        self.on_stack: Counter[str] = Counter()
        self.started = False

    def start(self, *_) -> None:
        if not self.started:
            self.started = True
            threading.Thread(target=self._run, name="bench-sampler", daemon=True).start()

    def _run(self) -> None:
        tick = threading.Event()
        while not tick.wait(INTERVAL_S):
            frame = sys._current_frames().get(self.thread_id)
            if frame is None:
                return
            self.samples += 1
            if frame.f_code.co_name in ("select", "poll") and frame.f_code.co_filename.endswith("selectors.py"):
                self.idle += 1
                continue
            self.innermost[place(frame.f_code.co_filename)] += 1
            seen = set()
            while frame is not None:
                where = place(frame.f_code.co_filename)
                if where.endswith(".py"):
                    if not where.startswith(ENTRY_POINTS):
                        seen.add(f"{where}:{frame.f_code.co_name}")
                else:
                    seen.add(where)
                frame = frame.f_back
            self.on_stack.update(seen)

    def write(self, path: str) -> None:
        busy = max(self.samples - self.idle, 1)
        Path(path).write_text(json.dumps({
            "interval_s": INTERVAL_S, "samples": self.samples, "idle_share": self.idle / max(self.samples, 1),
            "innermost_share_of_busy": {k: n / busy for k, n in self.innermost.most_common(15)},
            "on_stack_share_of_busy": {k: n / busy for k, n in self.on_stack.most_common(30)},
        }, indent=1))


def main() -> None:
    out, module, *args = sys.argv[1:]
    sampler = Sampler(threading.main_thread().ident)
    signal.signal(signal.SIGUSR1, sampler.start)
    atexit.register(sampler.write, out)
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
