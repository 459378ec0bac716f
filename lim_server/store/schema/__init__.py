"""Table definitions, one module per component; importing registers them."""

from . import core, groups, relations  # noqa: F401
