"""`nlpgrade vectors`: training writes the standard file and its sidecar; evaluate scores a file."""
import gzip
import json

import numpy as np
import pytest

from autograder.vectors import KeyedVectors, cli, default_vectors_path, find_vectors


def tiny_data_dir(root, paragraphs=400, seed=0):
    """A data folder holding only a small corpus at the standard corpus path."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(60)]
    path = root / "wiki-en-10M" / "wiki-en-2015-10M.txt.gz"
    path.parent.mkdir(parents=True)
    with gzip.open(path, "wt") as f:
        for _ in range(paragraphs):
            f.write(" ".join(words[min(int(rng.zipf(1.3)), 59)] for _ in range(20)) + "\n")
    return root


def test_train_writes_the_standard_file_and_sidecar(tmp_path, capsys):
    data_dir = tiny_data_dir(tmp_path)
    assert find_vectors(str(data_dir), dim=8) is None
    rc = cli.main(["train", "--data-dir", str(data_dir), "--dim", "8", "--epochs", "1", "--min-count", "2",
                   "--max-vocab", "20", "--text", "--no-eval", "--quiet"])
    assert rc == 0
    path = default_vectors_path(str(data_dir), dim=8)
    assert path == str(data_dir / "vectors" / "wiki-sgns-8d.bin")
    assert find_vectors(str(data_dir), dim=8) == path
    kv = KeyedVectors.load_word2vec_format(path)
    assert len(kv) == 20 and kv.vector_size == 8 and kv.index_to_key[0] == "w1"
    text = KeyedVectors.load_word2vec_format(path[:-4] + ".txt")
    assert text.index_to_key == kv.index_to_key and np.array_equal(text.vectors, kv.vectors)
    meta = json.loads((data_dir / "vectors" / "wiki-sgns-8d.json").read_text())
    assert meta["settings"]["dim"] == 8 and meta["seed"] == 1 and meta["words"] == 20
    assert len(meta["corpus"]["sha256"]) == 64 and meta["corpus_tokens"] == 8000
    assert meta["train_seconds"] >= 0 and meta["words_per_second"] > 0
    assert "wrote" in capsys.readouterr().out


def test_evaluate_scores_any_word2vec_file(tmp_path, capsys):
    from autograder.vectors import evaluate

    try:
        pairs = evaluate.eval_file("wordsim353.tsv")
    except Exception:
        pytest.skip("evaluation sets not in the data folder; run `make setup`")
    words = sorted({w.lower() for line in open(pairs) if not line.startswith("#") for w in line.split("\t")[:2]})
    kv = KeyedVectors(words, np.random.default_rng(0).standard_normal((len(words), 10)))
    path = tmp_path / "v.bin"
    kv.save_word2vec_format(path)
    assert cli.main(["--evaluate", str(path), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    expected = kv.evaluate_word_pairs(pairs)[1][0]
    assert scores["wordsim353"]["spearman"] == pytest.approx(expected, abs=1e-4)
    assert scores["wordsim353"]["oov_percent"] == 0
    assert cli.main(["evaluate", str(path)]) == 0
    assert "WordSim-353" in capsys.readouterr().out


def test_usage_errors(tmp_path, capsys):
    assert cli.main([]) == 2
    assert cli.main(["evaluate", str(tmp_path / "missing.bin")]) == 1
    assert cli.main(["train", "--data-dir", str(tmp_path), "--quiet"]) == 1  # no corpus: no download
    assert "missing" in capsys.readouterr().err
