#!/usr/bin/env python
"""The source and target embedding layers of the translator."""
import torch.nn as nn

from vocab import PAD


class ModelEmbeddings(nn.Module):
    """Embeddings of the source (German) and target (English) subword pieces."""

    def __init__(self, embed_size, vocab):
        """
        @param embed_size (int): the size of each embedding
        @param vocab (Vocab): vocab.src and vocab.tgt, the two languages' vocabularies

        Creates self.source and self.target, one nn.Embedding per language, each with
        padding_idx set to that language's pad index (so the pad embedding stays zero and
        gets no gradient).
        """
        super(ModelEmbeddings, self).__init__()
        self.embed_size = embed_size
        # YOUR CODE HERE
        raise NotImplementedError
