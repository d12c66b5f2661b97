from photofind.store.catalog import FileRow
from photofind.media.raw import RAW_EXTRA_MISSING
from photofind.planning import plan_changes
from photofind.scanner import RAW_TWIN, FileStat, raw_twins


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


def test_raw_twins_pair_a_raw_file_with_a_photo_of_the_same_name_in_its_folder() -> None:
    paths = ["/r/IMG_1.CR2", "/r/IMG_1.JPG", "/r/IMG_2.nef", "/r/IMG_3.dng", "/r/IMG_3.heic",
             "/r/sub/IMG_2.jpg", "/r/img_4.arw", "/r/IMG_4.jpg", "/r/IMG_5.dng", "/r/IMG_5.cr2",
             "/r/IMG_6.nef", "/r/IMG_6.dng", "/r/IMG_6.jpg"]
    assert raw_twins(paths) == {"/r/IMG_1.CR2": "/r/IMG_1.JPG", "/r/IMG_3.dng": "/r/IMG_3.heic",
                                "/r/IMG_6.nef": "/r/IMG_6.jpg", "/r/IMG_6.dng": "/r/IMG_6.jpg"}
    # IMG_2: its JPEG is in another folder; img_4/IMG_4: another name; IMG_5: two RAW files, no photo


def test_a_raw_twin_is_skipped_unread_and_tried_again_once_its_photo_is_gone() -> None:
    raw = FileStat("/r/a.dng", 10, 100)
    plan = plan_changes([raw, FileStat("/r/a.jpg", 5, 100)], {}, twins={"/r/a.dng": "/r/a.jpg"})
    assert plan.skipped == [(raw, RAW_TWIN)] and [s.path for s in plan.to_hash] == ["/r/a.jpg"]
    skipped = {"/r/a.dng": FileRow("/r/a.dng", None, 10, 100, "skipped", RAW_TWIN)}
    again = plan_changes([raw], skipped, twins={"/r/a.dng": "/r/a.jpg"})
    assert again.unchanged == 1 and not again.skipped and not again.to_hash  # a rescan reads nothing
    alone = plan_changes([raw], skipped)  # the JPEG was deleted: the RAW file is the photo now
    assert [s.path for s in alone.to_hash] == ["/r/a.dng"]
    # an indexed RAW file whose JPEG came later is skipped from then on (its vector is released)
    later = plan_changes([raw], {"/r/a.dng": row("/r/a.dng")}, twins={"/r/a.dng": "/r/a.jpg"})
    assert later.skipped == [(raw, RAW_TWIN)]


def test_rows_skipped_for_a_retry_reason_are_read_again_though_unchanged() -> None:
    stat = FileStat("/r/a.dng", 10, 100)
    known = {"/r/a.dng": FileRow("/r/a.dng", "h", 10, 100, "skipped", RAW_EXTRA_MISSING)}
    assert plan_changes([stat], known).unchanged == 1  # rawpy still missing: nothing to gain
    assert [s.path for s in plan_changes([stat], known, retry=[RAW_EXTRA_MISSING]).to_hash] == ["/r/a.dng"]


def test_special_files_are_skipped_unread_once_then_unchanged_and_a_photo_turned_fifo_is_skipped() -> None:
    fifo = "not a regular file (a FIFO)"
    known = {"/r/p.jpg": row("/r/p.jpg"), "/r/old.jpg": FileRow("/r/old.jpg", None, 0, 5, "skipped", fifo)}
    specials = [(FileStat("/r/p.jpg", 0, 7), fifo), (FileStat("/r/old.jpg", 0, 5), fifo),
                (FileStat("/r/new.jpg", 0, 9), "symlink loop")]
    plan = plan_changes([], known, specials=specials)
    assert [(st.path, why) for st, why in plan.skipped] == [("/r/p.jpg", fifo), ("/r/new.jpg", "symlink loop")]
    assert plan.unchanged == 1 and plan.to_hash == [] and plan.removed == []  # seen: no row is dropped
