"""How a query's answer is ranked and cut: the same four knobs for `like` and `search`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from photofind.filters import Filters


@dataclass(frozen=True)
class Ranking:
    k: int = 10  # how many results
    metric: str = "cosine"  # cosine, l2, l1 or corr (photofind.distances)
    exact: bool = False  # score every stored vector instead of asking the HNSW index
    filters: Filters = field(default_factory=Filters)

    def to_json(self) -> dict[str, Any]:
        return {"k": self.k, "metric": self.metric, "exact": self.exact, "filters": self.filters.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Ranking":
        return cls(int(data.get("k", 10)), str(data.get("metric", "cosine")), bool(data.get("exact", False)),
                   Filters.from_json(data.get("filters") or {}))
