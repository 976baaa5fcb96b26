"""Probes for the a3 tests: functions that run inside the sandbox and return plain data.

They import the submission's parser_transitions / parser_model / run and the provided
utils. The same probe runs on the submission and, in hidden tests, on the reference.
"""


def transition_states(sentence, transitions, again=False):
    """(stack, buffer, dependencies) after each transition, and the caller's sentence after.
    `again`: then parse the SAME list object a second time ("states_again"), so that a
    parse that changed the caller's list shows in states the trusted side compares (the
    "sentence_after" reply alone is a claim of the student's process)."""
    from parser_transitions import PartialParse

    def parse():
        pp = PartialParse(sentence)
        states = [[list(pp.stack), list(pp.buffer), [list(d) for d in pp.dependencies]]]
        for transition in transitions:
            pp.parse_step(transition)
            states.append([list(pp.stack), list(pp.buffer), [list(d) for d in pp.dependencies]])
        return states

    out = {"states": parse(), "sentence_after": list(sentence)}
    if again:
        try:
            out["states_again"] = parse()
        except Exception as exc:  # e.g. a shift from the emptied list: said, not raised
            out["states_again"] = "%s: %s" % (type(exc).__name__, str(exc)[:200])
    return out


def scripted_parse(sentences, batch_size, mode, again=False):
    """minibatch_parse with a model whose transitions depend only on each parse's state.

    The words of a parse (stack, buffer and dependents together) never change, so they
    identify it. Arcs point left (LA) in sentences holding the word "left", else right.
    mode "unidirectional": shift every word, then arcs; "interleaved": an arc as soon as
    two words are on the stack, so sentences finish at different times; "mixed": a legal
    transition picked by a hash of (the words, stack size, buffer size); "batched": as
    "mixed" while the model is asked as the handout's algorithm asks it (a first batch of
    min(batch_size, n) parses, never more than batch_size, no parse asked twice in one
    state), and from the first call that is not so on, by another hash: the dependencies,
    which the trusted side compares with the reference's, then show the batching.
    `again`: minibatch_parse a second time on the SAME list object, with a fresh model
    ("dependencies_again"): a call that changed its input shows in what it parses next.
    Also reports the batch sizes the model saw and the caller's list of sentences after
    the call (claims of this process: messages only)."""
    import zlib

    from parser_transitions import minibatch_parse

    def make_model():
        batches, seen, off = [], {}, []

        class Model:
            def predict(self, partial_parses):
                n = len(partial_parses)
                if (not batches and n != min(batch_size, len(sentences))) or n > batch_size:
                    off.append(n)
                batches.append(n)
                out = []
                for pp in partial_parses:
                    stack, buffer = pp.stack, pp.buffer
                    if not buffer and len(stack) == 1:
                        raise RuntimeError("the model was asked for a transition of a parse that "
                                           "had already finished (remove finished parses from the batch)")
                    words = sorted(set(map(str, list(stack) + list(buffer) + [d[1] for d in pp.dependencies])))
                    arc = "LA" if "left" in words and len(stack) > 2 else "RA"
                    if mode == "unidirectional":
                        out.append("S" if buffer else arc)
                    elif mode == "interleaved":
                        out.append(arc if len(stack) > 2 or not buffer else "S")
                    else:
                        legal = (["S"] if buffer else []) + (["LA"] if len(stack) > 2 else []) + \
                                (["RA"] if len(stack) > 1 else [])
                        key = "%s|%d|%d" % (" ".join(words), len(stack), len(buffer))
                        state = (len(stack), len(buffer), len(pp.dependencies))
                        if seen.get(key) == state:  # asked again before its last answer was applied
                            off.append(n)
                        seen[key] = state
                        if mode == "batched" and off:
                            key += "|not batched as asked"
                        out.append(legal[zlib.crc32(key.encode()) % len(legal)])
                return out

        return Model(), batches

    model, batches = make_model()
    deps = minibatch_parse(sentences, model, batch_size)
    out = {"dependencies": [[list(d) for d in sentence_deps] for sentence_deps in deps],
           "batches": batches,
           "sentences_after": [list(s) for s in sentences]}
    if again:
        try:
            deps = minibatch_parse(sentences, make_model()[0], batch_size)
            out["dependencies_again"] = [[list(d) for d in sentence_deps] for sentence_deps in deps]
        except Exception as exc:  # e.g. the model asked about a parse of an emptied sentence
            out["dependencies_again"] = "%s: %s" % (type(exc).__name__, str(exc)[:200])
    return out


