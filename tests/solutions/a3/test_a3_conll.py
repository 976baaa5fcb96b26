"""utils/conll.py of the a3 reference: CoNLL-U reading, shared by the parser and the
grader's trusted process."""
import gzip
import io
import os
import subprocess
import sys

import pytest

CONLLU = """\
# sent_id = toy-1
# text = I don't know.
1\tI\tI\tPRON\tPRP\t_\t3\tnsubj\t_\t_
2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t_\t_
3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_
4\tKnow\tknow\tVERB\tVB\t_\t0\troot\t_\t_
4.1\tknow\tknow\tVERB\tVB\t_\t_\t_\t4:conj\t_
5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_

# sent_id = toy-2
1\tGo\tgo\tVERB\tVB\t_\t0\troot\t_\t_

"""


def test_read_conll_skips_multiword_tokens_and_empty_nodes(a3, tmp_path):
    sents = a3.conll.read_conll(io.StringIO(CONLLU))
    assert sents[0] == {"word": ["I", "do", "n't", "Know", "."],
                        "pos": ["PRON", "AUX", "PART", "VERB", "PUNCT"],
                        "head": [3, 4, 4, 0, 4],
                        "label": ["nsubj", "aux", "advmod", "root", "punct"]}
    assert sents[1]["word"] == ["Go"] and len(sents) == 2
    path = tmp_path / "toy.conllu.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(CONLLU)
    lower = a3.conll.read_conll(str(path), lowercase=True)
    assert lower[0]["word"] == ["i", "do", "n't", "know", "."]
    assert a3.conll.read_conll(str(path), max_example=1) == sents[:1]



@pytest.mark.parametrize("module", ["utils.conll", "utils.attachment"])
def test_grader_side_modules_import_neither_torch_nor_numpy(a3, module):
    """The trusted process reads gold and scores heads with these two modules."""
    code = ("import sys; sys.path.insert(0, %r); import %s; "
            "print(sorted(m for m in ('torch', 'numpy') if m in sys.modules))" % (a3.dir, module))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=os.path.dirname(a3.dir))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
