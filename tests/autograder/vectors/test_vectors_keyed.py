"""KeyedVectors: gensim's query semantics on small vectors whose answers are known."""
import numpy as np
import pytest
from scipy import stats

from autograder.vectors import KeyedVectors

# Axes: royal, male, female, fruit, vehicle.
TOY = {
    "king": [1, 1, 0, 0, 0],
    "queen": [1, 0, 1, 0, 0],
    "man": [0, 1, 0, 0, 0.05],
    "woman": [0, 0, 1, 0, 0.05],
    "apple": [0, 0, 0, 1, 0.1],
    "orange": [0, 0, 0, 1, -0.1],
    "car": [0, 0.1, 0, 0, 1],
}


def toy():
    return KeyedVectors(list(TOY), np.array(list(TOY.values()), dtype=np.float32))


def cos(u, v):
    return float(np.dot(u, v) / np.linalg.norm(u) / np.linalg.norm(v))


def test_lookup_api():
    kv = toy()
    assert len(kv) == 7 and kv.vector_size == 5
    assert "queen" in kv and "prince" not in kv
    assert kv.index_to_key[kv.key_to_index["apple"]] == "apple"
    assert np.array_equal(kv["car"], np.array(TOY["car"], dtype=np.float32))
    assert kv[["king", "man"]].shape == (2, 5)
    assert kv.vectors.dtype == np.float32
    with pytest.raises(KeyError):
        kv["prince"]
    normed = kv.get_normed_vectors()
    assert np.allclose(np.linalg.norm(normed, axis=1), 1.0)


def test_most_similar_is_3cosadd_and_leaves_out_the_query_words():
    kv = toy()
    best = kv.most_similar(positive=["woman", "king"], negative=["man"], topn=3)
    assert best[0][0] == "queen"
    assert not {"woman", "king", "man"} & {w for w, _ in best}
    n = kv.get_normed_vectors()
    query = n[kv.key_to_index["woman"]] + n[kv.key_to_index["king"]] - n[kv.key_to_index["man"]]
    assert best[0][1] == pytest.approx(cos(query, TOY["queen"]), abs=1e-6)
    # A single string is a single positive word; results are sorted by cosine.
    sims = kv.most_similar("apple")
    assert [w for w, _ in sims][0] == "orange" and len(sims) == 6
    assert [s for _, s in sims] == sorted((s for _, s in sims), reverse=True)
    assert sims[0][1] == pytest.approx(cos(TOY["apple"], TOY["orange"]), abs=1e-6)
    # restrict_vocab: only the first n keys are candidates.
    assert {w for w, _ in kv.most_similar("apple", restrict_vocab=4)} == {"king", "queen", "man", "woman"}


def test_similarity_distance_doesnt_match_and_similar_by_vector():
    kv = toy()
    assert kv.similarity("king", "queen") == pytest.approx(0.5)
    assert kv.similarity("man", "car") == pytest.approx(cos(TOY["man"], TOY["car"]), abs=1e-6)
    assert kv.distance("king", "queen") == pytest.approx(0.5)
    assert kv.doesnt_match(["apple", "orange", "car"]) == "car"
    assert kv.doesnt_match(["king", "queen", "apple", "unknownword"]) == "apple"
    hits = kv.similar_by_vector(np.array([0, 0, 0, 1, 0.09]), topn=2)
    assert [w for w, _ in hits] == ["apple", "orange"]  # a vector is not excluded like a word


def write(path, text):
    path.write_text(text)
    return str(path)


def test_analogies_follow_gensim_protocol(tmp_path):
    kv = toy()
    qs = write(tmp_path / "q.txt", ": royals\n"
               "man king woman queen\n"          # woman + king - man = queen
               "MAN KING WOMAN QUEEN\n"          # case-insensitive
               "man woman king queen\n"
               "king queen man apple\n"          # wrong: the answer is woman
               "man king woman prince\n"         # unknown word: skipped
               ": vehicles\n"
               "apple orange car man\n"          # 'car' is outside restrict_vocab=6: skipped
               )
    acc, sections = kv.evaluate_word_analogies(qs, restrict_vocab=6)
    assert [s["section"] for s in sections] == ["royals", "vehicles", "Total accuracy"]
    assert sections[0]["correct"] == [("MAN", "KING", "WOMAN", "QUEEN")] * 2 + [("MAN", "WOMAN", "KING", "QUEEN")]
    assert sections[0]["incorrect"] == [("KING", "QUEEN", "MAN", "APPLE")]
    assert sections[1]["correct"] == sections[1]["incorrect"] == []
    assert len(sections[2]["correct"]) == 3 and len(sections[2]["incorrect"]) == 1
    assert acc == 0.75
    # Case-sensitive: the upper-case line is out of the vocabulary.
    acc, sections = kv.evaluate_word_analogies(qs, restrict_vocab=6, case_insensitive=False)
    assert acc == pytest.approx(2 / 3) and len(sections[-1]["correct"]) == 2


