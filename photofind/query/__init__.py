"""Queries: a Library (library.py) bound to a catalog, its vectors and an embedder answers
like / like_stored / like_upload / search_text. ranking.py (a Ranking that checks itself),
filters.py, weighted.py (a weighted image) are light, for the CLI; query_vectors.py,
combined.py, matches.py, distances.py and memory.py do the work (numpy)."""
