"""`2:a.jpg`: an example image with its weight, as typed on the command line.

The rule is syntax only, so it reads the same whatever files exist: an argument is a weight
and a path when the text before its first `:` looks like a number (digits, dots, a sign);
that number must be a plain decimal above 0 (`2`, `0.5`, `.5`). Anything else is a path
with weight 1, colons and all (`/mnt/c:/x.jpg`, `a:b.jpg`). A file whose name itself starts
with a number and a colon is written `./2:a.jpg`. The files are consulted only to turn a
silent misreading into an error: `2:a.jpg` when both `2:a.jpg` and `a.jpg` exist."""

from __future__ import annotations

import re
from pathlib import Path

from photofind.errors import InputError
from photofind.query.weighted import WeightedImage

WEIGHT_LIKE = re.compile(r"([-+]?[\d.]*\d[\d.]*):(.*)", re.DOTALL)
PLAIN = re.compile(r"\d+(\.\d+)?|\.\d+")


def absolute(path: str) -> Path:
    return Path(path).expanduser().resolve()  # the server has another working directory


def parse_weighted(arg: str, sign: int = 1) -> WeightedImage:
    """The absolute path and weight of `[N:]IMAGE`; `sign` -1 for --not (the weight is subtracted)."""
    m = WEIGHT_LIKE.fullmatch(arg)
    if m is None:
        return WeightedImage(str(absolute(arg)), float(sign))
    number, rest = m.groups()
    if not PLAIN.fullmatch(number) or float(number) == 0:
        raise InputError(f"bad weight {number} in {arg}: a weight is a number above 0, as in 2:IMAGE or 0.5:IMAGE"
                         + (" (--not subtracts; its weight stays positive)" if number.startswith("-") else "")
                         + f"; a file named {arg} is written ./{arg}")
    if not rest:
        raise InputError(f"{arg} gives a weight but no image")
    path, whole = absolute(rest), absolute(arg)
    if whole.exists():  # the syntax says "weight"; say so rather than answer another question
        if path.exists():
            raise InputError(f"{arg} could be the file {arg} or weight {number} of {rest}: "
                             f"write ./{arg} for the file, or {number}:./{rest} for the weight")
        raise InputError(f"{path} does not exist ({arg} reads as weight {number} of {rest}; "
                         f"for the file named {arg}, write ./{arg})")
    return WeightedImage(str(path), sign * float(number))
