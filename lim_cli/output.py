"""Printing for the CLI: data to stdout, one-line errors to stderr."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line on stderr and exit (1 error, 2 usage)."""
    sys.stderr.write(f"lim: {message}\n")
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
