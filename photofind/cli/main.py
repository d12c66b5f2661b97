"""The `photofind` entry point: the fast path when it can parse the command line (a query a
server answers in milliseconds should not wait for Typer and pydantic to load), else Typer."""

from __future__ import annotations

import sys


def main() -> None:
    from photofind.cli import lean

    if lean.run(sys.argv[1:]):
        return
    from photofind.cli.app import app

    app()
