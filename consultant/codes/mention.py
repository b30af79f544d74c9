"""A code found in the text of a case, with where it was found."""

from __future__ import annotations

from dataclasses import dataclass

CPT = "CPT"            # five digits, or four digits + F (Cat II), T (Cat III), U (PLA), A, M
HCPCS = "HCPCS"        # HCPCS Level II: a letter and four digits
ICD10CM = "ICD10CM"
MODIFIER = "MODIFIER"  # a modifier written on its own, not attached to a code
SYSTEMS = (CPT, HCPCS, ICD10CM, MODIFIER)


@dataclass(frozen=True)
class Mention:
    """One code mention. `code` is in normal form ('E11.9' for 'E119'), `raw` as written."""

    system: str
    code: str
    raw: str
    start: int                           # span in the text given to the extractor
    end: int
    modifiers: tuple[str, ...] = ()      # attached modifiers, normal form ('25', 'RT', 'XS')
    units: int | None = None             # 'x 40 units'
