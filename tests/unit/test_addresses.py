"""Address headers read strictly (`mail.addresses`): the shortcut for plain addresses gives
what the standard library's parser gives."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from consultant.mail.addresses import _SIMPLE, read_addresses

_WORD = st.text(alphabet="abcXYZ019", min_size=1, max_size=6)
_ATOM = st.text(alphabet="abZ09_+-", min_size=1, max_size=6)
_LABEL = st.text(alphabet="abZ09-", min_size=1, max_size=6)
_SPEC = st.builds(lambda local, domain: ".".join(local) + "@" + ".".join(domain),
                  st.lists(_ATOM, min_size=1, max_size=3), st.lists(_LABEL, min_size=1, max_size=3))
_NAMED = st.builds(lambda words, spec: " ".join(words) + f" <{spec}>", st.lists(_WORD, min_size=1, max_size=3), _SPEC)
_NOISE = st.text(alphabet='ab@. <>",;:()=?\\[]Z9-', max_size=30)


def _slow(name: str, value: str) -> object:
    """The same header read by the standard parser: 'Resent-To' has To's header class and
    no shortcut."""
    got = read_addresses(f"Resent-{name}", value)
    return got if got.problem is None else got.problem.replace(f"Resent-{name}", name)


def _fast(name: str, value: str) -> object:
    got = read_addresses(name, value)
    return got if got.problem is None else got.problem


@given(st.one_of(_SPEC, _NAMED, _NOISE, st.builds(lambda a, b: a + b, _NAMED, _NOISE)))
def test_plain_addresses_read_as_the_parser_reads_them(value: str) -> None:
    for name in ("To", "Cc"):
        assert _fast(name, value) == _slow(name, value)


def test_the_shortcut_takes_the_common_shapes_only() -> None:
    assert _SIMPLE.fullmatch("Coder 0 <coder0@clinic.example>")
    assert _SIMPLE.fullmatch("coder0@clinic.example")
    assert read_addresses("From", "Ann Lee <Ann.Lee@Clinic.example>").addresses == ("ann.lee@clinic.example",)
    assert read_addresses("From", "Ann Lee <Ann.Lee@Clinic.example>").names == ("Ann Lee",)
    assert read_addresses("To", "ann@localhost").dropped == 1            # not a dotted DNS name
    for odd in ('"Lee, Ann" <ann@clinic.example>', "=?utf-8?q?x?= <ann@clinic.example>",
                "ann@clinic.example, bob@clinic.example", "<ann@clinic.example>", "ann@[10.0.0.1]"):
        assert not _SIMPLE.fullmatch(odd)
    assert read_addresses("Reply-To", "=?utf-8?q?x=0D=0A?=_victim3@evil.example?=").problem
