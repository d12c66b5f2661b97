"""Time `dupes --trash --yes` and `restore --yes` on a generated library, all in a temp folder
with its own XDG_DATA_HOME (the machine's trash is never touched).

    .venv/bin/python scripts/bench_trash.py --originals 200 --copies 4 --kb 200

Each original (a generated photo padded to about --kb KB with an APP segment) gets --copies
byte-identical copies in other folders; the library is indexed with the pixel model through the
CLI, then the copies are trashed (every one re-hashed first) and restored (and re-indexed).
Prints the files, bytes and seconds of each step."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers.images import save, scene  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--originals", type=int, default=200)
    ap.add_argument("--copies", type=int, default=4)
    ap.add_argument("--kb", type=int, default=200, help="about this many KB per file")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="pf-bench-trash-") as tmp:
        base = Path(tmp)
        lib = base / "photos"
        pad = b"\xff\xe1" + (65533).to_bytes(2, "big")  # APP1 segments of filler keep the JPEG valid
        for i in range(args.originals):
            p = save(scene(i, (320, 240)), lib / "originals" / f"p{i:05d}.jpg", quality=90)
            data = p.read_bytes()
            filler = b"".join(pad + bytes(65533 - 2) for _ in range(max(0, args.kb * 1024 - len(data)) // 65535))
            p.write_bytes(data[:2] + filler + data[2:])
            os.utime(p, (1_500_000_000, 1_500_000_000))
            for c in range(args.copies):
                dest = lib / f"copies{c}" / p.name
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(p, dest)
        env = {**os.environ, "PHOTOFIND_HOME": str(base / "home"), "XDG_DATA_HOME": str(base / "xdg"),
               "PHOTOFIND_SERVER_AUTOSTART": "false", "PHOTOFIND_MODEL": "pixel",
               "PHOTOFIND_STORE_CACHE_DIR": str(base / "cache")}
        run = lambda *a: subprocess.run([sys.executable, "-m", "photofind", *a], env=env,  # noqa: E731
                                        capture_output=True, text=True, check=True)
        files = args.originals * (1 + args.copies)
        size = sum(p.stat().st_size for p in lib.rglob("*.jpg"))
        t = time.perf_counter()
        run("index", str(lib))
        print(f"library: {files} files, {size / 1e6:.1f} MB; index {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        run("dupes", "--exact-only", "--json")
        listed = time.perf_counter() - t
        t = time.perf_counter()
        out = run("dupes", "--exact-only", "--trash", "--yes").stdout
        trashed = time.perf_counter() - t
        moved = args.originals * args.copies
        assert len(list((base / "xdg" / "Trash" / "files").iterdir())) == moved, out
        print(f"dupes --exact-only (list only): {listed:.2f} s")
        print(f"dupes --exact-only --trash --yes: {moved} files, {moved * size / files / 1e6:.1f} MB re-hashed and "
              f"moved in {trashed:.2f} s (listing included)")
        t = time.perf_counter()
        run("restore", "--yes")
        print(f"restore --yes: {moved} files back and re-indexed in {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
