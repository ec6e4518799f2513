"""Augur's world model in PyTorch: the same architecture as `crates/augur-model`, with the
same parameter names and shapes, so an Augur checkpoint loads here and weights trained here load
back into Augur. Layers follow burn's conventions where they differ from PyTorch's: a linear
layer's weight is `[in, out]`, layer norms name their parameters `gamma` and `beta`, GELU is
the exact (erf) one, bilinear upsampling aligns corners."""
import math

import torch
import torch.nn.functional as F
from torch import nn

# Scaled log-mel of silence: `audio::scale_logmel(LOG_FLOOR)` with LOG_FLOOR = -23.
SILENT_MEL = (-23.0 + 5.0) / 18.0


class Config:
    """The `config` object of a model card, with the derived sizes `ModelConfig` computes."""

    def __init__(self, raw):
        self.raw = dict(raw)
        get = self.raw.get
        self.image_size, self.grid = int(raw["image_size"]), int(raw["grid"])
        self.base_width, self.latent_dim = int(raw["base_width"]), int(raw["latent_dim"])
        self.predictor_dim, self.predictor_layers = int(raw["predictor_dim"]), int(raw["predictor_layers"])
        self.predictor_heads, self.context = int(raw["predictor_heads"]), int(raw["context"])
        self.horizon, self.audio_mels = int(raw["horizon"]), int(raw.get("audio_mels") or 0)
        self.action_dim, self.composite = int(raw.get("action_dim") or 0), bool(raw["composite"])
        self.sees_change = bool(get("decoder_sees_change"))
        self.sees_frame = bool(get("decoder_sees_frame"))
        self.sees_motion = bool(get("predictor_sees_motion"))
        self.warps = self.composite and bool(get("decoder_warps"))
        self.coarse_flow = self.warps and bool(get("decoder_coarse_flow"))
        self.fades = bool(get("fade_by_last_step"))
        self.video_tokens = self.grid * self.grid
        self.tokens = self.video_tokens + (1 if self.audio_mels > 0 else 0)
        self.frame_width = max(self.base_width // 2, 4)

    def stage_widths(self):
        """Channel widths of the encoder's stride-2 stages; the last is the latent size."""
        stages = int(math.log2(max(self.image_size // max(self.grid, 1), 1)))
        widths = [min(self.base_width << i, self.base_width * 4) for i in range(max(stages - 1, 0))]
        return widths + [self.latent_dim]


class Linear(nn.Module):
    """burn's linear layer: `x @ weight + bias`, weight `[in, out]`."""

    def __init__(self, d_in, d_out, zero=False):
        super().__init__()
        bound = 1.0 / math.sqrt(d_in)
        w = torch.zeros(d_in, d_out) if zero else torch.empty(d_in, d_out).uniform_(-bound, bound)
        self.weight = nn.Parameter(w)
        self.bias = nn.Parameter(torch.zeros(d_out) if zero else torch.empty(d_out).uniform_(-bound, bound))

    def forward(self, x):
        return x @ self.weight + self.bias


class LayerNorm(nn.Module):
    """burn's layer norm (epsilon 1e-5), parameters named `gamma` and `beta`."""

    def __init__(self, d):
        super().__init__()
        self.gamma, self.beta = nn.Parameter(torch.ones(d)), nn.Parameter(torch.zeros(d))

    def forward(self, x):
        return F.layer_norm(x, x.shape[-1:], self.gamma, self.beta, 1e-5)


def gelu(x):
    return F.gelu(x)


class VideoEncoder(nn.Module):
    """Stride-2 3×3 convs from the frame to the token grid, GELU between stages."""

    def __init__(self, cfg):
        super().__init__()
        widths, inputs = cfg.stage_widths(), 3
        self.stages = nn.ModuleList()
        for w in widths:
            self.stages.append(nn.Conv2d(inputs, w, 3, stride=2, padding=1))
            inputs = w

    def forward(self, frames):
        """`[n, 3, S, S]` in [0, 1] to `[n, grid², latent_dim]`, row-major."""
        x = (frames - 0.5) * 2.0
        for i, conv in enumerate(self.stages):
            x = conv(x)
            if i < len(self.stages) - 1:
                x = gelu(x)
        n, d = x.shape[:2]
        return x.reshape(n, d, -1).transpose(1, 2)


class AudioEncoder(nn.Module):
    """One frame's scaled log-mel bins to one latent token."""

    def __init__(self, cfg):
        super().__init__()
        self.hidden = Linear(cfg.audio_mels, cfg.latent_dim)
        self.out = Linear(cfg.latent_dim, cfg.latent_dim)

    def forward(self, mels):
        return self.out(gelu(self.hidden(mels))).unsqueeze(1)


class Encoders(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.video = VideoEncoder(cfg)
        self.audio = AudioEncoder(cfg) if cfg.audio_mels > 0 else None
        self.mels = cfg.audio_mels

    def forward(self, frames, mels=None):
        """`frames` `[b, T, 3, S, S]`, `mels` `[b, T, audio_mels]` (silence when None) to
        `[b, T, tokens, dim]`: the video grid, then the audio token."""
        b, t = frames.shape[:2]
        video = self.video(frames.reshape(b * t, *frames.shape[2:]))
        video = video.reshape(b, t, *video.shape[1:])
        if self.audio is None:
            return video
        if mels is None:
            mels = frames.new_full((b, t, self.mels), SILENT_MEL)
        sound = self.audio(mels.reshape(b * t, -1)).reshape(b, t, 1, -1)
        return torch.cat([video, sound], 2)


class Attention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads, self.d_k = heads, width // heads
        self.query, self.key = Linear(width, width), Linear(width, width)
        self.value, self.output = Linear(width, width), Linear(width, width)


class FeedForward(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.linear_inner, self.linear_outer = Linear(width, 2 * width), Linear(2 * width, width)

    def forward(self, x):
        return self.linear_outer(gelu(self.linear_inner(x)))


class Layer(nn.Module):
    """burn's pre-norm transformer encoder layer: `norm_2` before attention, `norm_1` before
    the feed-forward."""

    def __init__(self, width, heads):
        super().__init__()
        self.mha, self.pwff = Attention(width, heads), FeedForward(width)
        self.norm_1, self.norm_2 = LayerNorm(width), LayerNorm(width)

    def forward(self, x, blocked):
        b, rows, width = x.shape
        mha = self.mha

        def heads(t, linear):
            return linear(t).reshape(b, t.shape[1], mha.heads, mha.d_k).transpose(1, 2)

        normed = self.norm_2(x)
        scores = heads(normed, mha.query) @ heads(normed, mha.key).transpose(2, 3) / math.sqrt(mha.d_k)
        scores = scores.masked_fill(blocked, float("-inf"))
        context = torch.softmax(scores, -1) @ heads(normed, mha.value)
        x = x + mha.output(context.transpose(1, 2).reshape(b, rows, width))
        return x + self.pwff(self.norm_1(x))


class Transformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layers = nn.ModuleList(Layer(cfg.predictor_dim, cfg.predictor_heads) for _ in range(cfg.predictor_layers))


class Predictor(nn.Module):
    """A transformer over time × tokens, causal in time: at step t, the next frame's latents."""

    def __init__(self, cfg):
        super().__init__()
        p = cfg.predictor_dim
        self.input = Linear(cfg.latent_dim, p)
        self.motion = Linear(cfg.latent_dim, p, zero=True) if cfg.sees_motion else None
        self.time = nn.Parameter(torch.randn(cfg.context, p) * 0.02)
        self.token = nn.Parameter(torch.randn(cfg.tokens, p) * 0.02)
        self.action = Linear(cfg.action_dim, p) if cfg.action_dim > 0 else None
        self.transformer = Transformer(cfg)
        self.output = Linear(p, cfg.latent_dim, zero=True)

    @property
    def context(self):
        return self.time.shape[0]

    def forward(self, latents, actions=None):
        """`[b, T, tokens, dim]` to the predictions for frames 2..T+1, same shape."""
        b, t, m, d = latents.shape
        x = self.embed(latents, actions)
        step = torch.arange(t * m, device=x.device) // m
        blocked = step.unsqueeze(0) > step.unsqueeze(1)
        for layer in self.transformer.layers:
            x = layer(x, blocked)
        return latents + self.output(x).reshape(b, t, m, d)

    def next(self, latents, actions=None):
        """Only the prediction for the frame after the last, `[b, 1, tokens, dim]`."""
        return self.forward(latents, actions)[:, -1:]

    def embed(self, latents, actions):
        b, t, m, d = latents.shape
        p = self.time.shape[1]
        x = self.input(latents.reshape(b, t * m, d))
        if self.motion is not None:
            # The first frame has no frame before it in the window: its change reads as zero.
            before = latents if t == 1 else torch.cat([latents[:, :1], latents[:, :-1]], 1)
            x = x + self.motion((latents - before).reshape(b, t * m, d))
        pos = (self.time[:t].reshape(1, t, 1, p) + self.token.reshape(1, 1, m, p)).expand(b, t, m, p)
        if self.action is not None and actions is not None:
            pos = pos + self.action(actions).unsqueeze(2)
        return x + pos.reshape(b, t * m, p)


def warp(image, flow):
    """`image` `[n, c, h, w]` sampled bilinearly at each pixel plus `flow` (`[n, 2, h, w]`, in
    pixels, x first), the border repeated; as `crates/augur-model/src/warp.rs`."""
    n, c, h, w = image.shape
    ys, xs = torch.meshgrid(torch.arange(h, device=image.device), torch.arange(w, device=image.device), indexing="ij")
    sx = (xs.to(image.dtype) + flow[:, 0:1]).clamp(0, w - 1)
    sy = (ys.to(image.dtype) + flow[:, 1:2]).clamp(0, h - 1)
    x0 = sx.detach().floor().clamp(0, w - 2)
    y0 = sy.detach().floor().clamp(0, h - 2)
    wx, wy = sx - x0, sy - y0
    index = (y0 * w + x0).long().reshape(n, 1, h * w).expand(n, c, h * w)
    flat = image.reshape(n, c, h * w)

    def at(offset):
        return flat.gather(2, index + offset).reshape(n, c, h, w)

    top = at(0) * (1 - wx) + at(1) * wx
    bottom = at(w) * (1 - wx) + at(w + 1) * wx
    return top * (1 - wy) + bottom * wy


class Decoder(nn.Module):
    """Transposed convs from the token grid back to pixels; optionally reading the last
    observed frame, painting over it through a mask and moving it by a predicted flow."""

    def __init__(self, cfg):
        super().__init__()
        widths = list(reversed(cfg.stage_widths()))
        outputs = widths[1:] + [max(cfg.base_width // 2, 8)]
        inputs = 2 * cfg.latent_dim if cfg.sees_change else cfg.latent_dim
        frame = cfg.frame_width if cfg.sees_frame else 0
        self.stages = nn.ModuleList()
        for width in outputs:
            self.stages.append(nn.ConvTranspose2d(inputs + frame, width, 4, stride=2, padding=1))
            inputs = width
        channels = 6 if cfg.warps else 4 if cfg.composite else 3
        self.to_rgb = nn.Conv2d(inputs, channels, 3, padding=1)
        self.frame_stages = nn.ModuleList()
        if cfg.sees_frame:
            for i in range(len(outputs)):
                self.frame_stages.append(nn.Conv2d(3 if i == 0 else frame, frame, 4, stride=2, padding=1))
        self.coarse_at = max(len(outputs) - 3, 0)
        self.coarse_flow = nn.Conv2d(outputs[self.coarse_at], 2, 3, padding=1) if cfg.coarse_flow else None
        if self.coarse_flow is not None:
            nn.init.zeros_(self.coarse_flow.weight)
            nn.init.zeros_(self.coarse_flow.bias)
        self.grid, self.composite = cfg.grid, cfg.composite
        self.sees_change, self.warps = cfg.sees_change, cfg.warps

    def forward(self, tokens, anchor_tokens, anchor, repeat):
        """`tokens` `[n × repeat, grid², dim]` (`repeat` per anchor), `anchor` `[n, 3, S, S]`,
        `anchor_tokens` like `tokens` or None. Returns (pixels, mask or None, flow or None)."""

        def each(t):
            return t.unsqueeze(1).expand(t.shape[0], repeat, *t.shape[1:]).reshape(-1, *t.shape[1:])

        if self.sees_change:
            change = tokens - anchor_tokens if anchor_tokens is not None else torch.zeros_like(tokens)
            tokens = torch.cat([tokens, change], 2)
        b, _, dim = tokens.shape
        x = tokens.transpose(1, 2).reshape(b, dim, self.grid, self.grid)
        seen, f = [], anchor
        for conv in self.frame_stages:
            f = gelu(conv(f))
            seen.append(each(f))
        anchor = each(anchor)
        coarse = None
        for i, conv in enumerate(self.stages):
            if seen:
                x = torch.cat([x, seen.pop()], 1)
            x = gelu(conv(x))
            if i == self.coarse_at and self.coarse_flow is not None:
                coarse = self.coarse_flow(x)
        out = self.to_rgb(x)
        if not self.composite:
            return torch.sigmoid(out), None, None
        rgb = torch.sigmoid(out[:, 0:3])
        mask = torch.sigmoid(out[:, 3:4] - 2.0)
        size = anchor.shape[-1]
        flow = None
        if self.warps:
            raw = out[:, 4:6]
            if coarse is not None:
                raw = raw + F.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=True)
            flow = torch.tanh(raw) * float(size // 4)
        kept = warp(anchor, flow) if flow is not None else anchor
        return rgb * mask + kept * (1 - mask), mask, flow


class WorldModel(nn.Module):
    """Online and EMA target encoders, predictor and decoder, named as in Augur's weights."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.online, self.target = Encoders(cfg), Encoders(cfg)
        self.target.load_state_dict(self.online.state_dict())
        self.predictor, self.decoder = Predictor(cfg), Decoder(cfg)

    def rollout(self, context, horizon, actions=None):
        """Rolls the predictor `horizon` steps on from `context` (`[b, T, tokens, dim]`, the
        last `context` frames used). Returns `[b, horizon, tokens, dim]`."""
        keep = self.predictor.context
        offset = max(context.shape[1] - keep, 0)
        window, out = context[:, offset:], []
        for _ in range(horizon):
            t = window.shape[1]
            acts = actions[:, offset:offset + t] if actions is not None else None
            nxt = self.predictor.next(window, acts)
            out.append(nxt)
            window = torch.cat([window, nxt], 1)
            if t + 1 > keep:
                window, offset = window[:, 1:1 + keep], offset + 1
        return torch.cat(out, 1)

    def draw(self, latents, anchor, anchor_tokens=None):
        """Pixels for `latents` `[b, T, tokens, dim]` over `anchor` `[b, 3, S, S]`, the last
        frame seen: (pixels `[b, T, 3, S, S]`, mask, flow). `anchor_tokens` (`[b, tokens,
        dim]`) are the anchor's target tokens, encoded here when None."""
        b, t, _, d = latents.shape
        n = self.cfg.video_tokens
        video = latents[:, :, :n].reshape(b * t, n, d)
        before = None
        if self.decoder.sees_change:
            if anchor_tokens is None:
                anchor_tokens = self.target.video(anchor)
            before = anchor_tokens[:, :n].detach().unsqueeze(1).expand(b, t, n, d).reshape(b * t, n, d)
        pixels, mask, flow = self.decoder(video, before, anchor, t)

        def seq(x):
            return None if x is None else x.reshape(b, t, *x.shape[1:])

        return seq(pixels), seq(mask), seq(flow)

    @staticmethod
    def surprise(predicted, actual):
        """Mean squared latent error per batch item and step: Augur's one definition."""
        return (predicted - actual).pow(2).flatten(2).mean(2)
