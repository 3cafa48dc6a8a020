#!/usr/bin/python3
"""PyTorch reference of webgrad's DAR (src/app/models/dar), with the same parameter names and the same config.

The point is interchange: a model trained here (multi-GPU) saves a state_dict whose keys and shapes are webgrad's
checkpoint keys, and the other way round. test/fixtures/make_dar_fixture.py uses it to write the parity fixture.

Layout (see the top of src/app/models/dar/model.ts): networks of one shape are grouped, their parameters stacked on a
leading group axis G; group g of a grouped module is the ordinary LNLN block with the g-th slice of each parameter.
Modalities are ordered l, v, a. The config is the JSON of webgrad's DarConfig (dims, d, t, encoder, recon, fusionSelf,
fusionCross, mlpHidden, club, tau, lambda, alpha, beta, reReduction, detachReTarget, textUnk, alignNorm, ablation).

    model = DAR(config).double()
    out = model.losses(batch)        # {'total', 'terms': {...}, 'pred'}; batch as in webgrad's TrainingBatch
    model.club_log_likelihood(x)     # the estimators' objective on detached corrupted-input features
"""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

MODALITIES = ["l", "v", "a"]
INPUT_FIELD = {"l": "text", "v": "vision", "a": "audio"}
# Ordered (source, target) pairs grouped by target, as webgrad's CROSS_PAIRS: v→l, a→l, l→v, a→v, l→a, v→a.
CROSS_PAIRS = [(s, m) for m in MODALITIES for s in MODALITIES if s != m]
PAIR_SRC = [MODALITIES.index(s) for s, _ in CROSS_PAIRS]
PAIR_TGT = [MODALITIES.index(t) for _, t in CROSS_PAIRS]
# Rows of [Hc_l, Hc_v, Hc_a, Hs_l, Hs_v, Hs_a] that D^re_m reads: the other two commons, then m's specific.
RE_ROWS = [r for k in range(3) for r in [PAIR_SRC[p] for p in range(6) if PAIR_TGT[p] == k] + [3 + k]]


# ----------------------------------------------------------------------------------------------- grouped layers


class GroupedLinear(nn.Module):
    def __init__(self, groups, in_f, out_f, bias=True):
        super().__init__()
        self.groups, self.in_f, self.out_f = groups, in_f, out_f
        bound = 1 / math.sqrt(in_f)
        self.weight = nn.Parameter(torch.empty(groups, out_f, in_f).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(groups, out_f).uniform_(-bound, bound)) if bias else None

    def forward(self, x):  # (G, ..., in) -> (G, ..., out)
        g = self.groups
        y = x.reshape(g, -1, self.in_f) @ self.weight.transpose(1, 2)
        if self.bias is not None:
            y = y + self.bias[:, None, :]
        return y.reshape(*x.shape[:-1], self.out_f)

    def forward_shared(self, x):  # (..., in) -> (G, ..., out), the same input through every group
        y = x.reshape(1, -1, self.in_f) @ self.weight.transpose(1, 2)
        if self.bias is not None:
            y = y + self.bias[:, None, :]
        return y.reshape(self.groups, *x.shape[:-1], self.out_f)


class GroupedLayerNorm(nn.Module):
    def __init__(self, groups, dim, eps=1e-5):
        super().__init__()
        self.groups, self.dim, self.eps = groups, dim, eps
        self.weight = nn.Parameter(torch.ones(groups, dim))
        self.bias = nn.Parameter(torch.zeros(groups, dim))

    def normalize(self, x):
        return F.layer_norm(x, (self.dim,), eps=self.eps)

    def affine(self, xh):
        g = self.groups
        y = xh.reshape(g, -1, self.dim) * self.weight[:, None, :] + self.bias[:, None, :]
        return y.reshape(xh.shape)

    def forward(self, x):
        return self.affine(self.normalize(x))


class GroupedMLP(nn.Module):
    def __init__(self, groups, in_f, hidden, out_f, act="gelu"):
        super().__init__()
        self.fc1 = GroupedLinear(groups, in_f, hidden)
        self.fc2 = GroupedLinear(groups, hidden, out_f)
        self.act = act

    def forward(self, x):
        h = self.fc1(x)
        return self.fc2(F.gelu(h) if self.act == "gelu" else F.relu(h))


class MLP(nn.Module):
    def __init__(self, in_f, hidden, out_f, act="relu"):
        super().__init__()
        self.fc1 = nn.Linear(in_f, hidden)
        self.fc2 = nn.Linear(hidden, out_f)
        self.act = act

    def forward(self, x):
        h = self.fc1(x)
        return self.fc2(F.gelu(h) if self.act == "gelu" else F.relu(h))


