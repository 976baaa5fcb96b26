"""source.forbidden_uses: "without nn.Linear or nn.Embedding", read from the submitted
source in the trusted process, through aliases and the usual ways of hiding a name."""
import os

import pytest

from autograder import config as configmod
from autograder.checks.source import Unreadable, forbidden_uses

LAYERS = {"Linear", "LazyLinear", "Bilinear", "Embedding", "EmbeddingBag"}
HERE = os.path.dirname(os.path.abspath(__file__))
COURSE2021 = os.path.join(HERE, "..", "..", "assignments", "a3", "course2021")


def uses(code, extra=None):
    sources = {"parser_model.py": code, **(extra or {})}
    return forbidden_uses(sources, "parser_model.py", LAYERS)


def names(code, extra=None):
    return [u.name for u in uses(code, extra)]


@pytest.mark.parametrize("code, name", [
    ("import torch.nn as nn\nlayer = nn.Linear(3, 4)\n", "torch.nn.Linear"),
    ("import torch\nlayer = torch.nn.Linear(3, 4)\n", "torch.nn.Linear"),
    ("import torch.nn\nlayer = torch.nn.Embedding(3, 4)\n", "torch.nn.Embedding"),
    ("from torch import nn as N\nlayer = N.Linear(3, 4)\n", "torch.nn.Linear"),
    ("from torch.nn import Linear as L\n", "torch.nn.Linear"),
    ("from torch.nn.modules.linear import Linear\n", "torch.nn.modules.linear.Linear"),
    ("from torch.nn import modules\nx = modules.sparse.EmbeddingBag(3, 4)\n", "torch.nn.modules.sparse.EmbeddingBag"),
    ("from torch.nn import *\nlayer = Linear(3, 4)\n", "torch.nn.Linear"),
    ("import torch.nn as nn\nmake = nn\nlayer = make.LazyLinear(4)\n", "torch.nn.LazyLinear"),
    ("import torch.nn as nn\nlayer = getattr(nn, 'Linear')(3, 4)\n", "torch.nn.Linear"),
    ("import torch.nn as nn\nlayer = vars(nn)['Linear'](3, 4)\n", "torch.nn.Linear"),
    ("import torch.nn as nn\nlayer = nn.__dict__['Embedding'](3, 4)\n", "torch.nn.Embedding"),
    ("import sys\nlayer = sys.modules['torch.nn'].Linear(3, 4)\n", "torch.nn.Linear"),
    ("import importlib\nlayer = importlib.import_module('torch.nn').Linear(3, 4)\n", "torch.nn.Linear"),
    ("layer = __import__('torch').nn.Bilinear(3, 3, 4)\n", "torch.nn.Bilinear"),
    ("import torch.nn as nn\nlayer = eval('nn.Linear')(3, 4)\n", "torch.nn.Linear"),
    ("import torch.nn as nn\nclass Mine(nn.Linear):\n    pass\n", "torch.nn.Linear"),
    ("import torch.nn as nn\nlayer = [nn][0].Linear(3, 4)\n", "Linear"),
])
def test_every_spelling_of_a_layer_is_found(code, name):
    assert name in names(code)


@pytest.mark.parametrize("code", [
    "import torch.nn as nn\nlayer = getattr(nn, 'Lin' + 'ear')(3, 4)\n",
    "import torch.nn as nn\nname = 'Lin' + 'ear'\nlayer = getattr(nn, name)(3, 4)\n",
    "import torch.nn as nn\nlayer = eval('nn.' + 'Linear')(3, 4)\n",
    "exec(open('other.txt').read())\n",
    "import torch.nn as nn\nlayer = vars(nn)['Lin' + 'ear'](3, 4)\n",
    "import torch.nn as nn\nlayers = [c for c in nn.Module.__subclasses__() if c.__name__ == 'Lin' + 'ear']\n",
    "import torch\nlayer = [v for v in vars(torch.nn).values()][0]\n",
])
def test_computed_names_are_reported_as_hiding_code(code):
    found = uses(code)
    assert found and all(u.name == "" for u in found), found
    assert "a name the grader cannot read" in found[0].message("write the layer with nn.Parameter")


