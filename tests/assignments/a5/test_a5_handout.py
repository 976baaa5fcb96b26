"""The a5 handout states what the config and the gold fix: the points, the held-out bars
of 2.14 and 2.15, and how many test questions have derived answers."""
import importlib.util
import os
import re

from autograder import config as configmod

A5 = configmod.load("a5")


def handout():
    with open(os.path.join(A5.folder, "handout.md"), encoding="utf-8") as f:
        return f.read()


def test_the_handout_states_the_points_and_the_configured_bars():
    text = " ".join(handout().split())
    assert f"There are {A5.total_points:g} points." in text
    bars = A5.thresholds
    assert (f"On 2.14 an accuracy of {bars['vanilla_full']:g}% or more earns all {A5.points['2.14']} points, "
            f"{bars['vanilla_floor']:g}% or less none") in text
    assert (f"on 2.15, {bars['synthesizer_full']:g}% or more earns all {A5.points['2.15']} points, "
            f"{bars['synthesizer_floor']:g}% or less none") in text


def test_the_handout_states_how_many_held_out_questions_have_gold():
    path = os.path.join(A5.folder, "tests", "hidden", "a5_gold.py")
    spec = importlib.util.spec_from_file_location("a5_gold_for_handout", path)
    gold = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gold)
    n = len(gold.heldout_gold(os.path.join(configmod.ROOT, "data", "birth-places")))
    with open(os.path.join(configmod.ROOT, "data", "birth-places", "birth_test_inputs.tsv"), encoding="utf-8") as f:
        total = sum(1 for line in f if line.strip())
    assert re.search(rf"\({n} of the {total}\s+questions\)", handout()), (n, total)
