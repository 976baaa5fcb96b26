"""Everything the dependency parser needs except the model: data, vocabulary, the
arc-standard oracle, features, evaluation.

Data: UD English EWT (CoNLL-U). A sentence is a dict of lists, one item per word:
{'word': [...], 'pos': [...], 'head': [...], 'label': [...]} (FORM, UPOS, HEAD, DEPREL;
'head' and 'label' only when known). Parser.vectorize turns words and tags into token
ids and puts ROOT at position 0, so word i of the sentence is position i.

Transitions are numbered as the model's outputs: 0 = LA (left-arc), 1 = RA (right-arc),
2 = S (shift). Features (n_features = 36, Chen and Manning 2014, unlabeled): the words of
the top 3 stack items and the first 3 buffer words; for each of the top 2 stack items its
2 leftmost and 2 rightmost children and the leftmost child of its leftmost child and the
rightmost child of its rightmost child (18 words), then the UPOS tags of the same 18
positions. A missing position is NULL.

The grader uses, from its own process: build_parser, load_model, predict_heads (inside
its sandbox), and utils.attachment.attachment_scores.
"""
import os
import time
from collections import Counter

import numpy as np
import torch
from tqdm import tqdm

from parser_transitions import minibatch_parse

from .attachment import attachment_scores
from .conll import read_conll
from .general_utils import get_minibatches

P_PREFIX = "<p>:"
UNK = "<UNK>"
NULL = "<NULL>"
ROOT = "<ROOT>"

TRANSITIONS = ["LA", "RA", "S"]  # model output i is TRANSITIONS[i]
LA, RA, S = 0, 1, 2


class Config(object):
    language = "english"
    with_punct = True  # the UAS that parse() returns counts punctuation
    unlabeled = True
    lowercase = True
    use_pos = True
    use_dep = False  # no arc-label features in the unlabeled parser
    min_count = 1  # training words seen fewer times are UNK
    # word dropout in training minibatches: a word seen c times in training becomes UNK
    # with probability alpha / (alpha + c). It trains the UNK embedding (unknown words
    # at test time) and keeps the model from leaning on rare words; alpha = 3 gave about
    # +0.6 dev UAS over none. 0 turns it off.
    word_dropout = 3.0
    data_subdir = "ud-english-ewt"
    train_file = "en_ewt-ud-train.conllu.gz"
    dev_file = "en_ewt-ud-dev.conllu"
    test_file = "en_ewt-ud-test.conllu"
    # debug (reduced) mode: the first this many sentences of each set
    reduced_train, reduced_dev, reduced_test = 1000, 500, 500
    embedding_dim = 50  # of the random embeddings, when there are no word vectors
    embedding_std = 0.9


# ---------------------------------------------------------------------------------------
# Data files

def find_data_file(name, required=True):
    """Path of an EWT file (`name` as in Config), or None if missing and not `required`.

    Looks where autograder.data.path looks ($NLPGRADE_DATA_DIR, else the project's data/);
    without the autograder package, in $NLPGRADE_DATA_DIR, then in data/ of the nearest
    folder above this file that has one. Never downloads.
    """
    rel = Config.data_subdir + "/" + name
    try:
        from autograder.data import path as data_path
    except ImportError:
        data_path = None
    if data_path is not None:
        try:
            return data_path(rel)
        except Exception:  # the package's DataError: missing file
            if required:
                raise
            return None
    roots = [os.environ["NLPGRADE_DATA_DIR"]] if os.environ.get("NLPGRADE_DATA_DIR") else []
    d = os.path.dirname(os.path.abspath(__file__))
    while os.path.dirname(d) != d:
        roots.append(os.path.join(d, "data"))
        d = os.path.dirname(d)
    for root in roots:
        if os.path.isfile(os.path.join(root, rel)):
            return os.path.join(root, rel)
    if required:
        raise FileNotFoundError("data file %s not found (looked in %s); set NLPGRADE_DATA_DIR "
                                "to the data folder" % (rel, ", ".join(roots)))
    return None


