"""Procedure coding: reading an operative or visit note into facts and picking the CPT and
HCPCS codes a coder would (families of codes are data under data/procedures/)."""

from consultant.analysis.procedures.families import Family, load_families
from consultant.analysis.procedures.model import Correction, Evidence, ProcedureLine, ProcedureReview
from consultant.analysis.procedures.review import BilledLine, billed_lines, default_families, review_procedures

__all__ = [
    "BilledLine",
    "Correction",
    "Evidence",
    "Family",
    "ProcedureLine",
    "ProcedureReview",
    "billed_lines",
    "default_families",
    "load_families",
    "review_procedures",
]
