"""The suggester's output on a few hundred evaluation texts is the one recorded in
tests/golden.json (see tests/golden.py; regenerate with `.venv/bin/python tests/golden.py --write`)."""

from __future__ import annotations

import json
from pathlib import Path

from golden import GOLDEN, differences, golden_texts, outputs


def test_golden_file_covers_a_few_hundred_texts_of_every_set(shared_dir: Path) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    ids = [key for key, _, _ in golden_texts(shared_dir)]
    assert list(golden) == ids
    assert len(ids) > 300
    assert {i.split(":")[0].split("_")[0] for i in ids} >= {"nlm-c", "codiesp-train", "coder"}


def test_suggestions_are_the_golden_ones(shared_dir: Path, full_kb_path: Path) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    diff = differences(expected, outputs(full_kb_path, shared_dir))
    assert not diff, (f"{len(diff)} texts changed; if on purpose, regenerate with "
                      "`.venv/bin/python tests/golden.py --write` and review `git diff tests/golden.json`:\n"
                      + "\n".join(diff[:30]))