def is_projective(heads):
    """Whether the tree (heads[i] = head of word i + 1, 0 = root) has no crossing arcs,
    the arcs from the root included."""
    arcs = [(min(h, d), max(h, d)) for d, h in enumerate(heads, 1)]
    for a, b in arcs:
        for c, e in arcs:
            if a < c < b < e:
                return False
    return True


# ---------------------------------------------------------------------------------------
# The parser (vocabulary, oracle, features) minus the model

class Parser(object):
    """Vocabulary, oracle and features; `model` (a ParserModel) is set by the caller.

    Parser(train_set) builds the vocabulary from the training sentences only, in an order
    fixed by the data (token counts, ties by spelling), so the same sentences always give
    the same ids, whatever the embeddings or the hash seed.
    """

    def __init__(self, dataset, min_count=None):
        self.config = Config
        self.language = Config.language
        self.with_punct = Config.with_punct
        self.unlabeled = Config.unlabeled
        self.lowercase = Config.lowercase
        self.use_pos = Config.use_pos
        self.use_dep = Config.use_dep
        self.min_count = Config.min_count if min_count is None else min_count

        self.n_trans = len(TRANSITIONS)
        self.tran2id = {t: i for i, t in enumerate(TRANSITIONS)}
        self.id2tran = dict(enumerate(TRANSITIONS))

        word_counts = Counter(self._norm(w) for ex in dataset for w in ex["word"])
        words = sorted((w for w, c in word_counts.items() if c >= self.min_count),
                       key=lambda w: (-word_counts[w], w))
        tags = sorted({p for ex in dataset for p in ex["pos"]})
        # special tokens first, so their ids do not depend on the data
        tokens = [NULL, UNK, ROOT, P_PREFIX + NULL, P_PREFIX + UNK, P_PREFIX + ROOT]
        tokens += [P_PREFIX + p for p in tags] + words
        self.tok2id = {t: i for i, t in enumerate(tokens)}
        self.id2tok = dict(enumerate(tokens))
        self.n_tokens = len(tokens)
        self.NULL, self.UNK, self.ROOT = self.tok2id[NULL], self.tok2id[UNK], self.tok2id[ROOT]
        self.P_NULL, self.P_UNK, self.P_ROOT = (self.tok2id[P_PREFIX + NULL],
                                                self.tok2id[P_PREFIX + UNK],
                                                self.tok2id[P_PREFIX + ROOT])
        self.n_words, self.n_tags = len(words), len(tags)
        # P(a word feature keeps its id in training), by token id; see Config.word_dropout
        alpha = Config.word_dropout
        self.word_keep = np.ones(self.n_tokens, dtype=np.float32)
        if alpha > 0:
            for w in words:
                self.word_keep[self.tok2id[w]] = word_counts[w] / (word_counts[w] + alpha)
        self.n_features = 18 + (18 if self.use_pos else 0)
        self.model = None

    def _norm(self, word):
        return word.lower() if self.lowercase else word

    def vectorize(self, examples):
        """Token ids of each sentence, ROOT at position 0: 'word', 'pos' (ids), 'upos'
        (the tags as strings, for scoring), and 'head' ([-1] + heads) and 'label' when the
        sentence has them."""
        vectorized = []
        for ex in examples:
            v = {
                "word": [self.ROOT] + [self.tok2id.get(self._norm(w), self.UNK) for w in ex["word"]],
                "pos": [self.P_ROOT] + [self.tok2id.get(P_PREFIX + p, self.P_UNK) for p in ex["pos"]],
                "upos": list(ex["pos"]),
            }
            if len(v["pos"]) != len(v["word"]):
                raise ValueError("a sentence has %d words but %d tags"
                                 % (len(ex["word"]), len(ex["pos"])))
            if ex.get("head") is not None:
                v["head"] = [-1] + list(ex["head"])
            if ex.get("label") is not None:
                v["label"] = [-1] + list(ex["label"])
            vectorized.append(v)
        return vectorized

    def extract_features(self, stack, buf, arcs, ex):
        """The 36 token ids of one parser state.

        stack, buf: word positions (0 or 'ROOT' for the root); arcs: (head, dependent, ...)
        tuples built so far; ex: the vectorized sentence. Nothing passed in is modified.
        """
        def position(x):
            return 0 if x == "ROOT" else x

        left, right = {}, {}  # head -> its dependents on that side
        for arc in arcs:
            h, d = position(arc[0]), position(arc[1])
            (left if d < h else right).setdefault(h, []).append(d)

        def lefts(k):  # leftmost first
            return sorted(left.get(k, ()))

        def rights(k):  # rightmost first
            return sorted(right.get(k, ()), reverse=True)

        top3 = [position(x) for x in stack[-3:]]
        positions = [-1] * (3 - len(top3)) + top3  # s3, s2, s1
        positions += list(buf[:3]) + [-1] * (3 - len(buf[:3]))  # b1, b2, b3
        for i in (1, 2):  # s1, then s2
            if len(stack) < i:
                positions += [-1] * 6
                continue
            k = position(stack[-i])
            lc, rc = lefts(k), rights(k)
            llc = lefts(lc[0]) if lc else []
            rrc = rights(rc[0]) if rc else []
            positions += [lc[0] if lc else -1, rc[0] if rc else -1,
                          lc[1] if len(lc) > 1 else -1, rc[1] if len(rc) > 1 else -1,
                          llc[0] if llc else -1, rrc[0] if rrc else -1]

        words, tags = ex["word"], ex["pos"]
        features = [words[p] if p >= 0 else self.NULL for p in positions]
        if self.use_pos:
            features += [tags[p] if p >= 0 else self.P_NULL for p in positions]
        return features

    def legal_labels(self, stack, buf):
        """[LA, RA, S] legality as 0/1. ROOT is never a dependent, and takes its one
        dependent only once the buffer is empty: a UD tree has a single root."""
        n = len(stack)
        return [int(n > 2), int(n > 2 or (n == 2 and not buf)), int(len(buf) > 0)]

    def get_oracle(self, stack, buf, ex):
        """The gold transition (LA, RA or S) of a state, or None if no transition keeps
        the gold tree reachable (a non-projective sentence)."""
        if len(stack) >= 2:
            s1, s2 = stack[-1], stack[-2]
            heads = ex["head"]
            if s2 > 0 and heads[s2] == s1:
                return LA
            if heads[s1] == s2 and not any(heads[b] == s1 for b in buf):
                return RA
        return S if buf else None

    def create_instances(self, examples):
        """Training instances (features, legal labels, gold transition) of every state the
        oracle visits, as a TrainingInstances list. Sentences the oracle cannot parse are
        skipped, with a count."""
        instances, skipped = TrainingInstances(self.word_keep, self.UNK), 0
        for ex in examples:
            stack, buf, arcs, states = [0], list(range(1, len(ex["word"]))), [], []
            while buf or len(stack) > 1:
                gold = self.get_oracle(stack, buf, ex)
                legal = self.legal_labels(stack, buf)
                if gold is None or not legal[gold]:
                    break
                states.append((self.extract_features(stack, buf, arcs, ex), legal, gold))
                if gold == S:
                    stack.append(buf.pop(0))
                elif gold == LA:
                    arcs.append((stack[-1], stack.pop(-2)))
                else:
                    dependent = stack.pop()
                    arcs.append((stack[-1], dependent))
            else:
                instances += states
                continue
            skipped += 1
        print("skipped %d of %d training sentences: non-projective, the oracle cannot "
              "produce them" % (skipped, len(examples)))
        self.n_skipped = skipped
        return instances

    def parse_heads(self, dataset, model=None, eval_batch_size=5000):
        """(heads, dependencies) that `model` (default self.model) predicts for vectorized
        sentences through parser_transitions.minibatch_parse: heads is one list per
        sentence (0 = root, -1 = left unattached), dependencies what minibatch_parse
        returned."""
        model = model if model is not None else self.model
        sentences = [list(range(1, len(ex["word"]))) for ex in dataset]  # word positions
        sentence_id_to_idx = {id(s): i for i, s in enumerate(sentences)}
        wrapper = ModelWrapper(self, dataset, sentence_id_to_idx, model)
        dependencies = minibatch_parse(sentences, wrapper, eval_batch_size)
        if len(dependencies) != len(sentences):
            raise ValueError("minibatch_parse returned %d dependency lists for %d sentences"
                             % (len(dependencies), len(sentences)))
        return [heads_from_dependencies(d, len(s)) for d, s in zip(dependencies, sentences)], \
            dependencies

    def evaluate(self, dataset, eval_batch_size=5000):
        """(attachment_scores dict, predicted heads) of self.model on vectorized sentences
        with gold heads."""
        heads, _ = self.parse_heads(dataset, eval_batch_size=eval_batch_size)
        return self._scores(heads, dataset), heads

    def parse(self, dataset, eval_batch_size=5000):
        """(UAS as a fraction, dependencies) of self.model on vectorized sentences with gold
        heads; punctuation counts unless Config.with_punct is False.

        dataset None is the missing test set (the grader holds it out): a 2021 run.py
        parses test_data at the end of training, so this says so and gives NaN instead of
        failing after the weights are saved.
        """
        if dataset is None:
            print("No test set here (the grader holds it out): no test UAS.")
            return float("nan"), []
        heads, dependencies = self.parse_heads(dataset, eval_batch_size=eval_batch_size)
        scores = self._scores(heads, dataset)
        uas = scores["uas"] if self.with_punct else scores["uas_no_punct"]
        return uas / 100.0, dependencies

    @staticmethod
    def _scores(heads, dataset):
        return attachment_scores(heads, [ex["head"][1:] for ex in dataset],
                                 [ex["upos"] for ex in dataset])


