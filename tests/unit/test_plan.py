from photofind.store.catalog import FileRow
from photofind.planning import plan_changes
from photofind.scanner import FileStat


def row(path: str, size: int = 10, mtime: int = 100) -> FileRow:
    return FileRow(path, "h-" + path, size, mtime, "ok")


def test_unchanged_changed_new_and_removed() -> None:
    known = {"/r/a": row("/r/a"), "/r/b": row("/r/b"), "/r/gone": row("/r/gone")}
    disk = [FileStat("/r/a", 10, 100), FileStat("/r/b", 10, 101), FileStat("/r/new", 5, 1)]
    plan = plan_changes(disk, known)
    assert plan.unchanged == 1
    assert [s.path for s in plan.to_hash] == ["/r/b", "/r/new"]
    assert plan.removed == ["/r/gone"]


def test_size_change_alone_counts_as_changed() -> None:
    plan = plan_changes([FileStat("/r/a", 11, 100)], {"/r/a": row("/r/a")})
    assert [s.path for s in plan.to_hash] == ["/r/a"] and plan.unchanged == 0


def test_full_rehashes_everything() -> None:
    plan = plan_changes([FileStat("/r/a", 10, 100)], {"/r/a": row("/r/a")}, full=True)
    assert [s.path for s in plan.to_hash] == ["/r/a"]


def test_rows_below_unreadable_folders_are_kept() -> None:
    known = {"/r/locked/x": row("/r/locked/x"), "/r/lockedness": row("/r/lockedness")}
    plan = plan_changes([], known, keep_under=["/r/locked"])
    assert plan.removed == ["/r/lockedness"]  # a sibling with the same prefix is not protected
