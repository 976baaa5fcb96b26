#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""
A stand-in for a CS224N Winter 2021 a3 submission's parser_transitions.py, written for
nlpgrade's tests (not copied from the course). It keeps the 2021 starter's layout: the
names, signatures and self-tests of the starter, run as
`python parser_transitions.py part_c` (parse_step and parse) or `part_d` (minibatch_parse).
"""

import sys


class PartialParse(object):
    def __init__(self, sentence):
        """A partial parse of `sentence` (a list of words, left as it is)."""
        # kept for bookkeeping: the parser maps a parse back to its sentence by it
        self.sentence = sentence

        # top of the stack = last item; next word of the buffer = first item
        self.stack = ['ROOT']
        self.buffer = sentence[:]
        self.dependencies = []

    def parse_step(self, transition):
        """Apply "S" (shift), "LA" (left-arc) or "RA" (right-arc); assumed legal."""
        if transition == "S":
            word = self.buffer[0]
            self.buffer = self.buffer[1:]
            self.stack.append(word)
        elif transition == "LA":
            head, dependent = self.stack[-1], self.stack[-2]
            self.dependencies.append((head, dependent))
            del self.stack[-2]
        elif transition == "RA":
            head, dependent = self.stack[-2], self.stack[-1]
            self.dependencies.append((head, dependent))
            self.stack.pop()

    def parse(self, transitions):
        """Apply the transitions in order; returns the dependencies made."""
        for transition in transitions:
            self.parse_step(transition)
        return self.dependencies


def minibatch_parse(sentences, model, batch_size):
    """Parse `sentences` a minibatch at a time with model.predict; one dependency list per
    sentence, in the order of `sentences`."""
    dependencies = []

    partial_parses = [PartialParse(s) for s in sentences]
    unfinished_parses = partial_parses[:]  # shallow copy: same PartialParse objects

    while len(unfinished_parses) > 0:
        minibatch = unfinished_parses[:batch_size]
        transitions = model.predict(minibatch)
        for pp, t in zip(minibatch, transitions):
            pp.parse_step(t)
            if len(pp.buffer) == 0 and len(pp.stack) == 1:
                unfinished_parses.remove(pp)

    for pp in partial_parses:
        dependencies.append(pp.dependencies)

    return dependencies


def test_step(name, transition, stack, buf, deps,
              ex_stack, ex_buf, ex_deps):
    """One parse step from a hand-made state must give the expected state."""
    pp = PartialParse([])
    pp.stack, pp.buffer, pp.dependencies = stack, buf, deps

    pp.parse_step(transition)
    got_stack, got_buf, got_deps = tuple(pp.stack), tuple(pp.buffer), tuple(sorted(pp.dependencies))
    assert got_stack == ex_stack, "{} gave stack {}, wanted {}".format(name, got_stack, ex_stack)
    assert got_buf == ex_buf, "{} gave buffer {}, wanted {}".format(name, got_buf, ex_buf)
    assert got_deps == ex_deps, "{} gave dependencies {}, wanted {}".format(name, got_deps, ex_deps)
    print("{} test passed!".format(name))


def test_parse_step():
    """A shift, a left-arc and a right-arc (not exhaustive)."""
    test_step("SHIFT", "S", ["ROOT", "the"], ["cat", "sat"], [],
              ("ROOT", "the", "cat"), ("sat",), ())
    test_step("LEFT-ARC", "LA", ["ROOT", "the", "cat"], ["sat"], [],
              ("ROOT", "cat"), ("sat",), (("cat", "the"),))
    test_step("RIGHT-ARC", "RA", ["ROOT", "run", "fast"], [], [],
              ("ROOT", "run"), (), (("run", "fast"),))


def test_parse():
    """A three-word sentence parsed in full; the sentence itself must stay the same."""
    sentence = ["parse", "this", "sentence"]
    dependencies = tuple(sorted(PartialParse(sentence).parse(["S", "S", "S", "LA", "RA", "RA"])))
    expected = (('ROOT', 'parse'), ('parse', 'sentence'), ('sentence', 'this'))
    assert dependencies == expected, \
        "parse gave dependencies {}, wanted {}".format(dependencies, expected)
    assert tuple(sentence) == ("parse", "this", "sentence"), \
        "parse changed the input sentence"
    print("parse test passed!")


class DummyModel(object):
    """Stands in for the parser's model to test minibatch_parse."""

    def __init__(self, mode="unidirectional"):
        self.mode = mode

    def predict(self, partial_parses):
        if self.mode == "unidirectional":
            return self.unidirectional_predict(partial_parses)
        elif self.mode == "interleave":
            return self.interleave_predict(partial_parses)
        raise NotImplementedError(self.mode)

    def unidirectional_predict(self, partial_parses):
        """Shift all the words, then only right-arcs when the first word is "right", else
        only left-arcs. (The 2021 starter compares with `is`, which warns on Python 3.8+;
        kept, as every 2021 submission has it.)"""
        return [("RA" if pp.stack[1] is "right" else "LA") if len(pp.buffer) == 0 else "S"
                for pp in partial_parses]

    def interleave_predict(self, partial_parses):
        """Shift all the words, then right- and left-arcs by turns."""
        return [("RA" if len(pp.stack) % 2 == 0 else "LA") if len(pp.buffer) == 0 else "S"
                for pp in partial_parses]


def test_dependencies(name, deps, ex_deps):
    """The dependencies, in any order, must be the expected ones."""
    deps = tuple(sorted(deps))
    assert deps == ex_deps, "{} gave dependencies {}, wanted {}".format(name, deps, ex_deps)


def test_minibatch_parse():
    """Two dummy models, batches smaller than the input, a one-word sentence."""
    sentences = [["right", "arcs", "only"],
                 ["right", "arcs", "only", "again"],
                 ["left", "arcs", "only"],
                 ["left", "arcs", "only", "again"]]
    deps = minibatch_parse(sentences, DummyModel(), 2)
    test_dependencies("minibatch_parse", deps[0],
                      (('ROOT', 'right'), ('arcs', 'only'), ('right', 'arcs')))
    test_dependencies("minibatch_parse", deps[1],
                      (('ROOT', 'right'), ('arcs', 'only'), ('only', 'again'), ('right', 'arcs')))
    test_dependencies("minibatch_parse", deps[2],
                      (('only', 'ROOT'), ('only', 'arcs'), ('only', 'left')))
    test_dependencies("minibatch_parse", deps[3],
                      (('again', 'ROOT'), ('again', 'arcs'), ('again', 'left'), ('again', 'only')))

    deps = minibatch_parse([["right"]], DummyModel(), 2)
    test_dependencies("minibatch_parse", deps[0], (('ROOT', 'right'),))

    deps = minibatch_parse([["a", "b", "c", "d"]], DummyModel(mode="interleave"), 1)
    test_dependencies("minibatch_parse", deps[0],
                      (('ROOT', 'b'), ('b', 'a'), ('b', 'd'), ('d', 'c')))
    print("minibatch_parse test passed!")


if __name__ == '__main__':
    args = sys.argv
    if len(args) != 2:
        raise Exception("Name the part to check: 'part_c' or 'part_d'")
    elif args[1] == "part_c":
        test_parse_step()
        test_parse()
    elif args[1] == "part_d":
        test_minibatch_parse()
    else:
        raise Exception("Name the part to check: 'part_c' or 'part_d'")