def model_report(embeddings, n_features, hidden, seed):
    """The parameters of a freshly built ParserModel(embeddings), as arrays: the trusted
    side reads their names, shapes and statistics itself. And the type of its dropout."""
    import torch

    from parser_model import ParserModel

    torch.manual_seed(seed)
    model = ParserModel(embeddings, n_features=n_features, hidden_size=hidden)
    parameters = dict(model.named_parameters())
    # tensors kept as plain attributes: named in the messages ("not an nn.Parameter")
    tensors = {n: list(v.shape) for n, v in vars(model).items()
               if isinstance(v, torch.Tensor) and n not in parameters}
    return {"parameters": {n: p.detach().cpu().numpy() for n, p in parameters.items()},
            "dropout": type(getattr(model, "dropout", None)).__name__, "tensors": tensors}


def load_weights(model, state, names):
    """Put the arrays state[name] for `names` into the model's tensors of those names, in
    the model's own layout (fit_state: a (1, h) bias, a transposed weight), nn.Parameter
    or plain tensor alike: each test loads only what it needs, so a model is charged
    for its layout only by the tests about its parameters."""
    import torch

    wanted, problems = {}, []
    for name in names:
        current = getattr(model, name, None)
        if isinstance(current, torch.Tensor):
            wanted[name] = tuple(current.shape)
        else:
            problems.append("ParserModel has no tensor self.%s (%s)" % (
                name, "no such attribute" if current is None else "it is a " + type(current).__name__))
    fitted, _ = fit_state({n: state[n] for n in wanted}, wanted)
    problems += ["self.%s has shape %s, which the grader's %s of shape %s does not fit"
                 % (n, wanted[n], n, tuple(state[n].shape)) for n in wanted if n not in fitted]
    if problems:
        raise ValueError("the grader could not put its weights into your ParserModel: %s (it loads "
                         "them into the tensors the handout names)" % "; ".join(problems))
    with torch.no_grad():
        for name, value in fitted.items():
            getattr(model, name).copy_(torch.as_tensor(value))


def built_model(state):
    """A ParserModel of the sizes of the arrays `state` (the reference's layout)."""
    import numpy as np

    from parser_model import ParserModel

    n_tokens, dim = state["embeddings"].shape
    return ParserModel(np.zeros((n_tokens, dim), dtype=np.float32),
                       n_features=state["embed_to_hidden_weight"].shape[0] // dim,
                       hidden_size=state["embed_to_hidden_weight"].shape[1])


def model_outputs(state, words, which):
    """embedding_lookup or forward (in eval mode) of a model holding the weights `state`.
    Helpers: built_model, load_weights, fit_state (MODEL_HELPERS)."""
    import numpy as np
    import torch

    model = built_model(state)
    # the lookup needs only the embeddings; forward all five weights
    load_weights(model, state, ["embeddings"] if which == "embedding_lookup" else list(state))
    model.eval()
    w = torch.as_tensor(np.asarray(words), dtype=torch.long)
    with torch.no_grad():
        out = model.embedding_lookup(w) if which == "embedding_lookup" else model(w)
    return out.numpy()


def model_gradients(state, words, upstream):
    """The gradient of sum(upstream * forward(w)) (eval mode) with respect to each of the
    model's tensors named in `state`, holding those weights, in the model's own layout
    (zeros where none reached it); forward's values; which tensors are nn.Parameter, and
    which do not require a gradient (those two only choose the advice). The trusted side compares all of it with the reference's for the same inputs."""
    import numpy as np
    import torch

    model = built_model(state)
    load_weights(model, state, list(state))
    model.eval()
    tensors = {name: getattr(model, name) for name in state}
    for tensor in tensors.values():
        tensor.grad = None
    out = model(torch.as_tensor(np.asarray(words), dtype=torch.long))
    if out.requires_grad:  # else nothing the loss depends on is trained: no gradient anywhere
        (out * torch.as_tensor(np.asarray(upstream), dtype=out.dtype)).sum().backward()
    return {"output": out.detach().cpu().numpy(),
            "gradients": {n: (t.grad if t.grad is not None else torch.zeros_like(t)).detach().cpu().numpy()
                          for n, t in tensors.items()},
            "parameters": [n for n, t in tensors.items() if isinstance(t, torch.nn.Parameter)],
            "frozen": [n for n, t in tensors.items() if not t.requires_grad]}


