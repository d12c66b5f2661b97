"""A weighted image: one example of a combined query (photofind.query.combined), as the CLI
parses it (`2:a.jpg`, `--not c.jpg`), a request carries it and the query mixes it. Its path is
absolute (the server has another working directory); a negative weight steers away from it.

Light on purpose (no numpy): the CLI and the request layer import it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class WeightedImage:
    path: str
    weight: float = 1.0

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "weight": self.weight}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "WeightedImage":
        return cls(str(data["path"]), float(data.get("weight", 1.0)))
