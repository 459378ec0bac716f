"""The ``lim`` console entry point.

A plain ``lim send`` runs without loading Typer (see :mod:`.sending`);
every other command goes to the Typer app in :mod:`.main`.
"""

from __future__ import annotations

import sys


def run() -> None:
    from .sending import run_fast

    try:
        code = run_fast(sys.argv[1:])
    except KeyboardInterrupt:
        sys.exit(130)
    if code is not None:
        sys.exit(code)

    from .main import run as run_typer

    run_typer()
