"""Table definitions, one module per component; importing registers them."""

from . import conversations, core, groups, relations  # noqa: F401
