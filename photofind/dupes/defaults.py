"""The defaults of `photofind dupes`, in a leaf module: the CLI's --help and find.py both read them."""

MAX_DISTANCE = 8  # pHash bits of 64; measured (docs/dupes.md): resize, re-encode, rotation 0-4, tone edits 0-8 (crops, which move it further, pair through the inner pHash)
