#!/usr/bin/env python
"""Subword vocabularies for the German->English translator.

Each side gets its own SentencePiece BPE model, trained deterministically on that side's
training text (one thread, every sentence, no sampling), so the same text and size give
the same pieces on every machine: the grader rebuilds the vocabulary from the training
text and needs nothing you pickled. `VocabEntry` maps pieces to ids as the course's did;
`Vocab` holds the source (German) and target (English) entries.

    python vocab.py          # builds src.model / tgt.model and vocab.json here
"""
import argparse
import json
import os

import sentencepiece as spm
import torch

PAD, START, END, UNK = "<pad>", "<s>", "</s>", "<unk>"
# subword vocabulary sizes (German, English); the grader rebuilds the vocabulary with these
SRC_VOCAB_SIZE, TGT_VOCAB_SIZE = 8000, 6000
DATA_SUBDIR = "multi30k-de-en/raw"


def data_file(name, required=True):
    """Path of a Multi30k file (e.g. "train.de"), or None if missing and not `required`.

    Looks where autograder.data.path looks ($NLPGRADE_DATA_DIR, else the project's data/);
    without the autograder package, in $NLPGRADE_DATA_DIR, then in data/ of the nearest
    folder above this file that has one. Never downloads.
    """
    rel = DATA_SUBDIR + "/" + name
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


def detokenise(pieces):
    """Subword pieces (without <s> and </s>) -> plain text, as SentencePiece joins them."""
    return "".join(pieces).replace("\u2581", " ").strip()


def train_subwords(file_path, model_prefix, vocab_size):
    """Train a SentencePiece BPE model on file_path (one sentence per line) and write
    model_prefix.model. Ids 0-3 are <pad>, <s>, </s>, <unk>, as in VocabEntry."""
    spm.SentencePieceTrainer.train(
        input=file_path, model_prefix=model_prefix, vocab_size=vocab_size, model_type="bpe",
        character_coverage=1.0, num_threads=1, input_sentence_size=0, shuffle_input_sentence=False,
        pad_id=0, bos_id=1, eos_id=2, unk_id=3, pad_piece=PAD, bos_piece=START, eos_piece=END,
        unk_piece=UNK, minloglevel=2)


def get_vocab_list(model_path):
    """The pieces of a SentencePiece model, in id order (the course's name)."""
    sp = spm.SentencePieceProcessor(model_file=model_path)
    return [sp.id_to_piece(i) for i in range(sp.get_piece_size())]


class VocabEntry(object):
    """Pieces <-> ids for one language."""

    def __init__(self, word2id=None):
        if word2id:
            self.word2id = dict(word2id)
        else:
            self.word2id = {PAD: 0, START: 1, END: 2, UNK: 3}
        self.unk_id = self.word2id[UNK]
        self.id2word = {v: k for k, v in self.word2id.items()}

    def __getitem__(self, word):
        return self.word2id.get(word, self.unk_id)

    def __contains__(self, word):
        return word in self.word2id

    def __setitem__(self, key, value):
        raise ValueError("vocabulary is readonly")

    def __len__(self):
        return len(self.word2id)

    def __repr__(self):
        return "Vocabulary[size=%d]" % len(self)

    def id2piece(self, wid):
        return self.id2word[wid]

    def add(self, word):
        if word not in self:
            wid = self.word2id[word] = len(self)
            self.id2word[wid] = word
            return wid
        return self[word]

    def words2indices(self, sents):
        """A sentence (list of pieces) or a list of sentences -> ids."""
        if sents and isinstance(sents[0], list):
            return [[self[w] for w in s] for s in sents]
        return [self[w] for w in sents]

    def indices2words(self, word_ids):
        return [self.id2word[w_id] for w_id in word_ids]

    def to_input_tensor(self, sents, device):
        """Sentences (lists of pieces) -> a (max_len, batch) tensor of ids, padded at the end."""
        from utils import pad_sents

        word_ids = self.words2indices(sents)
        sents_t = pad_sents(word_ids, self[PAD])
        return torch.tensor(sents_t, dtype=torch.long, device=device).t()

    @staticmethod
    def from_subword_model(model_path):
        """The entry of a SentencePiece model: piece i has id i."""
        entry = VocabEntry()
        for piece in get_vocab_list(model_path):
            entry.add(piece)
        return entry


class Vocab(object):
    """The source (German) and target (English) vocabularies."""

    def __init__(self, src_vocab, tgt_vocab):
        self.src = src_vocab
        self.tgt = tgt_vocab

    @staticmethod
    def build(src_model, tgt_model):
        return Vocab(VocabEntry.from_subword_model(src_model), VocabEntry.from_subword_model(tgt_model))

    def save(self, file_path):
        with open(file_path, "w") as f:
            json.dump(dict(src_word2id=self.src.word2id, tgt_word2id=self.tgt.word2id), f, indent=2)

    @staticmethod
    def load(file_path):
        with open(file_path) as f:
            entry = json.load(f)
        return Vocab(VocabEntry(entry["src_word2id"]), VocabEntry(entry["tgt_word2id"]))

    def __repr__(self):
        return "Vocab(source %d words, target %d words)" % (len(self.src), len(self.tgt))


def build_vocab(train_src=None, train_tgt=None, src_size=SRC_VOCAB_SIZE, tgt_size=TGT_VOCAB_SIZE,
                out_dir="."):
    """src.model and tgt.model (SentencePiece) in out_dir, trained on the training text,
    and the Vocab of their pieces. Rebuilt only when missing."""
    train_src = train_src or data_file("train.de")
    train_tgt = train_tgt or data_file("train.en")
    paths = []
    for text, name, size in ((train_src, "src", src_size), (train_tgt, "tgt", tgt_size)):
        prefix = os.path.join(out_dir, name)
        if not os.path.exists(prefix + ".model") or _size_of(prefix + ".model") != size:
            train_subwords(text, prefix, size)
        paths.append(prefix + ".model")
    return Vocab.build(*paths)


def _size_of(model_path):
    try:
        return spm.SentencePieceProcessor(model_file=model_path).get_piece_size()
    except (OSError, RuntimeError):
        return -1


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train-src", help="German training text (default: Multi30k train.de)")
    parser.add_argument("--train-tgt", help="English training text (default: Multi30k train.en)")
    parser.add_argument("--src-size", type=int, default=SRC_VOCAB_SIZE)
    parser.add_argument("--tgt-size", type=int, default=TGT_VOCAB_SIZE)
    parser.add_argument("--output", default="vocab.json")
    parser.add_argument("vocab_file", nargs="?", help="as --output (the 2021 run.sh names it last)")
    args = parser.parse_args()
    vocab = build_vocab(args.train_src, args.train_tgt, args.src_size, args.tgt_size)
    print(vocab)
    vocab.save(args.vocab_file or args.output)


if __name__ == "__main__":
    main()