def test_honest_models_pass():
    honest = (
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
        "class ParserModel(nn.Module):\n"
        "    '''Written without nn.Linear or nn.Embedding.'''\n"
        "    def __init__(self, d):\n"
        "        super().__init__()\n"
        "        self.w = nn.Parameter(torch.empty(d, d))\n"
        "        nn.init.xavier_uniform_(self.w)\n"
        "        self.dropout = nn.Dropout(0.5)\n"
        "        name = 'w'\n"
        "        getattr(self, name)\n"
        "    def forward(self, x):\n"
        "        # nn.Linear would do this\n"
        "        return F.linear(F.embedding(x, self.w), self.w)\n")
    assert uses(honest) == []
    # a class of the student's own named Linear, after a star import, is theirs
    assert uses("from torch.nn import *\nclass Linear:\n    pass\nlayer = Linear()\n") == []
    assert uses("import numpy as np\nx = np.Linear\n") == []  # another package's attribute


def test_the_course_2021_fixture_and_the_reference_pass():
    a3 = configmod.load("a3")
    for folder in (COURSE2021, a3.reference_dir):
        sources = {}
        for name in ("parser_model.py", "run.py", "parser_transitions.py"):
            with open(os.path.join(folder, name)) as f:
                sources[name] = f.read()
        assert forbidden_uses(sources, "parser_model.py", LAYERS) == [], folder


def test_imported_submitted_files_are_read_and_messages_name_file_and_line():
    model = "import torch.nn as nn\nfrom helpers import make_layer\nclass ParserModel(nn.Module):\n    pass\n"
    helpers = "import torch.nn as nn\n\n\ndef make_layer(a, b):\n    return nn.Linear(a, b)\n"
    (use,) = uses(model, {"helpers.py": helpers, "unrelated.py": "import torch\ntorch.nn.Linear\n"})
    assert (use.file, use.line, use.code) == ("helpers.py", 5, "nn.Linear")
    assert use.message("write it with nn.Parameter") == \
        "helpers.py line 5: `nn.Linear` uses torch.nn.Linear; write it with nn.Parameter"


def test_a_file_that_does_not_parse_is_unreadable():
    with pytest.raises(Unreadable, match="parser_model.py could not be read: .* at line 2"):
        uses("import torch\ndef broken(:\n")


def test_the_grading_context_keeps_the_sources_as_staged(tmp_path):
    """Source rules read the files as they were before any student code ran: code that
    rewrites its own file later changes nothing."""
    from types import SimpleNamespace

    from autograder.harness import SOURCE_LIMIT, GradingContext

    (tmp_path / "parser_model.py").write_text("import torch.nn as nn\nlayer = nn.Linear(2, 2)\n")
    (tmp_path / "run.py").write_bytes(b"#" * (SOURCE_LIMIT + 1))
    student = SimpleNamespace(workdir=str(tmp_path), missing={"parser_transitions"},
                              student_modules={"parser_model": "parser_model.py", "run": "run.py",
                                               "parser_transitions": "parser_transitions.py"})
    context = GradingContext(configmod.load("a3"), student, seed=1)
    (tmp_path / "parser_model.py").write_text("layer = None\n")  # as student code could
    assert context.sources == {"parser_model.py": "import torch.nn as nn\nlayer = nn.Linear(2, 2)\n",
                               "run.py": None}  # too large to read: None, and a check says so
    (use,) = forbidden_uses(context.sources, "parser_model.py", LAYERS)
    assert (use.line, use.name) == (2, "torch.nn.Linear")


def test_an_imported_file_too_large_to_read_is_unreadable():
    with pytest.raises(Unreadable, match="helpers.py is too large for the grader to read"):
        uses("import helpers\n", {"helpers.py": None})
