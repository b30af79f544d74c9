"""Email policies with a caching header factory.

`email.headerregistry.HeaderRegistry.__getitem__` builds a new header class with `type()` on
every lookup, which made header handling the slowest part of composing a reply. The classes it
builds depend only on the header name, so caching them changes nothing but the speed.
"""

from __future__ import annotations

from email import policy
from email.headerregistry import BaseHeader, HeaderRegistry
from functools import lru_cache


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


@lru_cache(maxsize=256)
def smtp_header(name: str, value: str) -> BaseHeader:
    """The header object `policy.SMTP` makes of `name: value`, built once per value.

    For the headers that repeat from reply to reply (From, MIME-Version, a part's
    Content-Type and Content-Transfer-Encoding, Auto-Submitted): `email` parses every value
    it stores, and header objects are immutable strings, so one can serve every message.

    >>> smtp_header("MIME-Version", "1.0") is smtp_header("MIME-Version", "1.0")
    True
    """
    return SMTP.header_store_parse(name, value)[1]   # type: ignore[no-any-return]
