"""`python -m course_lib.taskapi describe [NN] [--write docs/architecture.md]`: print (or write) a chapter's app."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from course_lib.taskapi import app_for, chapter_modules
from course_lib.taskapi.describe import describe, write_section


def main(argv: list[str] | None = None) -> int:
    """Print chapter NN's app (the latest by default); with --write, update the generated part of a document."""
    parser = argparse.ArgumentParser(prog="python -m course_lib.taskapi")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("describe", help="middleware, routes, seams and resources of a chapter's app")
    command.add_argument("chapter", nargs="?", type=int, default=max(chapter_modules()))
    command.add_argument("--write", type=Path, help="replace the generated section of this Markdown file")
    args = parser.parse_args(argv)
    os.environ.setdefault("DEVELOPMENT", "1")  # describing an app signs nothing: a throwaway key will do
    app = app_for(args.chapter)
    if args.write:
        print(f"{args.write}: {'updated' if write_section(app, args.write) else 'already up to date'}")
    else:
        print(describe(app), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