class GroupedAttention(nn.Module):
    def __init__(self, groups, dim, heads, dim_head):
        super().__init__()
        inner = heads * dim_head
        self.heads, self.dim_head = heads, dim_head
        self.to_q = GroupedLinear(groups, dim, inner, bias=False)
        self.to_k = GroupedLinear(groups, dim, inner, bias=False)
        self.to_v = GroupedLinear(groups, dim, inner, bias=False)
        self.to_out = GroupedLinear(groups, inner, dim)

    def forward(self, xq, xk, xv):  # (G, B, T, dim)
        G, B, Tq, _ = xq.shape
        Tk = xk.shape[2]
        H, Dh = self.heads, self.dim_head
        q = self.to_q(xq).reshape(G * B, Tq, H, Dh).transpose(1, 2)
        k = self.to_k(xk).reshape(G * B, Tk, H, Dh).transpose(1, 2)
        v = self.to_v(xv).reshape(G * B, Tk, H, Dh).transpose(1, 2)
        att = torch.softmax(q @ k.transpose(-1, -2) * Dh ** -0.5, dim=-1)
        o = (att @ v).transpose(1, 2).reshape(G, B, Tq, H * Dh)
        return self.to_out(o)


class GroupedAttentionLayer(nn.Module):
    def __init__(self, groups, dim, heads, dim_head, mlp_dim):
        super().__init__()
        self.norm_q = GroupedLayerNorm(groups, dim)
        self.norm_k = GroupedLayerNorm(groups, dim)
        self.norm_v = GroupedLayerNorm(groups, dim)
        self.attn = GroupedAttention(groups, dim, heads, dim_head)
        self.norm_ff = GroupedLayerNorm(groups, dim)
        self.ff = GroupedMLP(groups, dim, mlp_dim, dim, "gelu")

    def forward(self, t, s=None):
        th = self.norm_q.normalize(t)
        sh = self.norm_k.normalize(s) if s is not None else th
        x = self.attn(self.norm_q.affine(th), self.norm_k.affine(sh), self.norm_v.affine(sh)) + t
        return self.ff(self.norm_ff(x)) + x


def block(groups, dim, cfg):
    return GroupedAttentionLayer(groups, dim, cfg["heads"], cfg["dimHead"], cfg["mlpDim"])


class GroupedTransformer(nn.Module):
    def __init__(self, groups, frames, dim, cfg):
        super().__init__()
        self.pos_embedding = nn.Parameter(torch.randn(groups, frames, dim))
        self.layers = nn.ModuleList([block(groups, dim, cfg) for _ in range(cfg["depth"])])

    def forward(self, x):  # (G, B, T, dim)
        T = x.shape[2]
        h = x + self.pos_embedding[:, None, :T, :]
        for layer in self.layers:
            h = layer(h)
        return h


class GroupedCrossEncoder(nn.Module):
    def __init__(self, groups, dim, cfg):
        super().__init__()
        self.layers = nn.ModuleList([block(groups, dim, cfg) for _ in range(cfg["depth"])])

    def forward(self, target, source):
        for layer in self.layers:
            target = layer(target, source)
        return target


# ---------------------------------------------------------------------------------------------- DAR pieces


class Alignment(nn.Module):
    """(B, T_m, d_m) -> GELU(proj([LayerNorm](conv(x)))) (B, t, d); conv is Conv1d(T_m -> t, kernel 1) with time as
    channels; the LayerNorm over d_m is there when the config's alignNorm is true."""

    def __init__(self, length, in_dim, t, d, norm=False):
        super().__init__()
        self.conv = nn.Conv1d(length, t, 1)
        self.norm = nn.LayerNorm(in_dim, eps=1e-5) if norm else None
        self.proj = nn.Linear(in_dim, d)

    def forward(self, x):
        u = self.conv(x)
        if self.norm is not None:
            u = self.norm(u)
        return F.gelu(self.proj(u))


class Seq(nn.Module):
    """nn.Sequential under the field name `layers`, as webgrad's Sequential names its parameters."""

    def __init__(self, *layers):
        super().__init__()
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        return self.layers(x)


