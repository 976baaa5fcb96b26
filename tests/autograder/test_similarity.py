"""`nlpgrade similarity`: pairs of submissions that share code, by copydetect.

The exports are built from the reference, a disguised copy of it (local names renamed,
comments dropped, indentation and blank lines changed), solutions written here in other
styles, and the bare student template. Nothing is graded: the command only reads.
"""
import ast
import builtins
import io
import json
import os
import random
import re
import tokenize

import pytest
from support import make_submission

from autograder import similarity
from autograder import config as configmod

A1 = configmod.load("a1")
A2 = configmod.load("a2")

# copydetect's own flag level (its report's default display threshold). A disguised
# copy of the reference scores 0.98 here, and the independent solutions 0.07 to 0.16
# (they share idioms such as `return loss, gradCenterVec, gradOutsideVecs` after a
# starter docstring): the bar sits far from both, so the tests do not hang on the
# exact figures.
FLAGGED = similarity.DISPLAY_T


# ----- building submissions --------------------------------------------------------
def _bound_locals(source):
    """Names assigned inside functions (their locals), the ones a copier renames; not
    a builtin the code shadows (sgd's `iter`): the starter's code stays the starter's."""
    names = set()
    for fn in ast.walk(ast.parse(source)):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names |= {n.id for n in ast.walk(fn)
                      if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return names - set(dir(builtins))


def disguise(source, seed=0):
    """`source` as a copier hides it: every local renamed (consistently, so it still
    runs), comments dropped, blank lines moved, indentation halved."""
    rng = random.Random(seed)
    new = {name: "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
           + f"_{i}" for i, name in enumerate(sorted(_bound_locals(source)))}
    lines = source.splitlines(keepends=True)
    edits, prev = [], None
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            edits.append((tok.start, tok.end, ""))
        elif tok.type == tokenize.NAME and tok.string in new and not (prev and prev.string == "."):
            edits.append((tok.start, tok.end, new[tok.string]))
        prev = tok
    for (row, start), (_, end), text in reversed(edits):
        lines[row - 1] = lines[row - 1][:start] + text + lines[row - 1][end:]
    out = []
    for line in lines:
        if line.strip():
            body = line.lstrip(" ")
            out.append(" " * ((len(line) - len(body)) // 2) + body.rstrip() + "\n")
            if body.startswith("return"):
                out.append("\n")
    return "".join(out)


def disguise_notebook(text, seed=0):
    nb = json.loads(text)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            try:
                cell["source"] = disguise(source, seed)
            except SyntaxError:  # a cell with IPython magics: left as it is
                pass
            cell["outputs"] = []
    return json.dumps(nb)


# Every a2 function written again, in another style (loops, other decompositions).
OWN_A2 = {
    "information.py": {
        "softmax": '''
def softmax(x):
    arr = np.array(x, dtype=np.float64)
    if arr.ndim == 1:
        ex = np.exp(arr - arr.max())
        return ex / ex.sum()
    out = np.empty_like(arr)
    for r in range(arr.shape[0]):
        ex = np.exp(arr[r] - arr[r].max())
        out[r] = ex / ex.sum()
    return out
''',
        "entropy": '''
def entropy(p, base=2):
    rows = np.atleast_2d(np.array(p, dtype=np.float64))
    totals = []
    for row in rows:
        acc = 0.0
        for value in row:
            if value > 0:
                acc -= value * np.log(value) / np.log(base)
        totals.append(acc)
    return totals[0] if np.ndim(p) == 1 else np.array(totals)
''',
        "crossEntropy": '''
def crossEntropy(p, q, base=2, eps=1e-12):
    ps = np.atleast_2d(np.array(p, dtype=np.float64))
    qs = np.atleast_2d(np.array(q, dtype=np.float64))
    totals = []
    for prow, qrow in zip(ps, qs):
        acc = 0.0
        for pv, qv in zip(prow, qrow):
            if pv > 0:
                acc -= pv * np.log(max(qv, eps)) / np.log(base)
        totals.append(acc)
    return totals[0] if np.ndim(p) == 1 else np.array(totals)
''',
    },
    "sampling.py": {
        "subsampleKeepProbability": '''
def subsampleKeepProbability(wordFraction, threshold=1e-3):
    def keep(z):
        if z <= 0:
            return 1.0
        return min(1.0, (np.sqrt(z / threshold) + 1) * threshold / z)
    if np.ndim(wordFraction) == 0:
        return keep(float(wordFraction))
    flat = [keep(float(z)) for z in np.ravel(wordFraction)]
    return np.array(flat).reshape(np.shape(wordFraction))
''',
        "negativeSamplingDistribution": '''
def negativeSamplingDistribution(counts, power=0.75):
    powered = np.power(np.array(counts, dtype=np.float64), power)
    return powered * (1.0 / powered.sum())
''',
    },
    "word2vec.py": {
        "sigmoid": '''
def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))
''',
        "naiveSoftmaxLossAndGradient": '''
def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    logits = np.dot(outsideVectors, centerWordVec)
    top = logits.max()
    probs = np.exp(logits - top)
    norm = probs.sum()
    probs /= norm
    loss = np.log(norm) + top - logits[outsideWordIdx]
    err = probs.copy()
    err[outsideWordIdx] = err[outsideWordIdx] - 1
    gradCenterVec = np.dot(err, outsideVectors)
    gradOutsideVecs = err[:, None] * centerWordVec[None, :]
    return loss, gradCenterVec, gradOutsideVecs
''',
        "negSamplingLossAndGradient": '''
def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    negSampleWordIndices = getNegativeSamples(outsideWordIdx, dataset, K)
    indices = [outsideWordIdx] + negSampleWordIndices
    gradCenterVec = np.zeros(centerWordVec.shape)
    gradOutsideVecs = np.zeros(outsideVectors.shape)
    loss = 0.0
    for position, idx in enumerate(indices):
        sign = 1.0 if position == 0 else -1.0
        s = sigmoid(sign * np.dot(outsideVectors[idx], centerWordVec))
        loss -= np.log(s)
        coeff = sign * (s - 1.0)
        gradCenterVec += coeff * outsideVectors[idx]
        gradOutsideVecs[idx] += coeff * centerWordVec
    return loss, gradCenterVec, gradOutsideVecs
''',
        "skipgram": '''
def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind,
             centerWordVectors, outsideVectors, dataset,
             word2vecLossAndGradient=naiveSoftmaxLossAndGradient):
    loss = 0.0
    gradCenterVecs = np.zeros(centerWordVectors.shape)
    gradOutsideVectors = np.zeros(outsideVectors.shape)
    row = word2Ind[currentCenterWord]
    for context in outsideWords:
        pieces = word2vecLossAndGradient(centerWordVectors[row], word2Ind[context],
                                         outsideVectors, dataset)
        loss = loss + pieces[0]
        gradCenterVecs[row, :] = gradCenterVecs[row, :] + pieces[1]
        gradOutsideVectors = gradOutsideVectors + pieces[2]
    return loss, gradCenterVecs, gradOutsideVectors
''',
    },
}

# A third hand: a student who wrote part of a2, vectorised differently again.
THIRD_A2 = {
    "information.py": {
        "softmax": '''
def softmax(x):
    z = np.asarray(x, dtype=float)
    z = z - z.max(axis=-1, keepdims=True)
    logsum = np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return np.exp(z - logsum)
''',
        "entropy": '''
def entropy(p, base=2):
    return crossEntropy(p, p, base=base)
''',
        "crossEntropy": '''
def crossEntropy(p, q, base=2, eps=1e-12):
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    terms = np.zeros(np.broadcast(p, q).shape)
    mask = p > 0
    terms[mask] = p[mask] * np.log2(np.clip(q, eps, None))[mask]
    value = -terms.sum(axis=-1) * np.log(2) / np.log(base)
    return value.item() if value.ndim == 0 else value
''',
    },
    "word2vec.py": {
        "sigmoid": '''
def sigmoid(x):
    return np.exp(-np.logaddexp(0, -np.asarray(x, dtype=float)))
''',
    },
}

# a1: two functions of the notebook written in another style.
OWN_A1 = {
    "exploring_word_vectors.ipynb": {
        "distinct_words": '''
def distinct_words(corpus):
    seen = set()
    for doc in corpus:
        seen.update(doc)
    corpus_words = sorted(seen)
    return corpus_words, len(corpus_words)
''',
        "compute_co_occurrence_matrix": '''
def compute_co_occurrence_matrix(corpus, window_size=4):
    words, num_words = distinct_words(corpus)
    word2ind = {w: k for k, w in enumerate(words)}
    M = np.zeros((num_words, num_words))
    for doc in corpus:
        n = len(doc)
        for offset in range(1, window_size + 1):
            for left, right in zip(doc[:n - offset], doc[offset:]):
                M[word2ind[left], word2ind[right]] += 1
                M[word2ind[right], word2ind[left]] += 1
    return M, word2ind
''',
    },
}


def filled_in(assignment, patches):
    """`patches` ({file: {function: source}}) as a student fills the stubs: the template's
    docstring of each function kept above the student's own body."""
    out = {}
    for rel, functions in patches.items():
        with open(os.path.join(assignment.template_dir, rel)) as f:
            text = f.read()
        sources = [text] if rel.endswith(".py") else \
            ["".join(c["source"]) for c in json.loads(text)["cells"] if c["cell_type"] == "code"]
        docs = {}
        for source in sources:
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            docs.update({n.name: ast.get_docstring(n, clean=False) for n in tree.body
                         if isinstance(n, ast.FunctionDef)})
        out[rel] = {}
        for name, source in functions.items():
            source = source.strip("\n") + "\n"
            body = ast.parse(source).body[0].body[0].lineno - 1
            lines = source.splitlines(keepends=True)
            doc = f'    """{docs[name]}"""\n' if docs.get(name) else ""
            out[rel][name] = "".join(lines[:body]) + doc + "".join(lines[body:])
    return out


METADATA = """\
submission_1:
  :submitters:
  - :name: Ada Original
submission_2:
  :submitters:
  - :name: "Bob \\e[31mCopier"
"""


def disguised_copy(src, dest, seed=0):
    os.makedirs(dest)
    for rel in os.listdir(src):
        with open(os.path.join(src, rel)) as f:
            text = f.read()
        with open(os.path.join(dest, rel), "w") as f:
            f.write(disguise_notebook(text, seed) if rel.endswith(".ipynb") else disguise(text, seed))


@pytest.fixture(scope="module")
def a2_export(tmp_path_factory):
    """submission_1: the reference; submission_2: its disguised copy; 3 and 4: written
    independently (every function; part of them); 5 and 6: the bare template."""
    export = tmp_path_factory.mktemp("a2") / "export"
    make_submission(export / "submission_1")
    disguised_copy(export / "submission_1", export / "submission_2", seed=3)
    make_submission(export / "submission_3", base=A2.template_dir, patches=filled_in(A2, OWN_A2))
    make_submission(export / "submission_4", base=A2.template_dir, patches=filled_in(A2, THIRD_A2))
    make_submission(export / "submission_5", base=A2.template_dir)
    make_submission(export / "submission_6", base=A2.template_dir)
    (export / "submission_metadata.yml").write_text(METADATA)
    return export


def run(capsys, *argv):
    status = similarity.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def ranked(out):
    """[(score, first, second)] of the listed pairs, in the printed order."""
    return [(float(m[1]) / 100, m[2], m[3]) for m in
            re.finditer(r"^\s*\d+\.\s+([\d.]+)%\s+(\S+).*?<->\s+(\S+)", out, re.M)]


def test_the_independent_solutions_are_correct():
    """The 'independent correct solutions' above really are: each function agrees with
    the reference (so the tests compare solutions, not broken code)."""
    import numpy as np
    namespaces = {}
    for name, source in [("ref", None), ("own", OWN_A2), ("third", THIRD_A2)]:
        ns = {"np": np}
        for rel in ("information.py", "sampling.py"):
            with open(os.path.join(A2.reference_dir, rel)) as f:
                exec(compile(f.read(), rel, "exec"), ns)
        for rel, functions in (source or {}).items():
            for fn_source in functions.values():
                exec(fn_source, ns)
        namespaces[name] = ns
    p, q = np.array([0.5, 0.25, 0.25, 0.0]), np.array([0.1, 0.2, 0.3, 0.4])
    for name in ("own", "third"):
        ns, ref = namespaces[name], namespaces["ref"]
        assert np.allclose(ns["softmax"]([[1.0, 2.0, 3.0], [1000.0, 1.0, 0.0]]),
                           ref["softmax"]([[1.0, 2.0, 3.0], [1000.0, 1.0, 0.0]]))
        assert np.isclose(ns["entropy"](p), ref["entropy"](p))
        assert np.isclose(ns["crossEntropy"](p, q, base=np.e), ref["crossEntropy"](p, q, base=np.e))
    own, ref = namespaces["own"], namespaces["ref"]
    z = np.array([1e-5, 0.0026, 0.00746, 0.1, 1.0])
    assert np.allclose(own["subsampleKeepProbability"](z), ref["subsampleKeepProbability"](z))
    assert np.allclose(own["negativeSamplingDistribution"]([5, 3, 1]),
                       ref["negativeSamplingDistribution"]([5, 3, 1]))

    # a1: the reference notebook's functions against those written here
    with open(os.path.join(A1.reference_dir, A1.student_files[0])) as f:
        cells = ["".join(c["source"]) for c in json.load(f)["cells"] if c["cell_type"] == "code"]
    ref, own = {"np": np}, {"np": np}
    for source in cells:
        if source.startswith(("def distinct_words", "def compute_co_occurrence_matrix")):
            exec(source, ref)
    for source in OWN_A1["exploring_word_vectors.ipynb"].values():
        exec(source, own)
    corpus = ["<START> all that glitters is not gold <END>".split(),
              "<START> all is well that ends well <END>".split()]
    for window in (1, 2, 4):
        (m_ref, ind_ref), (m_own, ind_own) = (ns["compute_co_occurrence_matrix"](corpus, window)
                                              for ns in (ref, own))
        assert ind_ref == ind_own and np.array_equal(m_ref, m_own)


def test_a_disguised_copy_ranks_first_and_independent_solutions_do_not(a2_export, tmp_path, capsys):
    report = tmp_path / "report.html"
    status, out, err = run(capsys, "a2", a2_export, "--out", report)
    assert status == 0, err
    pairs = ranked(out)
    assert pairs, out
    score, first, second = pairs[0]
    assert {first, second} == {"submission_1", "submission_2"}, out
    assert score > 0.9, out
    # independent solutions share a little (idioms such as `return loss, grad, grad`)
    # but stay well under copydetect's flag level, whoever is paired with whom
    independent = {"submission_1", "submission_3", "submission_4"}
    for score, first, second in pairs:
        if {first, second} <= independent or {first, second} == {"submission_2", "submission_3"}:
            assert score < FLAGGED, out
    # names from the metadata, with a terminal escape in one made harmless
    assert "Ada Original" in out and "\x1b" not in out and "\\x1b[31mCopier" in out
    # the shared fragments are shown, placed in the student's own files
    assert re.search(r"(word2vec|sampling|information|sgd)\.py, lines \d+-\d+:", out), out
    page = report.read_text()
    assert "Ada Original" in page and "submission_2" in page
    assert os.stat(report).st_mode & 0o077 == 0  # staff only: student code and names


def test_starter_code_shared_by_everyone_does_not_count(a2_export, capsys, tmp_path):
    status, out, err = run(capsys, "a2", a2_export, "--out", tmp_path / "r.html", "--min-tokens", 0)
    assert status == 0, err
    listed = [p for p in ranked(out) if {"submission_5", "submission_6"} & {p[1], p[2]}]
    # the bare template shares nothing beyond the starter with anyone, not even itself
    assert all(score < 0.05 for score, _, _ in listed), out
    assert not any({a, b} == {"submission_5", "submission_6"} for _, a, b in listed), out


def test_notebooks_are_compared_by_their_code_cells(tmp_path, capsys):
    """a1 is a notebook: a disguised copy of its code cells is found; two notebooks with
    different code but the same long markdown cell and outputs are not similar."""
    export = tmp_path / "export"
    make_submission(export / "orig", assignment="a1")
    disguised_copy(export / "orig", export / "copy", seed=5)
    make_submission(export / "own", assignment="a1", base=A1.template_dir,
                    patches=filled_in(A1, OWN_A1))
    make_submission(export / "bare", assignment="a1", base=A1.template_dir)
    prose = "Here is my long write-up of what co-occurrence matrices show. " * 80
    for sub in ("own", "bare"):
        path = export / sub / A1.student_files[0]
        nb = json.loads(path.read_text())
        nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": prose})
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": prose}]
        path.write_text(json.dumps(nb))
    status, out, err = run(capsys, "a1", export, "--out", tmp_path / "r.html", "--min-tokens", 0)
    assert status == 0, err
    pairs = ranked(out)
    assert {pairs[0][1], pairs[0][2]} == {"orig", "copy"} and pairs[0][0] > 0.9, out
    assert "exploring_word_vectors.ipynb, code cell" in out
    assert not any({a, b} == {"own", "bare"} and score >= 0.05 for score, a, b in pairs), out


def test_problems_are_messages_not_tracebacks(tmp_path, capsys):
    export = tmp_path / "export"
    export.mkdir()
    status, out, err = run(capsys, "a2", export, "--out", tmp_path / "r.html")
    assert status == 1 and "holds no submission folders" in err and "Traceback" not in err

    make_submission(export / "full")
    make_submission(export / "partial", drop=("word2vec.py", "sgd.py"))
    (export / "nothing").mkdir()
    (export / "nothing" / "README.txt").write_text("forgot to upload")
    status, out, err = run(capsys, "a2", export, "--out", tmp_path / "r.html")
    assert status == 0, err
    assert "partial: missing word2vec.py, sgd.py" in err
    assert "not compared (no readable code): nothing" in err
    assert "2 submissions compared" in out

    nb_export = tmp_path / "nb"
    make_submission(nb_export / "good", assignment="a1")
    make_submission(nb_export / "broken", assignment="a1", files={A1.student_files[0]: '{"cells": [ oops'})
    status, out, err = run(capsys, "a1", nb_export, "--out", tmp_path / "r.html")
    assert status == 1 and "not a readable Jupyter notebook" in err and "Traceback" not in err

    assert run(capsys, "a9", export)[0] == 2
    assert run(capsys, "a2", tmp_path / "absent")[0] == 2
    status, _, err = run(capsys, "a2", export, "--out", tmp_path / "no" / "such" / "r.html")
    assert status == 2 and "existing folder" in err
