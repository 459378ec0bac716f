"""Operation modules, one per service; importing them fills the registry."""

from . import apps, groups, messages, relations, sync, users  # noqa: F401