class TrainingInstances(list):
    """A list of (features, legal labels, gold transition), and what `minibatches` needs
    for word dropout: word_keep (by token id) and the UNK id."""

    def __init__(self, word_keep=None, unk=None, items=()):
        super().__init__(items)
        self.word_keep, self.unk = word_keep, unk


class ModelWrapper(object):
    """What minibatch_parse calls: predict(partial_parses) -> one transition each, the
    model's most likely legal one."""

    def __init__(self, parser, dataset, sentence_id_to_idx, model=None):
        self.parser = parser
        self.dataset = dataset
        self.sentence_id_to_idx = sentence_id_to_idx
        self.model = model if model is not None else parser.model

    def predict(self, partial_parses):
        features, legal = [], []
        for pp in partial_parses:
            idx = self.sentence_id_to_idx.get(id(pp.sentence))
            if idx is None:
                raise ValueError("a partial parse's .sentence is not one of the sentences given "
                                 "to minibatch_parse: PartialParse must keep the list it was given")
            stack = [0 if x == "ROOT" else x for x in pp.stack]
            features.append(self.parser.extract_features(stack, pp.buffer, pp.dependencies,
                                                         self.dataset[idx]))
            legal.append(self.parser.legal_labels(stack, pp.buffer))
        if not features:
            return []
        # on the model's device (a model moved to a GPU takes its inputs there), back on the CPU
        device = next(self.model.parameters(), torch.empty(0)).device
        with torch.no_grad():
            logits = self.model(torch.tensor(features, dtype=torch.long, device=device)).cpu()
        logits = logits.masked_fill(torch.tensor(legal) == 0, float("-inf"))
        return [TRANSITIONS[i] for i in logits.argmax(dim=1).tolist()]


