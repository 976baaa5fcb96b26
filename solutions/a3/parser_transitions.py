#!/usr/bin/env python
"""Transitions of the arc-standard dependency parser, and batched parsing.

Run `python parser_transitions.py` for the small self-checks (or name them:
`python parser_transitions.py parse_step minibatch_parse`).
"""
import sys


class PartialParse(object):
    def __init__(self, sentence):
        """A parse in progress of `sentence` (a list of words).

        Fields:
            stack: the stack, top at the end; it starts as ['ROOT'].
            buffer: the words not parsed yet, next word first; a copy of the sentence.
            dependencies: the arcs built so far, (head, dependent) tuples in the order
                they were made.
        """
        # Kept as given: the parser finds a parse's sentence by it. Do not alter it.
        self.sentence = sentence

        ### BEGIN SOLUTION
        self.stack = ["ROOT"]
        self.buffer = list(sentence)  # a copy: the caller's list stays as it is
        self.dependencies = []
        ### END SOLUTION

    def parse_step(self, transition):
        """Apply one transition: "S" (shift), "LA" (left-arc) or "RA" (right-arc).

        S moves the first buffer word onto the stack. LA makes the second stack item a
        dependent of the top one and removes it from the stack; RA makes the top item a
        dependent of the second one and removes it. Legality is the caller's concern.
        """
        ### BEGIN SOLUTION
        if transition == "S":
            self.stack.append(self.buffer.pop(0))
        elif transition == "LA":
            dependent = self.stack.pop(-2)
            self.dependencies.append((self.stack[-1], dependent))
        elif transition == "RA":
            dependent = self.stack.pop()
            self.dependencies.append((self.stack[-1], dependent))
        else:
            raise ValueError("unknown transition %r (expected 'S', 'LA' or 'RA')" % (transition,))
        ### END SOLUTION

    def parse(self, transitions):
        """Apply a sequence of transitions; returns the dependencies."""
        for transition in transitions:
            self.parse_step(transition)
        return self.dependencies


def minibatch_parse(sentences, model, batch_size):
    """Parse many sentences, asking the model for transitions a minibatch at a time.

    sentences: a list of sentences (lists of words).
    model: has predict(partial_parses) -> one transition per partial parse.
    batch_size: how many parses the model sees at once.

    Returns one list of (head, dependent) tuples per sentence, in the order of
    `sentences`. A parse is done when its buffer is empty and its stack holds ROOT only;
    it then leaves the batch, and the next waiting parse takes its place.
    """
    dependencies = []

    ### BEGIN SOLUTION
    partial_parses = [PartialParse(sentence) for sentence in sentences]

    def done(pp):
        return not pp.buffer and len(pp.stack) == 1

    # a new list of the same objects, so dropping finished parses leaves partial_parses whole
    unfinished = [pp for pp in partial_parses if not done(pp)]
    while unfinished:
        batch = unfinished[:batch_size]
        transitions = model.predict(batch)
        for pp, transition in zip(batch, transitions):
            pp.parse_step(transition)
        unfinished = [pp for pp in batch if not done(pp)] + unfinished[len(batch):]
    dependencies = [pp.dependencies for pp in partial_parses]
    ### END SOLUTION

    return dependencies


# ---------------------------------------------------------------------------------------
# Self-checks (python parser_transitions.py). Passing them does not prove correctness.

def _check_step(name, transition, stack, buf, deps, want_stack, want_buf, want_deps):
    pp = PartialParse([])
    pp.stack, pp.buffer, pp.dependencies = stack, buf, deps
    pp.parse_step(transition)
    got = (tuple(pp.stack), tuple(pp.buffer), tuple(sorted(pp.dependencies)))
    want = (tuple(want_stack), tuple(want_buf), tuple(sorted(want_deps)))
    assert got == want, "%s: got stack, buffer, dependencies %r, expected %r" % (name, got, want)
    print("%s passed" % name)


def test_parse_step():
    """One shift, one left-arc and one right-arc on hand-made states."""
    _check_step("SHIFT", "S", ["ROOT", "the"], ["cat", "sat"], [],
                ["ROOT", "the", "cat"], ["sat"], [])
    _check_step("LEFT-ARC", "LA", ["ROOT", "the", "cat"], ["sat"], [],
                ["ROOT", "cat"], ["sat"], [("cat", "the")])
    _check_step("RIGHT-ARC", "RA", ["ROOT", "run", "fast"], [], [],
                ["ROOT", "run"], [], [("run", "fast")])


def test_parse():
    """A whole sentence; the caller's list must come back unchanged."""
    sentence = ["parse", "this", "sentence"]
    deps = PartialParse(sentence).parse(["S", "S", "S", "LA", "RA", "RA"])
    want = (("ROOT", "parse"), ("parse", "sentence"), ("sentence", "this"))
    assert tuple(sorted(deps)) == want, "parse: got %r, expected %r" % (tuple(sorted(deps)), want)
    assert sentence == ["parse", "this", "sentence"], "parse: the input sentence was modified"
    print("parse passed")


class DummyModel(object):
    """Predicts transitions from the words alone, for testing minibatch_parse.

    "unidirectional": shift everything, then right-arcs if the first word is "right",
    else left-arcs. "interleave": shift everything, then alternate by stack size.
    """

    def __init__(self, mode="unidirectional"):
        self.mode = mode

    def predict(self, partial_parses):
        if self.mode == "unidirectional":
            return [("RA" if pp.stack[1] == "right" else "LA") if not pp.buffer else "S"
                    for pp in partial_parses]
        return [("RA" if len(pp.stack) % 2 == 0 else "LA") if not pp.buffer else "S"
                for pp in partial_parses]


def _check_deps(name, got, want):
    got = tuple(sorted(got))
    assert got == tuple(sorted(want)), "%s: got %r, expected %r" % (name, got, tuple(sorted(want)))


def test_minibatch_parse():
    """Four sentences that finish at different times, batch size 2."""
    sentences = [["right", "arcs", "only"], ["right", "arcs", "only", "again"],
                 ["left", "arcs", "only"], ["left", "arcs", "only", "again"]]
    deps = minibatch_parse(sentences, DummyModel(), 2)
    _check_deps("minibatch_parse", deps[0],
                [("ROOT", "right"), ("arcs", "only"), ("right", "arcs")])
    _check_deps("minibatch_parse", deps[1],
                [("ROOT", "right"), ("arcs", "only"), ("only", "again"), ("right", "arcs")])
    _check_deps("minibatch_parse", deps[2],
                [("only", "ROOT"), ("only", "arcs"), ("only", "left")])
    _check_deps("minibatch_parse", deps[3],
                [("again", "ROOT"), ("again", "arcs"), ("again", "left"), ("again", "only")])

    sentences = [["a", "b", "c", "d"], ["e"]]
    deps = minibatch_parse(sentences, DummyModel("interleave"), 1)
    _check_deps("minibatch_parse (interleave)", deps[0],
                [("ROOT", "b"), ("b", "a"), ("b", "d"), ("d", "c")])
    _check_deps("minibatch_parse (interleave)", deps[1], [("ROOT", "e")])
    print("minibatch_parse passed")


CHECKS = {"parse_step": test_parse_step, "parse": test_parse,
          "minibatch_parse": test_minibatch_parse}

if __name__ == "__main__":
    names = sys.argv[1:] or list(CHECKS)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise SystemExit("unknown check(s) %s; choose from %s" % (", ".join(unknown), ", ".join(CHECKS)))
    for n in names:
        CHECKS[n]()
    print("All checks passed.")
