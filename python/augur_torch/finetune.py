"""Fine-tunes an Augur model in PyTorch on LeRobot v3 datasets and writes a checkpoint Augur
loads: the same objective, optimiser, schedule and training config (`--config`: a file in
`augur train --config`'s format, whole or only what it changes, over the same defaults) as
`augur train --init`, for when the data or the GPU is elsewhere.

    python3 -m augur_torch.finetune --model models/bounce-64-reach --data my-dataset \\
        --steps 200 --out ~/Augur/models/my-torch-model

The result (`OUT/model.safetensors` and `OUT/model.json`, its card recording this run) opens with
`augur eval --model OUT`, `augur predict --model OUT` and in the app's model picker when OUT is
under ~/Augur/models. Sound is not read here: the audio token hears silence and the audio encoder
is left as it was."""
import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from . import checkpoint, lerobot, losses, plot

# `augur train`'s defaults (TrainConfig and LossConfig), which a --config file is laid over.
DEFAULT_TRAINING = {
    "loss": {"rollout_steps": 2, "prediction": 1.0, "variance": 1.0, "covariance": 0.04, "reconstruction": 1.0,
             "pixel": 0.0, "mask": None, "motion": None, "reach": None, "audio": None},
    "batch_size": 8, "steps": 2000, "learning_rate": 1e-3, "warmup_steps": 100, "ema": 0.99, "seed": 0,
    "checkpoint_every": 100,
}
# Switches of `augur train` that this run does not apply: it trains everything but the audio
# encoder, so the card must not claim otherwise.
UNUSED_SWITCHES = ("decoder_only", "freeze_encoders", "predictor_only", "new_predictor", "grow_predictor",
                   "time_budget_s", "latent_bank")


def training_config(path):
    """`augur train`'s defaults with the file at `path` (if any) laid over them; a key the
    defaults do not have is refused, as `augur train` refuses it."""
    config = json.loads(json.dumps(DEFAULT_TRAINING))
    if path is None:
        return config
    try:
        given = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        sys.exit(f"finetune: cannot read the config {path}: {e}")
    if not isinstance(given, dict):
        sys.exit(f"finetune: {path} must hold a JSON object, as `augur train --config` reads")
    for key, value in given.items():
        if key == "loss" and isinstance(value, dict):
            unknown = sorted(set(value) - set(config["loss"]))
            if unknown:
                sys.exit(f"finetune: {path}: no loss setting {unknown[0]!r}; they are {sorted(config['loss'])}")
            config["loss"].update(value)
        elif key in config or key in UNUSED_SWITCHES or key == "model":
            config[key] = value
        else:
            sys.exit(f"finetune: {path}: no training setting {key!r}")
    used = [k for k in UNUSED_SWITCHES if given.get(k)]
    if used:
        sys.exit(f"finetune: {path} sets {used[0]}, which this fine-tune does not do (it trains every part but "
                 "the audio encoder); run it with `augur train`")
    return config


def learning_rate(peak, warmup, steps, step):
    """Warm-up, then cosine decay to a tenth of the peak, as `augur train`."""
    if step < warmup:
        return peak * (step + 1) / warmup
    t = min((step - warmup) / max(steps - warmup, 1), 1.0)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def clip_norms(params, limit=1.0):
    """Each parameter's gradient scaled to norm at most `limit`, as burn's per-tensor clipping."""
    for p in params:
        if p.grad is not None:
            norm = p.grad.norm()
            if norm > limit:
                p.grad.mul_(limit / (norm + 1e-38))


def ema(target, online, momentum):
    with torch.no_grad():
        for t, o in zip(target.parameters(), online.parameters()):
            t.mul_(momentum).add_(o, alpha=1 - momentum)


def sample(reels, length, batch, rng):
    """`batch` clips of `length` consecutive frames, episodes picked by how many clips they hold."""
    counts = np.array([len(r) - length + 1 for r in reels], dtype=np.float64)
    picks = rng.choice(len(reels), size=batch, p=counts / counts.sum())
    clips = [reels[i][s:s + length] for i in picks for s in [rng.integers(0, counts[i])]]
    return torch.from_numpy(np.stack(clips))