class ClubEstimator(nn.Module):
    """webgrad's ClubEstimator (src/engine/nn/club.ts): BiLSTM, then μ and logvar heads."""

    def __init__(self, dim, hidden, lstm_hidden):
        super().__init__()
        self.lstm = nn.LSTM(dim, lstm_hidden, batch_first=True, bidirectional=True)
        w = 2 * lstm_hidden
        self.muHead = Seq(nn.Linear(w, hidden), nn.ReLU(), nn.Linear(hidden, dim))
        self.logvarHead = Seq(nn.Linear(w, hidden), nn.ReLU(), nn.Linear(hidden, dim), nn.Tanh())

    def forward(self, x):
        h, _ = self.lstm(x)
        return self.muHead(h), self.logvarHead(h)

    def log_likelihood(self, x, y):
        mu, logvar = self(x)
        n, t = mu.shape[0], mu.shape[1]
        return (-(mu - y) ** 2 / logvar.exp() - logvar).sum() / (n * t)

    def upper_bound(self, x, y):
        mu, logvar = self(x)
        n, t = mu.shape[0], mu.shape[1]
        w = 0.5 * torch.exp(-logvar)  # 1 / (2 exp(logvar))
        positive = -((mu - y) ** 2) * w
        negative = -((y[None, :] - mu[:, None]) ** 2 * w[:, None]).mean(dim=1)  # (1/N) Σ_j ℓ(i, j) terms
        return (positive - negative).sum() / (n * t)


def info_nce(a, p, tau, negatives=None, in_batch=True, eps=1e-8):
    """Cosine-similarity InfoNCE as webgrad's infoNCE: cross-entropy over [positive, negatives], mean over anchors."""
    norm = lambda x: x / x.norm(dim=-1, keepdim=True).clamp_min(eps)
    an, pn = norm(a), norm(p)
    if in_batch:
        cands = pn if negatives is None else torch.cat([pn, norm(negatives)], 0)
        logits = an @ cands.T / tau
        target = torch.arange(a.shape[0], device=a.device)
    else:
        cols = [(an * pn).sum(-1, keepdim=True)]
        if negatives is not None:
            cols.append(an @ norm(negatives).T)
        logits = torch.cat(cols, 1) / tau
        target = torch.zeros(a.shape[0], dtype=torch.long, device=a.device)
    return F.cross_entropy(logits, target)


# ------------------------------------------------------------------------------------------------------ model


