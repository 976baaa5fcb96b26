import pytest

from quick_model import train_quick_weights

# The quick model's held-out UAS is 74.9 (seed 0). Full credit just below it, as the real
# bar sits just below the reference's: dropout left on at evaluation time costs about 2.5
# points of UAS, and must cost marks.
QUICK_THRESHOLDS = {"uas_full": 74.0, "uas_floor": 45.0}


@pytest.fixture(scope="session")
def quick_weights(tmp_path_factory):
    """model.weights of a model trained for a minute with the reference code (once per run)."""
    path = tmp_path_factory.mktemp("a3-quick-model") / "model.weights"
    train_quick_weights(path)
    return path
