"""word2vec text and binary files: round trips, format detection, gensim's layout."""
import struct

import numpy as np
import pytest

from autograder.vectors import io

WORDS = ["the", "naïve", "東京", "x"]


def vectors(n=4, d=5, seed=0):
    return np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)


@pytest.mark.parametrize("binary", [True, False])
def test_round_trip_is_exact_and_the_format_is_detected(tmp_path, binary):
    path = tmp_path / "v.w2v"
    vecs = vectors()
    io.write_word2vec(path, WORDS, vecs, binary=binary)
    assert io.is_binary(path) is binary
    for flag in (binary, None):
        words, got = io.read_word2vec(path, binary=flag)
        assert words == WORDS
        assert got.dtype == np.float32 and np.array_equal(got, vecs)  # float32 text repr round-trips


def test_binary_layout_is_the_c_tools(tmp_path):
    path = tmp_path / "v.bin"
    vecs = vectors(2, 3)
    io.write_word2vec(path, ["ab", "c"], vecs)
    expected = (b"2 3\n" + b"ab " + struct.pack("<3f", *vecs[0]) + b"\n"
                + b"c " + struct.pack("<3f", *vecs[1]) + b"\n")
    assert path.read_bytes() == expected


def test_text_layout(tmp_path):
    path = tmp_path / "v.txt"
    io.write_word2vec(path, ["a", "b"], np.array([[0.5, -1.0], [2.0, 0.25]]), binary=False)
    assert path.read_text() == "2 2\na 0.5 -1.0\nb 2.0 0.25\n"


def test_reads_gensim_binary_without_newlines_and_a_limit(tmp_path):
    # gensim's save_word2vec_format(binary=True) writes "word " + float32 bytes, no newline.
    vecs = vectors(3, 4, seed=1)
    vecs[1, 0] = struct.unpack("<f", b"\n\n\n\n")[0]  # vector bytes that look like whitespace
    blob = b"3 4\n" + b"".join(w.encode() + b" " + v.astype("<f4").tobytes() for w, v in zip(["a", "bé", "c"], vecs))
    path = tmp_path / "gensim.bin"
    path.write_bytes(blob)
    words, got = io.read_word2vec(path)
    assert words == ["a", "bé", "c"] and np.array_equal(got, vecs)
    words, got = io.read_word2vec(path, limit=2)
    assert words == ["a", "bé"] and np.array_equal(got, vecs[:2])


def test_reads_handwritten_text_with_crlf_and_many_vectors(tmp_path):
    path = tmp_path / "v.txt"
    path.write_bytes(b"2 3\r\nhello 1 2 3\r\nworld -1e-3 0 4.5\r\n")
    words, got = io.read_word2vec(path)
    assert words == ["hello", "world"]
    assert np.allclose(got, [[1, 2, 3], [-1e-3, 0, 4.5]])


def test_binary_reader_crosses_its_buffer_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(io, "_BLOCK", 7)  # force many refills mid-word and mid-vector
    vecs = vectors(50, 6, seed=2)
    words = [f"w{i}" * (i % 4 + 1) for i in range(50)]
    path = tmp_path / "v.bin"
    io.write_word2vec(path, words, vecs)
    got_words, got = io.read_word2vec(path)
    assert got_words == words and np.array_equal(got, vecs)


def test_bad_files_raise(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("hello world\n")
    with pytest.raises(ValueError, match="header"):
        io.read_word2vec(bad)
    short = tmp_path / "short.bin"
    io.write_word2vec(short, ["a", "b"], vectors(2, 3))
    short.write_bytes(short.read_bytes()[:-8])
    with pytest.raises(ValueError, match="ends after 1"):
        io.read_word2vec(short, binary=True)
    with pytest.raises(ValueError, match="whitespace"):
        io.write_word2vec(tmp_path / "x.bin", ["new york"], vectors(1, 3))
