"""Known-buggy a3 submissions: each loses exactly the tests that target its mistake.

Each variant is the reference with whole functions replaced (and the quickly trained
model.weights, see conftest). Together they fail every graded test at least once.

Since issue 10 a property check counts only when the function's values are right: 2.2
and 2.4 (inputs left alone) need the parse itself to match the reference, 1.4 and 2.5-2.7
(parameters, initialisation, no nn.Linear) need forward with those parameters to match
it, 2.10 (timing) checks the timed outputs, and 2.11 evaluates the trained weights with
the reference's ParserModel. So a wrong parse_step also loses 2.2 and 2.4, a wrong
forward or embedding_lookup also loses 1.4 and 2.5-2.7, a wrong embedding_lookup also
2.10, and one whose trained weights mean something else to the reference (features in
another order) also 2.11. 2.13 (gradients, issue 11) compares gradients only when forward's
values match, so a wrong forward or lookup also loses 2.13.

All but one hold the same quick weights, so the reference's parse of the held-out set
with them (2.12) is sent once between them (conftest's shared_heldout_parses).

Each model test loads only the weights it needs, in the model's own layout (issue 11):
2.8 only the embeddings, so a model of nn.Linear layers keeps 2.8; a 2021 layout (plain
tensors, a weight stored transposed, a (1, h) bias) keeps 2.8, 2.9 and 2.11, and loses
the tests about its parameters and their gradients.
"""
import shutil

import pytest

from autograder import config as configmod
from quick_model import QUICK_THRESHOLDS
from support import (check_variant_result, check_variants_cover, grade, make_submission, output_of, pin_seed,
                     variant_names)

A3 = configmod.load("a3")
PT, PM, RUN = "parser_transitions.py", "parser_model.py", "run.py"

ARCS_SWAPPED = '''
    def parse_step(self, transition):
        if transition == "S":
            self.stack.append(self.buffer.pop(0))
        elif transition == "RA":                 # the two arcs the wrong way round
            dependent = self.stack.pop(-2)
            self.dependencies.append((self.stack[-1], dependent))
        elif transition == "LA":
            dependent = self.stack.pop()
            self.dependencies.append((self.stack[-1], dependent))
'''

BUFFER_IS_THE_SENTENCE = '''
    def __init__(self, sentence):
        self.sentence = sentence
        self.stack = ["ROOT"]
        self.buffer = sentence                   # not a copy: shifting empties the caller's list
        self.dependencies = []
'''

FINISHED_PARSES_KEPT = '''
def minibatch_parse(sentences, model, batch_size):
    partial_parses = [PartialParse(sentence) for sentence in sentences]
    for start in range(0, len(partial_parses), batch_size):
        batch = partial_parses[start:start + batch_size]
        while any(pp.buffer or len(pp.stack) > 1 for pp in batch):
            transitions = model.predict(batch)   # finished parses stay in the batch
            for pp, transition in zip(batch, transitions):
                if pp.buffer or len(pp.stack) > 1:
                    pp.parse_step(transition)
    return [pp.dependencies for pp in partial_parses]
'''

FEATURES_CONCATENATED_BY_DIMENSION = '''
    def embedding_lookup(self, w):
        x = self.embeddings[w]                   # (B, n_features, d)
        return x.transpose(1, 2).reshape(w.shape[0], -1)   # d-major, not feature-major
'''

LOOKUP_LOOP = '''
    def embedding_lookup(self, w):
        rows = [self.embeddings[w[i]].reshape(-1) for i in range(w.shape[0])]
        return torch.stack(rows)
'''

NO_RELU = '''
    def forward(self, w):
        x = self.embedding_lookup(w)
        h = x @ self.embed_to_hidden_weight + self.embed_to_hidden_bias
        return self.dropout(h) @ self.hidden_to_logits_weight + self.hidden_to_logits_bias
'''

DROPOUT_ALWAYS = '''
    def forward(self, w):
        x = self.embedding_lookup(w)
        h = F.relu(x @ self.embed_to_hidden_weight + self.embed_to_hidden_bias)
        h = F.dropout(h, self.dropout_prob, training=True)    # also at evaluation time
        return h @ self.hidden_to_logits_weight + self.hidden_to_logits_bias
'''


