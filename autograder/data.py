"""Data files the assignments need, and how the git-ignored data/ folder gets them.

`data-manifest.json` lists every file (path, sha256, size, canonical url, license).
`fill` (run by `make setup` / `nlpgrade data`) copies each file from a local mirror
(../shared/data by default) and checks its sha256; only a file the mirror lacks is
downloaded, and only at setup time. Code that reads data while grading calls `path()`,
which never downloads: nothing may fetch data from the internet at run time.

Stdlib only, so setup works before anything else is installed.
"""
import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
import urllib.request

ROOT = os.environ.get("NLPGRADE_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANIFEST = os.path.join(ROOT, "data-manifest.json")
DEFAULT_MIRROR = os.environ.get("NLPGRADE_DATA_MIRROR") or os.path.normpath(
    os.path.join(ROOT, "..", "shared", "data"))
DEFAULT_DATA_DIR = os.environ.get("NLPGRADE_DATA_DIR") or os.path.join(ROOT, "data")
DOWNLOAD_TIMEOUT = 10  # seconds; a dead host must fail setup quickly, not hang it
SETUP_HINT = "run `make setup` (or `nlpgrade data`)"
FIELDS = ("path", "sha256", "size", "url", "license", "dataset")
CHUNK = 1 << 20


class DataError(Exception):
    pass


def load_manifest(path=None):
    """Read and sanity-check the manifest (default: data-manifest.json in the repo)."""
    path = path or MANIFEST
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read data manifest {path}: {exc}") from None
    for i, entry in enumerate(manifest.get("files", [])):
        missing = [k for k in FIELDS if k not in entry]
        if missing:
            raise DataError(f"{path}: files[{i}] lacks {', '.join(missing)}")
        # Paths are joined onto data_dir and the mirror, so they must stay inside both.
        rel = entry["path"]
        if os.path.isabs(rel) or ".." in rel.replace("\\", "/").split("/"):
            raise DataError(f"{path}: files[{i}] has an unsafe path {rel!r}")
    return manifest


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _entries(manifest, datasets):
    if not isinstance(manifest, dict):
        manifest = load_manifest(manifest)
    files = manifest.get("files", [])
    if not datasets:
        return files
    known = {e["dataset"] for e in files}
    unknown = sorted(set(datasets) - known)
    if unknown:
        raise DataError(f"unknown dataset(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return [e for e in files if e["dataset"] in datasets]


def _write_verified(src, dest, expected):
    """Stream `src` (a binary file object) to `dest`, hashing as it goes.

    The bytes land in a temp file next to `dest` and replace it only if the sha256
    matches, so an interrupted or bad transfer never leaves a half-written data file.
    Returns the actual sha256.
    """
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest), prefix=f".{os.path.basename(dest)}.")
    h = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            for block in iter(lambda: src.read(CHUNK), b""):
                h.update(block)
                out.write(block)
        if h.hexdigest() == expected:
            os.chmod(tmp, 0o644)  # mkstemp makes 0600 files
            os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return h.hexdigest()


