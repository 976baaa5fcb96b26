"""The project's own word vectors: SGNS trained on the shared Wikipedia corpus, stored in
word2vec format in the data folder, and a gensim-style KeyedVectors to query them.

Nothing here downloads: the vectors are made by `nlpgrade vectors train` (instructors).
"""
import os

from .keyed import KeyedVectors

VECTORS_DIR = "vectors"
DEFAULT_DIM = 100


def vectors_name(dim=DEFAULT_DIM):
    return f"wiki-sgns-{dim}d"


def default_vectors_path(data_dir=None, dim=DEFAULT_DIM):
    """Where the standard vectors file lives (whether or not it exists yet)."""
    from .. import data

    return os.path.join(data_dir or data.DEFAULT_DATA_DIR, VECTORS_DIR, vectors_name(dim) + ".bin")


def find_vectors(data_dir=None, dim=DEFAULT_DIM):
    """The standard vectors file if it has been trained, else None."""
    path = default_vectors_path(data_dir, dim)
    return path if os.path.isfile(path) else None


__all__ = ["KeyedVectors", "default_vectors_path", "find_vectors", "vectors_name"]
