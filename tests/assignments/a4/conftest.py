import shutil

import pytest

from quick_model_a4 import quick_model


@pytest.fixture(scope="session")
def quick_model_dir():
    """The folder holding model.bin and model.json of a model trained for about a minute
    of CPU with the reference code (once; cached under data/a4-quick/)."""
    return quick_model()


@pytest.fixture
def with_quick_model(quick_model_dir):
    """copy(folder): put the quick model's model.bin and model.json into a submission folder."""
    def copy(folder):
        for name in ("model.bin", "model.json"):
            shutil.copy(f"{quick_model_dir}/{name}", f"{folder}/{name}")
        return folder
    return copy
