"""Fine-tunes an Augur model in PyTorch on LeRobot v3 datasets and writes a checkpoint Augur
loads: the same objective, optimiser, schedule and training config (`--config`: a file in
`augur train --config`'s format, whole or only what it changes, over the same defaults) as
`augur train --init`, for when the data or the GPU is elsewhere.

    python3 -m augur_torch.finetune --model models/bounce-64-reach --data my-dataset \\
        --steps 200 --out ~/Augur/models/my-torch-model

The result (`OUT/model.safetensors` and `OUT/model.json`, its card recording this run) opens with
`augur eval --model OUT`, `augur predict --model OUT` and in the app's model picker when OUT is
under ~/Augur/models. Sound is not read here: the audio token hears silence, and on a dataset with
sound the audio encoder is left as it was."""
import argparse
import json
import math
import os
import platform
import signal
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
# Switches of `augur train` that this run does not apply: it trains every part (but the audio
# encoder on data with sound), so the card must not claim otherwise.
UNUSED_SWITCHES = ("decoder_only", "freeze_encoders", "predictor_only", "new_predictor", "grow_predictor",
                   "time_budget_s", "latent_bank")


# Integer settings; every other number may be written either way.
INTEGERS = {"steps", "batch_size", "warmup_steps", "seed", "checkpoint_every", "rollout_steps"}
# The bounds `TrainConfig::check` keeps.
MAX_BATCH, MAX_ROLLOUT, MAX_STEPS = 1024, 64, 100_000_000


