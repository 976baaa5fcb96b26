"""Starter stubs named as unwritten (checks/stubs.py): from the submitted source, for
messages only."""
import os
import shutil

import pytest

from autograder import config as configmod
from autograder.checks import stubs
from autograder.sandbox.errors import StudentException
from support import grade

EXERCISES = {
    "a1": {"distinct_words", "compute_co_occurrence_matrix", "reduce_to_k_dim", "plot_embeddings"},
    "a2": {"softmax", "entropy", "crossEntropy", "subsampleKeepProbability", "negativeSamplingDistribution",
           "sgd", "sigmoid", "naiveSoftmaxLossAndGradient", "negSamplingLossAndGradient", "skipgram"},
    "a3": {"ParserModel.__init__", "ParserModel.embedding_lookup", "ParserModel.forward", "PartialParse.__init__",
           "PartialParse.parse_step", "minibatch_parse", "train", "train_for_epoch"},
}


def texts(folder, assignment):
    return {f: stubs.read_limited(os.path.join(folder, f)) for f in assignment.student_files
            if f.endswith((".py", ".ipynb"))}


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_each_template_is_all_stubs_and_each_reference_none(name):
    a = configmod.load(name)
    starter = stubs.starter_texts(a)
    template = stubs.Stubs.analyse(texts(a.template_dir, a), starter)
    assert {s.name for s in template.stubs} == EXERCISES[name]
    assert all(s.raises for s in template.stubs)
    assert stubs.Stubs.analyse(texts(a.reference_dir, a), starter).stubs == []
    # what the worker reports for each (qualified or bare name, its file in the traceback)
    # becomes the stub message
    for stub in template.stubs:
        for reported in {stub.name, stub.bare}:
            exc = StudentException("a call", "NotImplementedError", "", f'File "{stub.file}", line 1, in {stub.bare}',
                                   reported)
            assert template.explain(exc).startswith(f"{stub.name} is still the starter stub: write your code"), \
                (stub.name, reported)
    # the Gradescope image has no student_template/: the reference, stubbed, is the same starter
    derived = {f: stubs._stubbed(f, t) for f, t in texts(a.reference_dir, a).items()}
    assert {s.name for s in stubs.Stubs.analyse(texts(a.template_dir, a), derived).stubs} == EXERCISES[name]


STARTER = '''
def distinct_words(corpus):
    """Docstring."""
    corpus_words = []
    num_corpus_words = -1
    # YOUR CODE HERE
    raise NotImplementedError
    return corpus_words, num_corpus_words

def co_occurrence(corpus):
    words, n = distinct_words(corpus)
    M = None
    # YOUR CODE HERE
    raise NotImplementedError
    return M

def provided(x):
    return None
'''

EMPTIED = STARTER.replace("    raise NotImplementedError\n", "")
# written, and keeping the starter's placeholder names: not a stub
WRITTEN = EMPTIED.replace("    num_corpus_words = -1\n", "    corpus_words = sorted({w for d in corpus for w in d})\n"
                          "    num_corpus_words = len(corpus_words)\n")
ONE_LINER = WRITTEN.replace('''    """Docstring."""''', '''    """Docstring."""
    return sorted({w for d in corpus for w in d}), len({w for d in corpus for w in d})''')


def analyse(source, starter=STARTER):
    return stubs.Stubs.analyse({"m.py": source}, {"m.py": starter} if starter else None)


def test_a_body_left_as_the_starter_is_a_stub_with_or_without_its_raise():
    assert {(s.name, s.raises) for s in analyse(STARTER).stubs} == {("distinct_words", True), ("co_occurrence", True)}
    assert {(s.name, s.raises) for s in analyse(EMPTIED).stubs} == {("distinct_words", False),
                                                                     ("co_occurrence", False)}
    # provided code is no exercise, even when it returns a constant
    assert "provided" not in {s.name for s in analyse(EMPTIED).stubs}


def test_written_functions_are_never_called_stubs():
    assert [s.name for s in analyse(WRITTEN).stubs] == ["co_occurrence"]
    assert [s.name for s in analyse(ONE_LINER).stubs] == ["co_occurrence"]
    # placeholders filled by later statements, or returned after a loop: written
    filled = EMPTIED.replace("    M = None\n", "    M = None\n    M = [[0] * n for _ in range(n)]\n")
    assert "co_occurrence" not in {s.name for s in analyse(filled, starter=None).stubs}
    appended = "def f(corpus):\n    out = []\n    out.append(corpus[0])\n    return out\n"
    assert analyse(appended, starter=None).stubs == []


COURSE_2021_STARTER = '''
def distinct_words(corpus):
    corpus_words = []
    n_corpus_words = -1
    # ------------------
    # Write your implementation here.

    # ------------------
    return corpus_words, n_corpus_words

def compute_co_occurrence_matrix(corpus, window_size=4):
    words, n_words = distinct_words(corpus)
    M = None
    word2ind = {}
    # Write your implementation here.
    return M, word2ind

class PartialParse(object):
    def __init__(self, sentence):
        self.sentence = sentence
        ### YOUR CODE HERE (3 Lines)
        ### END YOUR CODE

    def parse_step(self, transition):
        """Performs a single parse step."""
        ### YOUR CODE HERE (~7-12 Lines)
        ### END YOUR CODE
'''


def test_the_course_own_starter_computes_nothing_and_is_a_stub():
    found = {s.name for s in analyse(COURSE_2021_STARTER, starter=None).stubs}
    assert found == {"distinct_words", "compute_co_occurrence_matrix", "PartialParse.__init__",
                     "PartialParse.parse_step"}


