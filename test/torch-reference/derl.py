#!/usr/bin/python3
"""PyTorch reference of webgrad's DERL (src/app/models/derl), with the same parameter names and the same config.

As for DAR (dar.py, whose grouped layers this file reuses): a state_dict saved here loads into webgrad under the same
keys and shapes, and the other way round. test/fixtures/make_derl_fixture.py uses it to write the parity fixture.
The config is the JSON of webgrad's DerlConfig (dims, d, t, embed, experts, mlpHidden, importanceHidden, consistency,
tau, cmdMoments, orthPrivatePairs, orthGradient, weights, detachFeatTarget, textUnk). See the top of
src/app/models/derl/model.ts for the maths and the layout.

    model = DERL(config).double()
    out = model.losses(batch)        # {'total', 'terms': {...}, 'pred'}; batch as in webgrad's TrainingBatch
    model.predict(x)                 # (B, 1)
"""

import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dar import INPUT_FIELD, MLP, MODALITIES, Alignment, GroupedLinear, GroupedMLP, GroupedTransformer, info_nce  # noqa: E402

# Ordered (other, anchor) pairs of the InfoNCE consistency, grouped by anchor, as webgrad's CROSS_PAIRS.
CROSS_PAIRS = [(o, k) for k in range(3) for o in range(3) if o != k]
ORTH_PS = ([0, 1, 2], [3, 4, 5])
ORTH_PP = ([0, 0, 1], [1, 2, 2])
CMD_PAIRS = ([0, 0, 1], [1, 2, 2])


class InputDecoder(nn.Module):
    """Dec^u_m: per-step MLP 2d -> h -> d_m (GELU), then Conv1d(t -> T_m, kernel 1) with the steps as channels."""

    def __init__(self, t, in_dim, hidden, length, out_dim):
        super().__init__()
        self.mlp = MLP(in_dim, hidden, out_dim, "gelu")
        self.conv = nn.Conv1d(t, length, 1)

    def forward(self, x):
        return self.conv(self.mlp(x))