# the start every ParserModel.__init__ variant shares
INIT_START = '''
    def __init__(self, embeddings, n_features=36, hidden_size=200, n_classes=3, dropout_prob=0.5):
        super(ParserModel, self).__init__()
        self.n_features, self.n_classes, self.dropout_prob = n_features, n_classes, dropout_prob
        self.embed_size, self.hidden_size = embeddings.shape[1], hidden_size
        self.embeddings = nn.Parameter(torch.tensor(embeddings))
'''


def init_variant(line):
    return INIT_START + f'''        self.embed_to_hidden_weight = nn.Parameter(torch.empty(self.n_features * self.embed_size, hidden_size))
        self.embed_to_hidden_bias = nn.Parameter(torch.zeros(hidden_size))
        self.dropout = nn.Dropout(p=dropout_prob)
        self.hidden_to_logits_weight = nn.Parameter(torch.empty(hidden_size, n_classes))
        self.hidden_to_logits_bias = nn.Parameter(torch.zeros(n_classes))
        for weight in (self.embed_to_hidden_weight, self.hidden_to_logits_weight):
            {line}
'''


NORMAL_INIT = init_variant("nn.init.xavier_normal_(weight)")
# a Parameter that asks for no gradient: the values are right, nothing trains the embeddings
FROZEN_EMBEDDINGS = init_variant("nn.init.xavier_uniform_(weight)").replace(
    "nn.Parameter(torch.tensor(embeddings))", "nn.Parameter(torch.tensor(embeddings), requires_grad=False)")
FAN_IN_ONLY = init_variant("nn.init.uniform_(weight, -(3.0 / weight.shape[0]) ** 0.5, (3.0 / weight.shape[0]) ** 0.5)")

LINEAR_LAYERS = INIT_START + '''        self.embed_to_hidden = nn.Linear(self.n_features * self.embed_size, hidden_size)
        self.dropout = nn.Dropout(p=dropout_prob)
        self.hidden_to_logits = nn.Linear(hidden_size, n_classes)
'''

# 2021 layouts (issue 11): the output layer as plain tensors, its weight stored (out, in),
# and the hidden bias of shape (1, h). Wrong: the output layer is neither trained nor
# saved; but embedding_lookup and forward compute the right thing once the weights are in
# place, so only the tests about the parameters and their gradients are lost.
PLAIN_TENSOR_OUTPUT_LAYER = {
    "ParserModel.__init__": INIT_START + '''        self.embed_to_hidden_weight = nn.Parameter(torch.empty(self.n_features * self.embed_size, hidden_size))
        nn.init.xavier_uniform_(self.embed_to_hidden_weight)
        self.embed_to_hidden_bias = nn.Parameter(torch.zeros(1, hidden_size))
        self.dropout = nn.Dropout(p=dropout_prob)
        weight = torch.empty(n_classes, hidden_size)
        nn.init.xavier_uniform_(weight)
        self.hidden_to_logits_weight = weight            # plain tensors, not nn.Parameter
        self.hidden_to_logits_bias = torch.zeros(n_classes)
''',
    "ParserModel.forward": '''
    def forward(self, w):
        x = self.embedding_lookup(w)
        h = F.relu(x @ self.embed_to_hidden_weight + self.embed_to_hidden_bias)
        return self.dropout(h) @ self.hidden_to_logits_weight.T + self.hidden_to_logits_bias
'''}

# Right, in a 2021 layout: weights stored (out, in) as nn.Linear stores them, biases of
# shape (1, h). The layer shapes are the student's own (the guide's compatibility surface):
# nothing is lost.
TRANSPOSED_2021_LAYOUT = {
    "ParserModel.__init__": INIT_START + '''        self.embed_to_hidden_weight = nn.Parameter(torch.empty(hidden_size, self.n_features * self.embed_size))
        self.embed_to_hidden_bias = nn.Parameter(torch.zeros(1, hidden_size))
        self.dropout = nn.Dropout(p=dropout_prob)
        self.hidden_to_logits_weight = nn.Parameter(torch.empty(n_classes, hidden_size))
        self.hidden_to_logits_bias = nn.Parameter(torch.zeros(1, n_classes))
        nn.init.xavier_uniform_(self.embed_to_hidden_weight)
        nn.init.xavier_uniform_(self.hidden_to_logits_weight)
''',
    "ParserModel.forward": '''
    def forward(self, w):
        x = self.embedding_lookup(w)
        h = F.relu(x @ self.embed_to_hidden_weight.T + self.embed_to_hidden_bias)
        return self.dropout(h) @ self.hidden_to_logits_weight.T + self.hidden_to_logits_bias
'''}

