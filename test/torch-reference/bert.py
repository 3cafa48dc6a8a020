#!/usr/bin/python3
"""PyTorch reference of webgrad's Bert (src/engine/nn/bert.ts): Hugging Face's BertModel written out in plain torch
(transformers is not installed here), with the same module names, so its state_dict keys are BertModel's and webgrad's.

    model = BertModel(config).double()   # config: webgrad's BertConfig (vocabSize, hidden, layers, heads, ...)
    hidden, pooled = model(ids, token_types, mask)   # (B, T) long, long, 0/1 → (B, T, H), (B, H)

As HF in eval mode: post-LN layers, erf GELU, the attention mask added as finfo.min to the scores of padded keys, the
word embedding's padding_idx row taking no gradient, no dropout.
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class BertEmbeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word_embeddings = nn.Embedding(c["vocabSize"], c["hidden"], padding_idx=c.get("padTokenId", 0))
        self.position_embeddings = nn.Embedding(c["maxPosition"], c["hidden"])
        self.token_type_embeddings = nn.Embedding(c["typeVocab"], c["hidden"])
        self.LayerNorm = nn.LayerNorm(c["hidden"], eps=c.get("layerNormEps", 1e-12))

    def forward(self, ids, types):
        pos = torch.arange(ids.shape[1])
        x = self.word_embeddings(ids) + self.position_embeddings(pos)[None] + self.token_type_embeddings(types)
        return self.LayerNorm(x)


class BertSelfAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden"]
        self.heads = c["heads"]
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)

    def forward(self, x, ext_mask):  # x (B, T, H), ext_mask (B, 1, 1, T) additive
        B, T, H = x.shape
        dh = H // self.heads

        def split(t):
            return t.view(B, T, self.heads, dh).transpose(1, 2)  # (B, heads, T, dh)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(dh) + ext_mask
        ctx = F.softmax(scores, dim=-1) @ v
        return ctx.transpose(1, 2).reshape(B, T, H)


class BertResidualOutput(nn.Module):  # HF's BertSelfOutput and BertOutput
    def __init__(self, in_f, c):
        super().__init__()
        self.dense = nn.Linear(in_f, c["hidden"])
        self.LayerNorm = nn.LayerNorm(c["hidden"], eps=c.get("layerNormEps", 1e-12))

    def forward(self, h, residual):
        return self.LayerNorm(self.dense(h) + residual)


class BertAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self = BertSelfAttention(c)
        self.output = BertResidualOutput(c["hidden"], c)

    def forward(self, x, ext_mask):
        return self.output(self.self(x, ext_mask), x)


class BertIntermediate(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden"], c["intermediate"])

    def forward(self, x):
        return F.gelu(self.dense(x))


class BertLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = BertAttention(c)
        self.intermediate = BertIntermediate(c)
        self.output = BertResidualOutput(c["intermediate"], c)

    def forward(self, x, ext_mask):
        a = self.attention(x, ext_mask)
        return self.output(self.intermediate(a), a)


class BertEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([BertLayer(c) for _ in range(c["layers"])])


class BertPooler(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.dense = nn.Linear(c["hidden"], c["hidden"])

    def forward(self, x):
        return torch.tanh(self.dense(x[:, 0]))


class BertModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = BertEmbeddings(c)
        self.encoder = BertEncoder(c)
        self.pooler = BertPooler(c) if c.get("pooler", True) else None

    def forward(self, ids, types, mask):
        x = self.embeddings(ids, types)
        # HF's get_extended_attention_mask: 0 where attended, the dtype's most negative value where padded.
        ext = (1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for layer in self.encoder.layer:
            x = layer(x, ext)
        return x, (self.pooler(x) if self.pooler is not None else None)
