"""Reading, counting and encoding the corpus."""
import gzip

import numpy as np

from autograder.vectors import corpus


def write_gz(path, lines):
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return str(path)


def test_paragraphs_read_gzip_and_skip_empty_lines(tmp_path):
    path = write_gz(tmp_path / "c.txt.gz", ["the cat sat", "", "  ", "The Dog"])
    assert list(corpus.paragraphs(path)) == [["the", "cat", "sat"], ["The", "Dog"]]
    assert list(corpus.paragraphs(path, lowercase=True))[1] == ["the", "dog"]
    assert list(corpus.paragraphs(path, max_lines=1)) == [["the", "cat", "sat"]]


def test_vocab_is_sorted_by_count_with_stable_ties_and_cut():
    paras = [["b", "a", "c", "a"], ["c", "d", "a", "b", "e"]]
    vocab = corpus.Vocab.build(paras, min_count=2)
    assert vocab.words == ["a", "b", "c"]  # a:3, then b and c (2 each) in first-seen order
    assert vocab.counts.tolist() == [3, 2, 2]
    assert corpus.Vocab.build(paras, min_count=1, max_size=4).words == ["a", "b", "c", "d"]


def test_encode_drops_unknown_words_and_keeps_paragraphs(tmp_path):
    path = write_gz(tmp_path / "c.gz", ["x a b x", "x x", "b a a"])
    c = corpus.load(path, min_count=3)
    assert c.vocab.words == ["x", "a"]  # b has count 2
    assert c.raw_tokens == 9
    assert c.ids.dtype == np.int32
    # Paragraph 2 ("x x") and 3 ("a a") survive; offsets index into ids.
    paras = [c.ids[c.offsets[p]:c.offsets[p + 1]].tolist() for p in range(c.n_paragraphs)]
    assert paras == [[0, 1, 0], [0, 0], [1, 1]]


def test_describe_hashes_the_file(tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes(b"abc")
    d = corpus.describe(str(path))
    assert d == {"path": "f.txt", "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}