# Three real 2021 submissions: the lookup's values are right, but computed outside autograd,
# so the loss never reaches the embeddings (they are never trained).
LOOKUP_THROUGH_NUMPY = '''
    def embedding_lookup(self, w):
        x = self.embeddings.detach().numpy()[w.numpy()]
        return torch.from_numpy(x).reshape(w.shape[0], -1)
'''

LOOKUP_THROUGH_DATA = '''
    def embedding_lookup(self, w):
        return self.embeddings.data[w].reshape(w.shape[0], -1)
'''

LOOKUP_THROUGH_TOLIST = '''
    def embedding_lookup(self, w):
        table = self.embeddings.tolist()
        return torch.tensor([[v for i in row for v in table[i]] for row in w.tolist()])
'''

# The cheapest forgery of "a gradient reaches the embeddings": they are in the graph, so
# .grad is not None, but what reaches them is zero.
LOOKUP_WITH_A_ZERO_GRADIENT = '''
    def embedding_lookup(self, w):
        x = self.embeddings.data[w].reshape(w.shape[0], -1)
        return x + 0 * self.embeddings.sum()
'''

NO_OPTIMIZER_STEP = '''
def train_for_epoch(parser, train_data, dev_data, optimizer, loss_func, batch_size):
    parser.model.train()
    n_minibatches = math.ceil(len(train_data) / batch_size)
    loss_meter = AverageMeter()
    for train_x, train_y in minibatches(train_data, batch_size):
        optimizer.zero_grad()
        logits = parser.model(torch.from_numpy(train_x).long())
        loss = loss_func(logits, torch.from_numpy(train_y.nonzero()[1]).long())
        loss.backward()                          # ... but never optimizer.step()
        loss_meter.update(loss.item())
    print("Average Train Loss: {}".format(loss_meter.avg))
    parser.model.eval()
    dev_UAS, _ = parser.parse(dev_data)
    return dev_UAS
'''

