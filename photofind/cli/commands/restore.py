"""`photofind restore`: undo a `dupes --trash` from the journal (the store's owner moves the
files back and indexes them); `--list` shows the operations."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any, Optional

import typer

from photofind.cli import options
from photofind.cli.console import console, err_console, fail, handles_errors

PREVIEW = 20


app = options.command_app()


@app.command()
@handles_errors
def restore(
    ctx: typer.Context,
    operation: Optional[str] = typer.Argument(None, help="The operation to undo (see --list); default: the last one."),
    list_: bool = typer.Option(False, "--list", help="List the trash operations in the journal."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
    model: Optional[str] = options.MODEL,
) -> None:
    """Put the files that `dupes --trash` moved back where they were, byte for byte, and index
    them again. Nothing that stands at a path now is overwritten."""
    from photofind.api.requests import JournalRequest, RestoreRequest
    from photofind.cli.commands.dupes import count

    settings = options.load_settings(ctx, **options.model_flags(model))
    answerer = options.client(ctx, settings)
    journal = answerer.answer(JournalRequest(model=options.requested_model(settings)))
    if list_:
        _list(journal.operations)
        return
    if operation:
        op = next((o for o in journal.operations if o["id"] == operation), None)
        if op is None:
            raise fail(f"no trash operation {operation!r} in the journal; see: photofind restore --list")
    else:
        op = journal.last_restorable()
        if op is None:
            raise fail("nothing to restore: the last trash operation has no files in the trash "
                       "(photofind restore ID restores an older one; see --list)")
    waiting = [f for f in op["files"] if f["state"] == "in trash"]
    if not waiting:
        console.print(f"Operation {op['id']} has no files in the trash.", markup=False)
        return
    for f in waiting[:PREVIEW]:
        console.print(f"  {f['path']}", markup=False, highlight=False, soft_wrap=True)
    if len(waiting) > PREVIEW:
        console.print(f"  ... and {len(waiting) - PREVIEW} more")
    console.print(f"Put back {count(len(waiting))} ({sum(f['bytes'] for f in waiting) / 1e6:.1f} MB) of operation "
                  f"{op['id']} at their original paths.", markup=False)
    if not yes:
        if not sys.stdin.isatty():
            raise fail("not asking on a pipe: add --yes to restore without a question")
        try:
            reply = input("Restore them? [y/N] ")
        except EOFError:
            reply = ""
        if reply.strip().lower() not in ("y", "yes"):
            console.print("Nothing restored.")
            return
    result = answerer.answer(RestoreRequest(operation=op["id"], model=options.requested_model(settings)))
    for path, why in result.skipped:
        err_console.print(f"skipped {path}: {why}", markup=False, highlight=False, soft_wrap=True)
    for folder in result.folders_made:
        console.print(f"made the missing folder {folder}", markup=False, highlight=False, soft_wrap=True)
    console.print(f"Restored {count(len(result.restored))} of operation {result.operation}; "
                  f"indexed again: {result.indexed}.", markup=False)
    if result.skipped:
        raise SystemExit(1)


def _list(operations: list[dict[str, Any]]) -> None:
    from rich.table import Table

    if not operations:
        console.print("The journal is empty: nothing was ever moved to the trash by photofind.")
        return
    table = Table(title="trash operations (newest last)", title_justify="left")
    for col in ("operation", "when", "in trash", "restored", "other", "size in trash"):
        table.add_column(col, justify="right" if col not in ("operation", "when") else "left",
                         no_wrap=col in ("operation", "when"))
    for op in operations:
        states = dict(op["states"])
        in_trash, restored = states.pop("in trash", 0), states.pop("restored", 0)
        if op["skipped"]:
            states["skipped"] = op["skipped"]
        other = ", ".join(f"{n} {s}" for s, n in sorted(states.items()))
        when = datetime.fromtimestamp(op["at"]).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(op["id"], when, str(in_trash), str(restored), other, f"{op['bytes_in_trash'] / 1e6:.1f} MB")
    console.print(table)
