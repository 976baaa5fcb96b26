"""The word2vec file formats, text and binary, as the C tool and gensim write them.

Both start with a header line "n d". Text: then one line per word, "word v1 ... vd".
Binary: then per word the UTF-8 word, one space, d little-endian float32 and, from the C
tool, a newline; gensim's writer leaves the newline out, so the reader skips whitespace
before each word instead of expecting it.
"""
import numpy as np

_BLOCK = 1 << 20
_SPACE = b" "
_WHITESPACE = b" \t\n\r"


def write_word2vec(path, words, vectors, binary=True):
    vectors = np.asarray(vectors, dtype="<f4")
    n, d = vectors.shape
    if len(words) != n:
        raise ValueError(f"{len(words)} words but {n} vectors")
    with open(path, "wb") as f:
        f.write(f"{n} {d}\n".encode("ascii"))
        for word, vec in zip(words, vectors):
            if not word or any(ch.isspace() for ch in word):
                raise ValueError(f"word {word!r} is empty or holds whitespace; the format cannot store it")
            if binary:
                f.write(word.encode("utf-8") + _SPACE + vec.tobytes() + b"\n")
            else:
                # repr of a float32 widened to float64 prints the shortest round-tripping digits
                f.write((word + " " + " ".join(repr(float(x)) for x in vec) + "\n").encode("utf-8"))


def _read_header(f):
    line = f.readline()
    try:
        n, d = (int(x) for x in line.split())
    except ValueError:
        raise ValueError(f"not a word2vec file: header {line[:80]!r} is not 'count dim'") from None
    return n, d


def is_binary(path):
    """Guess the format: the first entry of a text file is a word and d numbers on one line."""
    with open(path, "rb") as f:
        _, d = _read_header(f)
        head = f.read(4 * d + 1024)
    first = head.split(b"\n", 1)[0]
    try:
        fields = first.decode("utf-8").split()
        [float(x) for x in fields[1:]]
    except (UnicodeDecodeError, ValueError):
        return True
    return len(fields) != d + 1


def read_word2vec(path, binary=None, limit=None, errors="strict"):
    """(words, float32 array (n, d)) from a word2vec file; `limit` reads only the first n."""
    if binary is None:
        binary = is_binary(path)
    with open(path, "rb") as f:
        n, d = _read_header(f)
        if limit is not None:
            n = min(n, int(limit))
        return (_read_binary if binary else _read_text)(f, n, d, errors, path)


def _read_text(f, n, d, errors, path):
    words, vectors = [], np.empty((n, d), dtype=np.float32)
    for i in range(n):
        line = f.readline()
        if not line:
            raise ValueError(f"{path}: header promises {n} vectors, file ends after {i}")
        parts = line.decode("utf-8", errors).rstrip().rsplit(None, d)
        if len(parts) != d + 1:
            raise ValueError(f"{path}: line {i + 2} has {len(parts) - 1} numbers, expected {d}")
        words.append(parts[0])
        vectors[i] = [float(x) for x in parts[1:]]
    return words, vectors


def _read_binary(f, n, d, errors, path):
    """Parse from a growing buffer: one read per MiB, not one per word."""
    words, vectors = [], np.empty((n, d), dtype=np.float32)
    size = 4 * d
    buf, pos = b"", 0
    for i in range(n):
        while True:
            while pos < len(buf) and buf[pos] in _WHITESPACE:
                pos += 1
            space = buf.find(_SPACE, pos)
            if space >= 0 and len(buf) >= space + 1 + size:
                break
            more = f.read(_BLOCK)
            if not more:
                raise ValueError(f"{path}: header promises {n} vectors, file ends after {i}")
            buf, pos = buf[pos:] + more, 0
        words.append(buf[pos:space].decode("utf-8", errors))
        vectors[i] = np.frombuffer(buf, dtype="<f4", count=d, offset=space + 1)
        pos = space + 1 + size
    return words, vectors
