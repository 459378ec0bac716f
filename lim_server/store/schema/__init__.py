"""Table definitions, one module per component; importing registers them."""

from . import core, relations  # noqa: F401
