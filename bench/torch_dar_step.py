#!/usr/bin/python3
"""Samples/s of one DAR training step in PyTorch on this CPU: the repo's reference DAR (test/torch-reference/dar.py)
with webgrad's config, the same step as webgrad's trainer and bench/dar-step.ts:

    the CLUB estimators' inner steps (Adam on -Σ_m loglik over detached corrupted-input features),
    losses(batch), backward of L_total, AdamW(lr 1e-4, weight decay 1e-4) on the main parameters, gradients dropped.

float32, batch of random MOSI-shaped features with 30 % of the frames zeroed as the missing-data protocol does.
bench/main.ts runs it with the config webgrad's darConfig(preset, MOSI dims) produced:

    /usr/bin/python3 bench/torch_dar_step.py CONFIG_JSON BATCH STEPS WARMUP

TORCH_DEVICE=cuda runs it on the GPU instead (bench/gpu/run.sh); every step ends in .item(), which waits for the GPU.

and reads one line of JSON from stdout: {"msPerStep", "samplesPerSec", "torch", "threads", "parameters", ...}.
"""

import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "torch-reference"))

import torch  # noqa: E402

from dar import DAR, MODALITIES  # noqa: E402


def make_batch(c, B, g, device):
    dims = c["dims"]
    complete = {f: torch.randn(B, dims[f]["len"], dims[f]["dim"], generator=g) for f in ("text", "audio", "vision")}
    corrupted = {}
    for f, x in complete.items():
        keep = (torch.rand(B, dims[f]["len"], generator=g) > 0.3).float()
        corrupted[f] = x * keep[:, :, None]
        if f == "text":
            corrupted["textDropped"] = 1 - keep
    labels = 6 * torch.rand(B, 1, generator=g) - 3
    to = lambda d: {k: v.to(device) for k, v in d.items()}  # noqa: E731
    return {"complete": to(complete), "corrupted": to(corrupted), "labels": labels.to(device)}


def main():
    config = json.loads(sys.argv[1])
    B, steps, warmup = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    # Both cores, as SwiftShader uses them for webgrad (this torch build defaults to 1 thread here).
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", os.cpu_count() or 1)))
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    device = torch.device(os.environ.get("TORCH_DEVICE", "cpu"))
    model = DAR(config).float().to(device)
    model.train()
    main_params = [p for _, p in model.main_parameters()]
    club_params = [p for n, p in model.named_parameters() if n.startswith("club.")]
    opt = torch.optim.AdamW(main_params, lr=1e-4, weight_decay=1e-4)
    club_opt = torch.optim.Adam(club_params, lr=config["club"]["lr"])
    batches = [make_batch(config, B, g, device) for _ in range(2)]
    with_diff = not config["ablation"]["noDiff"] and config["club"]["innerSteps"] > 0

    def step(batch):
        if with_diff:
            with torch.no_grad():
                _, h = model.encode_views([batch["corrupted"]])
            for _ in range(config["club"]["innerSteps"]):
                club_opt.zero_grad(set_to_none=True)
                ll = sum(model.club[m].log_likelihood(h[3 + k], h[k]) for k, m in enumerate(MODALITIES))
                (-ll).backward()
                club_opt.step()
            club_opt.zero_grad(set_to_none=True)
        opt.zero_grad(set_to_none=True)
        out = model.losses(batch)
        out["total"].backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return out["total"].item()

    t = time.perf_counter()
    step(batches[0])
    first = time.perf_counter() - t
    for i in range(1, warmup):
        step(batches[i % 2])
    t = time.perf_counter()
    for i in range(steps):
        loss = step(batches[i % 2])
    ms = (time.perf_counter() - t) * 1000 / steps
    print(json.dumps({
        "msPerStep": ms,
        "samplesPerSec": B * 1000 / ms,
        "firstStepMs": first * 1000,
        "batch": B,
        "steps": steps,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "parameters": sum(p.numel() for p in main_params),
        "loss": loss,
    }))


if __name__ == "__main__":
    main()
