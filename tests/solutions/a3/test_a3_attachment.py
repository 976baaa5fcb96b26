"""utils/attachment.py: the UAS the grader computes in its trusted process."""

import pytest


def test_scores_with_and_without_punctuation(a3):
    # sentence 1: "I saw her ." ; sentence 2: "Go !"
    gold = [[2, 0, 2, 2], [0, 1]]
    upos = [["PRON", "VERB", "PRON", "PUNCT"], ["VERB", "PUNCT"]]
    pred = [[2, 0, 1, 2], [0, 0]]
    s = a3.att.attachment_scores(pred, gold, upos)
    assert s["tokens"] == 6 and s["tokens_no_punct"] == 4
    assert s["uas"] == pytest.approx(100 * 4 / 6)  # wrong: "her", "!"
    assert s["uas_no_punct"] == pytest.approx(100 * 3 / 4)


def test_flat_lists_are_one_sentence(a3):
    s = a3.att.attachment_scores([2, 0, -1], [2, 0, 2], ["DET", "NOUN", "PUNCT"])
    assert s == {"uas": pytest.approx(200 / 3), "uas_no_punct": 100.0, "tokens": 3,
                 "tokens_no_punct": 2}


def test_empty_input_scores_zero(a3):
    assert a3.att.attachment_scores([], [], []) == {"uas": 0.0, "uas_no_punct": 0.0,
                                                     "tokens": 0, "tokens_no_punct": 0}


@pytest.mark.parametrize("pred, gold, upos, message", [
    ([[1, 0]], [[2, 0], [0]], [["X", "X"], ["X"]], "different numbers of sentences"),
    ([[1, 0]], [[2, 0, 1]], [["X", "X", "X"]], "sentence 0: 2 predicted heads, 3 gold"),
    ([[1, "0"]], [[2, 0]], [["X", "X"]], "word 2: predicted head '0' is not an integer"),
    ([[1, True]], [[2, 0]], [["X", "X"]], "not an integer"),
    ([1, 0], [[2, 0]], [["X", "X"]], "all be flat lists"),
])
def test_bad_input_is_a_clear_value_error(a3, pred, gold, upos, message):
    with pytest.raises(ValueError, match=message):
        a3.att.attachment_scores(pred, gold, upos)
