"""Email policies with a caching header factory.

`email.headerregistry.HeaderRegistry.__getitem__` builds a new header class with `type()` on
every lookup, which made header handling the slowest part of composing a reply. The classes it
builds depend only on the header name, so caching them changes nothing but the speed.
"""

from __future__ import annotations

from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry


class CachedHeaderRegistry(HeaderRegistry):
    """A HeaderRegistry that builds each header class once per header name."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls


SMTP = policy.SMTP.clone(header_factory=CachedHeaderRegistry())
"""policy.SMTP (CRLF, RFC 5322 folding) with cached header classes: for composing replies."""

DEFAULT = policy.default.clone(header_factory=CachedHeaderRegistry())
"""policy.default with cached header classes: for decoding headers of incoming mail."""
