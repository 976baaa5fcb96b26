"""autograder.data: filling data/ from a mirror, on a tiny fake manifest and mirror."""
import hashlib
import json
import os
import re
import time

import pytest

from autograder import data

FILES = {"ds1/a.txt": b"alpha\n", "ds1/sub/b.txt": b"bravo\n", "ds2/c.txt": b"charlie\n"}
DEAD_URL = "http://127.0.0.1:9/x"  # discard port: nothing listens, so the connection is refused


def sha(content):
    return hashlib.sha256(content).hexdigest()


@pytest.fixture
def fake(tmp_path):
    """A mirror holding FILES, an empty data dir, and a manifest for them."""
    mirror, data_dir = tmp_path / "mirror", tmp_path / "data"
    entries = []
    for rel, content in FILES.items():
        (mirror / rel).parent.mkdir(parents=True, exist_ok=True)
        (mirror / rel).write_bytes(content)
        entries.append({"path": rel, "sha256": sha(content), "size": len(content), "url": DEAD_URL,
                        "license": "CC0-1.0", "dataset": rel.split("/")[0]})
    manifest = {"version": 1, "datasets": {}, "files": entries}
    return mirror, data_dir, manifest


def run_fill(fake, **kw):
    mirror, data_dir, manifest = fake
    kw.setdefault("download", False)
    return data.fill(data_dir=str(data_dir), mirror=str(mirror), manifest=manifest, log=lambda msg: None, **kw)


def test_fill_copies_then_keeps(fake):
    _, data_dir, _ = fake
    assert run_fill(fake) == {"kept": 0, "copied": 3, "downloaded": 0}
    for rel, content in FILES.items():
        assert (data_dir / rel).read_bytes() == content
    assert run_fill(fake) == {"kept": 3, "copied": 0, "downloaded": 0}
    assert not [p for p in data_dir.rglob(".*")], "temp files left behind"


def test_fill_only_some_datasets(fake):
    _, data_dir, _ = fake
    assert run_fill(fake, datasets=["ds2"])["copied"] == 1
    assert not (data_dir / "ds1").exists()
    with pytest.raises(data.DataError, match="unknown dataset"):
        run_fill(fake, datasets=["nope"])


def test_corrupt_mirror_file_names_it_and_both_checksums(fake):
    mirror, data_dir, _ = fake
    (mirror / "ds1/a.txt").write_bytes(b"tampered\n")
    with pytest.raises(data.DataError) as err:
        run_fill(fake)
    msg = str(err.value)
    assert "ds1/a.txt" in msg and str(mirror / "ds1/a.txt") in msg
    assert sha(b"alpha\n") in msg and sha(b"tampered\n") in msg
    assert not (data_dir / "ds1/a.txt").exists()  # the bad copy was not installed
    assert (data_dir / "ds2/c.txt").exists()  # the other files were still set up


@pytest.mark.parametrize("download", [False, True])
def test_missing_file_names_it_and_where_it_was_looked_for(fake, download):
    mirror, _, _ = fake
    (mirror / "ds1/a.txt").unlink()
    (mirror / "ds2/c.txt").unlink()
    start = time.monotonic()
    with pytest.raises(data.DataError) as err:
        run_fill(fake, download=download)
    assert time.monotonic() - start < 2  # an unreachable URL must fail fast
    msg = str(err.value)
    assert msg.startswith("2 data file(s)")  # every missing file reported at once
    for rel in ("ds1/a.txt", "ds2/c.txt"):
        assert f"{rel}: not in the mirror (looked for {mirror / rel})" in msg
    assert DEAD_URL in msg


def test_download_fills_what_the_mirror_lacks(fake, tmp_path):
    mirror, data_dir, manifest = fake
    elsewhere = tmp_path / "upstream.txt"
    elsewhere.write_bytes(b"alpha\n")
    (mirror / "ds1/a.txt").unlink()
    manifest["files"][0]["url"] = elsewhere.as_uri()  # urllib reads file:// like any URL
    assert run_fill(fake, download=True) == {"kept": 0, "copied": 2, "downloaded": 1}
    assert (data_dir / "ds1/a.txt").read_bytes() == b"alpha\n"


