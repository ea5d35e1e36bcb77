"""python -m index build [--rebuild] | python -m index search "question" [-k 5] [--mode hybrid|dense|keyword]"""
from __future__ import annotations

import argparse
import logging
import sys

from .errors import UserFacingError


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index", description="Build and query the article index.")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="index corpus/ (only what changed)")
    b.add_argument("--rebuild", action="store_true", help="start over, e.g. after changing EMBEDDING_MODEL")
    s = sub.add_parser("search", help="show ranked passages with scores")
    s.add_argument("query")
    s.add_argument("-k", type=int, default=5)
    s.add_argument("--mode", choices=("hybrid", "dense", "keyword"), default="hybrid")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        from .settings import IndexSettings

        settings = IndexSettings.from_env()
        if args.command == "build":
            from .build import build, up_to_date

            # an unchanged corpus is answered from the manifest, without loading the model (~1 s of torch)
            report = (not args.rebuild and up_to_date(settings, settings.model_id)) or \
                build(settings, settings.embedder(), rebuild=args.rebuild)
            print(report.summary())
            for error in report.errors:
                print(f"skipped: {error}", file=sys.stderr)
            return 0
        from .loader import open_index
        from .retrieve import HybridRetriever

        embedder = settings.embedder()
        retriever = HybridRetriever(open_index(settings, embedder), embedder, args.mode)
        query = retriever.prepare(args.query)
        for rank, hit in enumerate(retriever.search(query, args.k), 1):
            print(f"{rank}. {hit.chunk.chunk_id}  score={hit.score:.3f}  dense={hit.dense:.3f}  "
                  f"keyword={hit.keyword:.2f}  found by: {'+'.join(hit.found_by)}")
            print(f"   {hit.chunk.heading_path}")
            print("   " + hit.chunk.text.replace("\n", "\n   "))
        return 0
    except UserFacingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
