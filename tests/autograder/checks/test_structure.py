"""structure.check / check_matches: an empty, truncated or padded reply never passes, and
the message names where in the structure it differs."""
import numpy as np
import pytest
import torch

from autograder.checks.structure import check, check_matches

CALL = "PartialParse(['a', 'b']) then parse_step of ['S', 'S', 'LA']"
STATES = {"states": [[["ROOT"], ["a", "b"], []], [["ROOT", "a"], ["b"], []],
                     [["ROOT", "a", "b"], [], []], [["ROOT", "b"], [], [["b", "a"]]]],
          "sentence_after": ["a", "b"]}


def fails(fn, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_the_same_structure_passes_and_lists_and_tuples_are_one_kind():
    check(STATES, STATES, CALL)
    check_matches(STATES, STATES, CALL)
    check((1.0, [2, 3]), [0.5, (7, 8)], CALL)          # values are not compared by check


def test_empty_truncated_and_padded_lists_fail_with_where_and_what():
    empty = {**STATES, "states": []}
    text = fails(check, empty, STATES, CALL)
    assert text.startswith(CALL + ": ")
    assert "the result['states'] has 0 items, wanted 4 (it is empty; the first item should be" in text

    short = {**STATES, "states": STATES["states"][:2]}
    text = fails(check, short, STATES, CALL)
    assert "has 2 items, wanted 4 (2 missing at the end; the first missing one, the result['states'][2]" in text

    long = {**STATES, "states": STATES["states"] + [STATES["states"][-1]]}
    assert "1 extra; the first extra one is the result['states'][4]" in fails(check, long, STATES, CALL)

    inner = {**STATES, "states": [s[:2] for s in STATES["states"]]}
    assert "the result['states'][0] has 2 items, wanted 3" in fails(check, inner, STATES, CALL)


def test_keys_types_and_none():
    assert "lacks the key 'sentence_after'" in fails(check, {"states": STATES["states"]}, STATES, CALL)
    assert "has the unexpected key 'extra'" in fails(check, {**STATES, "extra": 1}, STATES, CALL)
    assert "wanted a dict with the keys" in fails(check, [1, 2], STATES, CALL)
    deps = {**STATES, "states": STATES["states"][:3] + [[["ROOT", "b"], [], [[1, 0]]]]}
    text = fails(check, deps, STATES, CALL)
    assert "the result['states'][3][2][0] is [1, 0] (list), wanted a list" not in text
    assert "the result['states'][3][2][0][0] is 1 (int), wanted a str such as 'b'" in text
    assert "is None; did you forget to return it?" in fails(check, None, np.zeros(3), CALL)
    assert "wanted None" in fails(check, 0, None, CALL)
    assert "wanted True or False" in fails(check, 1, True, CALL)


def test_arrays_shapes_and_kinds_of_numbers():
    want = np.zeros((4, 3))
    check(torch.zeros(4, 3), want, CALL)                      # tensors are arrays
    check([[0, 0, 0]] * 4, want, CALL)                        # integers for floats
    check(np.float32(1.5), 2.0, CALL)                         # numpy scalars are numbers
    check(np.array([2.0]), 2.0, CALL)                         # one number in an array
    assert "has shape (3, 4), expected shape (4, 3)" in fails(check, np.zeros((3, 4)), want, CALL)
    assert "has shape (0,), expected shape (4, 3)" in fails(check, np.zeros(0), want, CALL)
    assert "holds float64 values, wanted integers" in fails(check, [1.0, 2.0], [1, 2], CALL)
    assert "holds bool values, wanted numbers" in fails(check, np.ones(2, bool), np.ones(2), CALL)
    assert "wanted numbers such as" in fails(check, "0.5", 0.5, CALL)
    assert "wanted numbers such as" in fails(check, [[1.0], [2.0, 3.0]], np.zeros((2, 2)), CALL)


def test_named_tuples_say_which_value():
    names = ("loss", "gradCenterVec", "gradOutsideVecs")
    want = (1.0, np.zeros(3), np.zeros((5, 3)))
    assert "returned 2 values, expected 3 values (loss, gradCenterVec, gradOutsideVecs)" in \
        fails(check, (1.0, np.zeros(3)), want, CALL, names=names)
    assert "gradOutsideVecs has shape (3, 5), expected shape (5, 3)" in \
        fails(check, (1.0, np.zeros(3), np.zeros((3, 5))), want, CALL, names=names)


def test_check_matches_compares_every_value():
    want = {"x": np.array([1.0, 2.0]), "calls": 7, "names": ["a", "b"], "ok": True}
    check_matches({"x": [1.0, 2.0 + 1e-9], "calls": 7, "names": ["a", "b"], "ok": True}, want, CALL)
    assert "the result['x'] is" in fails(check_matches, {**want, "x": np.array([1.0, 3.0])}, want, CALL)
    assert "the result['calls'] is 8, expected 7" in fails(check_matches, {**want, "calls": 8}, want, CALL)
    assert "the result['names'][1] is 'c', expected 'b'" in \
        fails(check_matches, {**want, "names": ["a", "c"]}, want, CALL)
    assert "the result['ok'] is False, expected True" in fails(check_matches, {**want, "ok": False}, want, CALL)
    # integers compare exactly, never within a relative tolerance
    big = np.array([100000, 5])
    assert "first mismatch at index 0: got 100001, expected 100000" in \
        fails(check_matches, np.array([100001, 5]), big, CALL)
    # NaN never matches
    assert "contains nan" in fails(check_matches, [float("nan")], [1.0], CALL)


def test_the_cheapest_fakes_fail():
    """What a forged reply sends without computing anything: nothing, the right type with
    nothing in it, or the inputs back."""
    for fake in (None, {}, {"states": [], "sentence_after": ["a", "b"]}, {"states": [[]] * 4, "sentence_after": []}):
        with pytest.raises(AssertionError):
            check(fake, STATES, CALL)
