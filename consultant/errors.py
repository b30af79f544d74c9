"""The exception tree of CaseConsultant.

    ConsultantError                 base; never raised itself
    ├── ConfigError                 bad or missing configuration -> exit code 2
    ├── UsageError                  bad command-line use         -> exit code 2
    ├── KnowledgeBaseError          the code book cannot be opened or queried
    │   └── ImportFileError         an official file is not in the layout we read
    │                               (names file, line and field; the KB in use is untouched)
    ├── MailboxError                IMAP trouble: logged, retried with backoff
    │   └── MailboxAuthError        login refused: not retried, fix the credentials
    ├── DeliveryError               SMTP trouble
    │   ├── TransientDeliveryError  4xx / connection refused: retried with backoff
    │   └── PermanentDeliveryError  5xx: not retried, the case goes to a human
    └── StateError                  the state database is unusable
        └── StateVolumeFull         its volume is full (SQLITE_FULL, ENOSPC): new work
                                    pauses, queued replies still go out, resumes by itself

Configuration and usage errors stop the program at start (exit 2); every other error
that reaches the CLI exits 3. Messages say what failed, show the offending value and
say what to do next.
"""

from __future__ import annotations


class ConsultantError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(ConsultantError):
    """The configuration file is missing, unreadable or has a bad value."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"configuration key {key!r}: {problem}")


class UsageError(ConsultantError):
    """The command line asks for something that cannot be done."""


class KnowledgeBaseError(ConsultantError):
    """The knowledge base file is missing, corrupt or of an unknown schema."""


class ImportFileError(KnowledgeBaseError):
    """An official release file does not match the layout the importer reads."""

    def __init__(self, path: str, line: int | None, field: str | None, problem: str) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.problem = problem
        where = path
        if line is not None:
            where += f", line {line}"
        if field:
            where += f", field {field!r}"
        super().__init__(f"{where}: {problem}. The knowledge base in use was left untouched.")


class MailboxError(ConsultantError):
    """The IMAP server could not be reached or refused a command."""


class MailboxAuthError(MailboxError):
    """The IMAP server refused the login."""


class DeliveryError(ConsultantError):
    """A reply could not be handed to the SMTP server."""


class TransientDeliveryError(DeliveryError):
    """Worth retrying later: connection refused, timeout, or a 4xx answer."""


class PermanentDeliveryError(DeliveryError):
    """Not worth retrying: a 5xx answer. The case is routed to a human."""


class StateError(ConsultantError):
    """The state database cannot be opened or written."""


class StateVolumeFull(StateError):
    """The state database's volume (or its page limit) is full: nothing can be added to it.

    Not a bug and not fatal: new mail waits unclaimed, replies already queued are still sent,
    and service resumes by itself once space is freed."""