def test_derived_file_is_not_downloaded(fake):
    mirror, _, manifest = fake
    (mirror / "ds1/a.txt").unlink()
    manifest["files"][0].update(derived=True, note="gunzip of this file")
    with pytest.raises(data.DataError, match="derived from .*gunzip of this file.*cannot be downloaded"):
        run_fill(fake, download=True)


def test_corrupt_file_in_data_dir_is_replaced(fake):
    _, data_dir, manifest = fake
    run_fill(fake)
    (data_dir / "ds1/a.txt").write_bytes(b"alphx\n")  # same size, wrong bytes
    assert len(data.verify(str(data_dir), manifest=manifest)) == 1
    assert run_fill(fake) == {"kept": 2, "copied": 1, "downloaded": 0}
    assert (data_dir / "ds1/a.txt").read_bytes() == b"alpha\n"


def test_verify_reports_missing_and_corrupt(fake):
    _, data_dir, manifest = fake
    assert len(data.verify(str(data_dir), manifest=manifest)) == 3
    run_fill(fake)
    assert data.verify(str(data_dir), manifest=manifest) == []
    (data_dir / "ds1/a.txt").unlink()
    (data_dir / "ds2/c.txt").write_bytes(b"x")
    problems = data.verify(str(data_dir), manifest=manifest)
    assert problems[0].startswith("ds1/a.txt: missing") and str(data_dir / "ds1/a.txt") in problems[0]
    assert problems[1].startswith("ds2/c.txt: sha256 " + sha(b"x"))


def test_path_finds_file_or_says_how_to_get_it(fake):
    _, data_dir, _ = fake
    with pytest.raises(data.DataError, match=re.escape("run `make setup` (or `nlpgrade data`)")):
        data.path("ds1/a.txt", data_dir=str(data_dir))
    run_fill(fake)
    assert data.path("ds1/a.txt", data_dir=str(data_dir)) == str(data_dir / "ds1/a.txt")


def test_cli_summary_and_clean_failure(fake, tmp_path, capsys, monkeypatch):
    mirror, data_dir, manifest = fake
    manifest_path = tmp_path / "manifest.json"
    manifest_path.write_text(json.dumps(manifest))
    monkeypatch.setattr(data, "MANIFEST", str(manifest_path))
    args = ["--mirror", str(mirror), "--data-dir", str(data_dir), "--no-download"]
    assert data.main(args) == 0
    assert "0 kept, 3 copied, 0 downloaded" in capsys.readouterr().out
    assert data.main(args + ["--verify"]) == 0
    (data_dir / "ds2/c.txt").unlink()
    assert data.main(args + ["--verify", "--dataset", "ds1"]) == 0
    assert data.main(args + ["--verify"]) == 1
    (mirror / "ds2/c.txt").unlink()
    assert data.main(args) == 1
    err = capsys.readouterr().err
    assert "ds2/c.txt: not in the mirror" in err and "Traceback" not in err


def test_real_manifest_is_well_formed():
    manifest = data.load_manifest()
    assert manifest["version"] == 1
    files = manifest["files"]
    assert files and set(manifest["datasets"]) == {e["dataset"] for e in files}
    assert len({e["path"] for e in files}) == len(files)
    for e in files:
        assert all(e.get(k) not in (None, "") for k in data.FIELDS), e
        assert re.fullmatch(r"[0-9a-f]{64}", e["sha256"]), e["path"]
        assert isinstance(e["size"], int) and e["size"] > 0
        assert not os.path.isabs(e["path"]) and ".." not in e["path"].split("/")
        assert e["path"].split("/")[0] == e["dataset"]
        assert e["url"].startswith("https://")


@pytest.mark.skipif(not os.path.isdir(data.DEFAULT_MIRROR), reason="no data mirror here")
def test_real_manifest_matches_mirror_sizes():
    # Sizes only: hashing all ~37 MB here would slow the suite; setup checks sha256.
    for e in data.load_manifest()["files"]:
        full = os.path.join(data.DEFAULT_MIRROR, e["path"])
        assert os.path.isfile(full), full
        assert os.path.getsize(full) == e["size"], e["path"]
