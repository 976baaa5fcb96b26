"""2021's `transition is "S"`: strings reach student code as the literals they equal.

The course's own checks and parse loop passed string literals, which Python interns, so
comparing transitions with `is` worked there (with a SyntaxWarning) and correct 2021 code
does it. Our strings cross the sandbox boundary decoded from the codec; the worker
interns every string it decodes (sandbox/codec.py, `intern=True`), and the transitions
the provided code makes (utils.parser_utils.TRANSITIONS, the probes' scripted models)
are literals too. A parser_transitions.py written in that style keeps every point the
reference gets on the tests of parser_transitions.
"""
import sys
import warnings

from autograder import config as configmod
from support import grade, lost, make_submission, output_of, pin_seed

A3 = configmod.load("a3")
# the tests of PartialParse, parse_step and minibatch_parse (public 1.1-1.3, hidden
# 2.1-2.4), and 2.11, whose dev-set evaluation parses through them
PARSER_TESTS = {"1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "2.11"}

PARSE_STEP_IS = '''
    def parse_step(self, transition):
        if transition is "S":
            self.stack.append(self.buffer.pop(0))
        elif transition is "LA":
            self.dependencies.append((self.stack[-1], self.stack[-2]))
            self.stack.pop(-2)
        elif transition is "RA":
            self.dependencies.append((self.stack[-2], self.stack[-1]))
            self.stack.pop()
'''


def test_is_style_parse_step_fails_on_strings_that_are_not_the_literals():
    """The variant really depends on interning: with equal strings that are other objects
    (as decoded strings were) it leaves the parse unchanged; so the grading below can fail."""
    namespace = {}
    source = "class PartialParse:\n    def __init__(self, s):\n        self.stack, self.buffer, " \
             "self.dependencies = ['ROOT'], list(s), []\n" + PARSE_STEP_IS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # `is` with a literal, the point here
        exec(compile(source, "<variant>", "exec"), namespace)
    fresh, interned = "".join(["L", "A"]), sys.intern("".join(["L", "A"]))
    assert fresh is not interned
    pp = namespace["PartialParse"](["a", "b"])
    for t in ("S", "S", fresh):
        pp.parse_step(t)
    assert pp.dependencies == []  # "LA" not recognised
    pp.parse_step(interned)
    assert pp.dependencies == [("b", "a")]


def test_is_style_submission_keeps_every_parser_point(tmp_path, monkeypatch):
    assert PARSER_TESTS <= set(A3.points)
    seed = pin_seed(monkeypatch)
    # no model.weights: the tests of parser_transitions do not read it (2.12 does)
    sub = make_submission(tmp_path / "sub", assignment="a3", drop=("model.weights",),
                          patches={"parser_transitions.py": {"PartialParse.parse_step": PARSE_STEP_IS}})
    res = grade(sub, assignment="a3", results_path=tmp_path / "results.json")
    short = lost(res) & PARSER_TESTS
    assert not short, {n: output_of(res, n)[:600] for n in sorted(short)} | {"NLPGRADE_SEED": seed}
    assert PARSER_TESTS <= {t["number"] for t in res["tests"]}