class ImportanceScorer(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc = nn.Linear(dim, hidden)
        self.score = nn.Linear(hidden, 1, bias=False)

    def forward(self, e):
        return self.score(torch.tanh(self.fc(e)))


def router_gates(logits, top_k):
    probs = torch.softmax(logits, -1)
    K = logits.shape[-1]
    if top_k <= 0 or top_k >= K:
        return probs, probs
    idx = logits.topk(top_k, dim=-1).indices
    keep = torch.zeros_like(logits, dtype=torch.bool).scatter(-1, idx, True)
    return torch.softmax(logits.masked_fill(~keep, float("-inf")), -1), probs


def switch_balance(gates, probs):  # (P, N, K) each
    P, _, K = probs.shape
    f = gates.detach().mean(1)
    p = probs.mean(1)
    return (f * p).sum() * K / P


def soft_orthogonality(z, left, right):  # z (G, B, d)
    d = z.shape[2]
    c = z - z.mean(1, keepdim=True)
    zn = c * torch.rsqrt((c * c).sum(2, keepdim=True) + 1e-12)
    m = zn[left].transpose(1, 2) @ zn[right]  # (pairs, d, d)
    return (m * m).sum() / (d * d)


def central_moment_discrepancy(z, left, right, K):  # z (G, B, d)
    mu = z.mean(1, keepdim=True)
    c = z - mu
    moments = [mu[:, 0]] + [(c ** k).mean(1) for k in range(2, K + 1)]
    allm = torch.stack(moments, 1)  # (G, K, d)
    diff = allm[left] - allm[right]
    return torch.sqrt((diff * diff).sum(2) + 1e-12).sum()


class DERL(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        d, t, h, dims, ex, w = c["d"], c["t"], c["mlpHidden"], c["dims"], c["experts"], c["weights"]
        self.text_unk = nn.Parameter(torch.zeros(dims["text"]["dim"])) if c["textUnk"] == "learned" else None
        self.align = nn.ModuleDict({m: Alignment(dims[INPUT_FIELD[m]]["len"], dims[INPUT_FIELD[m]]["dim"], t, d) for m in MODALITIES})
        self.embed = GroupedTransformer(3, t, d, c["embed"])
        self.router_p = GroupedLinear(3, d, ex["private"])
        self.router_s = GroupedLinear(3, d, ex["shared"])
        self.private_experts = GroupedMLP(3 * ex["private"], d, ex["hidden"], d, "gelu")
        self.shared_experts = GroupedMLP(ex["shared"], d, ex["hidden"], d, "gelu")
        self.importance = ImportanceScorer(d, c["importanceHidden"])
        self.head = MLP(d, h, 1, "relu")
        self.aux_heads = GroupedMLP(4, d, h, 1, "relu") if w["aux"] > 0 else None
        self.dec_feat = GroupedMLP(3, d, h, d, "gelu") if w["reconFeat"] > 0 else None
        self.dec_input = (
            nn.ModuleDict({m: InputDecoder(t, 2 * d, h, dims[INPUT_FIELD[m]]["len"], dims[INPUT_FIELD[m]]["dim"]) for m in MODALITIES})
            if w["reconInput"] > 0 else None
        )

    def text(self, x):
        if self.text_unk is None or x.get("textDropped") is None:
            return x["text"]
        m = x["textDropped"][:, :, None]
        return x["text"] + m * (self.text_unk - x["text"])

    def embed_views(self, views):
        inp = {
            "l": torch.cat([self.text(v) for v in views], 0),
            "v": torch.cat([v["vision"] for v in views], 0),
            "a": torch.cat([v["audio"] for v in views], 0),
        }
        return self.embed(torch.stack([self.align[m](inp[m]) for m in MODALITIES], 0))  # (3, N, t, d)

    def path(self, x):
        c = self.c
        t, d, ex = c["t"], c["d"], c["experts"]
        B = x.shape[1]
        Kp, Ks = ex["private"], ex["shared"]
        z = x.mean(2)
        gp, pp = router_gates(self.router_p(z), ex["topK"])
        gs, ps = router_gates(self.router_s(z), ex["topK"])
        xin = x.repeat_interleave(Kp, 0)  # (3Kp, B, t, d): [l, l, v, v, a, a] for Kp = 2
        ep = self.private_experts(xin).reshape(3, Kp, B, t * d).permute(0, 2, 1, 3).reshape(3 * B, Kp, t * d)
        p = (gp.reshape(3 * B, 1, Kp) @ ep).reshape(3, B, t, d)
        hs = F.gelu(self.shared_experts.fc1.forward_shared(x))  # (Ks, 3, B, t, h)
        es = self.shared_experts.fc2(hs).reshape(Ks, 3 * B, t * d).permute(1, 0, 2)
        s = (gs.reshape(3 * B, 1, Ks) @ es).reshape(3, B, t, d)
        sbar = s.mean(2).mean(0, keepdim=True)
        e = torch.cat([p.mean(2), sbar], 0)  # (4, B, d)
        eb = e.permute(1, 0, 2)
        a = torch.softmax(self.importance(eb).reshape(B, 4), -1)
        pred = self.head((a.reshape(B, 1, 4) @ eb).reshape(B, d))
        return {"p": p, "s": s, "gp": gp, "pp": pp, "gs": gs, "ps": ps, "e": e, "a": a, "pred": pred}

    def predict(self, x):
        return self.path(self.embed_views([x]))["pred"]

    def losses(self, batch):
        c = self.c
        w = c["weights"]
        B = batch["labels"].shape[0]
        both = self.dec_feat is not None
        x_all = self.embed_views([batch["corrupted"], batch["complete"]] if both else [batch["corrupted"]])
        x = x_all[:, :B]
        o = self.path(x)
        y = batch["labels"]
        terms = {"task": F.mse_loss(o["pred"], y)}
        if w["balance"] > 0:
            Ks = o["gs"].shape[2]
            shared = switch_balance(o["gs"].reshape(1, 3 * B, Ks), o["ps"].reshape(1, 3 * B, Ks))
            terms["balance"] = shared + switch_balance(o["gp"], o["pp"])
        if w["orth"] > 0 or w["consist"] > 0:
            sbar = o["s"].mean(2)
            if w["orth"] > 0:
                if c["orthGradient"] == "experts":  # a second pass on detached X: the gradient stops at the experts
                    own = self.path(x.detach())
                    zz = torch.cat([own["p"].mean(2), own["s"].mean(2)], 0)
                else:
                    zz = torch.cat([o["e"][:3], sbar], 0)
                left, right = ORTH_PS
                if c["orthPrivatePairs"]:
                    left, right = left + ORTH_PP[0], right + ORTH_PP[1]
                terms["orth"] = soft_orthogonality(zz, left, right)
            if w["consist"] > 0:
                if c["consistency"] == "infonce":
                    zc = sbar - sbar.mean(1, keepdim=True)  # centred over the batch
                    pairs = [info_nce(zc[k], zc[oo], c["tau"]) for oo, k in CROSS_PAIRS]
                    terms["consist"] = sum(pairs) / len(pairs)
                else:
                    terms["consist"] = central_moment_discrepancy(sbar, CMD_PAIRS[0], CMD_PAIRS[1], c["cmdMoments"])
        if self.dec_feat is not None:
            xc = x_all[:, B:]
            target = xc.detach() if c["detachFeatTarget"] else xc
            terms["recon_feat"] = 3 * F.mse_loss(self.dec_feat(o["p"] + o["s"]), target)
        if self.dec_input is not None:
            ps = torch.cat([o["p"], o["s"]], 3)
            terms["recon_input"] = sum(
                F.mse_loss(self.dec_input[m](ps[k]), batch["complete"][INPUT_FIELD[m]]) for k, m in enumerate(MODALITIES)
            )
        if self.aux_heads is not None:
            aux = self.aux_heads(o["e"])  # (4, B, 1)
            terms["aux"] = F.mse_loss(aux, y[None].expand(4, B, 1))
        lam = {"balance": w["balance"], "orth": w["orth"], "consist": w["consist"], "recon_feat": w["reconFeat"],
               "recon_input": w["reconInput"], "aux": w["aux"]}
        total = terms["task"]
        for name, v in terms.items():
            if name != "task":
                total = total + lam[name] * v
        return {"total": total, "terms": terms, "pred": o["pred"], "gates": (o["gp"], o["gs"]), "importance": o["a"]}
