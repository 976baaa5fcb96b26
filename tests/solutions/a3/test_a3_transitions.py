"""PartialParse and minibatch_parse of the a3 reference."""
import subprocess
import sys

import pytest


def state(pt, stack, buf, deps):
    pp = pt.PartialParse([])
    pp.stack, pp.buffer, pp.dependencies = list(stack), list(buf), list(deps)
    return pp


def test_new_parse_starts_at_root_and_copies_the_sentence(a3):
    sentence = ["parse", "this"]
    pp = a3.pt.PartialParse(sentence)
    assert pp.stack == ["ROOT"] and pp.buffer == ["parse", "this"] and pp.dependencies == []
    assert pp.sentence is sentence
    pp.parse_step("S")
    assert sentence == ["parse", "this"]


@pytest.mark.parametrize("transition, before, after", [
    ("S", (["ROOT", "the"], ["cat", "sat"], []), (["ROOT", "the", "cat"], ["sat"], [])),
    ("LA", (["ROOT", "the", "cat"], ["sat"], []), (["ROOT", "cat"], ["sat"], [("cat", "the")])),
    ("RA", (["ROOT", "run", "fast"], [], []), (["ROOT", "run"], [], [("run", "fast")])),
])
def test_parse_step(a3, transition, before, after):
    pp = state(a3.pt, *before)
    pp.parse_step(transition)
    assert (pp.stack, pp.buffer, pp.dependencies) == after


def test_unknown_transition_is_an_error(a3):
    with pytest.raises(ValueError, match="unknown transition"):
        state(a3.pt, ["ROOT", "a"], ["b"], []).parse_step("SHIFT")


def test_parse_whole_sentence(a3):
    deps = a3.pt.PartialParse(["parse", "this", "sentence"]).parse(["S", "S", "S", "LA", "RA", "RA"])
    assert deps == [("sentence", "this"), ("parse", "sentence"), ("ROOT", "parse")]


class Recorder:
    """The course's dummy model, recording what it is asked."""

    def __init__(self):
        self.calls = []

    def predict(self, partial_parses):
        self.calls.append([len(pp.buffer) + len(pp.stack) for pp in partial_parses])
        for pp in partial_parses:
            assert pp.buffer or len(pp.stack) > 1, "a finished parse was sent to the model"
        return [("RA" if pp.stack[1] == "right" else "LA") if not pp.buffer else "S"
                for pp in partial_parses]


def test_minibatch_parse_course_sentences(a3):
    sentences = [["right", "arcs", "only"], ["right", "arcs", "only", "again"],
                 ["left", "arcs", "only"], ["left", "arcs", "only", "again"], []]
    model = Recorder()
    deps = a3.pt.minibatch_parse(sentences, model, 2)
    assert [sorted(d) for d in deps] == [
        [("ROOT", "right"), ("arcs", "only"), ("right", "arcs")],
        [("ROOT", "right"), ("arcs", "only"), ("only", "again"), ("right", "arcs")],
        [("only", "ROOT"), ("only", "arcs"), ("only", "left")],
        [("again", "ROOT"), ("again", "arcs"), ("again", "left"), ("again", "only")],
        [],
    ]
    assert all(1 <= len(c) <= 2 for c in model.calls)
    # 2 * n transitions per sentence, each asked for exactly once
    assert sum(len(c) for c in model.calls) == 2 * (3 + 4 + 3 + 4)


def test_minibatch_parse_batch_larger_than_input(a3):
    deps = a3.pt.minibatch_parse([["right", "x"]], Recorder(), 100)
    assert deps == [[("right", "x"), ("ROOT", "right")]]


def test_self_checks_run(a3):
    proc = subprocess.run([sys.executable, "parser_transitions.py"], cwd=a3.dir,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "All checks passed." in proc.stdout
