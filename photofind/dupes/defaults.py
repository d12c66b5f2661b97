"""The defaults of `photofind dupes`, in a leaf module: the CLI's --help and find.py both read them."""

MAX_DISTANCE = 12  # pHash bits of 64; measured: resize/re-encode 0-4 (crops, which move it further, pair through the inner pHash)