def machine(device):
    """Where it ran, as Augur's cards say it: the device, then the CPU."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    where = torch.cuda.get_device_name(0) if device.type == "cuda" else f"cpu, {torch.get_num_threads()} threads"
    return f"PyTorch {torch.__version__} ({where}); {cpu}, {os.cpu_count()} cores"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="the Augur model to start from")
    parser.add_argument("--data", required=True, action="append", help="a LeRobot v3 dataset folder (repeatable)")
    parser.add_argument("--out", required=True, help="folder for model.safetensors and model.json")
    parser.add_argument("--config", help="a training config (JSON), whole or only what it changes")
    parser.add_argument("--steps", type=int, help="optimiser steps (default: the config's)")
    parser.add_argument("--batch-size", type=int, help="clips per step (default: the config's)")
    parser.add_argument("--learning-rate", type=float, help="peak rate (default: the config's)")
    parser.add_argument("--seed", type=int, help="(default: the config's)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    trained = training_config(args.config)
    for key, value in (("steps", args.steps), ("batch_size", args.batch_size), ("learning_rate", args.learning_rate),
                       ("seed", args.seed)):
        if value is not None:
            trained[key] = value
    steps, batch, peak = int(trained["steps"]), int(trained["batch_size"]), float(trained["learning_rate"])
    warmup, seed, loss = int(trained["warmup_steps"]), int(trained["seed"]), trained["loss"]
    if steps < 1 or batch < 1 or not peak > 0:
        sys.exit("finetune: steps and batch size must be at least 1, and the learning rate above 0")
    device = torch.device(args.device)
    if "OMP_NUM_THREADS" not in os.environ:
        # Debian's PyTorch starts with one thread; every core is what a training run wants.
        torch.set_num_threads(os.cpu_count() or 1)
    try:
        net, card = checkpoint.load(args.model, device)
    except (checkpoint.CheckpointError, OSError, ValueError) as e:
        sys.exit(f"finetune: cannot load {args.model}: {e}")
    cfg = net.cfg
    length = losses.clip_len(cfg.context, loss)
    reels = []
    for root in args.data:
        try:
            found = lerobot.episodes(root, cfg.image_size)
        except (lerobot.DatasetError, OSError, ValueError, KeyError) as e:
            sys.exit(f"finetune: {e}")
        reels += [frames for _, frames in found if len(frames) >= length]
    if not reels:
        sys.exit(f"finetune: no episode has the {length} frames a clip needs (context {cfg.context}, "
                 f"then {loss['rollout_steps'] + 1}); record longer episodes")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    if net.online.audio is not None:
        net.online.audio.requires_grad_(False)
    params = [p for name, p in net.named_parameters() if p.requires_grad and not name.startswith("target.")]
    optim = torch.optim.AdamW(params, lr=peak, betas=(0.9, 0.999), eps=1e-5, weight_decay=1e-4)
    net.train()
    started, frames_seen = time.monotonic(), sum(len(r) for r in reels)
    print(f"finetune: {len(reels)} episodes, {frames_seen} frames; {steps} steps of {batch} clips of "
          f"{length} frames on {device}", file=sys.stderr)
    terms, history, done = {}, [], 0
    try:
        for step in range(steps):
            for group in optim.param_groups:
                group["lr"] = learning_rate(peak, warmup, steps, step)
            clips = sample(reels, length, batch, rng).to(device)
            total, terms = losses.batch_loss(net, clips, None, cfg.context, loss)
            if not math.isfinite(terms["total"]):
                sys.exit(f"finetune: the loss became {terms['total']} at step {step + 1}; lower --learning-rate")
            optim.zero_grad()
            total.backward()
            clip_norms(params)
            optim.step()
            ema(net.target, net.online, float(trained["ema"]))
            history.append(terms)
            done = step + 1
            spent = time.monotonic() - started
            eta = spent / done * (steps - done)
            print(f"step {done}/{steps} loss {terms['total']:.4f} pred {terms['prediction']:.4f} "
                  f"recon {terms['reconstruction']:.5f} std {terms['latent_std_mean']:.3f} (min "
                  f"{terms['latent_std_min']:.3f}) {batch * done / spent:.1f} clips/s ETA {eta:.0f}s",
                  file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        # Ctrl-C keeps what was learnt: the steps done so far are written below.
        print(f"finetune: interrupted after {done} steps; writing them", file=sys.stderr)
    if done == 0:
        sys.exit("finetune: interrupted before the first step; nothing written")
    wall = time.monotonic() - started
    config = {**trained, **{k: None for k in UNUSED_SWITCHES}}
    config["model"] = card["config"]
    out_card = {
        "format_version": checkpoint.FORMAT_VERSION,
        "name": Path(args.out).name,
        "config": card["config"],
        "training": {
            "config": config,
            "data": [f"dataset:{Path(d).resolve()}" for d in args.data],
            "steps_done": done,
            "wall_time_s": wall,
            "machine": machine(device),
            "commands": ["python3 -m augur_torch.finetune " + " ".join(sys.argv[1:])],
            "final_losses": terms,
            "fine_tuned_from": str(args.model),
        },
        "eval": None,
    }
    weights, card_path = checkpoint.save(net.cpu(), out_card, Path(args.out) / "model")
    plot.loss_curve(Path(args.out) / "loss.png", history)
    print(f"finetune: {done} steps in {wall:.0f} s; wrote {weights}, {card_path} and the loss curve "
          f"{Path(args.out) / 'loss.png'} (log scale: white total, blue latent prediction, orange reconstruction); "
          f"open it with `augur eval --model {args.out}`")


if __name__ == "__main__":
    main()
