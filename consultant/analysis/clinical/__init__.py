"""Clinical language for the suggester: abbreviations and synonyms, negation / uncertainty /
history context, and ICD-10-CM combination-code and history-code rules."""
