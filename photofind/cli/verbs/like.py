"""`photofind like IMAGE` and `photofind search WORDS`: ranked photos, from the server when one
runs, else from the store directly.

Imports stay inside the functions: through a server, a query needs only the socket and the
table, and starts in a fraction of the time numpy, Chroma or torch would add."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

from photofind.cli.common import (HasRoot, err_console, filters_from, handles_errors, load_settings, model_flags,
                                  requested_model)

if TYPE_CHECKING:
    from photofind.api.requests import RankedRequest
    from photofind.errors import InputError
    from photofind.ranking import Ranking
    from photofind.results import QueryResult


def ask(
    ctx: HasRoot, model: Optional[str], device: Optional[str], make: Callable[["Ranking", str], "RankedRequest"],
    k: int, metric: str, exact: bool, since: Optional[str], until: Optional[str], within: Optional[Path],
    min_score: Optional[float],
) -> "QueryResult":
    """The ranking options become one Ranking; `make` wraps it in the verb's request, which the
    server or this process answers."""
    from photofind.cli.route import answer, server_client
    from photofind.errors import InputError
    from photofind.ranking import Ranking

    settings = load_settings(ctx, **model_flags(model, device))
    ranking = Ranking(k, metric, exact, filters_from(since, until, within, min_score))
    client = server_client(settings)
    try:
        if not err_console.is_terminal:
            return answer(settings, make(ranking, requested_model(settings)), client=client)
        from photofind.cli.downloads import download_bar

        with download_bar() as on_progress:  # drawn only if the model's weights download
            return answer(settings, make(ranking, requested_model(settings)), client=client,
                          on_progress=on_progress)
    except InputError as exc:
        raise as_typed(exc) from None


def as_typed(exc: "InputError") -> "InputError":
    """An error about a query file names it as typed: `README.md: not a readable image`, not the
    absolute path the request carried (the server has another working directory)."""
    import os

    message, here = str(exc), os.getcwd().rstrip(os.sep) + os.sep
    if message.startswith(here):
        exc.args = (message[len(here):],)
    return exc


def _examples(images: list[str], avoid: Optional[list[str]]) -> list[tuple[Path, float]]:
    """The example images as (absolute path, weight): `N:IMAGE` weighs one, --not subtracts."""
    from photofind.cli.weighted import parse_weighted

    return [parse_weighted(a) for a in images] + [parse_weighted(a, -1) for a in avoid or []]


def _check_output(as_json: bool, paths_only: bool, preview: bool) -> None:
    from photofind.errors import InputError

    if paths_only and (as_json or preview):
        raise InputError(f"--paths prints bare paths; it does not go with {'--json' if as_json else '--preview'}")


@handles_errors
def like(
    ctx: HasRoot, images: list[str], avoid: Optional[list[str]], k: int, metric: str, exact: bool,
    since: Optional[str], until: Optional[str], within: Optional[Path], min_score: Optional[float],
    grid: Optional[Path], open_grid: bool, html: Optional[Path], preview: bool, model: Optional[str],
    device: Optional[str], paths_only: bool, as_json: bool,
) -> None:
    from photofind.api.requests import Example, LikeRequest
    from photofind.cli.render import show_query

    _check_output(as_json, paths_only, preview)
    (first, weight), *more = _examples(images, avoid)
    examples = tuple(Example(str(p), w) for p, w in more)
    result = ask(ctx, model, device, lambda ranking, name: LikeRequest(
        image=str(first), weight=weight, examples=examples, ranking=ranking, model=name),
        k, metric, exact, since, until, within, min_score)
    show_query(result, as_json=as_json, html=html, preview=preview, grid=grid, open_grid=open_grid,
               paths_only=paths_only)


@handles_errors
def search(
    ctx: HasRoot, text: str, like: Optional[list[str]], avoid: Optional[list[str]], k: int, metric: str,
    exact: bool, since: Optional[str], until: Optional[str], within: Optional[Path], min_score: Optional[float],
    html: Optional[Path], preview: bool, model: Optional[str], device: Optional[str], paths_only: bool,
    as_json: bool,
) -> None:
    from photofind.api.requests import Example, SearchRequest
    from photofind.cli.render import show_query

    _check_output(as_json, paths_only, preview)
    examples = tuple(Example(str(p), w) for p, w in _examples(like or [], avoid))
    result = ask(ctx, model, device, lambda ranking, name: SearchRequest(
        text=text, examples=examples, ranking=ranking, model=name),
        k, metric, exact, since, until, within, min_score)
    show_query(result, as_json=as_json, html=html, preview=preview, paths_only=paths_only)
