"""PNG plots from the JSON results: bench/results/NAME.json → bench/results/NAME.png (and recall.png)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .common import read, results_dir, say  # noqa: E402

COLORS = {"flat": "#1f77b4", "ivf": "#ff7f0e", "hnsw": "#2ca02c", "keyword": "#7f7f7f"}


def _save(fig, name: str, quick: bool) -> None:
    path = results_dir(quick) / f"{name}.png"
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    say(f"  plot: {path}")


def latency(data: dict, quick: bool) -> None:
    w = data["warm"]
    stages = list(w["stages_ms"]) + ["bare\nmodel.encode"]
    p50 = [v["p50"] for v in w["stages_ms"].values()] + [w["model_encode_ms"]["p50"]]
    p95 = [v["p95"] for v in w["stages_ms"].values()] + [w["model_encode_ms"]["p95"]]
    fig, ax = plt.subplots(figsize=(7.5, 4))
    x = range(len(stages))
    ax.bar([i - 0.2 for i in x], p50, 0.4, label="p50")
    ax.bar([i + 0.2 for i in x], p95, 0.4, label="p95")
    ax.set_xticks(list(x), stages)
    ax.set_ylabel("ms")
    ax.set_title(f"answer() by stage, warm, seed corpus: answer ÷ encode = "
                 f"{w['ratio_answer_over_encode']['of_medians']:.2f}; cold ask {data['cold_start']['seconds']['p50']:.1f} s",
                 fontsize=10)
    ax.legend()
    _save(fig, "latency", quick)


def scale(data: dict, quick: bool) -> None:
    runs = sorted((r for r in data["runs"] if "error" not in r and r["vectors"] == "composed"), key=lambda r: r["size"])
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    ax = axes[0][0]
    series: dict[str, list] = {}          # "ivf, nprobe 64" at 1M and "ivf, nprobe 96" at 100k: one line
    for r in runs:
        for name, h in r["hybrid"].items():
            label = name.split(",")[0] + (", smallest nprobe with recall ≥ 0.95" if h["nprobe"] else "")
            series.setdefault(label, []).append((r["size"], h["total_ms"]["p50"]))
    for label, points in series.items():
        ax.plot(*zip(*points), marker="o", color=COLORS[label.split(",")[0]], label=label,
                linestyle=":" if "," in label else "-")
    ax.axhline(data["targets"]["p50_ms_at_1M"], color="red", linewidth=0.8, label="target at 1M")
    ax.set(xscale="log", yscale="log", xlabel="paragraphs", ylabel="p50, ms",
           title="hybrid retrieval (query terms + dense + keyword + fusion)")
    ax.legend(fontsize=7)
    ax = axes[0][1]
    for kind in COLORS:
        if kind == "keyword":
            points = [(r["size"], r["keyword"]["search_ms"]["p50"]) for r in runs]
            ax.plot(*zip(*points), marker="s", color=COLORS[kind], label="BM25")
            continue
        for key, style, label in (("search_ms", "-", ""), ("search_ms_1thread", "--", ", 1 thread")):
            points = [(r["size"], r["dense"][kind][key]["p50"]) for r in runs if kind in r["dense"]]
            if points:
                ax.plot(*zip(*points), marker="o", linestyle=style, color=COLORS[kind], label=kind + label)
    ax.set(xscale="log", yscale="log", xlabel="paragraphs", ylabel="p50, ms", title="single-query search, k=50")
    ax.legend(fontsize=7)
    for ax, (key, title, ylabel) in zip(axes[1], (("seconds", "build time", "s"), ("disk_mb", "size on disk", "MB"))):
        for kind in COLORS:
            if kind == "keyword":
                points = [(r["size"], r["keyword"]["build"]["seconds"] if key == "seconds" else r["keyword"]["disk_mb"])
                          for r in runs]
            else:
                points = [(r["size"], r["dense"][kind]["build"]["seconds"] if key == "seconds" else r["dense"][kind]["disk_mb"])
                          for r in runs if kind in r["dense"]]
            if points:
                ax.plot(*zip(*points), marker="o", color=COLORS[kind], label=kind)
        if key == "disk_mb":
            ax.plot([r["size"] for r in runs], [r["maxrss_mb"] for r in runs], marker="^", color="black",
                    linestyle=":", label="peak RSS of the process")
        ax.set(xscale="log", yscale="log", xlabel="paragraphs", ylabel=ylabel, title=title)
        ax.legend(fontsize=7)
    _save(fig, "scale", quick)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    largest = max(r["size"] for r in runs)
    for r in runs:
        for kind, knob in (("ivf", "nprobe"), ("hnsw", "efSearch")):
            points = r["dense"].get(kind, {}).get("sweep")
            if not points:
                continue
            ax.plot([p["p50_ms"] for p in points], [p["recall@10"] for p in points], marker="o", color=COLORS[kind],
                    alpha=0.35 + 0.65 * r["size"] / largest, label=f"{kind}, {r['size']:,}")
            for p in points:
                ax.annotate(str(p[knob]), (p["p50_ms"], p["recall@10"]), fontsize=6)
    ax.axhline(data["targets"]["recall@10"], color="red", linewidth=0.8)
    ax.set(xscale="log", xlabel="single-query p50, ms", ylabel="recall@10 against flat",
           title="approximate indexes: recall against latency (labels: nprobe / efSearch)")
    ax.legend(fontsize=7)
    _save(fig, "recall", quick)


def quality(data: dict, quick: bool) -> None:
    labels, first, third = [], [], []
    for key, report in data["configs"].items():
        model = "MiniLM" if key == "minilm" else "e5"
        for mode, langs in report["retrieval"].items():
            for lang, m in langs.items():
                labels.append(f"{mode}\n{model} {lang}")
                first.append(m["recall@1"])
                third.append(m["recall@3"])
        for lang, a in report["answers"].items():
            if lang != "all":
                labels.append(f"answers\n{model} {lang}")
                first.append(a["accuracy"])
                third.append(0)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.55 * len(labels)), 4.2))
    x = range(len(labels))
    ax.bar([i - 0.2 for i in x], first, 0.4, label="recall@1 (answers: accuracy)")
    ax.bar([i + 0.2 for i in x], third, 0.4, label="recall@3")
    ax.set_xticks(list(x), labels, fontsize=6.5)
    ax.set_ylim(0, 1.05)
    ax.set_title("dev set: retrieval recall and offline answer accuracy by configuration and language", fontsize=10)
    ax.legend(fontsize=8)
    _save(fig, "quality", quick)


def throughput(data: dict, quick: bool) -> None:
    phases = data["phases"]
    users = [p["users"] for p in phases]
    fig, (ax, rss) = plt.subplots(1, 2, figsize=(11, 4))
    ax.plot(users, [p["answers_per_s"] for p in phases], marker="o", label="answers/s")
    ax.axhline(data["target_answers_per_s"], color="red", linewidth=0.8, label="target")
    ax.set(xlabel="concurrent users", ylabel="answers/s", xscale="log", title=data["bot"][:60])
    ax.legend(loc="upper left", fontsize=8)
    ms = ax.twinx()
    ms.plot(users, [p["latency_ms"]["p50"] for p in phases], marker="s", color="gray", label="send→answer p50 ms")
    ms.plot(users, [p["latency_ms"]["p95"] for p in phases], marker="^", color="black", label="p95 ms")
    ms.legend(loc="lower right", fontsize=8)
    series = {int(k): v for k, v in data["rss"]["series"].items()}
    rss.plot(list(series), list(series.values()), marker=".")
    rss.axhline(data["rss"]["target_mb"], color="red", linewidth=0.8, label="target")
    rss.set(xlabel="questions answered", ylabel="bot RSS, MB", title="bot memory")
    rss.legend(fontsize=8)
    _save(fig, "throughput", quick)


def main(quick: bool = False) -> None:
    for plot in (latency, scale, quality, throughput):
        data = read(plot.__name__, quick)
        if not data or data.get("error"):
            continue
        try:
            plot(data, quick)
        except Exception as exc:  # one broken plot must not hide the others
            say(f"  plot {plot.__name__} failed: {exc!r}")


if __name__ == "__main__":
    import sys

    main("--quick" in sys.argv)
