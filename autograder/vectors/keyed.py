"""KeyedVectors: the part of gensim's query API that the assignments use, on numpy.

Names, arguments and results follow gensim 4 so code written for gensim in a 2021
notebook runs unchanged: cosine similarity on unit vectors, 3CosAdd analogies with the
query words excluded, and gensim's evaluation protocols.
"""
import numpy as np
from scipy import stats

from . import io

_ANALOGY_BATCH = 512  # questions scored per matrix multiply (512 x 30k floats = 60 MB)
_ANALOGY_TOPN = 5     # gensim looks for the answer among the top 5 of most_similar


def _unit_rows(m):
    norms = np.linalg.norm(m, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0  # a zero vector stays zero instead of becoming NaN
    return (m / norms).astype(np.float32)


def _upper_vocab(keys, case_insensitive):
    """key -> index for `keys`; case-insensitively the most frequent (first) casing wins."""
    if not case_insensitive:
        return {k: i for i, k in enumerate(keys)}
    return {k.upper(): i for i, k in reversed(list(enumerate(keys)))}


class KeyedVectors:
    def __init__(self, words, vectors):
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(words) != len(vectors):
            raise ValueError(f"need one row per word: {len(words)} words, vectors {vectors.shape}")
        self.index_to_key = list(words)
        self.key_to_index = {w: i for i, w in enumerate(self.index_to_key)}
        self.vectors = vectors
        self._normed = None

    # ---- files ------------------------------------------------------------------
    @classmethod
    def load_word2vec_format(cls, path, binary=None, limit=None, unicode_errors="strict"):
        """Read a word2vec text or binary file (binary=None: detect which)."""
        words, vectors = io.read_word2vec(str(path), binary=binary, limit=limit, errors=unicode_errors)
        return cls(words, vectors)

    def save_word2vec_format(self, path, binary=True):
        io.write_word2vec(str(path), self.index_to_key, self.vectors, binary=binary)

    # ---- lookup -----------------------------------------------------------------
    @property
    def vector_size(self):
        return self.vectors.shape[1]

    def __len__(self):
        return len(self.index_to_key)

    def __contains__(self, key):
        return key in self.key_to_index

    def has_index_for(self, key):
        return key in self.key_to_index

    def get_index(self, key):
        try:
            return self.key_to_index[key]
        except KeyError:
            raise KeyError(f"Key '{key}' not present") from None

    def get_vector(self, key, norm=False):
        i = self.get_index(key)
        return self.get_normed_vectors()[i] if norm else self.vectors[i]

    def __getitem__(self, keys):
        if isinstance(keys, str):
            return self.get_vector(keys)
        return np.vstack([self.get_vector(k) for k in keys])

    def get_normed_vectors(self):
        if self._normed is None or self._normed.shape != self.vectors.shape:
            self._normed = _unit_rows(self.vectors)
        return self._normed

    def fill_norms(self, force=False):
        if force:
            self._normed = None
        self.get_normed_vectors()

    # ---- similarity -------------------------------------------------------------
    def _query(self, positive, negative):
        """Unit mean of the weighted unit vectors, and the indices of the query keys."""
        if isinstance(positive, (str, np.ndarray)):
            positive = [positive]
        if isinstance(negative, (str, np.ndarray)):
            negative = [negative]
        terms = [(k, 1.0) for k in positive or ()] + [(k, -1.0) for k in negative or ()]
        if not terms:
            raise ValueError("cannot compute similarity with no input")
        exclude, rows = set(), []
        for key, weight in terms:
            if isinstance(key, np.ndarray):
                rows.append(weight * _unit_rows(key.astype(np.float32)))
            else:
                i = self.get_index(key)
                exclude.add(i)
                rows.append(weight * self.get_normed_vectors()[i])
        return _unit_rows(np.mean(rows, axis=0)), exclude

    def most_similar(self, positive=(), negative=(), topn=10, restrict_vocab=None):
        """[(key, cosine)] nearest to sum(positive) - sum(negative), query keys left out.
        topn=None returns the cosines with every key instead."""
        query, exclude = self._query(positive, negative)
        normed = self.get_normed_vectors()[:restrict_vocab]
        sims = normed @ query
        if not topn:
            return sims
        k = min(len(sims), topn + len(exclude))
        best = np.argpartition(-sims, k - 1)[:k] if k < len(sims) else np.arange(len(sims))
        best = best[np.argsort(-sims[best], kind="stable")]
        return [(self.index_to_key[i], float(sims[i])) for i in best if i not in exclude][:topn]

    def similar_by_vector(self, vector, topn=10, restrict_vocab=None):
        return self.most_similar(positive=[np.asarray(vector)], topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_word(self, word, topn=10, restrict_vocab=None):
        return self.most_similar(positive=[word], topn=topn, restrict_vocab=restrict_vocab)

    def similarity(self, w1, w2):
        return float(self.get_vector(w1, norm=True) @ self.get_vector(w2, norm=True))

    def distance(self, w1, w2):
        return 1.0 - self.similarity(w1, w2)

    def doesnt_match(self, words):
        """The word furthest from the mean of the others' unit vectors (unknown words ignored)."""
        used = [w for w in words if w in self.key_to_index]
        if not used:
            raise ValueError("cannot select a word from an empty list")
        rows = np.vstack([self.get_vector(w, norm=True) for w in used])
        mean = _unit_rows(rows.mean(axis=0))
        return used[int(np.argmin(rows @ mean))]

    # ---- evaluation -------------------------------------------------------------
    def evaluate_word_analogies(self, analogies, restrict_vocab=30000, case_insensitive=True):
        """gensim's analogy protocol: (accuracy, sections).

        Only questions whose four words are among the first `restrict_vocab` keys count;
        the answer is the nearest key to b - a + c (unit vectors) other than a, b, c.
        """
        keys = self.index_to_key[:restrict_vocab]
        vocab = _upper_vocab(keys, case_insensitive)
        # canon[i]: the index the (upper-cased) key i stands for, so another casing of
        # a question word counts as that word.
        canon = np.array([vocab[k.upper() if case_insensitive else k] for k in keys], dtype=np.int64)
        sections, questions = _read_analogies(analogies, case_insensitive)
        for sec in sections:
            sec["_ids"] = [[vocab[w] for w in q] for q in sec.pop("_questions")
                           if all(w in vocab for w in q)]
        all_ids = [ids for sec in sections for ids in sec["_ids"]]
        hits = self._answer_analogies(np.array(all_ids, dtype=np.int64).reshape(-1, 4), restrict_vocab, canon)
        k = 0
        for sec in sections:
            quads = sec.pop("_ids")
            for q, hit in zip(quads, hits[k:k + len(quads)]):
                (sec["correct"] if hit else sec["incorrect"]).append(tuple(keys[i].upper() if case_insensitive
                                                                     else keys[i] for i in q))
            k += len(quads)
        total = {"section": "Total accuracy",
                 "correct": [q for s in sections for q in s["correct"]],
                 "incorrect": [q for s in sections for q in s["incorrect"]]}
        n = len(total["correct"]) + len(total["incorrect"])
        sections.append(total)
        return (len(total["correct"]) / n if n else 0.0), sections

    def _answer_analogies(self, quads, restrict_vocab, canon):
        """Boolean per question (a, b, c, expected indices): is the 3CosAdd answer right?"""
        normed = self.get_normed_vectors()[:restrict_vocab]
        hits = np.zeros(len(quads), dtype=bool)
        rows = np.arange(_ANALOGY_BATCH)[:, None]
        for lo in range(0, len(quads), _ANALOGY_BATCH):
            q = quads[lo:lo + _ANALOGY_BATCH]
            r = rows[:len(q)]
            query = _unit_rows(normed[q[:, 1]] - normed[q[:, 0]] + normed[q[:, 2]])
            sims = query @ normed.T
            sims[r, q[:, :3]] = -np.inf  # most_similar never returns its own inputs
            # Walk down the ranking (gensim looks at the top 5) to the first candidate that is
            # not another casing of a question word; argmax per step beats a sort of 30k columns.
            decided = np.zeros(len(q), dtype=bool)
            for _ in range(min(_ANALOGY_TOPN, sims.shape[1])):
                best = np.argmax(sims, axis=1)
                cand = canon[best]
                ok = ~decided & (cand != q[:, 0]) & (cand != q[:, 1]) & (cand != q[:, 2])
                hits[lo:lo + len(q)] |= ok & (cand == q[:, 3])
                decided |= ok
                if decided.all():
                    break
                sims[r[:, 0], best] = -np.inf
        return hits

    def evaluate_word_pairs(self, pairs, delimiter="\t", restrict_vocab=300000, case_insensitive=True):
        """gensim's similarity protocol: ((pearson, p), (spearman, p), oov percent) over the
        pairs whose two words are among the first `restrict_vocab` keys."""
        keys = self.index_to_key[:restrict_vocab]
        vocab = _upper_vocab(keys, case_insensitive)
        normed = self.get_normed_vectors()
        gold, model, oov = [], [], 0
        with open(pairs, encoding="utf-8") as f:
            for line in f:
                if not line or line.startswith("#"):
                    continue
                try:
                    a, b, sim = line.split(delimiter)
                    sim = float(sim)
                except ValueError:
                    continue
                if case_insensitive:
                    a, b = a.upper(), b.upper()
                if a not in vocab or b not in vocab:
                    oov += 1
                    continue
                gold.append(sim)
                model.append(float(normed[vocab[a]] @ normed[vocab[b]]))
        if len(gold) < 2:
            raise ValueError(f"{pairs}: fewer than 2 pairs in the vocabulary")
        return (stats.pearsonr(gold, model), stats.spearmanr(gold, model),
                100.0 * oov / (len(gold) + oov))


def _read_analogies(path, case_insensitive):
    """Sections of an analogy file; questions are 4-tuples of (upper-cased) words."""
    sections, total = [], 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith(": "):
                sections.append({"section": line[2:].strip(), "correct": [], "incorrect": [],
                                 "_questions": []})
                continue
            words = line.split()
            if not words:
                continue
            if not sections:
                raise ValueError(f"{path}: question before the first ': section' line")
            if len(words) != 4:
                continue  # gensim skips malformed lines too
            sections[-1]["_questions"].append(tuple(w.upper() for w in words) if case_insensitive
                                              else tuple(words))
            total += 1
    return sections, total
