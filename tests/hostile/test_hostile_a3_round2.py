"""a3 attacks of issue 10's round 2: properties the student's process reported about itself.

- An UNBATCHED minibatch_parse with a patch of the worker's request handler that rewrites
  the scripted_parse probe's list of batch sizes (+3 on 2.3 before round 2). Now the
  "batched" model answers differently once it is not asked as the handout's algorithm
  asks it, so the dependencies the trusted side compares show the batching.
- A PartialParse that does not copy the sentence, with a handler patch that deep-copies
  the request's arguments and writes them back as "sentence_after"/"sentences_after"
  (+3 on 1.2, 2.2, 2.4). Now the probes parse the same list object a second time, and
  the second parse, compared here, starts from what the first left.
- A Python-loop embedding_lookup that reads from the timing probe's frame which rows its
  fingerprint will sample and computes only those (+2 on 2.10), and one that remembers the
  lookup of the one id matrix every timed run was a window of (+2 on 2.10). Now every run
  draws its own ids inside the run and the fingerprint covers every row of the result.

Each forge must score what its honest baseline scores.
"""
import pytest
from hostile_support import assert_no_gain, strict_results
from support import grade, lost, make_submission, output_of, replace_function

from autograder import config as configmod

FORGE_PARSE_CLAIMS = '''
import sys as _s


def _install():
    w = _s.modules.get("_nlpgrade_worker")
    if w is None or getattr(w.Worker, "_r2", False):
        return
    orig = w.Worker.handle

    def handle(self, req):
        import copy
        args = copy.deepcopy(req.get("args"))  # the inputs as sent, before parsing empties them
        reply = orig(self, req)
        if reply.get("ok") and isinstance(reply.get("value"), dict):
            if req.get("name") == "transition_states":
                reply["value"]["sentence_after"] = list(args[0])
            if req.get("name") == "scripted_parse":
                sentences, size = args[0], args[1]
                reply["value"]["sentences_after"] = [list(s) for s in sentences]
                total, first = sum(2 * len(s) for s in sentences), min(size, len(sentences))
                reply["value"]["batches"] = [first] + [1] * (total - first)
        return reply
    w.Worker.handle = handle
    w.Worker._r2 = True


_install()
'''

NO_COPY = ("self.buffer = list(sentence)  # a copy: the caller's list stays as it is",
           "self.buffer = sentence  # no copy: parsing empties the caller's list")

UNBATCHED = '''
def minibatch_parse(sentences, model, batch_size):
    """No batching at all: each sentence parsed alone, one transition at a time."""
    out = []
    for s in sentences:
        pp = PartialParse(s)
        while pp.buffer or len(pp.stack) > 1:
            pp.parse_step(model.predict([pp])[0])
        out.append(pp.dependencies)
    return out
'''

# A loop over the batch (as the "loops over the batch" variant), so 2.11 stays fast enough
LOOP = '''
    def embedding_lookup(self, w):
        rows = [self.embeddings[w[i]].reshape(-1) for i in range(w.shape[0])]
        return torch.stack(rows)
'''

LOOKUPS = {
    # the rows the fingerprint samples, read from the timing probe's frame before the call
    "peek at the sampled rows": '''
    def embedding_lookup(self, w):
        import sys
        caller = sys._getframe(1).f_locals
        picked = caller.get("picked")
        if not isinstance(picked, list):
            return torch.stack([self.embeddings[w[i]].reshape(-1) for i in range(w.shape[0])])
        x = torch.zeros(w.shape[0], w.shape[1] * self.embeddings.shape[1])
        for i in set(picked):
            x[i] = self.embeddings[w[i]].reshape(-1)
        return x
''',
    # the whole id matrix a timed batch is a window of, looked up once and remembered
    "remember the pool of ids": '''
    _table = {}

    def embedding_lookup(self, w):
        def loop(ids):
            return torch.stack([self.embeddings[ids[i]].reshape(-1) for i in range(ids.shape[0])])
        n, f = w.shape
        storage = w.untyped_storage()
        if storage.nbytes() // w.element_size() == w.numel() or not w.is_contiguous():
            return loop(w)
        whole = torch.empty(0, dtype=w.dtype).set_(storage).view(-1, f)
        key = (tuple(whole[:3].reshape(-1).tolist()), tuple(whole[-1].tolist()),
               tuple(self.embeddings[:2].reshape(-1).tolist()), tuple(self.embeddings.shape))
        if key not in ParserModel._table:
            ParserModel._table[key] = loop(whole)
        start = w.storage_offset() // f
        return ParserModel._table[key][start:start + n]
''',
}


def parse_source(forge=""):
    with open(configmod.load("a3").reference_dir + "/parser_transitions.py") as f:
        ref = f.read()
    assert ref.count(NO_COPY[0]) == 1
    return forge + replace_function(ref.replace(*NO_COPY), "minibatch_parse", UNBATCHED)


def test_forged_batch_sizes_and_inputs_after_gain_nothing(tmp_path):
    honest = make_submission(tmp_path / "honest", "a3", files={"parser_transitions.py": parse_source()},
                             drop=("model.weights",))
    forged = make_submission(tmp_path / "forged", "a3",
                             files={"parser_transitions.py": parse_source(FORGE_PARSE_CLAIMS)},
                             drop=("model.weights",))
    base = grade(honest, "a3", results_path=tmp_path / "honest.json")
    res = grade(forged, "a3", results_path=tmp_path / "forged.json")
    strict_results(tmp_path / "forged.json")
    claims = {"1.2", "2.2", "2.3", "2.4"}
    assert claims <= lost(base) and claims <= lost(res), (lost(base), lost(res))
    assert_no_gain(res, base)
    # the forge is told what the trusted side saw: the second parse, the batching
    assert "a second PartialParse of the same list object" in output_of(res, "2.2"), output_of(res, "2.2")
    assert "minibatch_parse again on the same list object" in output_of(res, "2.4"), output_of(res, "2.4")
    assert "<batched model>" in output_of(res, "2.3") and "batching" in output_of(res, "2.3"), \
        output_of(res, "2.3")


@pytest.fixture(scope="module")
def loop_baseline(tmp_path_factory):
    path = tmp_path_factory.mktemp("loop")
    honest = make_submission(path / "honest", "a3", patches={"parser_model.py": {"ParserModel.embedding_lookup": LOOP}},
                             drop=("model.weights",))
    base = grade(honest, "a3", results_path=path / "honest.json")
    assert "2.10" in lost(base)
    return base


@pytest.mark.serial  # the honest loop must fail 2.10: see tests/support.variant_names
@pytest.mark.parametrize("name", sorted(LOOKUPS))
def test_a_looped_lookup_that_peeks_or_remembers_gains_nothing(name, tmp_path, loop_baseline):
    forged = make_submission(tmp_path / "forged", "a3",
                             patches={"parser_model.py": {"ParserModel.embedding_lookup": LOOKUPS[name]}},
                             drop=("model.weights",))
    res = grade(forged, "a3", results_path=tmp_path / "forged.json")
    strict_results(tmp_path / "forged.json")
    assert "2.10" in lost(res), output_of(res, "2.10")
    assert_no_gain(res, loop_baseline)
