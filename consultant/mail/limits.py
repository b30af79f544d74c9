"""How many answers, to whom, in which thread: rate limits and loop stops, as pure rules.

Two kinds of limit, independent of each other:

* **rate limits** (per hour): per correspondent (the address the reply goes to), per
  organisational domain of it, and overall. Rotating forged From addresses in one allowed
  domain multiplies the per-address budget, not the per-domain or overall one. 0 turns one off.
* **loop stops**, for robots that send no RFC 3834 headers (a "Thanks, received" responder whose
  text repeats the codes would otherwise be answered for ever): a thread the bot has already
  answered `max_replies_per_thread` times; a correspondent who has answered the bot's replies
  `max_followups_per_correspondent` times; the same subject and text from the same
  correspondent a third time (a resend is answered, a robot's constant text is not); a
  message whose new text holds most of one of the bot's recent replies (an echo). Always on: turning a
  rate limit off never turns these off.

Nothing here stores text: addresses become keyed hashes, texts a hash, the reply a sample of
32-bit hashes of its 6-word runs (enough to recognise an echo, not to read the reply back).
`Ledger.admit_exchange` counts the history and records the answer in one transaction.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from email.message import EmailMessage

from consultant.mail.case import Case

SHINGLE_WORDS = 6
SAMPLE = 4                  # keep one run in four (by hash), see `runs`
MAX_SHINGLES = 500
ECHO_SHARE = 0.5            # the new text holds at least half of one recent reply's word runs
ECHO_MIN_RUNS = 3
MAX_SAME_TEXT = 2           # the same subject and text from one correspondent: answered twice at most
_WORD = re.compile(r"[a-z0-9]+(?:[.-][a-z0-9]+)*")
_MSGID = re.compile(r"<[^<>\s]+>")
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|antw|fwd?|wg|tr)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True)
class ExchangeLimits:
    """The [consult] keys that bound answers (see config.example.toml)."""

    per_correspondent_per_hour: int = 20      # rate_limit_per_hour (0 = off)
    per_domain_per_hour: int = 100            # rate_limit_per_domain_per_hour (0 = off)
    total_per_hour: int = 300                 # rate_limit_total_per_hour (0 = off)
    max_replies_per_thread: int = 6           # loop stop, always on
    max_followups_per_correspondent: int = 12  # loop stop, always on
    loop_window_seconds: float = 86400.0      # loop_window_hours


@dataclass(frozen=True)
class Exchange:
    """One answer about to be queued, as the limits see it (hashes and ids, no text)."""

    case_message_id: str
    reply_message_id: str
    correspondent_key: str
    domain_key: str
    refers_to: tuple[str, ...]        # References + In-Reply-To of the case
    thread_root: str                  # the thread's first id when none of `refers_to` is known
    followup: bool                    # the case answers one of the bot's replies
    text_key: str                     # hash of the whole case text, normalised
    text_runs: tuple[str, ...]        # short hashes of the 6-word runs of its new text
    reply_runs: tuple[str, ...]       # the same for the reply's text


@dataclass(frozen=True)
class History:
    """What the ledger knows of earlier answers around this one (counted in its windows)."""

    thread_replies: int = 0
    followups: int = 0
    same_text: int = 0
    echo_runs: int = 0                # runs of the most-repeated recent reply found in the new text
    echo_share: float = 0.0           # ... as a share of that reply's runs
    correspondent_hour: int = 0
    domain_hour: int = 0
    total_hour: int = 0


@dataclass(frozen=True)
class Stop:
    """No answer: the reason (for the log and the ledger) and the scope it holds for.

    `first` is set by the ledger: True the first time this scope stops within its window, so
    the stop is logged once as a WARNING and later mails of the same loop at DEBUG.
    """

    reason: str
    scope: str
    window_seconds: float
    first: bool = True


def key(kind: str, value: str) -> str:
    """A stable hash of an address or domain: counting without storing it."""
    return hashlib.sha256(f"caseconsultant-{kind}:{value.strip().lower()}".encode()).hexdigest()[:32]


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def text_key(subject: str, text: str) -> str:
    """Hash of subject (without Re:/Fwd: prefixes) and text, words only."""
    topic = _REPLY_PREFIX.sub("", subject or "")
    return hashlib.sha256((" ".join(_words(topic)) + "\n" + " ".join(_words(text))).encode()).hexdigest()[:32]


def runs(text: str) -> tuple[str, ...]:
    """Short hashes of a sample of the runs of 6 words (an echo survives re-wrapping and
    punctuation). Only runs whose hash falls in one of `SAMPLE` buckets are kept, the same
    ones in every text, so two texts are compared on the same sample at a quarter of the cost."""
    words = _words(text)
    found: dict[str, None] = {}
    for i in range(max(0, len(words) - SHINGLE_WORDS + 1)):
        h = zlib.crc32(" ".join(words[i:i + SHINGLE_WORDS]).encode())
        if h % SAMPLE == 0:
            found[f"{h:08x}"] = None
            if len(found) >= MAX_SHINGLES:
                break
    return tuple(found)


def thread_ids(references: tuple[str, ...], in_reply_to: str | None) -> tuple[str, ...]:
    ids = [*references, in_reply_to or ""]
    return tuple(dict.fromkeys(i for i in ids if i and _MSGID.fullmatch(i)))


def exchange_of(*, case_message_id: str, reply_message_id: str, correspondent: str, organisational_domain: str,
                references: tuple[str, ...], in_reply_to: str | None, new_text: str, whole_text: str,
                reply_text: str, our_domain: str, subject: str = "") -> Exchange:
    """The facts of one answer (pure; the daemon passes what the parsed case and reply hold)."""
    refers = thread_ids(references, in_reply_to)
    ours = "@" + our_domain.strip().lower().lstrip("@")
    return Exchange(
        case_message_id=case_message_id,
        reply_message_id=reply_message_id,
        correspondent_key=key("correspondent", correspondent),
        domain_key=key("domain", organisational_domain),
        refers_to=refers,
        thread_root=refers[0] if refers else case_message_id,
        followup=any(r.lower().rstrip(">").endswith(ours) for r in refers),
        text_key=text_key(subject, whole_text),
        text_runs=runs(new_text),
        reply_runs=runs(reply_text),
    )


def decide(ex: Exchange, history: History, limits: ExchangeLimits, thread_key: str) -> Stop | None:
    """The first limit this answer would break, or None to send it. Loop stops come first."""
    window = limits.loop_window_seconds
    hours = f"{window / 3600:g} h"
    if history.thread_replies >= limits.max_replies_per_thread:
        return Stop(f"loop stop: this thread was answered {history.thread_replies} times "
                    f"(max_replies_per_thread {limits.max_replies_per_thread} in {hours})",
                    f"thread:{thread_key}", window)
    if history.same_text >= MAX_SAME_TEXT:
        return Stop(f"loop stop: the same subject and text from this correspondent was answered "
                    f"{history.same_text} times within {hours}",
                    f"text:{ex.correspondent_key}:{ex.text_key}", window)
    # an echo holds most of our reply (a templated case shares only the evidence phrases it quotes)
    if history.echo_runs >= ECHO_MIN_RUNS and history.echo_share >= ECHO_SHARE:
        return Stop("loop stop: the new text repeats the bot's own recent reply "
                    f"({history.echo_share:.0%} of it)", f"echo:{ex.correspondent_key}", window)
    if ex.followup and history.followups >= limits.max_followups_per_correspondent:
        return Stop(f"loop stop: this correspondent answered the bot's replies {history.followups} times "
                    f"(max_followups_per_correspondent {limits.max_followups_per_correspondent} in {hours})",
                    f"followups:{ex.correspondent_key}", window)
    for count, limit, what, scope in (
        (history.correspondent_hour, limits.per_correspondent_per_hour, "to this correspondent (rate_limit_per_hour)",
         f"rate:correspondent:{ex.correspondent_key}"),
        (history.domain_hour, limits.per_domain_per_hour, "to this domain (rate_limit_per_domain_per_hour)",
         f"rate:domain:{ex.domain_key}"),
        (history.total_hour, limits.total_per_hour, "in all (rate_limit_total_per_hour)", "rate:total"),
    ):
        if limit and count >= limit:
            return Stop(f"rate limit: {limit} replies per hour {what} reached", scope, 3600.0)
    return None


def exchange_for_answer(case: Case, reply: EmailMessage, our_domain: str) -> Exchange:
    """`exchange_of` for a parsed case and the reply composed for it."""
    from consultant.mail.authentication import organisational_domain

    recipient = str(reply.get("To", "") or case.sender).strip().lower()
    domain = recipient.rpartition("@")[2]
    body = reply.get_body(("plain",)) if reply.is_multipart() else reply
    try:
        reply_text = body.get_content() if isinstance(body, EmailMessage) else ""
    except (KeyError, LookupError):      # an unknown charset: no echo check for this reply
        reply_text = ""
    return exchange_of(
        case_message_id=case.message_id, reply_message_id=str(reply.get("Message-ID", "")),
        correspondent=recipient, organisational_domain=organisational_domain(domain) or domain,
        references=case.references, in_reply_to=case.in_reply_to, new_text=case.body, whole_text=case.text,
        reply_text=reply_text, our_domain=our_domain, subject=case.subject)
