"""Real terminals for the CLI: a tmux session read back with `capture-pane`, and a pseudo-terminal
whose output stream is replayed on a small screen model that knows where Sixel images and Kitty
placeholders land (tmux draws neither, and no terminal emulator with Sixel runs headless here)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shlex
import shutil
import struct
import subprocess
import termios
import threading
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from rich.cells import cell_len

from tests.helpers.waiting import wait_until

KITTY_PLACEHOLDER = "\U0010eeee"


class Tmux:
    """One tmux server of our own (its own socket, no user config), killed on exit."""

    def __init__(self, width: int, height: int = 50) -> None:
        if shutil.which("tmux") is None:
            raise RuntimeError("tmux is not installed")
        self.socket = f"pf-test-{uuid.uuid4().hex[:8]}"
        self.width, self.height = width, height

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-f", "/dev/null", "-L", self.socket, *args], capture_output=True,
                              text=True, check=True, timeout=30).stdout

    def __enter__(self) -> "Tmux":
        # A plain shell: no rc files, so the screen holds only what the test sends. tmux's default
        # 2,000 lines of scrollback keep all of a command's output.
        self.tmux("new-session", "-d", "-s", "t", "-x", str(self.width), "-y", str(self.height),
                  "bash --norc --noprofile")
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30)

    def attach(self, term: str) -> "TmuxClient":
        """A real client attached to the session, on a pseudo-terminal as big as the session, as
        a terminal whose TERM is `term` would attach it: tmux then knows its client's features."""
        return TmuxClient(self, term)

    def run(self, argv: list[str], env: dict[str, str], cwd: Path, timeout: float = 120,
            escapes: bool = False) -> list[str]:
        """Type the command into the shell, wait for it to finish (a sentinel line, polled), and return
        the screen lines it printed, as tmux shows them, scrollback included; with `escapes`, with
        their colours and attributes as SGR escape codes (`capture-pane -e`)."""
        script = cwd / f"cmd-{uuid.uuid4().hex[:6]}.sh"
        exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())
        script.write_text(f"{exports}cd {shlex.quote(str(cwd))}\nclear\necho __start__\n{shlex.join(argv)}\n"
                          "echo __done__ $?\n")
        self.tmux("send-keys", "-t", "t", f"bash {shlex.quote(str(script))}", "Enter")
        try:
            wait_until(lambda: re.search(r"^__done__ \d+", self.tmux("capture-pane", "-p", "-t", "t"), re.M),
                       timeout, every=0.2)
        except AssertionError:
            pass  # the screen so far is shown by the assertion below
        lines = self.tmux("capture-pane", "-p", *(["-e"] if escapes else []), "-t", "t", "-S", "-", "-E", "-").split("\n")
        plain = [SGR.sub("", line) for line in lines]
        starts = [i for i, line in enumerate(plain) if line.startswith("__start__")]
        ends = [i for i, line in enumerate(plain) if line.startswith("__done__")]
        assert starts and ends, "the command did not finish in time:\n" + "\n".join(lines)
        assert ends[-1] > starts[-1]
        status = int(plain[ends[-1]].split()[1])
        printed = lines[starts[-1] + 1: ends[-1]]
        assert status == 0, "\n".join(printed)
        return [line.rstrip() for line in printed]


SGR = re.compile(r"\x1b\[[0-9;:]*m")


class TmuxClient:
    """`tmux attach` on a pseudo-terminal, its output drained by a thread (a full pty would stall
    it), detached on exit."""

    def __init__(self, tmux: Tmux, term: str) -> None:
        self.tmux, self.term = tmux, term

    def __enter__(self) -> "TmuxClient":
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.tmux.height, self.tmux.width, 0, 0))
        env = {**os.environ, "TERM": self.term}
        env.pop("TMUX", None)
        self.proc = subprocess.Popen(["tmux", "-f", "/dev/null", "-L", self.tmux.socket, "attach", "-t", "t"],
                                     stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
        os.close(slave)
        self.master = master
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()
        deadline = time.monotonic() + 30
        while not self.tmux.tmux("list-clients", "-F", "#{client_termname}").strip():
            assert time.monotonic() < deadline and self.proc.poll() is None, "tmux attach did not attach"
            time.sleep(0.1)
        return self

    def _drain(self) -> None:
        while True:
            try:
                if not os.read(self.master, 65536):
                    return
            except OSError:
                return

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self.master)


@dataclass
class Sixel:
    line: int
    column: int
    width_px: int
    height_px: int