def typed(place, value, default):
    """`value` as the kind `default` is (an optional weight's default, null, takes a number)."""
    name = place.rsplit(".", 1)[-1]
    if value is None and default is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{place} must be a number, not {json.dumps(value)}")
    if name in INTEGERS:
        if value != int(value) or value < 0:
            raise ValueError(f"{place} must be a whole number of at least 0, not {value}")
        return int(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{place} must be a number of at least 0, not {value}")
    return float(value)


def training_config(path):
    """`augur train`'s defaults with the file at `path` (if any) laid over them, each value of
    the kind its default is and within `augur train`'s bounds; a key the defaults do not have
    is refused, as `augur train` refuses it."""
    config = json.loads(json.dumps(DEFAULT_TRAINING))
    if path is None:
        return config
    try:
        given = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        sys.exit(f"finetune: cannot read the config {path}: {e}")
    if not isinstance(given, dict):
        sys.exit(f"finetune: {path} must hold a JSON object, as `augur train --config` reads")
    try:
        for key, value in given.items():
            if key == "loss":
                if not isinstance(value, dict):
                    raise ValueError(f"loss must be an object of loss weights, not {json.dumps(value)}")
                for name, weight in value.items():
                    if name not in config["loss"]:
                        raise ValueError(f"no loss setting {name!r}; they are {sorted(config['loss'])}")
                    config["loss"][name] = typed(f"loss.{name}", weight, DEFAULT_TRAINING["loss"][name])
            elif key == "model":
                raise ValueError("the architecture comes from --model here; change it with `augur train --init`")
            elif key in UNUSED_SWITCHES:
                if value not in (None, False):
                    raise ValueError(f"{key} is not done by this fine-tune (it trains every part); run it with "
                                     "`augur train`")
            elif key in config:
                config[key] = typed(key, value, DEFAULT_TRAINING[key])
            else:
                raise ValueError(f"no training setting {key!r}")
    except ValueError as e:
        sys.exit(f"finetune: {path}: {e}")
    return config


def check_bounds(trained):
    """`TrainConfig::check`'s bounds; None when they hold, else what is wrong."""
    if not 1 <= trained["batch_size"] <= MAX_BATCH:
        return f"batch_size must be 1 to {MAX_BATCH}, not {trained['batch_size']}"
    if not 1 <= trained["steps"] <= MAX_STEPS:
        return f"steps must be 1 to {MAX_STEPS}, not {trained['steps']}"
    if trained["loss"]["rollout_steps"] > MAX_ROLLOUT:
        return f"loss.rollout_steps must be 0 to {MAX_ROLLOUT}, not {trained['loss']['rollout_steps']}"
    if not (math.isfinite(trained["learning_rate"]) and trained["learning_rate"] > 0):
        return f"learning_rate must be a number above 0, not {trained['learning_rate']}"
    if trained["seed"] < 0:
        return f"seed must be a whole number of at least 0, not {trained['seed']}"
    if not 0 <= trained["ema"] <= 1:
        return f"ema must be 0 to 1, not {trained['ema']}"
    return None


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
    """`batch` clips of `length` consecutive frames (uint8 reels to floats in [0, 1]), episodes
    picked by how many clips they hold."""
    counts = np.array([len(r) - length + 1 for r in reels], dtype=np.float64)
    picks = rng.choice(len(reels), size=batch, p=counts / counts.sum())
    clips = [reels[i][s:s + length] for i in picks for s in [rng.integers(0, counts[i])]]
    return torch.from_numpy(np.stack(clips)).float() / 255.0


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
    wrong = check_bounds(trained)
    if wrong:
        sys.exit(f"finetune: {wrong}")
    steps, batch, peak = trained["steps"], trained["batch_size"], trained["learning_rate"]
    warmup, seed, loss = trained["warmup_steps"], trained["seed"], trained["loss"]
    out = Path(args.out)
    if (out / "model.json").exists():
        sys.exit(f"finetune: {out} already holds a model; give another --out (delete the folder first to start "
                 "over there)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        sys.exit(f"finetune: cannot create {out}: {e}")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit(f"finetune: --device {args.device}, but this PyTorch ({torch.__version__}) sees no CUDA GPU; "
                 "use --device cpu")
    device = torch.device(args.device)
    if "OMP_NUM_THREADS" not in os.environ:
        # Debian's PyTorch starts with one thread; every core is what a training run wants.
        torch.set_num_threads(os.cpu_count() or 1)
    try:
        net, card = checkpoint.load(args.model, device)
    except (checkpoint.CheckpointError, OSError, ValueError) as e:
        sys.exit(f"finetune: cannot load {args.model}: {e}")
    cfg = net.cfg
    if (loss["reach"] or 0) > 0 and not cfg.warps:
        sys.exit("finetune: loss.reach weighs a warping decoder's flow, and this model's decoder does not warp; "
                 "set it to 0")
    length = losses.clip_len(cfg.context, loss)
    reels, heard = [], []
    for root in args.data:
        try:
            found, has_sound = lerobot.episodes(root, cfg.image_size)
        except (lerobot.DatasetError, OSError, ValueError) as e:
            sys.exit(f"finetune: {e}")
        reels += [frames for frames in found if len(frames) >= length]
        heard += [root] if has_sound else []
    if not reels:
        sys.exit(f"finetune: no episode has the {length} frames a clip needs (context {cfg.context}, "
                 f"then {loss['rollout_steps'] + 1}); record longer episodes")
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    if net.online.audio is not None and heard:
        # Sound is not read here: trained on silence where the data has sound, the audio
        # encoder would unlearn what it hears. Without sound in the data, `augur train` trains
        # it on silence too, and so does this.
        net.online.audio.requires_grad_(False)
        print(f"finetune: {heard[0]} has sound, which this does not read: the audio token hears silence and the "
              "audio encoder is left as it was", file=sys.stderr)
    params = [p for name, p in net.named_parameters() if p.requires_grad and not name.startswith("target.")]
    optim = torch.optim.AdamW(params, lr=peak, betas=(0.9, 0.999), eps=1e-5, weight_decay=1e-4)
    net.train()
    started, frames_seen = time.monotonic(), sum(len(r) for r in reels)
    print(f"finetune: {len(reels)} episodes, {frames_seen} frames; {steps} steps of {batch} clips of "
          f"{length} frames on {device}", file=sys.stderr)
    history = []

    def write(final):
        """The model after the steps in `history`, its card and loss curve, into --out."""
        wall = time.monotonic() - started
        config = {**trained, **{k: None for k in UNUSED_SWITCHES}, "model": card["config"]}
        record = {
            "config": config,
            "data": [f"dataset:{Path(d).resolve()}" for d in args.data],
            "steps_done": len(history),
            "wall_time_s": wall,
            "machine": machine(device),
            "commands": ["python3 -m augur_torch.finetune " + " ".join(sys.argv[1:])],
            "final_losses": history[-1],
            "fine_tuned_from": str(args.model),
        }
        out_card = {"format_version": checkpoint.FORMAT_VERSION, "name": out.name, "config": card["config"],
                    "training": record, "eval": None}
        weights, card_path = checkpoint.save(net, out_card, out / "model")
        # Every step's terms, as `augur train` keeps them in train-state.json.
        checkpoint.write_atomic(out / "losses.json", json.dumps(history).encode())
        plot.loss_curve(out / "loss.png", history)
        if final:
            print(f"finetune: {len(history)} steps in {wall:.0f} s; wrote {weights}, {card_path} and the loss curve "
                  f"{out / 'loss.png'} (log scale: white total, blue latent prediction, orange reconstruction); "
                  f"open it with `augur eval --model {out}`")

    # A scheduler's SIGTERM (a cluster's time limit) stops the run as Ctrl-C does: what was
    # learnt is written.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        for step in range(steps):
            for group in optim.param_groups:
                group["lr"] = learning_rate(peak, warmup, steps, step)
            clips = sample(reels, length, batch, rng).to(device)
            total, terms = losses.batch_loss(net, clips, None, cfg.context, loss)
            if not all(math.isfinite(v) for v in terms.values()):
                # The weights are still those of the last good step: keep them.
                print(f"finetune: the loss became {terms['total']} at step {step + 1}; writing the {step} steps "
                      "before it; lower --learning-rate", file=sys.stderr)
                break
            optim.zero_grad()
            total.backward()
            clip_norms(params)
            optim.step()
            ema(net.target, net.online, float(trained["ema"]))
            history.append(terms)
            done = len(history)
            spent = time.monotonic() - started
            print(f"step {done}/{steps} loss {terms['total']:.4f} pred {terms['prediction']:.4f} "
                  f"recon {terms['reconstruction']:.5f} std {terms['latent_std_mean']:.3f} (min "
                  f"{terms['latent_std_min']:.3f}) {batch * done / spent:.1f} clips/s "
                  f"ETA {spent / done * (steps - done):.0f}s", file=sys.stderr, flush=True)
            if trained["checkpoint_every"] > 0 and done % trained["checkpoint_every"] == 0 and done < steps:
                write(final=False)
    except KeyboardInterrupt:
        # Ctrl-C keeps what was learnt. Stopped between the optimiser's step and the record
        # of it, the weights hold one step the card does not count: a tenth of a percent of
        # a short run, and the card stays loadable.
        print(f"finetune: interrupted after {len(history)} steps; writing them", file=sys.stderr)
    if not history:
        sys.exit("finetune: stopped before the first step was done; nothing written")
    write(final=True)
    if len(history) < steps:
        sys.exit(1)


if __name__ == "__main__":
    main()
