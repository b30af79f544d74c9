"""Can an add-on code be billed without its primary: no - it is reported only with one of the
primary codes the add-on list names (NCCI add-on code edits)."""

from __future__ import annotations

from collections.abc import Sequence

from consultant.analysis.findings import DirectAnswer, Issue

SOURCE = "NCCI add-on code edits (CMS); CPT add-on code convention, paraphrased"


def addon_answers(issues: Sequence[Issue]) -> tuple[DirectAnswer, ...]:
    out = []
    for i in issues:
        if i.kind != "addon" or not i.codes:
            continue
        code = i.codes[0]
        out.append(DirectAnswer(
            "addon", f"can {code} be billed without its primary?",
            f"No: {code} is an add-on code and needs its primary code on the same claim. {i.message}",
            f"{SOURCE}; {i.source}" if i.source else SOURCE, (code,),
        ))
    return tuple(out)