def lookup_timing(embeddings, batch, n_features=36):
    """For the timing test: a function of a seed that runs ParserModel.embedding_lookup
    once on a batch of `batch` x `n_features` token ids of its own, drawn from the seed
    inside the run (no two runs share ids, so nothing is remembered from one to the next),
    and returns a fingerprint of the WHOLE result: its shape and the projection of every
    row on a vector drawn from the seed after the call. The model, holding `embeddings`,
    is built once per request. The grader compares each fingerprint with the reference's."""
    import numpy as np
    import torch

    from parser_model import ParserModel

    torch.set_num_threads(1)
    embeddings = np.asarray(embeddings, dtype=np.float32)
    model = ParserModel(embeddings, n_features=n_features)
    width = n_features * embeddings.shape[1]

    def run(seed):
        draw = np.random.default_rng(seed)
        # int32 drawn, then widened: about half the cost of drawing int64 ids directly
        ids = torch.from_numpy(draw.integers(len(embeddings), size=(batch, n_features), dtype=np.int32)).long()
        with torch.no_grad():
            out = np.asarray(model.embedding_lookup(ids), dtype=float)
        if out.shape != (batch, width):  # said to be of the wrong shape, not indexed
            return np.concatenate(([-1, -1] if out.ndim != 2 else out.shape, np.full(batch, np.nan)))
        return np.concatenate((out.shape, out @ draw.standard_normal(width)))

    return run


def chosen_sentences(ids):
    """The training sentences (of the reduced training set) at positions `ids`."""
    from utils.parser_utils import load_train_set

    sentences = load_train_set(reduced=True)
    return [sentences[i] for i in ids]


def training_start(train_ids, seed):
    """Run on the reference: the weights a short training run starts from (a ParserModel
    over the vocabulary of the chosen sentences, random embeddings)."""
    import torch

    from parser_model import ParserModel
    from utils.parser_utils import Parser, build_embeddings

    parser = Parser(chosen_sentences(train_ids))
    embeddings, _ = build_embeddings(parser, vectors_path=None, seed=seed)
    torch.manual_seed(seed)
    model = ParserModel(embeddings)
    return {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}


def short_training(train_ids, dev_ids, state, epochs, seed):
    """The submission's run.train on the chosen training sentences, from the weights
    `state`; returns the weights its training leaves in parser.model. The trusted side has
    the reference evaluate them: nothing this probe computes about itself is believed."""
    import os
    import tempfile

    import numpy as np
    import torch

    import run
    from utils.parser_utils import Parser

    torch.manual_seed(seed)
    np.random.seed(seed)
    train_set, dev_set = chosen_sentences(train_ids), chosen_sentences(dev_ids)
    parser = Parser(train_set)
    parser.model = built_model(state)
    load_weights(parser.model, state, list(state))
    instances = parser.create_instances(parser.vectorize(train_set))
    out = tempfile.mkdtemp(dir=".")
    run.train(parser, instances, parser.vectorize(dev_set), os.path.join(out, "model.weights"),
              batch_size=1024, n_epochs=epochs, lr=0.0005)
    # read by name, in the model's own layout (the trusted side fits it): train is
    # charged for what training did to them, not for how the model stores them
    return {n: getattr(parser.model, n).detach().cpu().numpy() for n in state}


def training_losses(train_ids, states):
    """Run on the reference: the mean cross-entropy of the reference ParserModel holding
    each of `states` (eval mode) on the training instances of the chosen sentences."""
    import numpy as np
    import torch

    from parser_model import ParserModel
    from utils.parser_utils import Parser

    train_set = chosen_sentences(train_ids)
    parser = Parser(train_set)
    instances = parser.create_instances(parser.vectorize(train_set))
    x = torch.as_tensor(np.array([i[0] for i in instances]), dtype=torch.long)
    y = torch.as_tensor(np.array([i[2] for i in instances]), dtype=torch.long)
    losses = []
    for state in states:
        n_tokens, dim = state["embeddings"].shape
        model = ParserModel(np.zeros((n_tokens, dim), dtype=np.float32),
                            n_features=state["embed_to_hidden_weight"].shape[0] // dim,
                            hidden_size=state["embed_to_hidden_weight"].shape[1])
        model.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
        model.eval()
        with torch.no_grad():  # in chunks: all instances at once hold ~100 MB more
            total = sum(float(torch.nn.functional.cross_entropy(model(x[i:i + 2048]), y[i:i + 2048],
                                                                reduction="sum"))
                        for i in range(0, len(y), 2048))
        losses.append(total / max(len(y), 1))
    return losses


