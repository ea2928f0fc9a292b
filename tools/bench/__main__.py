"""python -m tools.bench [--quick] [--only GROUP ...]: measure, print the table, write JSON, plot and Markdown."""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

from course_lib.services.settings import use_kernel_key
from tools.bench import (  # noqa: F401
    cache,
    layers,
    notebooks,
    observability,
    pagination,
    peer,
    scaling,
    server,
    setup,
    throughput,
)
from tools.bench.core import REGISTRY, ROOT, Context, Figure, run_benchmark
from tools.bench.report import document, plot, text_table, write_json, write_markdown, write_readme_goals

MARKDOWN = ROOT / "docs" / "benchmarks.md"
PLOT_IN_DOCS = ROOT / "docs" / "benchmarks.png"
README = ROOT / "README.md"

# The order: set-up, notebooks, server, load (alone, then beside the peer), pagination, cache, scaling.
ORDER = (
    "set-up",
    "notebooks",
    "server start",
    "throughput",
    "peer",
    "peer (PostgreSQL)",
    "request layers",
    "pagination",
    "pagination (PostgreSQL)",
    "cache",
    "observability",
    "scaling",
)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__.split(":")[1].strip())
    parser.add_argument("--quick", action="store_true", help="fewer repeats, a sample of three chapter notebooks")
    parser.add_argument(
        "--only",
        action="append",
        choices=list(REGISTRY),
        metavar="GROUP",
        help=f"run only these groups (repeatable): {', '.join(REGISTRY)}",
    )
    parser.add_argument(
        "--skip",
        action="append",
        choices=list(REGISTRY),
        metavar="GROUP",
        default=[],
        help="leave these groups out (repeatable)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="repeats per figure where a sample is cheap")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench", help="latest.json and latest.png")
    parser.add_argument("--markdown", type=Path, default=MARKDOWN, help="the table for the README ('-': none)")
    parser.add_argument("--note", default="", help="a line written above the Markdown table")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    use_kernel_key()  # the apps measured (and their server processes) sign with a random key of this run
    context = Context(repeats=args.repeats, quick=args.quick, out=args.out)
    chosen = args.only or sorted(REGISTRY, key=lambda name: ORDER.index(name) if name in ORDER else len(ORDER))
    groups = [name for name in chosen if name not in args.skip]
    started = time.perf_counter()
    figures: list[Figure] = []
    for name in groups:
        began = time.perf_counter()
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        figures += run_benchmark(REGISTRY[name], context)
        print(f"[bench] {name}: {time.perf_counter() - began:.0f} s", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started
    command = "python -m tools.bench " + shlex.join(argv if argv is not None else sys.argv[1:])
    data = document(figures, command=command.strip(), seconds=seconds, note=args.note)
    print(text_table(figures))
    print(f"\n{len(figures)} figures in {seconds:.0f} s; JSON: {args.out / 'latest.json'}")
    write_json(args.out / "latest.json", data)
    drew = plot(args.out / "latest.png", figures)
    # docs/benchmarks.md is the README's table of a whole run: a partial one (--only, --skip) writes only build/bench
    partial = bool(args.only or args.skip) and args.markdown == MARKDOWN
    if str(args.markdown) != "-" and not partial:
        image = None
        if drew and args.markdown == MARKDOWN:
            PLOT_IN_DOCS.write_bytes((args.out / "latest.png").read_bytes())
            image = PLOT_IN_DOCS.name
        write_markdown(args.markdown, data, figures, plot=image)
        if args.markdown == MARKDOWN:
            write_readme_goals(README, data, figures, details=os.path.relpath(MARKDOWN, README.parent))
    broken = [figure for figure in figures if figure.skipped and figure.skipped.startswith("failed:")]
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
