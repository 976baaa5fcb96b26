"""Grading features shared by all assignments, on a tiny made-up assignment: partial
credit kept by a failing test, notes shown on a pass, leaderboard values through stacked
decorators, and data files staged for the sandbox."""
import json
import textwrap

import pytest

from autograder import grading
from autograder import results as resultsmod

CONFIG = {
    "assignment": "zz", "title": "made up", "student_files": ["mod.py"], "provided": [],
    "sandbox_data": ["toy/words.txt"], "thresholds": {"bar": 3},
    "limits": {"call_timeout_s": 20, "total_s": 60}, "visibility": {"public": "visible"},
    "points": {"1.1": 4, "1.2": 1, "1.3": 2, "1.4": 1},
}

TESTS = '''
from autograder.harness import SubmissionTestCase, graded


def read_staged(name):
    import os
    with open(os.path.join(os.environ["NLPGRADE_DATA_DIR"], name)) as f:
        return f.read()


class TestZz(SubmissionTestCase):
    @graded("1.1", partial=True)
    def test_partial_then_fail(self, set_score=None):
        """a share of the points, then a failure"""
        value = self.student.call("mod", "value")
        set_score(value / 2)
        self.fail(f"value {value} is below the bar {self.config.thresholds['bar'] + 1}")

    @graded("1.2")
    def test_note_on_pass(self):
        """a note on a pass"""
        self.note(f"your value is {self.student.call('mod', 'value')}")

    @graded("1.3", partial=True, leaderboard=("score", "asc"))
    def test_leaderboard(self, set_score=None, set_leaderboard_value=None):
        """a leaderboard value and a partial score"""
        set_score(1.5)
        set_leaderboard_value(self.student.call("mod", "value") * 10)

    @graded("1.4")
    def test_staged_data(self):
        """a data file staged for the sandbox"""
        self.assertEqual(self.student.probe(read_staged, "toy/words.txt"), "alpha beta\\n")
'''


@pytest.fixture
def root(open_tmp):
    folder = open_tmp / "assignments" / "zz"
    (folder / "tests" / "public").mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(CONFIG))
    (folder / "tests" / "public" / "test_zz.py").write_text(textwrap.dedent(TESTS))
    (open_tmp / "solutions" / "zz").mkdir(parents=True)
    (open_tmp / "solutions" / "zz" / "mod.py").write_text("def value():\n    return 3\n")
    (open_tmp / "data" / "toy").mkdir(parents=True)
    (open_tmp / "data" / "toy" / "words.txt").write_text("alpha beta\n")
    sub = open_tmp / "sub"
    sub.mkdir()
    (sub / "mod.py").write_text("def value():\n    return 3\n")
    return open_tmp


def test_scores_notes_leaderboard_and_staged_data(root):
    res = grading.grade("zz", str(root / "sub"), results_path=str(root / "results.json"),
                        root=str(root), log=lambda text: None)
    resultsmod.validate(json.loads((root / "results.json").read_text()))
    tests = {t["number"]: t for t in res["tests"]}
    assert tests["1.1"]["score"] == 1.5 and "below the bar 4" in tests["1.1"]["output"]
    assert tests["1.2"]["score"] == 1 and tests["1.2"]["output"].startswith("your value is 3")
    assert tests["1.3"]["score"] == 1.5
    assert res["leaderboard"] == [{"name": "score", "value": 30, "order": "asc"}]
    assert tests["1.4"]["score"] == 1, tests["1.4"]["output"]


def test_a_missing_staged_data_file_is_a_grader_error(root):
    (root / "data" / "toy" / "words.txt").unlink()
    res = grading.grade("zz", str(root / "sub"), results_path=str(root / "results.json"),
                        root=str(root), log=lambda text: None)
    assert res["score"] == 0
    assert "toy/words.txt" in json.dumps(res)
