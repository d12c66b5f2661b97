"""The pure half of indexing: what differs between the disk and the catalog, decided from
stats alone (no file is read). `Indexer.apply` carries a Plan out; `index`, `reindex` and the
watcher all plan with plan_changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Collection, Iterable, Mapping, Sequence

from photofind.scanner import RAW_TWIN, FileStat
from photofind.store.catalog import FileRow


@dataclass
class Plan:
    """What differs between the disk and the catalog. Built without reading any file."""

    to_hash: list[FileStat] = field(default_factory=list)
    # files recorded as skipped without being read, with the reason (a RAW file's photo twin)
    skipped: list[tuple[FileStat, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    missing_roots: list[Path] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    # hashes whose rows the caller already changed (a move over another file): maybe orphans now
    released: set[str] = field(default_factory=set)


def plan_changes(
    on_disk: Iterable[FileStat], known: dict[str, FileRow], *, full: bool = False, keep_under: Sequence[str] = (),
    twins: Mapping[str, str] | None = None, retry: Collection[str] = (),
    specials: Sequence[tuple[FileStat, str]] = (),
) -> Plan:
    """Pure diff. A file with the same (size, mtime_ns) as its row is not touched (unless `full`);
    a row with no file is removed, except below `keep_under` (folders we could not list).

    `twins` (scanner.raw_twins) are RAW files with a photo of the same name beside them: they
    are skipped unread, and tried again once the photo is gone. `specials` (FIFOs, sockets,
    devices, broken links: scanner.scan) are recorded as skipped with their reason, unread. Rows skipped for a reason in
    `retry` (a missing extra, installed since) are tried again although their file is unchanged."""
    twins = twins or {}
    plan = Plan()
    seen: set[str] = set()
    for st in on_disk:
        seen.add(st.path)
        row = known.get(st.path)
        same = row is not None and row.size == st.size and row.mtime_ns == st.mtime_ns
        if st.path in twins:
            if not full and same and row is not None and row.status == "skipped" and row.error == RAW_TWIN:
                plan.unchanged += 1
            else:
                plan.skipped.append((st, RAW_TWIN))  # an indexed RAW whose JPEG came later too
            continue
        stale = row is not None and row.status == "skipped" and (row.error == RAW_TWIN or row.error in retry)
        if not full and same and not stale:
            plan.unchanged += 1
        else:
            plan.to_hash.append(st)
    for st, why in specials:
        seen.add(st.path)
        row = known.get(st.path)
        if not full and row is not None and row.status == "skipped" and row.error == why \
                and (row.size, row.mtime_ns) == (st.size, st.mtime_ns):
            plan.unchanged += 1
        else:
            plan.skipped.append((st, why))
    prefixes = tuple(k.rstrip("/") + "/" for k in keep_under)
    plan.removed = [p for p in known if p not in seen and not (prefixes and p.startswith(prefixes))]
    return plan
