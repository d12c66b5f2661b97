"""The CLI in this process: `run_here(*args, env=...)` answers like `subprocess.run([python, "-m",
"photofind", *args], capture_output=True, text=True, env=...)` without the ~0.5-1 s of imports a
new interpreter pays. For tests about a command's output and exit code; a test about processes
(servers, signals, kill -9, first run, the lazy-import start-up) keeps a real subprocess."""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

from typer.testing import CliRunner

import photofind.api.client
from photofind.cli.app import app
from photofind.cli.console import _WarningLine
from tests.helpers.processes import STARTED_BY_COMMANDS

# The loggers photofind's own start-up sends to stderr (photofind.cli.console.show_core_warnings);
# under pytest the root logger already has handlers, so that start-up leaves them alone here.
CORE_LOGGERS = ("photofind.embedders", "photofind.store")


@dataclass
class Ran:
    """What subprocess.CompletedProcess says of a run, under the same names."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


@contextmanager
def environment(env: Mapping[str, str] | None, cwd: Path | None) -> Iterator[None]:
    """os.environ becomes `env` (all of it, as for a subprocess) and the working directory `cwd`;
    both come back afterwards, so nothing one run sets leaks into the next test."""
    saved, here = dict(os.environ), os.getcwd()
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    if cwd is not None:
        os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(here)
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def core_warnings_on_stderr() -> Iterator[None]:
    """The `warning:` lines a real process prints (a model falling back to torch, a data dir made
    private), on the stderr CliRunner captures, for this run only."""
    added: list[tuple[logging.Logger, logging.Handler, bool]] = []
    for name in CORE_LOGGERS:
        logger = logging.getLogger(name)
        handler, propagate = _WarningLine(logging.WARNING), logger.propagate
        logger.addHandler(handler)
        logger.propagate = False
        added.append((logger, handler, propagate))
    try:
        yield
    finally:
        for logger, handler, propagate in added:
            logger.removeHandler(handler)
            logger.propagate = propagate


@contextmanager
def servers_kept() -> Iterator[None]:
    """A `photofind serve` a command starts outlives it (the next command uses it): its Popen is
    kept for stop_all (tests/conftest.py), which stops and reaps it when the test ends."""
    start = photofind.api.client.start_server

    def kept(*args: Any, **kwargs: Any) -> Any:
        client = start(*args, **kwargs)
        if client.process is not None:
            STARTED_BY_COMMANDS.append(client.process)
        return client

    photofind.api.client.start_server = kept
    try:
        yield
    finally:
        photofind.api.client.start_server = start


@contextmanager
def chroma_released() -> Iterator[None]:
    """chromadb keeps one client system per store path for the life of the process, and a
    command's Store.close leaves it running: a real process exits and lets go of its files, this
    one would keep them open (past select()'s 1024 in a whole-suite run). So the systems this run
    started are stopped after it; those the test itself opened are left alone."""
    from chromadb.api.shared_system_client import SharedSystemClient

    before = set(SharedSystemClient._identifier_to_system)
    try:
        yield
    finally:
        for identifier in set(SharedSystemClient._identifier_to_system) - before:
            SharedSystemClient._identifier_to_refcount.pop(identifier, None)
            SharedSystemClient._identifier_to_system.pop(identifier).stop()


def run_here(*args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None,
             input: str | None = None) -> Ran:
    """`photofind ARGS...` in this process. `env` is the whole environment, as subprocess takes it
    (None: this process's own); an exception the CLI lets through is raised, not turned into a status."""
    with environment(env, cwd), core_warnings_on_stderr(), servers_kept(), chroma_released():
        done = CliRunner().invoke(app, list(args), input=input, catch_exceptions=False)
    return Ran(list(args), done.exit_code, done.stdout, done.stderr)
