"""CaseConsultant: a self-hosted email coding consultant.

Data flows one way: IMAP -> mail.parse -> codes.extract -> analysis -> render -> mail.outbox.
Everything between the edges is pure (frozen dataclasses in, frozen dataclasses out).
"""

__version__ = "0.1.0"
