import pytest

from quick_model import train_quick_weights


@pytest.fixture(scope="session")
def quick_weights(tmp_path_factory):
    """model.weights of a model trained for a minute with the reference code (once per run)."""
    path = tmp_path_factory.mktemp("a3-quick-model") / "model.weights"
    train_quick_weights(path)
    return path
