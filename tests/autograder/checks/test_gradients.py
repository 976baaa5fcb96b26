import numpy as np
import pytest

from autograder.checks import gradients


def quadratic(x):
    return float(np.sum(x ** 3))


def test_numerical_gradient_of_a_cubic():
    x = np.array([[0.5, -1.0], [2.0, 0.1]])
    losses = [quadratic(p) for p in gradients.perturbed_points(x)]
    num = gradients.numerical_gradient(losses, x)
    np.testing.assert_allclose(num, 3 * x ** 2, rtol=1e-6)
    gradients.check_gradient(num, 3 * x ** 2, "f(x)")


def test_wrong_gradient_fails_at_the_right_index():
    x = np.array([0.5, -1.0, 2.0])
    num = gradients.numerical_gradient([quadratic(p) for p in gradients.perturbed_points(x)], x)
    wrong = 3 * x ** 2
    wrong[2] *= -1
    with pytest.raises(AssertionError, match=r"at index \(2,\).*-12.*12"):
        gradients.check_gradient(num, wrong, "f(x)")


def test_relative_error_uses_max_of_one():
    assert gradients.relative_error(1e-7, 0.0) == pytest.approx(1e-7)
    assert gradients.relative_error(200.0, 202.0) == pytest.approx(2 / 202)
