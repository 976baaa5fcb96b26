"""Stubs and cheap fakes of the a2 functions earn nothing: a gradient check (or any
property check) of a function counts only when the function's own values match the
reference's on the same inputs.

Each fake is the student template with some functions filled in the cheapest way that
could pass a check without solving the task; each must score exactly what the template
scores (nothing), and say why in words.
"""
import pytest

from autograder import config as configmod
from hostile_support import assert_no_gain, strict_results
from support import grade, make_submission, output_of

A2 = configmod.load("a2")
W2V = "word2vec.py"
GRADIENT_CHECKS = ("4.4", "4.6", "4.9")

ZEROS = {
    "naiveSoftmaxLossAndGradient": '''
def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    return 0.0, np.zeros_like(centerWordVec), np.zeros_like(outsideVectors)
''',
    "negSamplingLossAndGradient": '''
def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    return 0.0, np.zeros_like(centerWordVec), np.zeros_like(outsideVectors)
''',
    "skipgram": '''
def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind,
             centerWordVectors, outsideVectors, dataset,
             word2vecLossAndGradient=naiveSoftmaxLossAndGradient):
    return 0.0, np.zeros(centerWordVectors.shape), np.zeros(outsideVectors.shape)
''',
}

# the reference's shapes, random numbers: passes any check that looks only at structure
RANDOM = {
    "naiveSoftmaxLossAndGradient": '''
def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    rng = np.random.default_rng()
    return float(rng.random()), rng.standard_normal(centerWordVec.shape), rng.standard_normal(outsideVectors.shape)
''',
    "negSamplingLossAndGradient": '''
def negSamplingLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset, K=10):
    rng = np.random.default_rng()
    return float(rng.random()), rng.standard_normal(centerWordVec.shape), rng.standard_normal(outsideVectors.shape)
''',
    "skipgram": '''
def skipgram(currentCenterWord, windowSize, outsideWords, word2Ind,
             centerWordVectors, outsideVectors, dataset,
             word2vecLossAndGradient=naiveSoftmaxLossAndGradient):
    rng = np.random.default_rng()
    return float(rng.random()), rng.standard_normal(centerWordVectors.shape), rng.standard_normal(outsideVectors.shape)
''',
}

# the easy half done right (the loss), the gradient left at zero, and the losses a
# gradient check asks for kept flat so that zero looks like the right gradient: the
# function tells the check's calls (many points in one probe) from a single call
# by looking at who called it
FLAT_FOR_THE_CHECK = {
    "naiveSoftmaxLossAndGradient": '''
def naiveSoftmaxLossAndGradient(centerWordVec, outsideWordIdx, outsideVectors, dataset):
    import sys
    if sys._getframe(1).f_code.co_name != "loss_pair":
        return 0.0, np.zeros_like(centerWordVec), np.zeros_like(outsideVectors)
    s = outsideVectors @ centerWordVec
    s = s - s.max()
    loss = np.log(np.exp(s).sum()) - s[outsideWordIdx]
    return loss, np.zeros_like(centerWordVec), np.zeros_like(outsideVectors)
''',
}

FAKES = {"zeros": ZEROS, "random_of_the_right_shape": RANDOM, "flat_for_the_check": FLAT_FOR_THE_CHECK}


@pytest.fixture(scope="module")
def template_results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("template")
    return grade(A2.template_dir, results_path=str(folder / "results.json"))


@pytest.mark.parametrize("name", sorted(FAKES))
def test_fakes_gain_nothing_over_the_template(name, template_results, tmp_path):
    sub = make_submission(tmp_path / "sub", base=A2.template_dir, patches={W2V: FAKES[name]})
    res = grade(sub, results_path=str(tmp_path / "results.json"))
    assert_no_gain(res, template_results)
    assert res["score"] == template_results["score"] == 0
    strict_results(tmp_path / "results.json")
    for number in GRADIENT_CHECKS:
        if name == "flat_for_the_check" and number != "4.4":
            continue  # only naiveSoftmaxLossAndGradient is faked there
        text = output_of(res, number)
        assert "reference" in text and "gradient check" in text, (number, text)
        assert not text.startswith("The grader could not check"), text