def test_messages_name_the_stub_a_test_ran_into():
    found = analyse(EMPTIED)
    text = found.explain(AssertionError("distinct_words([['a', 'b']]): corpus_words is [], wanted ['a', 'b']"))
    assert text.startswith("distinct_words is still the starter stub: nothing is written where it says "
                           "YOUR CODE HERE")
    assert "What the test saw: distinct_words([['a', 'b']]): corpus_words is []" in text
    # a written function that uses a stub: the stub is named, the original message kept
    found = stubs.Stubs([stubs.Stub("distinct_words", "m.py", False)],
                        {"distinct_words": set(), "co_occurrence": {"distinct_words", "M"}})
    text = found.explain(AssertionError("co_occurrence(['a']) raised TypeError: cannot unpack NoneType"))
    assert text.startswith("distinct_words is still the starter stub (nothing written where it says YOUR CODE "
                           "HERE), and this test of co_occurrence needs it: write it first.")
    assert text.endswith("co_occurrence(['a']) raised TypeError: cannot unpack NoneType")
    # a stub named in passing (an argument) is the one needed, not what the caller's default uses
    found = stubs.Stubs([stubs.Stub("skipgram", "m.py", False), stubs.Stub("naive", "m.py", False)],
                        {"skipgram": set(), "naive": set(), "wrapper": {"naive"}})
    text = found.explain(AssertionError("wrapper(skipgram, ...): the loss is 0, expected 37.2"))
    assert text.startswith("skipgram is still the starter stub (nothing written where it says YOUR CODE HERE), "
                           "and this test of wrapper needs it")
    # a failure that names no stub keeps its message
    assert found.explain(AssertionError("sigmoid(0) returned 0.4, expected 0.5")) is None


def nie(function, traceback=""):
    return StudentException("f(1)", "NotImplementedError", "", traceback, function)


def test_a_not_implemented_error_names_the_stub_only_when_its_source_still_raises():
    text = analyse(STARTER).explain(nie("distinct_words"))
    assert text.startswith("distinct_words is still the starter stub: write your code where it says YOUR CODE "
                           "HERE, in place of `raise NotImplementedError`.")
    assert "distinct_words() is not implemented yet (it raises NotImplementedError)" in text
    # the source no longer raises (the running code is not the submitted one), or the
    # student wrote code and left a raise in it: the worker's words stand
    assert analyse(EMPTIED).explain(nie("distinct_words")) is None
    assert analyse(WRITTEN).explain(nie("distinct_words")) is None


def test_methods_of_several_classes_are_told_apart_by_the_traceback():
    two = stubs.Stubs([stubs.Stub("ParserModel.__init__", "parser_model.py", True),
                       stubs.Stub("PartialParse.__init__", "parser_transitions.py", True)],
                      {"ParserModel.__init__": set(), "PartialParse.__init__": set()})
    text = two.explain(nie("__init__", 'File "parser_transitions.py", line 24, in __init__'))
    assert text.startswith("PartialParse.__init__ is still the starter stub")
    text = two.explain(nie("ParserModel.__init__"))
    assert text.startswith("ParserModel.__init__ is still the starter stub")


def test_a_graded_template_with_its_raises_removed_names_every_stub(tmp_path):
    """End to end (a2 public tests, about a second): each failure names its function as
    the starter stub, and the score is the template's (0)."""
    a2 = configmod.load("a2")
    sub = tmp_path / "emptied"
    shutil.copytree(a2.template_dir, sub)
    for f in a2.student_files:
        path = sub / f
        path.write_text(path.read_text().replace("    raise NotImplementedError\n", ""))
    res = grade(str(sub), assignment="a2", hidden=True, results_path=tmp_path / "results.json")
    assert res["score"] == 0
    named = {"1.4": "skipgram is", "4.9": "negSamplingLossAndGradient and skipgram are"}
    for t in res["tests"]:
        assert "still the starter stub" in t["output"] and "nothing" in t["output"], t
        assert t["output"].startswith(named.get(t["number"], "")), t


def test_source_nested_too_deep_to_judge_costs_nothing():
    """An expression that parses but is too deep to compare: that function is no stub, the
    others are judged; one too deep to parse: that file has no stubs, no error."""
    deep = "def f(x):\n    return " + "+".join(["x"] * 1000) + "\n" + EMPTIED
    assert {s.name for s in analyse(deep, starter=STARTER).stubs} == {"distinct_words", "co_occurrence"}
    deeper = "def f(x):\n    return " + "+".join(["x"] * 5000) + "\n" + EMPTIED
    assert analyse(deeper, starter=STARTER).stubs == []


def test_a_submission_built_to_be_expensive_to_analyse_only_loses_its_stub_messages():
    """Thousands of defs, or megabytes of code, are no submission a person wrote: the
    grader's process does not parse them (a 3 MB cell of 200,000 defs took 49 s per
    failing test and 700 MB here), and nothing is named a stub."""
    import time

    many = EMPTIED + "".join(f"def f{i}(x):\n    return x\n" for i in range(stubs.FUNCTION_LIMIT))
    started = time.process_time()
    assert analyse(many).stubs == []
    huge = EMPTIED + "x = 1\n" * (stubs.CODE_LIMIT // 6 + 1)
    assert analyse(huge).stubs == []
    assert time.process_time() - started < 5  # CPU, not wall time: load cannot reach it
    # under the caps the same stubs are found
    assert {s.name for s in analyse(EMPTIED + "def g(x):\n    return x\n").stubs} == {"distinct_words", "co_occurrence"}


def test_the_message_keeps_what_the_test_saw_in_full():
    long = "distinct_words([['a', 'b']]): corpus_words is [], wanted " + repr([f"w{i}" for i in range(200)])
    text = analyse(EMPTIED).explain(AssertionError(long))
    assert text.endswith("What the test saw: " + long)
