#!/usr/bin/env python
"""A sequence-to-sequence translator with multiplicative attention (German -> English).

Encoder: a bidirectional LSTM over the source embeddings. Decoder: an LSTMCell fed the
target embedding of the previous piece and the previous combined output,
Ybar_t = [y_t; o_{t-1}]. At each step the decoder's hidden state h_t attends over the
encoder's hidden states (e_t = h_enc W_att h_t, padded positions -inf, alpha_t = softmax),
a_t = sum alpha_t h_enc, and the combined output is o_t = dropout(tanh(W_u [a_t; h_t])).
"""
from collections import namedtuple
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils

from model_embeddings import ModelEmbeddings

Hypothesis = namedtuple("Hypothesis", ["value", "score"])


class NMT(nn.Module):
    """Neural machine translation model: a bidirectional LSTM encoder, an LSTMCell decoder
    and global multiplicative attention (Luong, Pham and Manning, 2015)."""

    def __init__(self, embed_size, hidden_size, vocab, dropout_rate=0.2):
        """
        @param embed_size (int): embedding size (both languages)
        @param hidden_size (int): hidden size h (each direction of the encoder, and the decoder)
        @param vocab (Vocab): vocab.src and vocab.tgt
        @param dropout_rate (float): dropout probability, for the combined output

        Creates, in this order: self.encoder (bidirectional nn.LSTM, with bias),
        self.decoder (nn.LSTMCell taking e + h inputs, with bias), self.h_projection and
        self.c_projection (2h -> h, no bias), self.att_projection (2h -> h, no bias),
        self.combined_output_projection (3h -> h, no bias), self.target_vocab_projection
        (h -> len(vocab.tgt), no bias) and self.dropout (nn.Dropout).
        """
        super(NMT, self).__init__()
        self.model_embeddings = ModelEmbeddings(embed_size, vocab)
        self.hidden_size = hidden_size
        self.dropout_rate = dropout_rate
        self.vocab = vocab

        # YOUR CODE HERE
        raise NotImplementedError

    def forward(self, source, target):
        """The log-likelihood of each target sentence given its source sentence.

        @param source (list[list[str]]): source sentences (pieces), longest first
        @param target (list[list[str]]): target sentences, wrapped in <s> ... </s>
        @returns scores (Tensor (b,)): log P(target | source) of each pair
        """
        source_lengths = [len(s) for s in source]
        source_padded = self.vocab.src.to_input_tensor(source, device=self.device)  # (src_len, b)
        target_padded = self.vocab.tgt.to_input_tensor(target, device=self.device)  # (tgt_len, b)

        enc_hiddens, dec_init_state = self.encode(source_padded, source_lengths)
        enc_masks = self.generate_sent_masks(enc_hiddens, source_lengths)
        combined_outputs = self.decode(enc_hiddens, enc_masks, dec_init_state, target_padded)
        P = F.log_softmax(self.target_vocab_projection(combined_outputs), dim=-1)

        # padding contributes nothing; <s> is never predicted
        target_masks = (target_padded != self.vocab.tgt["<pad>"]).float()
        gold_log_prob = torch.gather(P, index=target_padded[1:].unsqueeze(-1), dim=-1).squeeze(-1)
        scores = (gold_log_prob * target_masks[1:]).sum(dim=0)
        return scores

    def encode(self, source_padded, source_lengths):
        """Encode the source sentences and compute the decoder's initial state.

        @param source_padded (Tensor (src_len, b)): padded source ids, longest sentence first
        @param source_lengths (list[int]): each sentence's length
        @returns enc_hiddens (Tensor (b, src_len, 2h)): the encoder's hidden states (both
            directions, concatenated), zero at padded positions
        @returns dec_init_state (tuple(Tensor (b, h), Tensor (b, h))): the decoder's initial
            hidden and cell states, projected from the encoder's final states
            [forward's last; backward's first] with h_projection and c_projection
        """
        # YOUR CODE HERE
        raise NotImplementedError
        return enc_hiddens, dec_init_state

    def decode(self, enc_hiddens, enc_masks, dec_init_state, target_padded):
        """The combined output of every target step (teacher forcing).

        @param enc_hiddens (Tensor (b, src_len, 2h)): the encoder's hidden states
        @param enc_masks (Tensor (b, src_len)): 1 at padded source positions, else 0
        @param dec_init_state (tuple(Tensor (b, h), Tensor (b, h))): the decoder's initial state
        @param target_padded (Tensor (tgt_len, b)): padded target ids, <s> ... </s>
        @returns combined_outputs (Tensor (tgt_len - 1, b, h)): o_t for every step but the
            last (the final token is only ever predicted, never fed in)
        """
        # YOUR CODE HERE
        raise NotImplementedError
        return combined_outputs

    def step(self, Ybar_t, dec_state, enc_hiddens, enc_hiddens_proj, enc_masks):
        """One decoder step.

        @param Ybar_t (Tensor (b, e + h)): [y_t; o_{t-1}], the decoder's input
        @param dec_state (tuple(Tensor (b, h), Tensor (b, h))): the decoder's previous state
        @param enc_hiddens (Tensor (b, src_len, 2h)): the encoder's hidden states
        @param enc_hiddens_proj (Tensor (b, src_len, h)): att_projection(enc_hiddens)
        @param enc_masks (Tensor (b, src_len) or None): 1 at padded source positions
        @returns dec_state (tuple(Tensor (b, h), Tensor (b, h))): the decoder's new state
        @returns combined_output (Tensor (b, h)): o_t = dropout(tanh(W_u [a_t; h_t]))
        @returns e_t (Tensor (b, src_len)): attention scores, -inf at padded positions
        """
        # YOUR CODE HERE
        raise NotImplementedError

        if enc_masks is not None:
            e_t = e_t.masked_fill(enc_masks.bool(), -float("inf"))

        # YOUR CODE HERE
        raise NotImplementedError
        combined_output = O_t
        return dec_state, combined_output, e_t

    def generate_sent_masks(self, enc_hiddens, source_lengths):
        """(b, src_len) masks: 1 at each sentence's padded positions, else 0."""
        enc_masks = torch.zeros(enc_hiddens.size(0), enc_hiddens.size(1), dtype=torch.float)
        for e_id, src_len in enumerate(source_lengths):
            enc_masks[e_id, src_len:] = 1
        return enc_masks.to(self.device)

    def beam_search(self, src_sent, beam_size=5, max_decoding_time_step=70):
        """Beam search for one source sentence, as the course's: hypotheses are ranked by
        the sum of their pieces' log-probabilities; a hypothesis ends at </s>; the search
        stops when beam_size hypotheses ended or after max_decoding_time_step steps.

        @param src_sent (list[str]): one source sentence (pieces)
        @returns hypotheses (list[Hypothesis]): (value: list of pieces without <s> and </s>,
            score), best first
        """
        src_sents_var = self.vocab.src.to_input_tensor([src_sent], self.device)
        src_encodings, dec_init_vec = self.encode(src_sents_var, [len(src_sent)])
        src_encodings_att_linear = self.att_projection(src_encodings)

        h_tm1 = dec_init_vec
        att_tm1 = torch.zeros(1, self.hidden_size, device=self.device)
        eos_id = self.vocab.tgt["</s>"]

        hypotheses = [["<s>"]]
        hyp_scores = torch.zeros(len(hypotheses), dtype=torch.float, device=self.device)
        completed_hypotheses = []

        t = 0
        while len(completed_hypotheses) < beam_size and t < max_decoding_time_step:
            t += 1
            hyp_num = len(hypotheses)
            exp_src_encodings = src_encodings.expand(hyp_num, src_encodings.size(1), src_encodings.size(2))
            exp_src_encodings_att_linear = src_encodings_att_linear.expand(
                hyp_num, src_encodings_att_linear.size(1), src_encodings_att_linear.size(2))

            y_tm1 = torch.tensor([self.vocab.tgt[hyp[-1]] for hyp in hypotheses], dtype=torch.long,
                                 device=self.device)
            y_t_embed = self.model_embeddings.target(y_tm1)
            x = torch.cat([y_t_embed, att_tm1], dim=-1)
            (h_t, cell_t), att_t, _ = self.step(x, h_tm1, exp_src_encodings, exp_src_encodings_att_linear,
                                                enc_masks=None)

            log_p_t = F.log_softmax(self.target_vocab_projection(att_t), dim=-1)
            live_hyp_num = beam_size - len(completed_hypotheses)
            contiuating_hyp_scores = (hyp_scores.unsqueeze(1).expand_as(log_p_t) + log_p_t).view(-1)
            top_cand_hyp_scores, top_cand_hyp_pos = torch.topk(contiuating_hyp_scores, k=live_hyp_num)

            prev_hyp_ids = torch.div(top_cand_hyp_pos, len(self.vocab.tgt), rounding_mode="floor")
            hyp_word_ids = top_cand_hyp_pos % len(self.vocab.tgt)

            new_hypotheses, live_hyp_ids, new_hyp_scores = [], [], []
            for prev_hyp_id, hyp_word_id, cand_new_hyp_score in zip(
                    prev_hyp_ids.tolist(), hyp_word_ids.tolist(), top_cand_hyp_scores.tolist()):
                hyp_word = self.vocab.tgt.id2word[hyp_word_id]
                new_hyp_sent = hypotheses[prev_hyp_id] + [hyp_word]
                if hyp_word_id == eos_id:
                    completed_hypotheses.append(Hypothesis(value=new_hyp_sent[1:-1], score=cand_new_hyp_score))
                else:
                    new_hypotheses.append(new_hyp_sent)
                    live_hyp_ids.append(prev_hyp_id)
                    new_hyp_scores.append(cand_new_hyp_score)

            if len(completed_hypotheses) == beam_size:
                break

            live_hyp_ids = torch.tensor(live_hyp_ids, dtype=torch.long, device=self.device)
            h_tm1 = (h_t[live_hyp_ids], cell_t[live_hyp_ids])
            att_tm1 = att_t[live_hyp_ids]
            hypotheses = new_hypotheses
            hyp_scores = torch.tensor(new_hyp_scores, dtype=torch.float, device=self.device)

        if len(completed_hypotheses) == 0:
            completed_hypotheses.append(Hypothesis(value=hypotheses[0][1:], score=hyp_scores[0].item()))
        completed_hypotheses.sort(key=lambda hyp: hyp.score, reverse=True)
        return completed_hypotheses

    @property
    def device(self):
        """The device the model's parameters are on."""
        return self.model_embeddings.source.weight.device

    @staticmethod
    def load(model_path):
        """The model saved at model_path (see model_io.load_model), built with this NMT."""
        import model_io

        return model_io.load_model(model_path, NMT)

    def save(self, path):
        """Save the parameters to path and the model's sizes beside it (see model_io)."""
        import model_io

        print("save model parameters to [%s]" % path, file=sys.stderr)
        model_io.save_model(self, path)
