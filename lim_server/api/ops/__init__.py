"""Operation modules, one per service; importing them fills the registry."""

from . import (  # noqa: F401
    apps,
    conversations,
    groups,
    messages,
    presence,
    relations,
    sync,
    users,
)
