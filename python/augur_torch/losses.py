"""Augur's training objective in PyTorch, term for term as `crates/augur-model/src/losses.rs`:
latent prediction against the EMA target (teacher-forced and over a short rollout), the
variance/covariance regularisers, the decoder's reconstruction of stop-gradient target latents,
the pixel error of drawn rollouts, the compositing mask, the warp's reach and the audio token."""
import torch
import torch.nn.functional as F

from .model import warp

# Box sides of the reach's blurs at 64²; larger frames scale them.
REACH_BLURS = (1, 5, 9, 17)


def clip_len(context, loss):
    return context + 1 + int(loss["rollout_steps"])


def weighted_error(guess, truth, before, motion):
    err = (guess - truth).pow(2)
    if motion <= 0:
        return err.mean()
    change = (truth - before).pow(2).mean(3, keepdim=True).detach()
    weight = change / (change.mean() + 1e-12) * motion + 1.0
    return (err * weight).mean() / weight.mean()


def regularise(z):
    """VICReg's variance hinge and covariance penalty over every token, and each dimension's std."""
    d = z.shape[-1]
    flat = z.reshape(-1, d)
    n = flat.shape[0]
    centred = flat - flat.mean(0)
    var = centred.pow(2).sum(0) / (max(n, 2) - 1)
    std = (var + 1e-4).sqrt()
    variance = F.relu(1.0 - std).mean()
    cov = centred.t() @ centred / (max(n, 2) - 1)
    off = cov * (1.0 - torch.eye(d, device=z.device))
    return variance, off.pow(2).sum() / d, std.detach()


def blur(image, side):
    if side <= 1:
        return image
    for _ in range(2):
        image = F.avg_pool2d(image, side, stride=1, padding=side // 2, count_include_pad=False)
    return image


def reach_error(anchor, flows, truth):
    b, t, c, h, w = truth.shape
    truth = truth.reshape(b * t, c, h, w)
    scale = max(h // 64, 1)
    total = anchor.new_zeros(())
    for side in ((s - 1) * scale + 1 for s in REACH_BLURS):
        seen = blur(anchor, side).unsqueeze(1).expand(b, t, c, h, w).reshape(b * t, c, h, w)
        wanted = blur(truth, side)
        for flow in flows:
            moved = warp(seen, flow.reshape(b * t, 2, h, w))
            total = total + (moved - wanted).pow(2).mean() * (side / len(flows))
    return total


def batch_loss(model, frames, mels, ctx, loss):
    """The weighted loss of `frames` (`[b, clip_len, 3, S, S]`) and its terms as floats."""
    z = model.online(frames, mels)
    with torch.no_grad():
        target = model.target(frames, mels)
    motion = float(loss.get("motion") or 0.0)
    heard = model.cfg.audio_mels > 0
    rollout = int(loss["rollout_steps"])

    def error(guess, start):
        n = guess.shape[1]
        return weighted_error(guess, target[:, start + 1:start + 1 + n], target[:, start:start + n], motion)

    def audio_error(guess, start):
        n = guess.shape[1]
        return (guess[:, :, -1:] - target[:, start + 1:start + 1 + n, -1:]).pow(2).mean()

    forced = model.predictor(z[:, :ctx])
    prediction = error(forced, 0)
    audio = audio_error(forced, 0) if heard else None
    guess = forced[:, ctx - 1:ctx]
    rolled = [guess]
    window = torch.cat([z[:, 1:ctx], guess], 1)
    for k in range(1, rollout + 1):
        guess = model.predictor.next(window)
        prediction = prediction + error(guess, ctx + k - 1)
        if audio is not None:
            audio = audio + audio_error(guess, ctx + k - 1)
        rolled.append(guess)
        window = torch.cat([window[:, 1:], guess], 1)
    prediction = prediction / (1 + rollout)
    audio = audio / (1 + rollout) if audio is not None else None
    variance, covariance, stds = regularise(z)

    later = frames[:, ctx:ctx + 1 + rollout]
    anchor = frames[:, ctx - 1]
    before = target[:, ctx - 1]
    reaches = float(loss.get("reach") or 0.0) > 0
    terms, masks, flows = {}, [], []
    total = prediction * loss["prediction"] + variance * loss["variance"] + covariance * loss["covariance"]
    if loss["reconstruction"] > 0:
        pixels, mask, flow = model.draw(target[:, ctx:ctx + 1 + rollout], anchor, before)
        terms["reconstruction"] = (pixels - later).pow(2).mean()
        total = total + terms["reconstruction"] * loss["reconstruction"]
        masks += [mask] if mask is not None else []
        flows += [flow] if flow is not None and reaches else []
    if loss["pixel"] > 0:
        pixels, mask, flow = model.draw(torch.cat(rolled, 1), anchor, before)
        terms["pixel"] = (pixels - later).pow(2).mean()
        total = total + terms["pixel"] * loss["pixel"]
        masks += [mask] if mask is not None else []
        flows += [flow] if flow is not None and reaches else []
    if masks:
        terms["mask"] = torch.cat(masks, 1).mean()
        if float(loss.get("mask") or 0.0) > 0:
            total = total + terms["mask"] * float(loss["mask"])
    if flows:
        terms["reach"] = reach_error(anchor, flows, later)
        total = total + terms["reach"] * float(loss["reach"])
    if audio is not None:
        terms["audio"] = audio
        if float(loss.get("audio") or 0.0) > 0:
            total = total + audio * float(loss["audio"])
    out = {"total": total, "prediction": prediction, "variance": variance, "covariance": covariance}
    out.update(terms)
    numbers = {k: float(v.detach()) for k, v in out.items()}
    for k in ("reconstruction", "pixel", "mask", "reach", "audio"):
        numbers.setdefault(k, 0.0)
    numbers["latent_std_mean"] = float(stds.mean())
    numbers["latent_std_min"] = float(stds.min())
    return total, numbers
