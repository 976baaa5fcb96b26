#!/usr/bin/env python
"""Batched beam search: many sentences, and each one's hypotheses, advance together.

beam_search_batch gives, for every sentence, the hypotheses NMT.beam_search (the course's
one-sentence search) gives on the same model: the same rule (a hypothesis's score is the
sum of its pieces' log-probabilities; it ends at </s>; a sentence stops once beam_size
hypotheses ended or after max_decoding_time_step steps, keeping its best live one if none
ended). Each sentence has beam_size slots; a slot that holds no live hypothesis scores
-inf, so it never wins a place. Only the model's own encode, step, att_projection,
target embeddings and target_vocab_projection are used.
"""
import torch
import torch.nn.functional as F

from nmt_model import Hypothesis
from vocab import END, START, detokenise


def beam_search_batch(model, src_sents, beam_size=5, max_decoding_time_step=70, batch_size=64):
    """One list of Hypothesis (best first) per source sentence, in input order.
    max_decoding_time_step: one number for all sentences, or one per sentence (the
    grader caps each at twice its length plus 10, so a model that never ends its
    translations costs about as much time as one that does)."""
    if isinstance(max_decoding_time_step, int):
        max_decoding_time_step = [max_decoding_time_step] * len(src_sents)
    results = [None] * len(src_sents)
    # sentences of similar lengths together, longest first (as encode wants), for less padding
    order = sorted(range(len(src_sents)), key=lambda i: -len(src_sents[i]))
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            found = _search(model, [src_sents[i] for i in chunk], beam_size,
                            [max_decoding_time_step[i] for i in chunk])
            for i, hypotheses in zip(chunk, found):
                results[i] = hypotheses
    return results


def _search(model, sents, K, max_steps):
    """Beam search of sentences sorted longest first, sentence i for at most max_steps[i]
    steps; one hypothesis list per sentence."""
    device = model.device
    tgt = model.vocab.tgt
    V = len(tgt)
    end_id, pad_id = tgt[END], tgt["<pad>"]
    lengths = [len(s) for s in sents]
    # empty sentences cannot be packed; they are encoded from an </s>-free empty slot as
    # length 1 of padding, as the course's search would fail on them altogether
    lengths = [max(1, n) for n in lengths]
    src = model.vocab.src.to_input_tensor([s if s else ["<pad>"] for s in sents], device)
    enc, (h0, c0) = model.encode(src, lengths)
    masks = model.generate_sent_masks(enc, lengths)
    enc_proj = model.att_projection(enc)

    B = len(sents)
    active = list(range(B))  # sentences still searching, in row-block order
    scores = torch.full((B, K), -float("inf"), device=device)
    scores[:, 0] = 0.0
    hyps = [[[START]] for _ in range(B)]  # each sentence's live hypotheses, by slot
    rows = torch.arange(B, device=device).repeat_interleave(K)  # the sentence of each row
    h, c = h0[rows], c0[rows]
    att = torch.zeros(B * K, model.hidden_size, device=device)
    completed = [[] for _ in range(B)]
    done = [None] * B

    t = 0
    while active:
        t += 1
        n = len(active)
        sent_rows = torch.tensor(active, device=device).repeat_interleave(K)
        y = torch.tensor([tgt[hyps[i][j][-1]] if j < len(hyps[i]) else pad_id
                          for i in active for j in range(K)], dtype=torch.long, device=device)
        x = torch.cat([model.model_embeddings.target(y), att], dim=-1)
        (h_t, c_t), att_t, _ = model.step(x, (h, c), enc[sent_rows], enc_proj[sent_rows], masks[sent_rows])
        log_p = F.log_softmax(model.target_vocab_projection(att_t), dim=-1)
        cand = (scores.view(-1, 1) + log_p).view(n, K * V)
        top_scores, top_pos = torch.topk(cand, k=K, dim=1)
        top_scores, top_pos = top_scores.tolist(), top_pos.tolist()

        still, keep_rows, new_scores = [], [], []
        for a, i in enumerate(active):
            live = K - len(completed[i])
            new_hyps, live_rows, live_scores = [], [], []
            for score, pos in zip(top_scores[a][:live], top_pos[a][:live]):
                prev, word = divmod(pos, V)
                if word == end_id:
                    completed[i].append(Hypothesis(value=hyps[i][prev][1:], score=score))
                else:
                    new_hyps.append(hyps[i][prev] + [tgt.id2word[word]])
                    live_rows.append(a * K + prev)
                    live_scores.append(score)
            if len(completed[i]) == K:
                done[i] = completed[i]
                continue
            hyps[i] = new_hyps
            if t >= max_steps[i]:
                done[i] = completed[i] or [Hypothesis(value=new_hyps[0][1:], score=live_scores[0])]
                continue
            still.append(i)
            pad = K - len(live_rows)
            keep_rows.extend(live_rows + [live_rows[0]] * pad)
            new_scores.append(live_scores + [-float("inf")] * pad)
        if not still:
            break
        keep = torch.tensor(keep_rows, dtype=torch.long, device=device)
        h, c, att = h_t[keep], c_t[keep], att_t[keep]
        scores = torch.tensor(new_scores, dtype=torch.float, device=device)
        active = still
    return [sorted(d, key=lambda hyp: hyp.score, reverse=True) for d in done]


def translate(model, src_sents, beam_size=5, max_decoding_time_step=70, batch_size=64):
    """The best hypothesis of each source sentence (pieces), as plain text. The model is
    put in evaluation mode (no dropout). max_decoding_time_step: as beam_search_batch's."""
    was_training = model.training
    model.eval()
    try:
        found = beam_search_batch(model, src_sents, beam_size, max_decoding_time_step, batch_size)
    finally:
        model.train(was_training)
    return [detokenise(hyps[0].value) for hyps in found]
