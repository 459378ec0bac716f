"""``lim import FILE``: bulk-load users, friendships, groups or members.

The file is read as a stream (CSV, JSON Lines or a JSON array) and sent in
batches to the kind's bulk operation; the server validates every row and
answers which ones it rejected, by index, which maps back to a line of the
file. Every row is upserted, so running an import again updates instead of
duplicating.
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path
from typing import Any

import typer

from ..common import JSON_OPTION, target
from ..output import fail, print_json

FORMAT_HELP = "csv, jsonl or json (default: from the extension or content)."


def register(main: typer.Typer) -> None:
    main.command("import")(import_file)


def import_file(
    ctx: typer.Context,
    path: Path = typer.Argument(
        ..., metavar="FILE", exists=True, dir_okay=False, help="The file to import."
    ),
    kind: str = typer.Option(
        None, "--kind", help="users, friendships, groups or members (else inferred)."
    ),
    fmt: str = typer.Option(None, "--format", help=FORMAT_HELP),
    batch: int = typer.Option(
        5000, "--batch", min=1, max=10000, help="Rows per request."
    ),
    rejects: Path = typer.Option(
        None, "--rejects", help="Where bad rows go [FILE.rejects.csv or .jsonl]."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Import users, friendships, groups or group members from a file.

    The kind comes from the columns: userId (users), fromId+toId
    (friendships), groupId+memberId (members), groupId+name/ownerId
    (groups). Bad rows are listed with their line and written to the
    rejects file; the exit code is 1 if there was any.

    Example: lim import users.csv --batch 5000
    """
    from .kinds import KINDS, infer_kind
    from .readers import FORMATS, CountingFile, detect_format, open_text, read_records
    from .runner import Importer, ImportFailed, RejectsFile

    if kind is not None and kind not in KINDS:
        fail(f"--kind must be one of {', '.join(KINDS)}", 2)
    if fmt is not None and fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}", 2)
    fmt = fmt or detect_format(path)
    rejects = rejects or path.with_name(
        f"{path.name}.rejects.{'csv' if fmt == 'csv' else 'jsonl'}"
    )
    if rejects.exists():
        rejects.unlink()

    source = CountingFile(path)
    meta: dict[str, object] = {}
    records = read_records(fmt, open_text(source), meta)
    first = next(records, None)
    if first is None:
        fail(f"{path} holds no rows", 1)
    if kind is None:
        header: Any = meta.get("header") or []
        columns = list((first.row or {}).keys()) or list(header)
        kind = infer_kind(columns)
        if kind is None:
            fail("cannot tell what the file holds: pass --kind", 2)

    where = target(ctx)
    rejects_file = RejectsFile(rejects, fmt, meta)
    show = _Display(path, source, as_json)

    def on_reject(reject) -> None:
        rejects_file.write(reject)
        show.reject(f"{path.name}:{reject.line}: {reject.reason}")

    importer = Importer(
        where.server, where.token, KINDS[kind], batch, on_reject, show.batch
    )
    started = time.monotonic()
    try:
        with show:
            totals = importer.run(itertools.chain([first], records))
    except ImportFailed as exc:
        rejects_file.close()
        fail(str(exc))
    except ConnectionError as exc:
        rejects_file.close()
        fail(str(exc))
    finally:
        source.close()
    rejects_file.close()

    elapsed = time.monotonic() - started
    summary = {
        "kind": kind,
        "file": str(path),
        "read": totals.read,
        "imported": totals.imported,
        "rejected": totals.rejected,
        "rejectsFile": str(rejects) if rejects_file.written else None,
        "seconds": round(elapsed, 3),
    }
    if as_json:
        print_json(summary)
    else:
        where_rejects = f" (see {rejects})" if totals.rejected else ""
        typer.echo(
            f"imported {totals.imported} {kind} from {path.name}, "
            f"rejected {totals.rejected}{where_rejects} in {elapsed:.1f}s"
        )
    if totals.rejected:
        raise typer.Exit(1)


class _Display:
    """A rich progress bar on a terminal; plain reject lines otherwise."""

    def __init__(self, path: Path, source, quiet: bool) -> None:
        self.source = source
        self.total = path.stat().st_size
        self.progress = None
        if sys.stderr.isatty() and not quiet:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.progress = Progress(
                TextColumn("importing {task.fields[name]}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TextColumn("{task.fields[rows]} rows"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.task = self.progress.add_task(
                "import", total=self.total, name=path.name, rows=0
            )

    def __enter__(self) -> _Display:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def batch(self, totals) -> None:
        if self.progress is not None:
            self.progress.update(
                self.task, completed=self.source.bytes_read, rows=totals.read
            )

    def reject(self, line: str) -> None:
        if self.progress is not None:
            self.progress.console.print(line, markup=False, highlight=False)
        else:
            sys.stderr.write(line + "\n")
