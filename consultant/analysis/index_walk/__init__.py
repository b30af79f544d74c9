"""Suggestions through the ICD-10-CM Alphabetic Index, the Neoplasm table and the Table of Drugs,
looked up as a coder does (main term, sub-terms, see / see also, default code, then the tabular).

`IndexWalker.load(book)` once per knowledge base (None when no Index was imported); then
`index_suggestions(text, walker, on, short=...)` per phrase or sentence.
"""

from consultant.analysis.index_walk.suggestions import IndexWalker, fragment_scores, index_suggestions, verify

__all__ = ["IndexWalker", "fragment_scores", "index_suggestions", "verify"]
