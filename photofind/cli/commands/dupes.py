"""`photofind dupes`: groups of true duplicates, each with a suggested keeper; with --trash,
every other copy of an identical or same-picture group goes to the desktop trash (journaled:
`photofind restore` puts them back). Nothing is ever deleted."""

from __future__ import annotations

import dataclasses
import sys
from typing import TYPE_CHECKING, Any, Optional

import typer

from photofind.cli import options
from photofind.cli.console import fail, handles_errors
from photofind.dupes import MAX_DISTANCE

if TYPE_CHECKING:
    from photofind.api.client import Client
    from photofind.dupes.report import DupesReport
    from photofind.trash.report import TrashPlan

PLAN_LINES = 20  # files listed before the question; --dry-run lists them all

app = options.command_app()


@app.command()
@handles_errors
def dupes(
    ctx: typer.Context,
    near: bool = typer.Option(True, "--near/--exact-only", help="Also find resized, re-encoded or cropped copies."),
    max_distance: int = typer.Option(MAX_DISTANCE, "--max-distance", help="Near: most pHash bits (of 64) that may differ."),
    loose: bool = typer.Option(False, "--loose", help="Near: the pHash test alone, without the tile-by-tile check: "
                               "groups visually similar photos, not only true copies."),
    edits: bool = typer.Option(False, "--edits", help="Also list edited versions (a caption, a sticker, a retouch, "
                               "a monochrome conversion) as their own groups, for review; --trash never moves them."),
    trash: bool = typer.Option(False, "--trash", help="Move every file but the keeper of each identical or "
                               "same-picture group to the desktop trash (asks first; undo: photofind restore)."),
    keep: Optional[str] = typer.Option(None, "--keep", help="Which file of a group to keep: largest, oldest, newest "
                                       "or shortest-path (default: most pixels, then oldest)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="With --trash: do not ask."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what --trash would move, and move nothing."),
    model: Optional[str] = options.MODEL,
    as_json: bool = options.JSON,
) -> None:
    """List duplicate photos: identical files, and the same picture resized, re-encoded, rotated,
    lightly cropped or tone-edited, verified tile by tile in tone and colour (--edits: also edited
    versions; --loose: visually similar). Each group says its tier. --trash moves the extra copies
    to the desktop trash."""
    from photofind.api.requests import DupesRequest
    from photofind.cli.render import dumps, render_dupes
    from photofind.dupes.report import KEEP_POLICIES

    if keep is not None and keep not in KEEP_POLICIES:
        raise fail(f"--keep takes {', '.join(KEEP_POLICIES)}, not {keep!r}")
    if yes and not (trash or dry_run):
        raise fail("--yes answers --trash's question; add --trash")
    settings = options.load_settings(ctx, **options.model_flags(model))
    answerer = options.client(ctx, settings)
    request = DupesRequest(near=near, max_distance=max_distance, loose=loose, edits=edits,
                           model=options.requested_model(settings))
    report = answerer.answer(request)
    if keep is not None:
        report = _with_keepers(report, keep)
    if not (trash or dry_run):
        if as_json:
            print(dumps(report.to_json()))
        else:
            render_dupes(report)
        return
    _trash(answerer, report, keep, yes=yes, dry_run=dry_run, as_json=as_json)


def count(n: int, noun: str = "file") -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _with_keepers(report: "DupesReport", keep: str) -> "DupesReport":
    from photofind.dupes.report import keeper

    groups = [dataclasses.replace(g, keeper=keeper(g.members, keep)) for g in report.groups]
    return dataclasses.replace(report, groups=groups)


def _trash(answerer: "Client", report: "DupesReport", keep: Optional[str], *, yes: bool, dry_run: bool,
           as_json: bool) -> None:
    from photofind.api.requests import TrashRequest
    from photofind.cli.console import console, err_console
    from photofind.cli.render import dumps
    from photofind.trash.freedesktop import home_trash
    from photofind.trash.report import plan

    todo = plan(report, keep)
    home = home_trash()
    out = err_console if as_json else console
    _show_plan(out, todo, str(home), every=dry_run)
    if dry_run or not todo.groups:
        if as_json:
            print(dumps({"plan": [g.to_json() for g in todo.groups], "moved": [], "skipped": []}))
        return
    if not yes:
        if not sys.stdin.isatty():
            raise fail("not asking on a pipe: add --yes to move them without a question (or --dry-run to look)")
        try:
            reply = input("Move them to the trash? [y/N] ")
        except EOFError:
            reply = ""
        if reply.strip().lower() not in ("y", "yes"):
            out.print("Nothing moved.")
            return
    request = TrashRequest(groups=tuple(g.to_json() for g in todo.groups), home_trash=str(home),
                           model=options.requested_model(answerer.settings))
    result = answerer.answer(request)
    for path, why in result.skipped:
        err_console.print(f"skipped {path}: {why}", markup=False, highlight=False, soft_wrap=True)
    if as_json:
        print(dumps(result.to_json()))
        return
    if result.moved:
        out.print(f"Moved {count(len(result.moved))} ({result.bytes / 1e6:.1f} MB) to the trash "
                  f"(operation {result.operation}). Undo: photofind restore", markup=False, soft_wrap=True)
    else:
        out.print("Nothing moved.")
    if result.skipped:
        raise SystemExit(1)  # some files stayed: said above, each with its reason


def _show_plan(out: Any, todo: "TrashPlan", home: str, every: bool) -> None:
    lines = [f"  {m.path}   (keeping {g.keeper.path})" for g in todo.groups for m in g.move]
    shown = lines if every else lines[:PLAN_LINES]
    for line in shown:
        out.print(line, markup=False, highlight=False, soft_wrap=True)
    if len(shown) < len(lines):
        out.print(f"  ... and {len(lines) - len(shown)} more (--dry-run lists them all)")
    review = f"; {todo.left_for_review} groups of edited or merely similar photos are left for you to review" \
        if todo.left_for_review else ""
    if not todo.groups:
        out.print(f"Nothing to move: no identical or same-picture groups{review}.", markup=False)
        return
    verb = "Would move" if every else "Plan: move"
    out.print(f"{verb} {count(todo.files)} ({todo.bytes / 1e6:.1f} MB) in {count(len(todo.groups), 'group')} to the trash "
              f"(home trash: {home}; files on another drive go to that drive's trash){review}.",
              markup=False, soft_wrap=True)
