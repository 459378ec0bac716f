"""Operation modules, one per service; importing them fills the registry."""

from . import apps, conversations, messages, presence, sync, users  # noqa: F401
