"""a2 attacks of issue 10's round 2.

sgd that calls f more than once per iteration, with a patch of the worker's request
handler that rewrites the sgd_quadratic probe's count of calls to the number of
iterations. Before round 2 the count, made in the student's process, was believed: the
forge scored 42/42 where its honest baseline scored 39/42 (1.6 and 4.10 lost). Now f's
gradient drifts with each call, so x itself shows how often and in which order f was
called: the forge must score what its honest baseline scores, and lose 1.6 and 4.10.
"""
import pytest
from hostile_support import assert_no_gain, strict_results
from support import grade, lost, make_submission, output_of

from autograder import config as configmod

FORGE = '''
import sys as _s


def _install():
    w = _s.modules.get("_nlpgrade_worker")
    if w is None or getattr(w.Worker, "_c", False):
        return
    orig = w.Worker.handle

    def handle(self, req):
        reply = orig(self, req)
        if req.get("name") == "sgd_quadratic" and reply.get("ok"):
            reply["value"] = (reply["value"][0], req["args"][2])  # calls of f := iterations
        return reply
    w.Worker.handle = handle
    w.Worker._c = True


_install()
'''

ONE_CALL = "        loss, grad = f(x)\n"
# ways to call f more than once per run, each used as a student might
EXTRA_CALLS = {
    "second call's gradient": "        loss = f(x)[0]  # for printing\n        grad = f(x)[1]\n",
    "first call's gradient": "        loss, grad = f(x)\n        loss = f(x)[0]\n",
    "a call before each step's": "        f(x)\n        loss, grad = f(x)\n",
}


def sgd_source(body):
    with open(configmod.load("a2").reference_dir + "/sgd.py") as f:
        ref = f.read()
    assert ref.count(ONE_CALL) == 1
    return ref.replace(ONE_CALL, body)


@pytest.mark.parametrize("name", sorted(EXTRA_CALLS))
def test_a_forged_count_of_the_calls_of_f_gains_nothing(name, tmp_path):
    twice = sgd_source(EXTRA_CALLS[name])
    honest = make_submission(tmp_path / "honest", "a2", files={"sgd.py": twice})
    forged = make_submission(tmp_path / "forged", "a2", files={"sgd.py": FORGE + twice})
    base = grade(honest, results_path=tmp_path / "honest.json")
    res = grade(forged, results_path=tmp_path / "forged.json")
    strict_results(tmp_path / "forged.json")
    assert {"1.6", "4.10"} <= lost(base) and {"1.6", "4.10"} <= lost(res)
    assert_no_gain(res, base)
    assert "sgd(" in output_of(res, "1.6") and "sgd(" in output_of(res, "4.10")
    print(output_of(res, "1.6"), output_of(res, "4.10"), sep="\n")
    # the honest one is told how often it called f; no unittest prefix ("10 != 5 : ")
    told = output_of(base, "1.6")
    assert told.startswith("sgd(") and "called f 10 times, expected 5" in told, told
