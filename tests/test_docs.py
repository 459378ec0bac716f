"""The committed reference docs are what scripts/gen_docs.py writes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _generator():
    spec = importlib.util.spec_from_file_location(
        "gen_docs", ROOT / "scripts" / "gen_docs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_docs_match_the_generator() -> None:
    for path, text in _generator().generate().items():
        assert path.exists(), f"{path.name} is missing: run scripts/gen_docs.py"
        assert path.read_text() == text, (
            f"{path.name} is out of date: run PYTHONPATH=. python scripts/gen_docs.py"
        )


def test_every_operation_and_command_is_documented() -> None:
    from lim_server.api.operations import load_operations

    api = (ROOT / "docs" / "api.md").read_text()
    cli = (ROOT / "docs" / "cli.md").read_text()

    for path in load_operations():
        assert f"### `{path}`" in api
    for command in ("lim send", "lim import", "lim user key add", "lim app set"):
        assert f"### `{command}`" in cli
    assert cli.count("Example:") >= cli.count("### `")