def fill(data_dir=None, mirror=None, datasets=None, download=True, manifest=None, log=print):
    """Make data_dir hold every manifest file (or those of `datasets`), sha256-checked.

    Per file: keep a good copy already there, else copy from the mirror, else (if
    `download`) fetch the canonical URL. All problems are collected and raised as one
    DataError, so a user sees every missing file at once. Returns counts.
    """
    data_dir = data_dir or DEFAULT_DATA_DIR
    mirror = mirror or DEFAULT_MIRROR
    counts = {"kept": 0, "copied": 0, "downloaded": 0}
    problems = []
    for e in _entries(manifest, datasets):
        rel, expected, url = e["path"], e["sha256"], e["url"]
        dest = os.path.join(data_dir, rel)
        if os.path.isfile(dest):
            if os.path.getsize(dest) == e["size"] and sha256_of(dest) == expected:
                counts["kept"] += 1
                continue
            log(f"data: {rel} in {data_dir} has the wrong checksum; replacing it")

        src = os.path.join(mirror, rel)
        if os.path.isfile(src):
            with open(src, "rb") as f:
                actual = _write_verified(f, dest, expected)
            if actual == expected:
                counts["copied"] += 1
            else:
                problems.append(f"{rel}: mirror file {src} is corrupt: sha256 {actual}, expected {expected}")
            continue

        where = f"not in the mirror (looked for {src})"
        if e.get("derived"):
            note = f" ({e['note']})" if e.get("note") else ""
            problems.append(f"{rel}: {where}; it is derived from {url}{note}, "
                            "so it cannot be downloaded; get it from a mirror")
        elif not download:
            problems.append(f"{rel}: {where}; downloads are off; canonical URL {url}")
        else:
            log(f"data: downloading {rel} from {url}")
            try:
                with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as resp:
                    actual = _write_verified(resp, dest, expected)
            except (OSError, ValueError) as exc:  # URLError and timeouts are OSErrors
                problems.append(f"{rel}: {where}; download from {url} failed: {exc}")
                continue
            if actual == expected:
                counts["downloaded"] += 1
            else:
                problems.append(f"{rel}: {where}; download from {url} has sha256 {actual}, expected {expected}")

    if problems:
        hint = "" if os.path.isdir(mirror) else (
            f"\nThe mirror {mirror} does not exist; point --mirror or NLPGRADE_DATA_MIRROR at one.")
        raise DataError(f"{len(problems)} data file(s) could not be set up in {data_dir}:\n  - "
                        + "\n  - ".join(problems) + hint)
    return counts


def verify(data_dir=None, datasets=None, manifest=None):
    """Problems (missing or wrong-checksum files) in data_dir; copies nothing."""
    data_dir = data_dir or DEFAULT_DATA_DIR
    problems = []
    for e in _entries(manifest, datasets):
        dest = os.path.join(data_dir, e["path"])
        if not os.path.isfile(dest):
            problems.append(f"{e['path']}: missing (looked for {dest})")
            continue
        actual = sha256_of(dest)
        if actual != e["sha256"]:
            problems.append(f"{e['path']}: sha256 {actual}, expected {e['sha256']}")
    return problems


def path(relpath, data_dir=None):
    """Absolute path of a data file, for code that reads data at run time. Never downloads."""
    full = os.path.abspath(os.path.join(data_dir or DEFAULT_DATA_DIR, relpath))
    if not os.path.isfile(full):
        raise DataError(f"data file {relpath} is missing (looked for {full}); {SETUP_HINT}")
    return full


def main(argv=None):
    """`nlpgrade data ...`; returns the exit status."""
    p = argparse.ArgumentParser(
        prog="nlpgrade data",
        description="Fill the data folder from the local mirror (sha256-checked); "
                    "download only what the mirror lacks.")
    p.add_argument("--mirror", default=None, help=f"mirror folder (default {DEFAULT_MIRROR}; "
                   "env NLPGRADE_DATA_MIRROR)")
    p.add_argument("--data-dir", default=None, help=f"data folder (default {DEFAULT_DATA_DIR}; "
                   "env NLPGRADE_DATA_DIR)")
    p.add_argument("--dataset", action="extend", nargs="+", metavar="NAME",
                   help="only these datasets (folder names in data-manifest.json)")
    p.add_argument("--no-download", action="store_true", help="never try the canonical URLs")
    p.add_argument("--verify", action="store_true", help="only check data folder checksums; copy nothing")
    args = p.parse_args(argv)
    data_dir = args.data_dir or DEFAULT_DATA_DIR
    try:
        if args.verify:
            n = len(_entries(None, args.dataset))
            problems = verify(data_dir, args.dataset)
            if problems:
                raise DataError(f"{len(problems)} of {n} data file(s) bad in {data_dir}:\n  - "
                                + "\n  - ".join(problems))
            print(f"data: all {n} files OK in {data_dir}")
            return 0
        start = time.monotonic()
        c = fill(data_dir, args.mirror, args.dataset, download=not args.no_download)
        print(f"data: {c['kept']} kept, {c['copied']} copied, {c['downloaded']} downloaded "
              f"in {data_dir} ({time.monotonic() - start:.1f}s)")
        return 0
    except DataError as exc:
        print(f"nlpgrade data: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
