"""Shared checks of the hostile-submission suite (tests/hostile/): each attack is written
as a student would write it, and each must gain nothing over its honest baseline, steal
nothing, leave no file behind and leave a valid results.json."""
import json
import os

from autograder import results as resultsmod


def strict_results(path):
    """results.json as strict UTF-8 JSON (no NaN, no lone surrogates), schema-valid."""
    with open(path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8")  # strict: a lone surrogate written as UTF-8 fails here

    def no_constants(name):
        raise AssertionError(f"results.json holds {name}, which is not JSON")

    res = json.loads(text, parse_constant=no_constants)
    for t in res.get("tests", []):  # an escaped lone surrogate ("\\udc80") is valid JSON text
        t["output"].encode("utf-8")     # but no valid UTF-8: this raises on it
    resultsmod.validate(res)
    return res


def gains(res, baseline):
    """{test number: points gained} of `res` over the honest `baseline` results."""
    base = {t["number"]: t["score"] for t in baseline["tests"]}
    return {t["number"]: t["score"] - base.get(t["number"], 0.0)
            for t in res["tests"] if t["score"] > base.get(t["number"], 0.0) + 1e-9}


def assert_no_gain(res, baseline):
    gained = gains(res, baseline)
    assert not gained, f"the attack gained points over its honest baseline: {gained}"


def files_owned_by(uid, roots=("/tmp", "/var/tmp", "/dev/shm")):
    """Paths under `roots` owned by `uid` (what a grading left behind)."""
    found = []
    for root in roots:
        for folder, dirs, files in os.walk(root):
            for name in dirs + files:
                path = os.path.join(folder, name)
                try:
                    if os.lstat(path).st_uid == uid:
                        found.append(path)
                except OSError:
                    pass
    return found