def submitted_weights():
    """Read the submitted model.weights (torch.load, weights_only) and send its tensors
    back as plain arrays: data, not verdicts. The held-out sentences never come here; the
    reference's parser predicts their heads from these weights (see heldout_heads)."""
    import torch

    try:
        state = torch.load("model.weights", map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError("model.weights could not be read with torch.load (%s: %s); submit the "
                         "file run.py saves with torch.save(model.state_dict(), ...)"
                         % (type(exc).__name__, str(exc)[:200])) from None
    if not isinstance(state, dict) or "embeddings" not in state:
        raise ValueError("model.weights holds no state_dict with an 'embeddings' entry; submit the "
                         "file run.py saves with torch.save(model.state_dict(), ...)")
    return {str(k): v.detach().to(torch.float32).cpu().numpy()
            for k, v in state.items() if isinstance(v, torch.Tensor)}


def fit_state(state, wanted):
    """The submitted arrays `state` laid out as `wanted` ({name: shape}, the reference
    ParserModel's), and what does not fit. 2021 models differ only in layout: a bias of
    shape (1, h), a weight stored transposed (nn.Linear's (out, in)); so an entry is
    matched by name and number of elements, and transposed when that is the wanted shape."""
    import numpy as np

    fitted, problems = {}, []
    for name, shape in wanted.items():
        shape = tuple(shape)
        if name not in state:
            problems.append("it has no entry %r (it has: %s)" % (
                name, ", ".join(repr(k[:60]) for k in sorted(state)[:12]) or "nothing"))
            continue
        value = np.asarray(state[name], dtype=np.float32)
        if value.ndim == 2 and value.shape[::-1] == shape and value.shape != shape:
            value = value.T
        if value.size != int(np.prod(shape)) or [n for n in value.shape if n != 1] != \
                [n for n in shape if n != 1]:
            problems.append("%r has shape %s, wanted %s" % (name, tuple(value.shape), shape))
            continue
        fitted[name] = np.ascontiguousarray(value.reshape(shape))
    return fitted, problems


def heldout_heads(state, sentences):
    """Run on the reference: the heads its ParserModel, holding the submitted weights
    `state` (arrays), and its parser code predict for the sentences (words and tags).
    {"heads": [...]} or, where the weights do not fit the parser, {"unfit": why}."""
    import numpy as np
    import torch

    from parser_model import ParserModel
    from utils.parser_utils import build_parser, predict_heads

    torch.set_num_threads(1)
    embeddings = state.get("embeddings")
    if embeddings is None or np.ndim(embeddings) != 2:
        return {"unfit": "its 'embeddings' is not a matrix (one row per token)"}
    parser = build_parser(reduced=False)
    n_tokens, dim = np.shape(embeddings)
    if n_tokens != parser.n_tokens:
        return {"unfit": "the model's embeddings have %d rows but the parser's vocabulary has %d "
                         "tokens: it was trained with another vocabulary (debug mode -d uses a "
                         "smaller one)" % (n_tokens, parser.n_tokens)}
    bias = state.get("embed_to_hidden_bias")
    hidden = int(np.size(bias)) if bias is not None else 0
    if hidden < 1:
        return {"unfit": "it has no entry 'embed_to_hidden_bias' (or it is empty), so the "
                         "hidden layer's size is unknown"}
    model = ParserModel(np.zeros((n_tokens, dim), dtype=np.float32),
                        n_features=parser.n_features, hidden_size=hidden)
    wanted = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    fitted, problems = fit_state(state, wanted)
    if problems:
        return {"unfit": "; ".join(problems)}
    model.load_state_dict({k: torch.as_tensor(v) for k, v in fitted.items()})
    return {"heads": predict_heads(parser, model, sentences)}


# what a probe that builds a ParserModel from weights runs with (helpers=MODEL_HELPERS)
MODEL_HELPERS = (built_model, load_weights, fit_state)
