import numpy as np
import pytest

from autograder.checks.arrays import call_text, check_close, check_number, check_results

CALL = call_text("sigmoid", np.array([1.0, 2.0]))


def test_call_text_names_function_and_inputs():
    assert CALL == "sigmoid([1., 2.])"
    assert call_text("f", np.zeros((100, 3)), K=3) == "f(array of shape (100, 3), dtype float64, K=3)"


def test_passes_within_tolerance():
    check_close([0.5, 1.0 + 1e-9], [0.5, 1.0], CALL)
    check_close(np.array([2.0]), 2.0, CALL)


def test_first_mismatching_index_is_named():
    with pytest.raises(AssertionError) as info:
        check_close(np.array([[1.0, 2.0], [3.0, 5.0]]), [[1.0, 2.0], [3.0, 4.0]], CALL)
    text = str(info.value)
    assert text.startswith("sigmoid([1., 2.]): the result is")
    assert "first mismatch at index (1, 1): got 5, expected 4 (1 of 4 values differ)" in text


def test_shape_none_nan_and_non_numbers_speak():
    with pytest.raises(AssertionError, match=r"has shape \(2, 1\), expected shape \(2,\)"):
        check_close(np.zeros((2, 1)), [0.0, 0.0], CALL)
    with pytest.raises(AssertionError, match="is None; did you forget to return"):
        check_close(None, [0.0], CALL)
    with pytest.raises(AssertionError, match="contains nan at index 1"):
        check_close([0.0, float("nan")], [0.0, 1.0], CALL)
    with pytest.raises(AssertionError, match="not an array of numbers"):
        check_close("abc", [0.0], CALL)


def test_results_tuple_item_by_item():
    with pytest.raises(AssertionError, match="returned 2 values, expected 3 values \\(loss, gc, go\\)"):
        check_results((1.0, 2.0), (1.0, 2.0, 3.0), CALL, ("loss", "gc", "go"))
    with pytest.raises(AssertionError, match="gc is"):
        check_results((1.0, [2.0], [3.0]), (1.0, [2.5], [3.0]), CALL, ("loss", "gc", "go"))


def test_check_number():
    assert check_number(np.array([[2.5]]), CALL) == 2.5
    with pytest.raises(AssertionError, match="inf"):
        check_number(float("inf"), CALL)