VARIANTS = {
    "left and right arcs swapped": ({PT: {"PartialParse.parse_step": ARCS_SWAPPED}},
                                    {"1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "2.11"}),
    "buffer shares the caller's list": ({PT: {"PartialParse.__init__": BUFFER_IS_THE_SENTENCE}},
                                        {"1.2", "2.2", "2.4", "2.11"}),
    "finished parses stay in the batch": ({PT: {"minibatch_parse": FINISHED_PARSES_KEPT}},
                                          {"1.3", "2.3", "2.4"}),
    "features concatenated by dimension": ({PM: {"ParserModel.embedding_lookup": FEATURES_CONCATENATED_BY_DIMENSION}},
                                           {"1.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "2.13"}),
    "embedding lookup loops over the batch": ({PM: {"ParserModel.embedding_lookup": LOOKUP_LOOP}}, {"2.10"}),
    "no ReLU": ({PM: {"ParserModel.forward": NO_RELU}}, {"1.4", "2.5", "2.6", "2.7", "2.9", "2.13"}),
    "dropout at evaluation time": ({PM: {"ParserModel.forward": DROPOUT_ALWAYS}},
                                   {"1.4", "2.5", "2.6", "2.7", "2.9", "2.13"}),
    "normal initialisation": ({PM: {"ParserModel.__init__": NORMAL_INIT}}, {"2.6"}),
    "uniform initialisation with the wrong fan": ({PM: {"ParserModel.__init__": FAN_IN_ONLY}}, {"2.6"}),
    # its embedding_lookup is right (2.8 loads only the embeddings); forward's layers are
    # not the handout's tensors, so the grader cannot put its weights there (2.9, 2.11, 2.13)
    "nn.Linear layers": ({PM: {"ParserModel.__init__": LINEAR_LAYERS}},
                         {"1.4", "2.5", "2.6", "2.7", "2.9", "2.11", "2.13"}),
    "output layer as plain tensors, stored transposed, a (1, h) bias": (
        {PM: PLAIN_TENSOR_OUTPUT_LAYER}, {"1.4", "2.5", "2.6", "2.7", "2.13"}),
    "weights transposed and (1, h) biases, as 2021 code had them": ({PM: TRANSPOSED_2021_LAYOUT}, set()),
    "embedding lookup through .detach().numpy()": ({PM: {"ParserModel.embedding_lookup": LOOKUP_THROUGH_NUMPY}},
                                                   {"2.13"}),
    "embedding lookup through .data": ({PM: {"ParserModel.embedding_lookup": LOOKUP_THROUGH_DATA}}, {"2.13"}),
    "embedding lookup through .tolist()": ({PM: {"ParserModel.embedding_lookup": LOOKUP_THROUGH_TOLIST}},
                                           {"2.10", "2.13"}),
    "embeddings with requires_grad=False": ({PM: {"ParserModel.__init__": FROZEN_EMBEDDINGS}}, {"2.13"}),
    "embedding lookup forging a zero gradient": (
        {PM: {"ParserModel.embedding_lookup": LOOKUP_WITH_A_ZERO_GRADIENT}}, {"2.13"}),
    "no optimizer step": ({RUN: {"train_for_epoch": NO_OPTIMIZER_STEP}}, {"2.11"}),
    # the reference's parser parses the held-out set with the submitted weights (2.12
    # depends on them only): weights of a debug-mode (-d) run have another vocabulary
    "model.weights of a debug-mode run": ({}, {"2.12"}),
}

TEST_FUNCTIONS = {
    "1.1": ("parse_step", "PartialParse"), "1.2": ("PartialParse",), "1.3": ("minibatch_parse",),
    "1.4": ("ParserModel", "embedding_lookup", "forward"), "2.1": ("PartialParse", "parse_step"),
    "2.2": ("PartialParse",), "2.3": ("minibatch_parse",), "2.4": ("minibatch_parse",),
    "2.5": ("ParserModel",), "2.6": ("embed_to_hidden_weight", "hidden_to_logits_weight", "forward"),
    "2.7": ("ParserModel", "nn.Linear"), "2.8": ("embedding_lookup",), "2.9": ("forward",),
    "2.10": ("embedding_lookup",), "2.11": ("train",), "2.12": ("model.weights", "UAS"),
    "2.13": ("gradient", "gradients"),
}

# what 2.13 says about each variant that loses it for want of a gradient
NO_GRADIENT_SAID = {
    "output layer as plain tensors, stored transposed, a (1, h) bias":
        "self.hidden_to_logits_weight is a plain tensor, not an nn.Parameter: the loss has no gradient",
    "embeddings with requires_grad=False": "self.embeddings has requires_grad=False: the loss has no gradient",
    **{name: "embedding_lookup detaches the embeddings (.detach(), .data, .tolist() or numpy): the loss has "
             "no gradient with respect to self.embeddings, so they are never trained"
       for name in ("embedding lookup through .detach().numpy()", "embedding lookup through .data",
                    "embedding lookup through .tolist()", "embedding lookup forging a zero gradient")},
}


def test_variants_cover_every_graded_test():
    check_variants_cover(VARIANTS, TEST_FUNCTIONS, A3)


@pytest.mark.parametrize("name", variant_names(VARIANTS, serial={"embedding lookup loops over the batch",
                                                         "embedding lookup through .tolist()"}))
def test_variant_loses_exactly_its_tests(name, tmp_path, monkeypatch, quick_weights, shared_heldout_parses):
    patches, expected = VARIANTS[name]
    seed = pin_seed(monkeypatch)
    sub = make_submission(tmp_path / "sub", assignment="a3", patches=patches, drop=("model.weights",))
    shutil.copy(quick_weights, tmp_path / "sub" / "model.weights")
    if name == "model.weights of a debug-mode run":
        import torch
        state = torch.load(quick_weights, weights_only=True)
        state["embeddings"] = state["embeddings"][:5000]  # the debug vocabulary is smaller
        torch.save(state, tmp_path / "sub" / "model.weights")
    res = grade(sub, assignment="a3", results_path=tmp_path / "results.json", thresholds=QUICK_THRESHOLDS)
    check_variant_result(res, name, expected, TEST_FUNCTIONS, seed)
    if name == "model.weights of a debug-mode run":
        assert "trained with another vocabulary (debug mode -d" in output_of(res, "2.12"), output_of(res, "2.12")
        assert "python run.py --output model.weights" in output_of(res, "2.12")  # how to make one
    if name in NO_GRADIENT_SAID:
        assert NO_GRADIENT_SAID[name] in output_of(res, "2.13"), output_of(res, "2.13")
    if name.startswith("output layer as plain tensors"):
        assert "self.hidden_to_logits_weight is a plain tensor, not an nn.Parameter, so it is neither trained" \
            in output_of(res, "1.4"), output_of(res, "1.4")
