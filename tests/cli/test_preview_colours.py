"""Thumbnails in tmux in the colour depth the terminal outside really shows (issue 19, part 8):
real tmux, a real client attached on a pseudo-terminal, COLORTERM unset (tmux does not pass it
on), the screen read back with its colours (`capture-pane -e`).

tmux keeps what the program wrote in its grid: 24-bit colours as `38;2;R;G;B`, palette colours
as `38;5;N`, whatever its client shows. So the codes read back are the ones photofind chose.
Those two are the full suite's; the quick lane checks the choice itself (colour_depth)."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.cli.test_preview_layout import _like, library  # noqa: F401  (a fixture)
from tests.helpers.terminals import Tmux

from photofind.cli.preview import colour_depth

needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
TRUE = re.compile(r"\x1b\[[0-9;]*[34]8;2;\d+;\d+;\d+")
PALETTE = re.compile(r"\x1b\[[0-9;]*[34]8;5;\d+")


def preview_codes(library: dict, rgb: bool) -> tuple[int, int]:
    """(24-bit colour codes, 256-colour codes) on the screen of a `like --preview` in tmux whose
    client is an xterm-256color terminal, told to show 24-bit colour (`terminal-features
    xterm*:RGB`, what a user's tmux.conf says for such a terminal) or not."""
    env = {k: v for k, v in library["env"].items() if k not in ("COLORTERM", "TMUX", "TERM")}
    with Tmux(100) as tmux:
        if rgb:
            tmux.tmux("set", "-as", "terminal-features", "xterm*:RGB")
        with tmux.attach("xterm-256color"):
            screen = "\n".join(tmux.run(_like(library), env, library["base"], escapes=True))
    return len(TRUE.findall(screen)), len(PALETTE.findall(screen))


@pytest.mark.slow  # a real tmux; test_the_client_features_choose_the_depth checks the choice quickly
@needs_tmux
def test_a_tmux_client_with_rgb_gets_24_bit_thumbnails(library: dict) -> None:  # noqa: F811
    true, palette = preview_codes(library, rgb=True)
    assert true > 100 and palette == 0, (true, palette)  # were all 256-colour: blotchy


@pytest.mark.slow
@needs_tmux
def test_a_tmux_client_without_rgb_gets_256_colours(library: dict) -> None:  # noqa: F811
    true, palette = preview_codes(library, rgb=False)
    assert palette > 100 and true == 0, (true, palette)


INSIDE = {"TMUX": "/tmp/tmux-1000/default,4242,0", "TERM": "tmux-256color"}  # COLORTERM unset, as tmux leaves it


@pytest.mark.parametrize("env, features, depth", [
    (INSIDE, "256,RGB,title", "truecolor"),  # terminal-features xterm*:RGB
    (INSIDE, "256,title", "256"),
    (INSIDE, "", None),  # no client attached, or a tmux older than 3.2: Rich's own guess
    (INSIDE, None, None),  # tmux could not say
    ({**INSIDE, "COLORTERM": "truecolor"}, "256", "truecolor"),  # the terminal said so itself
    ({"TERM": "xterm-256color"}, "256,RGB", None),  # outside tmux: tmux is not asked
])
def test_the_client_features_choose_the_depth(env: dict[str, str], features: str | None, depth: str | None) -> None:
    asked: list[str] = []

    def tmux(fmt: str) -> str | None:
        asked.append(fmt)
        return features

    assert colour_depth(env, tmux) == depth
    assert asked == (["#{client_termfeatures}"] if "TMUX" in env and "COLORTERM" not in env else [])