def heads_from_dependencies(dependencies, n_words):
    """Head of each of words 1..n_words (0 = root, -1 = none) from (head, dependent) pairs;
    a dependent attached twice keeps its last head."""
    heads = [-1] * n_words
    for arc in dependencies:
        h, d = (0 if x == "ROOT" else x for x in arc[:2])
        if not (isinstance(d, int) and 1 <= d <= n_words and isinstance(h, int)
                and 0 <= h <= n_words):
            raise ValueError("dependency %r is not (head, dependent) of a sentence of %d words"
                             % (tuple(arc), n_words))
        heads[d - 1] = h
    return heads


# ---------------------------------------------------------------------------------------
# What the grader calls

def predict_heads(parser, model, sentences, batch_size=5000):
    """Heads predicted by `model` for raw sentences ({'word': [...], 'pos': [...]}, no gold
    heads needed), through parser_transitions.minibatch_parse. One list of ints per
    sentence: 1-based head positions, 0 = root, -1 = left unattached."""
    model.eval()
    heads, _ = parser.parse_heads(parser.vectorize(sentences), model, batch_size)
    return heads


def load_train_set(reduced=False):
    path = find_data_file(Config.train_file)
    return read_conll(path, lowercase=Config.lowercase,
                      max_example=Config.reduced_train if reduced else None)


