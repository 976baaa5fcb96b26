"""The datasets of assignment 5: characters of wiki.txt for pretraining, questions and
answers about birth places for fine-tuning.

Both turn a string into (x, y): x the input character ids, y the ids the model should
predict at each position (x shifted by one), LongTensors of length block_size - 1.
"""
import random

import torch
from torch.utils.data import Dataset

MASK_CHAR = "\u2047"  # ⁇ marks where a span was cut out, and ends the answer
PAD_CHAR = "\u25A1"  # □ fills the rest of the block


class NameDataset(Dataset):
    """Fine-tuning examples "question<TAB>answer", one a line (provided).

    The example reads question ⁇ answer ⁇ □□□...; the model is only asked to predict the
    answer and the ⁇ after it, so y is PAD over the question (the loss ignores PAD).
    It shares the pretraining dataset's vocabulary and block size.
    """

    def __init__(self, pretraining_dataset, data):
        self.MASK_CHAR = MASK_CHAR
        self.PAD_CHAR = PAD_CHAR
        self.itos = pretraining_dataset.itos
        self.stoi = pretraining_dataset.stoi
        self.block_size = pretraining_dataset.block_size
        # Non-ASCII characters are dropped: the fine-tuning files may hold characters
        # wiki.txt (the vocabulary) never saw.
        text = data.encode("utf-8").decode("ascii", errors="ignore")
        self.data = [line for line in text.split("\n") if line.strip()]

    def __len__(self):
        return len(self.data)

    def __getitem__(self, idx):
        question, answer = self.data[idx].split("\t")
        text = question + self.MASK_CHAR + answer + self.MASK_CHAR
        text = text + self.PAD_CHAR * (self.block_size - len(text))
        # Position i of y is the character after position i of x; the targets over the
        # question (all but its last position, which predicts the first ⁇) are PAD.
        target = self.PAD_CHAR * (len(question) - 1) + text[len(question):]
        x = torch.tensor([self.stoi[c] for c in text[:-1]], dtype=torch.long)
        y = torch.tensor([self.stoi[c] for c in target], dtype=torch.long)
        return x, y


class CharCorruptionDataset(Dataset):
    """Span corruption for pretraining: each line of `data` is a document.

    An example takes the document's first few characters, cuts a span out of them and
    asks the model to write the span after the rest:
        prefix ⁇ suffix ⁇ masked_content □□□...
    """

    def __init__(self, data, block_size):
        self.MASK_CHAR = MASK_CHAR
        self.PAD_CHAR = PAD_CHAR

        chars = sorted(set(data))
        assert self.MASK_CHAR not in chars
        assert self.PAD_CHAR not in chars
        # id 0 is PAD, id 1 is MASK, then the characters of the data in sorted order.
        chars = [self.PAD_CHAR, self.MASK_CHAR] + chars

        self.stoi = {ch: i for i, ch in enumerate(chars)}
        self.itos = {i: ch for i, ch in enumerate(chars)}

        data_size, vocab_size = len(data), len(chars)
        print("data has %d characters, %d unique." % (data_size, vocab_size))

        self.block_size = block_size
        self.vocab_size = vocab_size
        self.data = data.split("\n")

    def __len__(self):
        return len(self.data)

    def __getitem__(self, idx):
        """(x, y) for document idx, as described in the handout:

        1. Truncate the document to a random length in [4, int(block_size * 7/8)]
           (a shorter document stays as it is).
        2. Cut out a random span whose length is on average 1/4 of the truncated length:
           prefix, masked_content, suffix.
        3. masked_string = prefix + MASK_CHAR + suffix + MASK_CHAR + masked_content,
           padded with PAD_CHAR to block_size characters.
        4. x is all but the last character, y all but the first, as character ids.
        Use Python's `random` module for the random choices.
        """
        ### BEGIN SOLUTION
        document = self.data[idx]
        length = random.randint(4, int(self.block_size * 7 / 8))
        document = document[:length]
        length = len(document)

        # A span of 1 to length // 2 characters averages about length / 4; at least one
        # character, so every example asks for something.
        span = random.randint(1, length // 2) if length >= 2 else length
        start = random.randint(0, length - span)
        prefix = document[:start]
        masked_content = document[start:start + span]
        suffix = document[start + span:]

        masked_string = prefix + self.MASK_CHAR + suffix + self.MASK_CHAR + masked_content
        masked_string += self.PAD_CHAR * (self.block_size - len(masked_string))

        x = torch.tensor([self.stoi[c] for c in masked_string[:-1]], dtype=torch.long)
        y = torch.tensor([self.stoi[c] for c in masked_string[1:]], dtype=torch.long)
        return x, y
        ### END SOLUTION


if __name__ == "__main__":
    # Print a few examples: python dataset.py charcorruption (or namedata)
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("dataset_type", choices=["namedata", "charcorruption"])
    args = parser.parse_args()

    corruption_dataset = CharCorruptionDataset(open("wiki.txt", encoding="utf-8").read(), 128)
    if args.dataset_type == "namedata":
        dataset = NameDataset(corruption_dataset,
                              open("birth_places_train.tsv", encoding="utf-8").read())
    else:
        dataset = corruption_dataset
    for _, example in zip(range(4), dataset):
        x, y = example
        print("x:", "".join(dataset.itos[int(c)] for c in x))
        print("y:", "".join(dataset.itos[int(c)] for c in y))
