"""CLIP's BPE tokenizer without torch: open_clip's SimpleTokenizer (MIT, from OpenAI's CLIP),
returning numpy. Importing `open_clip.tokenizer` would import torch through open_clip's package,
so the ONNX text path uses this copy; the export checks it against open_clip's on probe strings
and keeps the torch text path if they ever disagree."""

from __future__ import annotations

import gzip
import html
import importlib.util
import re
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

VOCAB_NAME = "bpe_simple_vocab_16e6.txt.gz"
_PLAIN = re.compile(r"[\x20-\x25\x27-\x7e\t\n]*")  # printable ASCII, tab, newline; no "&"


def open_clip_vocab() -> Path:
    """open_clip's vocabulary file, found without importing open_clip (which imports torch)."""
    spec = importlib.util.find_spec("open_clip")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("open_clip is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / VOCAB_NAME


@lru_cache()
def _bytes_to_unicode() -> dict[int, str]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def _pairs(word: tuple[str, ...]) -> set[tuple[str, str]]:
    return set(zip(word, word[1:]))


class ClipTokenizer:
    """open_clip's SimpleTokenizer with its defaults: clean "lower", truncation, sot/eot."""

    def __init__(self, vocab: Path | None = None, context_length: int = 77) -> None:
        import regex

        self.context_length = context_length
        self.byte_encoder = _bytes_to_unicode()
        lines = gzip.open(vocab or open_clip_vocab()).read().decode("utf-8").split("\n")
        merges = [tuple(m.split()) for m in lines[1 : 49152 - 256 - 2 + 1]]
        words = list(self.byte_encoder.values())
        words = words + [w + "</w>" for w in words] + ["".join(m) for m in merges]
        special = ["<start_of_text>", "<end_of_text>"]
        self.encoder = {w: i for i, w in enumerate(words + special)}
        self.bpe_ranks = {m: i for i, m in enumerate(merges)}
        self.cache: dict[str, str] = {t: t for t in special}
        self.sot, self.eot = self.encoder[special[0]], self.encoder[special[1]]
        self.pattern = regex.compile(
            "|".join(special) + r"""|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", regex.IGNORECASE
        )

    def _clean(self, text: str) -> str:
        if not _PLAIN.fullmatch(text):  # ftfy leaves printable ASCII without entities as it is;
            import ftfy  # importing it costs 0.3 s of a `search`, so only text that needs it pays

            text = ftfy.fix_text(text)
        text = html.unescape(html.unescape(text)).strip()
        return " ".join(text.split()).strip().lower()

    def _bpe(self, token: str) -> str:
        if token in self.cache:
            return self.cache[token]
        word: tuple[str, ...] = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = _pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            merged: list[str] = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                except ValueError:
                    merged.extend(word[i:])
                    break
                merged.extend(word[i:j])
                i = j
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = tuple(merged)
            if len(word) == 1:
                break
            pairs = _pairs(word)
        out = " ".join(word)
        self.cache[token] = out
        return out

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for token in self.pattern.findall(self._clean(text)):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            ids.extend(self.encoder[piece] for piece in self._bpe(token).split(" "))
        return ids

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Texts -> int64 (len(texts), context_length), truncated with the eot kept last."""
        out = np.zeros((len(texts), self.context_length), dtype=np.int64)
        for row, text in enumerate(texts):
            ids = [self.sot] + self.encode(text) + [self.eot]
            if len(ids) > self.context_length:
                ids = ids[: self.context_length]
                ids[-1] = self.eot
            out[row, : len(ids)] = ids
        return out
