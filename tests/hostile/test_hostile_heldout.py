"""a3 2.12 (held-out UAS) from a table of gold heads: the held-out sentences are the
public UD English EWT test split, so a student can ship its gold heads (keyed by each
sentence's words) and patch the worker's request handler to answer with them whenever a
request carries held-out sentences, with no model at all (model.weights is junk).

Before round 2 of issue 10 this scored 2.12 10/10 and a leaderboard UAS of 100 on the
template: the heads were computed in the student's process. Now the student's process
only reads model.weights and sends its tensors back; the reference's parser predicts the
heads in the reference's sandbox. The held-out sentences never reach the student's
process, so the table has nothing to answer. The table is built here, at test time,
from the test split (nothing big is committed).
"""
import hashlib
import importlib.util
import os

import pytest
from hostile_support import assert_no_gain, strict_results
from support import grade, output_of
from test_hostile_forged_probes import forged_template

from autograder import config as configmod
from autograder import data as datamod

A3 = configmod.load("a3")
MARK = "LOOKUP-ANSWERED-WITH-GOLD"
READY = "GOLD-TABLE-INSTALLED"
HELDOUT = "ud-english-ewt/en_ewt-ud-test.conllu"  # public: UD_English-EWT on GitHub

LOOKUP = r'''
import sys as _s

_GOLD = %r  # sha1(words)[:12] -> gold heads, the public EWT test split


def _gold_install():
    w = _s.modules.get("_nlpgrade_worker")
    if w is None or getattr(w.Worker, "_g", False):
        return
    import hashlib

    def sentences_in(value, depth=0):
        """Any list of {'word': [...]} dicts anywhere in a request's arguments."""
        if depth > 4:
            return None
        if isinstance(value, dict):
            value = list(value.values())
        if isinstance(value, (list, tuple)):
            if value and all(isinstance(s, dict) and "word" in s for s in value):
                return value
            for item in value:
                found = sentences_in(item, depth + 1)
                if found is not None:
                    return found
        return None

    orig = w.Worker.handle

    def handle(self, req):
        sentences = sentences_in([req.get("args"), req.get("kwargs")])
        if sentences is not None:
            heads = []
            for s in sentences:
                k = hashlib.sha1("\x00".join(s["word"]).encode()).hexdigest()[:12]
                heads.append(_GOLD.get(k) or list(range(len(s["word"]))))
            print("%s")
            return {"ok": True, "value": heads, "output": "%s\n"}
        return orig(self, req)

    w.Worker.handle = handle
    w.Worker._g = True
    print("%s: %%d sentences" %% len(_GOLD))


_gold_install()
'''


def gold_table():
    """{sha1 of the words: gold heads} of every held-out sentence, read as the grader reads it."""
    path = os.path.join(A3.reference_dir, "utils", "conll.py")
    spec = importlib.util.spec_from_file_location("_hostile_conll", path)
    conll = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conll)
    sentences = conll.read_conll(datamod.path(HELDOUT))
    return {hashlib.sha1("\x00".join(s["word"]).encode()).hexdigest()[:12]: s["head"] for s in sentences}


@pytest.fixture(scope="module")
def template_graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("honest-a3")
    return grade(A3.template_dir, assignment="a3", results_path=folder / "results.json")


def test_a_table_of_public_gold_heads_gains_nothing(tmp_path, template_graded):
    table = gold_table()
    assert len(table) > 1900  # the attack is real: every distinct held-out sentence is in it
    sub = forged_template("a3", tmp_path / "lookup", prelude=LOOKUP % (table, MARK, MARK, READY))
    (tmp_path / "lookup" / "model.weights").write_bytes(b"not a model")
    res = grade(sub, assignment="a3", results_path=tmp_path / "results.json")
    strict_results(tmp_path / "results.json")
    assert_no_gain(res, template_graded)
    scores = {t["number"]: t["score"] for t in res["tests"]}
    assert scores["2.12"] == 0
    assert all(b.get("value") != 100.0 for b in res.get("leaderboard", []))
    assert "could not be read with torch.load" in output_of(res, "2.12")
    # the attack was installed, and the held-out sentences never reached it
    assert any(f"{READY}: {len(table)} sentences" in t["output"] for t in res["tests"]), "the attack did not run"
    assert not [t["number"] for t in res["tests"] if MARK in t["output"]]