def test_analogy_skips_another_casing_of_a_question_word(tmp_path):
    # b - a + c points at "C" (another casing of c), then at d.
    words = ["a", "b", "c", "C", "d"]
    vecs = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [-1, 1, 1.01], [-1, 1, 0.5]], dtype=np.float32)
    kv = KeyedVectors(words, vecs)
    qs = write(tmp_path / "q.txt", ": s\na b c d\n")
    assert kv.most_similar(positive=["b", "c"], negative=["a"], topn=1)[0][0] == "C"
    assert kv.evaluate_word_analogies(qs)[0] == 1.0
    assert kv.evaluate_word_analogies(qs, case_insensitive=False)[0] == 0.0


def reference_analogies(kv, path, restrict_vocab):
    """The protocol spelled out one question at a time (case-sensitive, unique keys)."""
    ok = set(kv.index_to_key[:restrict_vocab])
    right = total = 0
    for line in open(path):
        q = line.split()
        if line.startswith(":") or not all(w in ok for w in q):
            continue
        best = kv.most_similar(positive=[q[1], q[2]], negative=[q[0]], topn=1, restrict_vocab=restrict_vocab)
        right += best[0][0] == q[3]
        total += 1
    return right / total


def random_model_and_questions(tmp_path, n_pairs=200, dim=8, n_questions=3000, seed=3):
    """Words w0..w(n-1) random, v0..v(n-1) = w + one offset + noise; questions mix planted
    analogies (wi vi wj vj), random ones and ones with unknown words."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((n_pairs, dim))
    shifted = base + rng.standard_normal(dim) + 0.3 * rng.standard_normal((n_pairs, dim))
    words = [f"w{i}" for i in range(n_pairs)] + [f"v{i}" for i in range(n_pairs)]
    kv = KeyedVectors(words, np.vstack([base, shifted]).astype(np.float32))
    lines = [": one"]
    for k in range(n_questions):
        if k == n_questions // 2:
            lines.append(": two")
        i, j = rng.integers(0, n_pairs, 2)
        kind = k % 3
        if kind == 0:
            lines.append(f"w{i} v{i} w{j} v{j}")
        elif kind == 1:
            lines.append(" ".join(words[m] for m in rng.integers(0, 2 * n_pairs, 4)))
        else:
            lines.append(f"w{i} v{i} w{j} unknown")
    return kv, write(tmp_path / "q.txt", "\n".join(lines) + "\n")


def test_batched_analogies_equal_the_one_by_one_protocol(tmp_path):
    kv, qs = random_model_and_questions(tmp_path)
    for restrict in (400, 300):
        acc, sections = kv.evaluate_word_analogies(qs, restrict_vocab=restrict, case_insensitive=False)
        assert 0.1 < acc < 0.9  # planted questions are mostly right, random ones mostly wrong
        assert acc == pytest.approx(reference_analogies(kv, qs, restrict))
        assert len(sections) == 3


def test_word_pairs_equal_a_direct_scipy_computation(tmp_path):
    kv = toy()
    pairs = write(tmp_path / "pairs.tsv", "# header\n# Word 1\tWord 2\tScore\n"
                  "king\tqueen\t8.5\nMan\tWoman\t7\napple\torange\t9.1\ncar\tapple\t1.5\n"
                  "king\tprince\t9\nqueen\tcar\t0.5\nbad line\n")
    pearson, spearman, oov = kv.evaluate_word_pairs(pairs)
    gold = [8.5, 7, 9.1, 1.5, 0.5]
    model = [cos(TOY[a], TOY[b]) for a, b in [("king", "queen"), ("man", "woman"), ("apple", "orange"),
                                             ("car", "apple"), ("queen", "car")]]
    assert spearman[0] == pytest.approx(stats.spearmanr(gold, model)[0])
    assert spearman[1] == pytest.approx(stats.spearmanr(gold, model)[1])
    assert pearson[0] == pytest.approx(stats.pearsonr(gold, model)[0], abs=1e-6)
    assert oov == pytest.approx(100 / 6)
    _, spearman, oov = kv.evaluate_word_pairs(pairs, case_insensitive=False)
    assert oov == pytest.approx(200 / 6)


def test_agrees_with_gensim_where_installed(tmp_path):
    gensim_models = pytest.importorskip("gensim.models")
    kv, qs = random_model_and_questions(tmp_path, n_questions=600)
    path = tmp_path / "v.bin"
    kv.save_word2vec_format(path)
    g = gensim_models.KeyedVectors.load_word2vec_format(str(path), binary=True)
    assert np.array_equal(g.vectors, kv.vectors)
    ours, gs = kv.evaluate_word_analogies(qs, restrict_vocab=300)
    theirs, ts = g.evaluate_word_analogies(qs, restrict_vocab=300)
    assert ours == theirs
    assert [s["correct"] for s in gs] == [s["correct"] for s in ts]
    assert [w for w, _ in kv.most_similar(["w1", "w2"], ["w3"])] == [w for w, _ in g.most_similar(["w1", "w2"], ["w3"])]
    assert kv.doesnt_match(["w1", "w2", "w3", "w4"]) == g.doesnt_match(["w1", "w2", "w3", "w4"])