def build_parser(reduced=False):
    """The Parser run.py trains with (reduced=True: the debug mode's smaller vocabulary);
    it reads only the training file."""
    return Parser(load_train_set(reduced))


def load_model(state_dict, parser=None, model_class=None):
    """A model in eval mode with the weights of `state_dict` (or of a file saved by
    torch.save), its sizes read from the weights' shapes. model_class defaults to
    parser_model.ParserModel. With `parser`, a vocabulary-size mismatch (a model trained
    in debug mode, say) raises ValueError."""
    if isinstance(state_dict, (str, os.PathLike)):
        state_dict = torch.load(state_dict, map_location="cpu", weights_only=True)
    n_tokens, dim = state_dict["embeddings"].shape
    if parser is not None and n_tokens != parser.n_tokens:
        raise ValueError("the model's embeddings have %d rows but the parser's vocabulary has %d "
                         "tokens: it was trained with another vocabulary (debug mode -d uses a "
                         "smaller one)" % (n_tokens, parser.n_tokens))
    in_size, hidden = state_dict["embed_to_hidden_weight"].shape
    if model_class is None:
        from parser_model import ParserModel as model_class
    model = model_class(np.zeros((n_tokens, dim), dtype=np.float32), n_features=in_size // dim,
                        hidden_size=hidden,
                        n_classes=state_dict["hidden_to_logits_weight"].shape[1])
    model.load_state_dict(state_dict)
    model.eval()
    return model


# ---------------------------------------------------------------------------------------
# Embeddings and training data

def find_word_vectors():
    """Path of the project's own word vectors, or None (no package, no file)."""
    try:
        from autograder.vectors import find_vectors
    except ImportError:
        return None
    try:
        return find_vectors()
    except Exception as exc:  # a broken vectors setup must not stop training
        print("word vectors unavailable (%s)" % exc)
        return None


def build_embeddings(parser, vectors_path="auto", seed=0):
    """(embeddings (n_tokens, d) float32, a line saying where they came from).

    Rows of words found in the word vectors (vectors_path; "auto": the project's own,
    None: none) are those vectors; every other row (tags, special tokens, unknown words)
    is random normal. Without vectors: d = 50, normal(0, 0.9), as the course did.
    """
    rng = np.random.RandomState(seed)
    if vectors_path == "auto":
        vectors_path = find_word_vectors()
    if vectors_path is None:
        matrix = rng.normal(0, Config.embedding_std, (parser.n_tokens, Config.embedding_dim))
        return matrix.astype(np.float32), "random normal(0, %g), %d-d (no word vectors)" % (
            Config.embedding_std, Config.embedding_dim)

    from autograder.vectors import KeyedVectors
    kv = KeyedVectors.load_word2vec_format(vectors_path)
    vectors = np.asarray(kv.vectors, dtype=np.float32)
    # the same scale as the pretrained rows, so no group of features dominates at first
    std = float(vectors.std())
    matrix = rng.normal(0, std, (parser.n_tokens, kv.vector_size)).astype(np.float32)
    found = 0
    for token, i in parser.tok2id.items():
        j = kv.key_to_index.get(token)
        if j is None and not token.startswith(P_PREFIX):
            j = kv.key_to_index.get(token.lower())
        if j is not None and not token.startswith(P_PREFIX) and token not in (NULL, UNK, ROOT):
            matrix[i] = vectors[j]
            found += 1
    return matrix, "word vectors %s, %d-d: %d of %d words found, the rest normal(0, %.3f)" % (
        os.path.basename(vectors_path), kv.vector_size, found, parser.n_words, std)


