"""`consultant demo --once`: embedded pymap + aiosmtpd, the sample cases answered, the
out-of-office auto-reply not answered."""

from __future__ import annotations

import io
from pathlib import Path

from consultant.config import parse_config
from consultant.demo import run_demo


def test_demo_once_answers_samples(tmp_path: Path, kb_path: Path, knowledge_factory) -> None:  # type: ignore[no-untyped-def]
    base = parse_config({"kb": {"path": str(kb_path)}}, tmp_path)
    out = io.StringIO()
    code = run_demo(base, once=True, out=out, consult=None,
                    knowledge_factory=knowledge_factory)
    text = out.getvalue()
    assert code == 0
    assert "Subject: Re: Loop colostomy with sigmoid resection - codes OK?" in text
    assert "44320" in text and "C18.7" in text
    assert "Subject: Re: can I bill 11042 with 97597?" in text
    assert "Re: Automatic reply" not in text
    assert "answered 4, not answered 1" in text
    assert "05-out-of-office.eml: Auto-Submitted" in text
