"""The held-out gold of a5 (assignments/a5/tests/hidden/a5_gold.py): answers for
birth_test_inputs.tsv derived from wiki.txt, kept only where the extractor is confident.

Bars, from bench/a5_gold_bench.py (the patterns were designed on train; dev was measured once,
at the end): dev precision 97.7% (417 of 427 resolved) and coverage 85.4%; train 98.1% and
86.2%; 366 of the 437 test questions resolved. The bars below sit a little under those.
"""
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from autograder import data as datamod
from autograder.config import ROOT

GOLD_PATH = os.path.join(ROOT, "assignments", "a5", "tests", "hidden", "a5_gold.py")
DEV_PRECISION, DEV_COVERAGE = 0.97, 0.84  # measured 0.977, 0.854
TRAIN_PRECISION, TRAIN_COVERAGE = 0.975, 0.85  # measured 0.981, 0.862
TEST_RESOLVED = 366  # of 437; README and the 2.14/2.15 bars quote it: change them together


def _load():
    spec = importlib.util.spec_from_file_location("a5_gold_under_test", GOLD_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gold_mod = _load()


@pytest.fixture(scope="module")
def data_dir():
    try:
        return os.path.dirname(datamod.path("birth-places/wiki.txt"))
    except datamod.DataError as e:
        pytest.skip(str(e))


@pytest.fixture(scope="module")
def wiki_text(data_dir):
    with open(os.path.join(data_dir, "wiki.txt"), encoding="utf-8") as f:
        return f.read()


def _pairs(data_dir, name):
    with open(os.path.join(data_dir, name), encoding="utf-8") as f:
        return [tuple(line.split("\t")) for line in f.read().split("\n") if line.strip()]


def _measure(wiki_text, pairs):
    gold = gold_mod.derive(wiki_text, [q for q, _ in pairs])
    correct = sum(gold[q] == a for q, a in pairs if q in gold)
    return correct / len(gold), len(gold) / len(pairs)


@pytest.mark.parametrize("split,bars", [("birth_dev.tsv", (DEV_PRECISION, DEV_COVERAGE)),
                                        ("birth_places_train.tsv", (TRAIN_PRECISION, TRAIN_COVERAGE))])
def test_precision_and_coverage_against_the_course_answers(data_dir, wiki_text, split, bars):
    precision, coverage = _measure(wiki_text, _pairs(data_dir, split))
    assert precision >= bars[0], f"{split}: precision {precision:.3f} among resolved, bar {bars[0]}"
    assert coverage >= bars[1], f"{split}: coverage {coverage:.3f}, bar {bars[1]}"


def test_heldout_gold_count_shape_and_speed(data_dir):
    started = time.process_time()  # CPU time: a busy machine does not count
    gold = gold_mod.heldout_gold(data_dir)
    seconds = time.process_time() - started
    assert seconds < 1.0, f"heldout_gold took {seconds:.2f} s"
    assert len(gold) == TEST_RESOLVED, f"{len(gold)} test questions resolved, {TEST_RESOLVED} expected"
    questions = gold_mod.read_questions(os.path.join(data_dir, "birth_test_inputs.tsv"))
    assert [q for q, _ in gold] == [q for q in questions if q in dict(gold)], "not in file order"
    assert len(set(q for q, _ in gold)) == len(gold)
    assert all(re.fullmatch(r"[A-Z][a-z]+", a) for _, a in gold), "an answer not shaped as the course's"


def test_every_answer_is_written_in_the_persons_own_line(data_dir, wiki_text):
    """No answer comes from anywhere but wiki.txt: each is a word of its person's line."""
    lines = wiki_text.split("\n")
    for q, a in gold_mod.heldout_gold(data_dir):
        name = gold_mod.QUESTION.match(q).group(1)
        own = [line for line in lines if line.startswith(name + ". ")]
        assert len(own) == 1, (q, len(own))
        assert re.search(r"\b%s\b" % a, own[0][len(name) + 2:]), (q, a, own[0])


def test_reads_nothing_but_wiki_and_the_questions(data_dir, tmp_path):
    """The same gold from a folder holding only wiki.txt and birth_test_inputs.tsv (no train or
    dev answers to borrow), and an answer follows an edit of the text."""
    for name in ("wiki.txt", "birth_test_inputs.tsv"):
        shutil.copy(os.path.join(data_dir, name), tmp_path / name)
    gold = gold_mod.heldout_gold(str(tmp_path))
    assert gold == gold_mod.heldout_gold(data_dir)
    q, a = gold[0]
    name = gold_mod.QUESTION.match(q).group(1)
    wiki = (tmp_path / "wiki.txt").read_text(encoding="utf-8")
    edited = "\n".join(re.sub(r"\b%s\b" % a, "Zanzibar", line) if line.startswith(name + ". ") else line
                       for line in wiki.split("\n"))
    assert gold_mod.derive(edited, [q]) == {q: "Zanzibar"}


def test_deterministic_across_runs_hash_seeds_and_question_order(data_dir, wiki_text):
    code = ("import importlib.util, json, sys\n"
            "spec = importlib.util.spec_from_file_location('g', sys.argv[1])\n"
            "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
            "print(json.dumps(m.heldout_gold(sys.argv[2])))\n")
    outputs = set()
    for seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run([sys.executable, "-c", code, GOLD_PATH, data_dir], env=env,
                              capture_output=True, text=True, check=True)
        outputs.add(proc.stdout)
    assert len(outputs) == 1, "heldout_gold differs between hash seeds"
    questions = gold_mod.read_questions(os.path.join(data_dir, "birth_test_inputs.tsv"))
    assert gold_mod.derive(wiki_text, questions[::-1]) == gold_mod.derive(wiki_text, questions)


@pytest.mark.parametrize("line,answer", [
    ("Ann Roe. Ann Roe (born 19 May 1986 in Beijing, China) is a baseball player .", "Beijing"),
    ("Ann Roe. Roe was born on 3 April 1920 in Philadelphia, Pennsylvania .", "Philadelphia"),
    ("Ann Roe. Born in Glasgow, Roe became a welder .", "Glasgow"),
    ("Ann Roe. Ann Roe (26 February 1840 Columbus, Ohio - 2 August 1904 Paris) was a printer .", "Columbus"),
    ("Ann Roe. Ann Roe (born 1917 London) is a physicist .", "London"),
    ("Ann Roe. Ann Roe (born in 1951 in Tbilisi) is an artist .", "Tbilisi"),
    ("Ann Roe. Roe was born at Rochester in 1808 .", "Rochester"),
    ("Ann Roe. Ann Roe is a native of Memphis .", "Memphis"),
    ("Ann Roe. Ann Roe (born 5 February 1927 in Luxembourg City) is a politician .", "Luxembourg"),
    ("Ann Roe. Roe was born in the city of York to Peter Roe .", "York"),
    ("Ann Roe. Ann Roe (born 3-11-1920 Honolulu; died 1960) was a spy .", "Honolulu"),
    # not confident: no birth pattern, two places, "X in Y", a bare date before "City, State"
    ("Ann Roe. Ann Roe (born 22 January 1978) is a photographer .", None),
    ("Ann Roe. Ann Roe (born 1 April 1972 in Asdif) is a politician born in Morocco .", None),
    ("Ann Roe. Born in Hackney in London, Roe was a tea taster .", None),
    ("Ann Roe. Ann Roe (born March 12, 1967, Chicago, Illinois) is a guitarist .", None),
    ("Ann Roe. Ann Roe (born 1950 in New York City) is an actor .", None),
])
def test_patterns(line, answer):
    q = "Where was Ann Roe born?"
    assert gold_mod.derive(line + "\n", [q]).get(q) == answer


def test_names_several_lines_duplicates_accents_parentheses():
    wiki = ("Tom Arnold. Tom Arnold was born in London .\n"
            "Tom Arnold. Born in Yorkshire, Arnold travelled .\n"
            "Rose Prince. Rose Prince was born in Hampshire .\n"
            "Jose Marti. Marti was born in Havana .\n"
            "Ann Roe (poet). Roe was born in Leeds .\n"
            "Neil M. Cohen. Cohen was born in Newark .\n")
    ask = lambda name: "Where was %s born?" % name  # noqa: E731
    questions = [ask("Tom Arnold"), ask("Rose Prince"), ask("Rose Prince"), ask("José Martí"),
                 ask("Ann Roe"), ask("Neil M. Cohen"), ask("Nobody Here")]
    assert gold_mod.derive(wiki, questions) == {ask("José Martí"): "Havana", ask("Ann Roe"): "Leeds",
                                                ask("Neil M. Cohen"): "Newark"}


def test_gold_lives_with_the_hidden_tests_only():
    """The derived answers ship in the autograder zip only (the release test checks the zips)."""
    assert os.path.isfile(GOLD_PATH)
    assert os.path.basename(os.path.dirname(GOLD_PATH)) == "hidden"
    for folder in (os.path.join(ROOT, "assignments", "a5", "tests", "public"),
                   os.path.join(ROOT, "student_template", "a5"), os.path.join(ROOT, "solutions", "a5")):
        for dirpath, _, files in os.walk(folder):
            assert "a5_gold.py" not in files, f"a5_gold.py found in {dirpath}"
