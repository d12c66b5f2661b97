"""Text towers' tokenizers without torch: a model's `tokenizer.json` read by Hugging Face's
`tokenizers` (Rust), for CLIP's BPE, XLM-RoBERTa's SentencePiece, SigLIP's Gemma alike.

What open_clip does around its tokenizers is kept here, so the ids are open_clip's own:
- CLIP's BPE (open_clip's SimpleTokenizer): ftfy, HTML unescaped twice, whitespace squeezed,
  lower case; padded with 0 after the end token (tests/test_ready_models.py compares the ids
  with open_clip's on a corpus where torch is installed);
- a Hugging Face tokenizer (open_clip's HFTokenizer): whitespace squeezed, or "canonicalize"
  (punctuation dropped, lower case) where the model's config asks; padded with its pad token.
Both truncate to the context length with the end token kept, as the post-processor places it.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import string
from pathlib import Path
from typing import Any, Sequence

import numpy as np

_PLAIN = re.compile(r"[\x20-\x25\x27-\x7e\t\n]*")  # printable ASCII without "&": ftfy leaves it as it is
_PUNCTUATION = str.maketrans("", "", string.punctuation)
# CLIP's word pattern (OpenAI's CLIP, open_clip's SimpleTokenizer), for the pre-tokenizer.
CLIP_PATTERN = r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""


class TextTokenizer:
    """Texts -> int64 (len(texts), context_length) ids, as open_clip would give them."""

    def __init__(self, tokenizer_json: Path, context_length: int, *, clip_bpe: bool,
                 pad_token: str | None = None, clean: str = "whitespace") -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(tokenizer_json))
        self.context_length = context_length
        self.clip_bpe = clip_bpe
        self.clean = clean
        pad_id = 0
        if not clip_bpe:
            pad_id = self.tokenizer.token_to_id(pad_token) if pad_token else None  # type: ignore[assignment]
            if pad_id is None:
                raise ValueError(f"{tokenizer_json} has no pad token {pad_token!r}")
        self.pad_id = int(pad_id)
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=context_length)

    @classmethod
    def for_model(cls, textual: Path, model_config: dict[str, Any]) -> "TextTokenizer":
        """From an exported text tower's folder (tokenizer.json, tokenizer_config.json) and the
        model's open_clip config (config.json): the tokenizer open_clip would build for it."""
        text_cfg = model_config.get("text_cfg") or {}
        context = int(text_cfg.get("context_length", 77))
        clip_bpe = not text_cfg.get("hf_tokenizer_name")  # open_clip's SimpleTokenizer otherwise
        pad_token = None
        config_file = textual / "tokenizer_config.json"
        if config_file.is_file():
            pad_token = _token_text(json.loads(config_file.read_text(encoding="utf-8")).get("pad_token"))
        clean = ((text_cfg.get("tokenizer_kwargs") or {}).get("clean")) or "whitespace"
        return cls(textual / "tokenizer.json", context, clip_bpe=clip_bpe, pad_token=pad_token, clean=clean)

    def _clean(self, text: str) -> str:
        if self.clip_bpe:
            if not _PLAIN.fullmatch(text):
                import ftfy  # 0.3 s to import: only text that needs it pays

                text = ftfy.fix_text(text)
            text = html.unescape(html.unescape(text)).strip()
            return " ".join(text.split()).strip().lower()
        text = " ".join(text.split())
        if self.clean == "canonicalize":
            text = text.translate(_PUNCTUATION).lower()
        return text

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        out = np.full((len(texts), self.context_length), self.pad_id, dtype=np.int64)
        for row, encoding in enumerate(self.tokenizer.encode_batch([self._clean(t) for t in texts])):
            ids = encoding.ids[: self.context_length]
            out[row, : len(ids)] = ids
        return out

    def decode(self, ids: Sequence[int]) -> str:
        """Ids -> text without its special tokens and padding (for round-trip checks)."""
        ids = [int(i) for i in ids]
        end = self.tokenizer.token_to_id("<|endoftext|>") if self.clip_bpe else None
        if end is not None and end in ids:
            ids = ids[: ids.index(end) + 1]  # CLIP pads with 0, which is a real token ("!")
        return self.tokenizer.decode(ids, skip_special_tokens=True).strip()


def _token_text(token: Any) -> str | None:
    """tokenizer_config.json writes a token as a string or as {"content": ...}."""
    if isinstance(token, dict):
        return token.get("content")
    return token if isinstance(token, str) else None


def clip_bpe_tokenizer(vocab_gz: Path) -> Any:
    """A `tokenizers.Tokenizer` for CLIP's BPE from OpenAI's merges file (open_clip ships it as
    bpe_simple_vocab_16e6.txt.gz), laid out as Hugging Face's CLIP tokenizer.json is: the
    local export writes it beside its text tower, and the tests build their hub files with it."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import BPE

    lines = gzip.open(vocab_gz).read().decode("utf-8").split("\n")
    merges = [tuple(m.split()) for m in lines[1: 49152 - 256 - 2 + 1]]
    byte_chars = list(_bytes_to_unicode().values())
    words = byte_chars + [w + "</w>" for w in byte_chars] + ["".join(m) for m in merges]
    words += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {w: i for i, w in enumerate(words)}
    tok = Tokenizer(BPE(vocab=vocab, merges=merges, end_of_word_suffix="</w>", continuing_subword_prefix="",
                        unk_token="<|endoftext|>", fuse_unk=False))
    tok.add_special_tokens(["<|startoftext|>", "<|endoftext|>"])
    tok.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "),
                                           normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(CLIP_PATTERN), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False),
    ])
    tok.decoder = decoders.Sequence([decoders.Replace("</w>", "\u0120"), decoders.ByteLevel()])  # </w> is a space
    bos, eos = vocab["<|startoftext|>"], vocab["<|endoftext|>"]
    tok.post_processor = processors.RobertaProcessing(("<|endoftext|>", eos), ("<|startoftext|>", bos),
                                                      trim_offsets=False, add_prefix_space=False)
    return tok


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible map from bytes to printable characters (as CLIP's BPE uses it)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def open_clip_vocab() -> Path:
    """open_clip's BPE merges file, found without importing open_clip (which imports torch)."""
    import importlib.util

    spec = importlib.util.find_spec("open_clip")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("open_clip is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "bpe_simple_vocab_16e6.txt.gz"
