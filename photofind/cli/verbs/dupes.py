"""`photofind dupes`: groups of true duplicates, each with a suggested keeper. Deletes nothing."""

from __future__ import annotations

from typing import Optional

from photofind.cli.common import HasRoot, handles_errors, load_settings, model_flags, requested_model


@handles_errors
def dupes(ctx: HasRoot, near: bool, max_distance: int, loose: bool, model: Optional[str], as_json: bool) -> None:
    from photofind.api.requests import DupesRequest
    from photofind.cli.render import dumps, render_dupes
    from photofind.cli.route import answer, server_client

    settings = load_settings(ctx, **model_flags(model))
    request = DupesRequest(near=near, max_distance=max_distance, loose=loose, model=requested_model(settings))
    report = answer(settings, request, client=server_client(settings))
    if as_json:
        print(dumps(report.to_json()))
    else:
        render_dupes(report)
