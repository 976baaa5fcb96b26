"""vocab.py: the subword vocabulary the grader rebuilds must be the student's, byte for
byte; ids 0-3 are the special pieces; pieces detokenise back to the text."""
import os
import unicodedata

import sentencepiece as spm

from autograder.config import ROOT

RAW = os.path.join(ROOT, "data", "multi30k-de-en", "raw")


def test_build_vocab_is_deterministic(a4, full_vocab_dir, tmp_path):
    """Built again at the grader's sizes: in the same folder, the same model files byte for
    byte; in another folder the same pieces and scores (the files differ only in the
    model_prefix path the trainer records)."""
    out = tmp_path / "again"
    out.mkdir()
    vocab = a4.vocab.build_vocab(out_dir=str(out))
    first = {name: (out / name).read_bytes() for name in ("src.model", "tgt.model")}
    for name in first:
        (out / name).unlink()
    a4.vocab.build_vocab(out_dir=str(out))
    for name, data in first.items():
        assert (out / name).read_bytes() == data, name
        ours = spm.SentencePieceProcessor(model_file=str(out / name))
        theirs = spm.SentencePieceProcessor(model_file=str(full_vocab_dir / name))
        assert ours.get_piece_size() == theirs.get_piece_size()
        assert all(ours.id_to_piece(i) == theirs.id_to_piece(i) and ours.get_score(i) == theirs.get_score(i)
                   for i in range(ours.get_piece_size())), name
    assert (len(vocab.src), len(vocab.tgt)) == (a4.vocab.SRC_VOCAB_SIZE, a4.vocab.TGT_VOCAB_SIZE)


def test_ids_0_to_3_are_the_special_pieces(a4, full_vocab_dir):
    vocab = a4.vocab.Vocab.build(str(full_vocab_dir / "src.model"), str(full_vocab_dir / "tgt.model"))
    specials = ["<pad>", "<s>", "</s>", "<unk>"]
    for side in ("src", "tgt"):
        entry = getattr(vocab, side)
        assert [entry.id2word[i] for i in range(4)] == specials
        assert [entry[p] for p in specials] == [0, 1, 2, 3] and entry.unk_id == 3
        sp = spm.SentencePieceProcessor(model_file=str(full_vocab_dir / (side + ".model")))
        assert [sp.id_to_piece(i) for i in range(4)] == specials
        assert (sp.pad_id(), sp.bos_id(), sp.eos_id(), sp.unk_id()) == (0, 1, 2, 3)
        # piece i has id i, in the vocabulary the model's rows are indexed by
        assert all(entry.id2word[i] == sp.id_to_piece(i) for i in range(len(entry)))


def test_detokenise_undoes_the_subword_split(a4, full_vocab_dir, corpus):
    """Every dev sentence, through ids as decoding sees them: text -> pieces -> ids ->
    pieces -> text gives the text back, as SentencePiece normalises it (NFKC, runs of
    spaces as one): the same text but for one German line's no-break space."""
    vocab = a4.vocab.Vocab.build(str(full_vocab_dir / "src.model"), str(full_vocab_dir / "tgt.model"))
    for name, source, entry in (("val.en", "tgt", vocab.tgt), ("val.de", "src", vocab.src)):
        with open(f"{RAW}/{name}", encoding="utf8") as f:
            lines = [line.strip() for line in f]
        pieces = corpus(full_vocab_dir, name, source)
        assert len(pieces) == len(lines) > 1000
        wrong, changed = [], 0
        for line, sent in zip(lines, pieces):
            if source == "tgt":
                assert sent[0] == "<s>" and sent[-1] == "</s>"
                sent = sent[1:-1]
            again = a4.vocab.detokenise(entry.indices2words(entry.words2indices(sent)))
            if again != " ".join(unicodedata.normalize("NFKC", line).split()):
                wrong.append((line, again))
            changed += again != line
        assert not wrong, "%s: %d of %d lines differ, e.g. %s" % (name, len(wrong), len(lines), wrong[:3])
        assert changed <= 1, (name, changed)


def test_detokenise_joins_pieces_as_sentencepiece_does(a4):
    assert a4.vocab.detokenise(["\u2581A", "\u2581do", "g", "\u2581runs", "."]) == "A dog runs."
    assert a4.vocab.detokenise([]) == ""
