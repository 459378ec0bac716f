"""Table definitions, one module per component; importing registers them."""

from . import conversations, core  # noqa: F401