@dataclass
class Screen:
    """Enough of a VT terminal to replay photofind's output: text, CR/LF, deferred wrap at the
    right margin, relative cursor moves, DECSC/DECRC, OSC 8 hyperlinks (kept per cell), and DCS
    (Sixel) and APC (Kitty) strings, which leave no text. Lines grow without bound: no scrolling
    to model."""

    width: int
    cells: dict[tuple[int, int], str] = field(default_factory=dict)
    sixels: list[Sixel] = field(default_factory=list)
    apc: list[str] = field(default_factory=list)
    links: dict[tuple[int, int], str] = field(default_factory=dict)  # cell -> its OSC 8 hyperlink target
    link: str | None = None
    line: int = 0
    column: int = 0
    wrap_pending: bool = False
    saved: tuple[int, int] = (0, 0)

    def feed(self, text: str) -> "Screen":
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "\x1b":
                i = self._escape(text, i)
                continue
            if ch == "\r":
                self.column, self.wrap_pending = 0, False
            elif ch == "\n":
                self.line += 1
                self.wrap_pending = False
            elif ch == "\b":
                self.column = max(0, self.column - 1)
            elif ch >= " ":
                self._put(ch)
            i += 1
        return self

    def _put(self, ch: str) -> None:
        if unicodedata.combining(ch) and self.column > 0:  # Kitty's row/column diacritics
            key = (self.line, self.column - 1)
            self.cells[key] = self.cells.get(key, " ") + ch
            return
        if self.wrap_pending:
            self.line, self.column, self.wrap_pending = self.line + 1, 0, False
        self.cells[(self.line, self.column)] = ch
        if self.link:
            self.links[(self.line, self.column)] = self.link
        else:
            self.links.pop((self.line, self.column), None)
        width = max(1, cell_len(ch))
        if self.column + width >= self.width:
            self.column, self.wrap_pending = self.width - 1, True
        else:
            self.column += width

    def _escape(self, text: str, i: int) -> int:
        kind = text[i + 1: i + 2]
        if kind == "[":
            m = re.compile(r"\x1b\[([0-9;?<>=]*)([ -/]*)([@-~])").match(text, i)
            assert m, repr(text[i: i + 20])
            params, final = m.group(1), m.group(3)
            n = int(params) if params.isdigit() else 1
            if final == "A":
                self.line -= n
            elif final == "B":
                self.line += n
            elif final == "C":
                self.column = min(self.width - 1, self.column + n)
            elif final == "D":
                self.column = max(0, self.column - n)
            elif final == "G":
                self.column = n - 1
            if final in "ABCDG":
                self.wrap_pending = False
            return m.end()
        if kind in ("P", "_", "]"):
            ends = [e for e in (text.find("\x1b\\", i + 2), text.find("\x07", i + 2) if kind == "]" else -1) if e >= 0]
            end = min(ends)
            body = text[i + 2: end]
            if kind == "P":
                self._sixel(body)
            elif kind == "_":
                self.apc.append(body)
            elif body.startswith("8;"):  # OSC 8 ; params ; URI opens a hyperlink, an empty URI closes it
                self.link = body.split(";", 2)[2] or None
            return end + (1 if text[end] == "\x07" else 2)
        if kind == "7":
            self.saved = (self.line, self.column)
        elif kind == "8":
            self.line, self.column = self.saved
            self.wrap_pending = False
        return i + 2

    def _sixel(self, body: str) -> None:
        m = re.match(r'[0-9;]*q"\d+;\d+;(\d+);(\d+)', body)
        assert m, "a Sixel image without its raster size: " + body[:40]
        self.sixels.append(Sixel(self.line, self.column, int(m.group(1)), int(m.group(2))))

    def link_targets(self, line: int) -> set[str]:
        return {uri for (n, _), uri in self.links.items() if n == line}

    def text_lines(self) -> list[str]:
        last = max((line for line, _ in self.cells), default=-1)
        out = []
        for line in range(last + 1):
            row = [self.cells.get((line, c), " ")[0] for c in range(self.width)]  # no combining marks
            out.append("".join(row).rstrip())
        return out


def run_in_pty(argv: list[str], env: dict[str, str], columns: int, lines: int, cell: tuple[int, int],
               answers: str, timeout: float = 120) -> str:
    """Run `argv` on a pseudo-terminal of `columns` x `lines` cells of `cell` pixels whose
    answers to the program's terminal queries (device attributes, Kitty's graphics query) are
    `answers`, already typed when it starts: it reads them as a terminal's replies, in order.
    Returns everything it wrote."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, columns * cell[0], lines * cell[1]))
    attrs = termios.tcgetattr(slave)
    attrs[3] &= ~termios.ECHO  # a terminal's replies are not echoed
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    os.write(master, answers.encode())
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    try:
        out = read_pty(master, proc, timeout)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert proc.wait(timeout=30) == 0, out.decode(errors="replace")[-3000:]
    return out.decode(errors="replace")


def read_pty(master: int, proc: "subprocess.Popen[bytes]", timeout: float) -> bytes:
    """What `proc` writes to the pseudo-terminal whose end `master` is, until it closes it, it
    exits, or `timeout` s pass."""
    out = b""
    waiting = select.poll()  # not select(): the test process may hold more than 1024 descriptors
    waiting.register(master, select.POLLIN)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if waiting.poll(500):
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    return out