class DAR(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        d, t, h, dims = c["d"], c["t"], c["mlpHidden"], c["dims"]
        self.text_unk = nn.Parameter(torch.zeros(dims["text"]["dim"])) if c["textUnk"] == "learned" else None
        self.align = nn.ModuleDict({m: Alignment(dims[INPUT_FIELD[m]]["len"], dims[INPUT_FIELD[m]]["dim"], t, d,
                                                   c.get("alignNorm", False)) for m in MODALITIES})
        self.enc = GroupedTransformer(6, t, d, c["encoder"])
        self.dec_re = GroupedMLP(3, 3 * d, h, d, "gelu")
        self.rec_com_proj = GroupedLinear(3, 3 * d, d)
        self.rec = GroupedTransformer(6, t, d, c["recon"])
        self.dec = GroupedMLP(3, 2 * d, h, d, "gelu")
        self.gate = GroupedLinear(6, 2 * d, d)
        self.fuse_com = GroupedTransformer(3, t, d, c["fusionSelf"])
        self.fuse_spec = GroupedCrossEncoder(6, d, c["fusionCross"])
        self.head = MLP(9 * d, h, 1, "relu")
        self.boot_head = MLP(3 * d, h, 1, "relu")
        self.club = nn.ModuleDict({m: ClubEstimator(d, c["club"]["hidden"], c["club"]["lstmHidden"]) for m in MODALITIES})

    def main_parameters(self):
        return [(n, p) for n, p in self.named_parameters() if not n.startswith("club.")]

    def text(self, x):
        if self.text_unk is None or x.get("textDropped") is None:
            return x["text"]
        m = x["textDropped"][:, :, None]
        return x["text"] + m * (self.text_unk - x["text"])

    def encode_views(self, views):
        inp = {
            "l": torch.cat([self.text(v) for v in views], 0),
            "v": torch.cat([v["vision"] for v in views], 0),
            "a": torch.cat([v["audio"] for v in views], 0),
        }
        u = torch.stack([self.align[m](inp[m]) for m in MODALITIES], 0)  # (3, N, t, d)
        return u, self.enc(torch.cat([u, u], 0))  # [Hc; Hs] (6, N, t, d)

    def head_path(self, h):
        t, d = self.c["t"], self.c["d"]
        B = h.shape[1]
        com = h[:3]
        all_com = com.permute(1, 2, 0, 3).reshape(B, t, 3 * d)
        hat = self.rec(torch.cat([self.rec_com_proj.forward_shared(all_com), h[3:]], 0))
        g = torch.sigmoid(self.gate(torch.cat([hat, h], 3)))
        fused = h + g * (hat - h)
        last = lambda x: x[:, :, t - 1, :].permute(1, 0, 2).reshape(B, x.shape[0] * d)
        h_com = last(self.fuse_com(fused[:3]))
        fs = fused[3:]
        h_spec = last(self.fuse_spec(fs[PAIR_TGT], fs[PAIR_SRC]))
        return hat, self.head(torch.cat([h_com, h_spec], 1))

    def predict(self, x):
        _, h = self.encode_views([x])
        return self.head_path(h)[1]

    def losses(self, batch):
        c = self.c
        t, d = c["t"], c["d"]
        ab = c["ablation"]
        with_complete = not ab["noRecon"] or not ab["noBoot"]
        B = batch["labels"].shape[0]
        u_all, h_all = self.encode_views([batch["corrupted"], batch["complete"]] if with_complete else [batch["corrupted"]])
        u, h = u_all[:, :B], h_all[:, :B]
        hat, pred = self.head_path(h)
        y = batch["labels"]
        terms = {"task": F.mse_loss(pred, y)}
        if not ab["noBoot"]:
            z = h_all[:3, B:].mean(2).permute(1, 0, 2).reshape(B, 3 * d)
            terms["boot"] = F.mse_loss(self.boot_head(z), y)
        decouple = []
        if not ab["noSim"]:
            z = h.mean(2)  # (6, B, d)
            pairs = [info_nce(z[MODALITIES.index(m)], z[MODALITIES.index(o)], c["tau"]) for o, m in CROSS_PAIRS]
            terms["sim_com"] = sum(pairs) / len(pairs)
            sim = terms["sim_com"]
            half = B // 2
            if half >= 1:
                zs = z[3:]
                per = [
                    info_nce(zs[k, :half], zs[k, half : 2 * half], c["tau"],
                             negatives=torch.cat([zs[o] for o in range(3) if o != k], 0), in_batch=False)
                    for k in range(3)
                ]
                terms["sim_spec"] = sum(per) / len(per)
                sim = sim + terms["sim_spec"]
            terms["sim"] = sim
            decouple.append(c["lambda"] * sim)
        if not ab["noDiff"]:
            terms["diff"] = sum(self.club_upper_bound_fixed(m, h[3 + k], h[k]) for k, m in enumerate(MODALITIES))
            decouple.append(c["lambda"] * terms["diff"])
        re_in = h[RE_ROWS].reshape(3, 3, B, t, d).permute(0, 2, 3, 1, 4).reshape(3, B, t, 3 * d)
        restored = self.dec_re(re_in)
        target = u.detach() if c["detachReTarget"] else u
        if c["reReduction"] == "mean":
            terms["re"] = 3 * F.mse_loss(restored, target)
        else:
            terms["re"] = F.mse_loss(restored, target, reduction="sum") / B
        decouple.append(terms["re"])
        terms["decouple"] = sum(decouple[1:], decouple[0])
        if not ab["noRecon"]:
            dec_in = hat.reshape(2, 3, B, t, d).permute(1, 2, 3, 0, 4).reshape(3, B, t, 2 * d)
            u_hat = self.dec(dec_in)
            terms["recon"] = 6 * F.mse_loss(hat, h_all[:, B:]) + 3 * F.mse_loss(u_hat, u_all[:, B:])
        total = terms["task"]
        if "boot" in terms:
            total = total + terms["boot"]
        total = total + c["alpha"] * terms["decouple"]
        if "recon" in terms:
            total = total + c["beta"] * terms["recon"]
        return {"total": total, "terms": terms, "pred": pred}

    def club_upper_bound_fixed(self, m, x, y):
        """L_diff's CLUB bound with the estimator's weights held fixed (no gradient reaches the estimator)."""
        est = self.club[m]
        saved = [p.requires_grad for p in est.parameters()]
        for p in est.parameters():
            p.requires_grad_(False)
        try:
            return est.upper_bound(x, y)
        finally:
            for p, r in zip(est.parameters(), saved):
                p.requires_grad_(r)

    def club_log_likelihood(self, corrupted):
        """Σ_m of the estimators' log-likelihood on detached corrupted-input features (what auxiliaryStep maximises)."""
        with torch.no_grad():
            _, h = self.encode_views([corrupted])
        return sum(self.club[m].log_likelihood(h[3 + k], h[k]) for k, m in enumerate(MODALITIES))