N_WORD_FEATURES = 18  # the first 18 features are words, the rest tags


def minibatches(data, batch_size):
    """Shuffled minibatches (features (B, 36) int64, one-hot gold transitions (B, 3)) of
    training instances. Instances from Parser.create_instances get word dropout (see
    Config.word_dropout): fresh UNKs in every minibatch, drawn from numpy's generator."""
    x = np.array([d[0] for d in data], dtype=np.int64)
    y = np.array([d[2] for d in data], dtype=np.int64)
    one_hot = np.zeros((y.size, 3), dtype=np.float32)
    one_hot[np.arange(y.size), y] = 1
    keep = getattr(data, "word_keep", None)
    if keep is None or (keep == 1).all():
        return get_minibatches([x, one_hot], batch_size)
    return _word_dropout(get_minibatches([x, one_hot], batch_size), keep, data.unk)


def _word_dropout(batches, keep, unk):
    for x, y in batches:  # x is a fresh copy of its rows: safe to change
        words = x[:, :N_WORD_FEATURES]
        drop = np.random.random_sample(words.shape) >= keep[words]
        words[drop] = unk
        yield x, y


def load_and_preprocess_data(reduced=True, vectors="auto"):
    """(parser, embeddings, train instances, dev set, test set) as run.py uses them.

    reduced: debug mode, the first 1000 / 500 / 500 sentences of train / dev / test (and a
    vocabulary from those 1000 only). The dev and test sets come vectorized, with gold
    heads; the test set is None when its file is missing (students do not get it).
    """
    config = Config
    start = time.time()
    print("Loading data...", end=" ", flush=True)
    train_set = load_train_set(reduced)
    dev_set = read_conll(find_data_file(config.dev_file), lowercase=config.lowercase,
                         max_example=config.reduced_dev if reduced else None)
    test_path = find_data_file(config.test_file, required=False)
    test_set = None if test_path is None else read_conll(
        test_path, lowercase=config.lowercase,
        max_example=config.reduced_test if reduced else None)
    print("took %.2f seconds" % (time.time() - start))

    start = time.time()
    print("Building parser...", end=" ", flush=True)
    parser = Parser(train_set)
    print("took %.2f seconds (%d tokens: %d words, %d tags)"
          % (time.time() - start, parser.n_tokens, parser.n_words, parser.n_tags))

    start = time.time()
    print("Building embeddings...", end=" ", flush=True)
    embeddings, source = build_embeddings(parser, vectors)
    print("took %.2f seconds\n  %s" % (time.time() - start, source))

    start = time.time()
    print("Vectorizing data...", end=" ", flush=True)
    train_set = parser.vectorize(train_set)
    dev_set = parser.vectorize(dev_set)
    test_set = None if test_set is None else parser.vectorize(test_set)
    print("took %.2f seconds" % (time.time() - start))

    start = time.time()
    print("Preprocessing training data...")
    train_examples = parser.create_instances(tqdm(train_set, leave=False))
    print("took %.2f seconds (%d instances)" % (time.time() - start, len(train_examples)))
    return parser, embeddings, train_examples, dev_set, test_set


class AverageMeter(object):
    """Running average of a value (the training loss)."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.val = self.avg = self.sum = 0
        self.count = 0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count
