"""`photofind dupes`: groups of true duplicates, each with a suggested keeper; with --trash,
every other copy of an identical or same-picture group goes to the desktop trash (journaled:
`photofind restore` puts them back). Nothing is ever deleted."""

from __future__ import annotations

import dataclasses
import sys
from typing import TYPE_CHECKING, Optional

from photofind.cli.common import HasRoot, fail, handles_errors, load_settings, model_flags, requested_model

if TYPE_CHECKING:
    from photofind.dupes.report import DupesReport
    from photofind.trash.report import TrashPlan

PLAN_LINES = 20


def count(n: int, noun: str = "file") -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
  # files listed before the question; --dry-run lists them all


@handles_errors
def dupes(ctx: HasRoot, near: bool, max_distance: int, loose: bool, model: Optional[str], as_json: bool,
          edits: bool = False, trash: bool = False, keep: Optional[str] = None, yes: bool = False,
          dry_run: bool = False) -> None:
    from photofind.api.requests import DupesRequest
    from photofind.cli.render import dumps, render_dupes
    from photofind.cli.route import answer, server_client
    from photofind.dupes.report import KEEP_POLICIES

    if keep is not None and keep not in KEEP_POLICIES:
        raise fail(f"--keep takes {', '.join(KEEP_POLICIES)}, not {keep!r}")
    if yes and not (trash or dry_run):
        raise fail("--yes answers --trash's question; add --trash")
    settings = load_settings(ctx, **model_flags(model))
    request = DupesRequest(near=near, max_distance=max_distance, loose=loose, edits=edits,
                           model=requested_model(settings))
    report = answer(settings, request, client=server_client(settings))
    if keep is not None:
        report = _with_keepers(report, keep)
    if not (trash or dry_run):
        if as_json:
            print(dumps(report.to_json()))
        else:
            render_dupes(report)
        return
    _trash(settings, report, keep, yes=yes, dry_run=dry_run, as_json=as_json)


def _with_keepers(report: "DupesReport", keep: str) -> "DupesReport":
    from photofind.dupes.report import keeper

    groups = [dataclasses.replace(g, keeper=keeper(g.members, keep)) for g in report.groups]
    return dataclasses.replace(report, groups=groups)


def _trash(settings: object, report: "DupesReport", keep: Optional[str], *, yes: bool, dry_run: bool,
           as_json: bool) -> None:
    from photofind.api.requests import TrashRequest
    from photofind.cli.common import console, err_console
    from photofind.cli.render import dumps
    from photofind.cli.route import answer, server_client
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
                           model=requested_model(settings))  # type: ignore[arg-type]
    result = answer(settings, request, client=server_client(settings))  # type: ignore[arg-type]
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


def _show_plan(out: object, todo: "TrashPlan", home: str, every: bool) -> None:
    lines = [f"  {m.path}   (keeping {g.keeper.path})" for g in todo.groups for m in g.move]
    shown = lines if every else lines[:PLAN_LINES]
    for line in shown:
        out.print(line, markup=False, highlight=False, soft_wrap=True)  # type: ignore[attr-defined]
    if len(shown) < len(lines):
        out.print(f"  ... and {len(lines) - len(shown)} more (--dry-run lists them all)")  # type: ignore[attr-defined]
    review = f"; {todo.left_for_review} groups of edited or merely similar photos are left for you to review" \
        if todo.left_for_review else ""
    if not todo.groups:
        out.print(f"Nothing to move: no identical or same-picture groups{review}.", markup=False)  # type: ignore[attr-defined]
        return
    verb = "Would move" if every else "Plan: move"
    out.print(f"{verb} {count(todo.files)} ({todo.bytes / 1e6:.1f} MB) in {count(len(todo.groups), 'group')} to the trash "
              f"(home trash: {home}; files on another drive go to that drive's trash){review}.",
              markup=False, soft_wrap=True)  # type: ignore[attr-defined]
