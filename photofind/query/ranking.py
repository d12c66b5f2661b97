"""How a query's answer is ranked and cut: the same four knobs for `like` and `search`.

A Ranking checks itself when it is built: the CLI builds one from -k and --metric before it
looks for a server, so a bad value is one line and nothing was started for it; one read from
the socket is checked the same way. Light on purpose (no numpy): the CLI imports it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from photofind.errors import InputError
from photofind.query.filters import Filters

METRICS = ("cosine", "l2", "l1", "corr")  # photofind.query.distances scores each


@dataclass(frozen=True)
class Ranking:
    k: int = 10  # how many results
    metric: str = "cosine"  # cosine, l2, l1 or corr (photofind.query.distances)
    exact: bool = False  # score every stored vector instead of asking the HNSW index
    filters: Filters = field(default_factory=Filters)

    def __post_init__(self) -> None:
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise InputError("-k must be at least 1")
        if self.metric not in METRICS:
            raise InputError(f"unknown metric {self.metric!r}; choose one of {', '.join(METRICS)}")

    def to_json(self) -> dict[str, Any]:
        return {"k": self.k, "metric": self.metric, "exact": self.exact, "filters": self.filters.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Ranking":
        return cls(int(data.get("k", 10)), str(data.get("metric", "cosine")), bool(data.get("exact", False)),
                   Filters.from_json(data.get("filters") or {}))
