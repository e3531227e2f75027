"""A small Spikformer (Zhou et al., ICLR 2023): spiking patch splitting, spiking self-attention, MLP blocks.

    SPS    conv3x3 + BN (+ maxpool 3/2) -> neuron, four times, channels D/8, D/4, D/2, D (the first conv + BN is
           computed once for a static image and repeated over T); relative position embedding
           conv3x3 + BN -> neuron, added to the SPS spikes; tokens (T, B, N, D), N = (H / 2^pool_stages)^2
    block  x = x + SSA(x);  x = x + MLP(x)
    SSA    Q, K, V = neuron(BN(linear(x))) each, split into heads; Y = Q (K^T V) * scale (no softmax: spikes are
           non-negative/ternary and the product is already bounded); neuron(Y / 0.5) (Spikformer's attention
           neuron fires at 0.5); neuron(BN(linear(Y)))
    MLP    neuron(BN(linear(x))) to D * mlp_ratio, neuron(BN(linear(.))) back to D
    head   mean over tokens -> linear -> mean over T

Every neuron comes from the ``neuron`` factory (device / ideal signed LIF or binary LIF). Difference from the
paper's code: the SPS max-pooling acts on the BN output before the neuron (conv-BN-pool-neuron, as in the
Spike-driven Transformer) instead of on the spikes, since the max of signed spikes would favour +1 over -1.

Presets (``PRESETS``): "spikformer-4-384" (CIFAR-10: 4 blocks, D = 384, 12 heads, T = 4, 32x32 -> 8x8 tokens)
and "spikformer-2-256" (CIFAR10-DVS: 2 blocks, D = 256, 16 heads, T = 16, 2 polarity channels, 64x64 frames ->
8x8 tokens). Input: static images (B, C, H, W) or event frames (T, B, C, H, W); output logits (B, classes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from ..validation import check_positive, check_range
from .multistep import SeqToANN, stem_over_time

ATTENTION_THRESHOLD = 0.5  #: Spikformer's attention neuron threshold, in units of the other neurons' threshold


@dataclass(frozen=True)
class SpikformerConfig:
    """embed_dim D (divisible by 8 and by heads), depth (blocks), heads, mlp_ratio, steps T (static inputs),
    pool_stages (max-poolings in the SPS, 0..4: token grid = input size / 2^pool_stages), attention scale."""

    in_channels: int = 3
    num_classes: int = 10
    embed_dim: int = 384
    depth: int = 4
    heads: int = 12
    mlp_ratio: float = 4.0
    steps: int = 4
    pool_stages: int = 2
    scale: float = 0.125
    channels_last: bool = True

    def __post_init__(self) -> None:
        check_range("in_channels", self.in_channels, 1, 1e6)
        check_range("num_classes", self.num_classes, 2, 1e6)
        check_range("embed_dim", self.embed_dim, 8, 1e6)
        check_range("depth", self.depth, 0, 1e3)
        check_range("heads", self.heads, 1, self.embed_dim)
        check_range("mlp_ratio", self.mlp_ratio, 0.0, 1e3, low_inclusive=False)
        check_range("steps", self.steps, 1, 1e6)
        check_range("pool_stages", self.pool_stages, 0, 4)
        check_positive("scale", self.scale)
        if self.embed_dim % 8 or self.embed_dim % self.heads:
            raise ValueError(f"embed_dim = {self.embed_dim}; allowed: a multiple of 8 and of heads = {self.heads}")


PRESETS = {
    "spikformer-4-384": SpikformerConfig(in_channels=3, embed_dim=384, depth=4, heads=12, steps=4, pool_stages=2),
    "spikformer-2-256": SpikformerConfig(in_channels=2, embed_dim=256, depth=2, heads=16, steps=16, pool_stages=3),
}


class LinearBN(nn.Module):
    """Linear map of the last axis and BatchNorm over every other axis: (..., d_in) -> (..., d_out)."""

    def __init__(self, d_in: int, d_out: int) -> None:
        super().__init__()
        self.linear = nn.Linear(d_in, d_out, bias=False)
        self.bn = nn.BatchNorm1d(d_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        y = self.linear(x)
        return self.bn(y.reshape(-1, y.shape[-1])).view(y.shape)


class SpikingSelfAttention(nn.Module):
    """Spikformer's SSA on tokens (T, B, N, D) (module docstring)."""

    def __init__(self, dim: int, heads: int, scale: float, neuron: Callable[[], nn.Module]) -> None:
        super().__init__()
        self.heads, self.scale = heads, scale
        self.q, self.k, self.v = LinearBN(dim, dim), LinearBN(dim, dim), LinearBN(dim, dim)
        self.q_neuron, self.k_neuron, self.v_neuron = neuron(), neuron(), neuron()
        self.attn_neuron = neuron()
        self.proj = LinearBN(dim, dim)
        self.proj_neuron = neuron()

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        t, b, n, d = x.shape
        return x.reshape(t, b, n, self.heads, d // self.heads).transpose(2, 3)  # (T, B, heads, N, d_head)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        q = self._split(self.q_neuron(self.q(x)))
        k = self._split(self.k_neuron(self.k(x)))
        v = self._split(self.v_neuron(self.v(x)))
        y = q @ (k.transpose(-2, -1) @ v) * (self.scale / ATTENTION_THRESHOLD)
        y = self.attn_neuron(y).transpose(2, 3).reshape(x.shape)
        return self.proj_neuron(self.proj(y))


class SpikingMLP(nn.Module):
    """Two LinearBN + neuron layers, D -> hidden -> D."""

    def __init__(self, dim: int, hidden: int, neuron: Callable[[], nn.Module]) -> None:
        super().__init__()
        self.fc1, self.neuron1 = LinearBN(dim, hidden), neuron()
        self.fc2, self.neuron2 = LinearBN(hidden, dim), neuron()

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.neuron2(self.fc2(self.neuron1(self.fc1(x))))


class SpikformerBlock(nn.Module):
    """x + SSA(x), then + MLP."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float, scale: float, neuron: Callable[[], nn.Module]) -> None:
        super().__init__()
        self.attn = SpikingSelfAttention(dim, heads, scale, neuron)
        self.mlp = SpikingMLP(dim, max(1, round(dim * mlp_ratio)), neuron)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        x = x + self.attn(x)
        return x + self.mlp(x)


class Spikformer(nn.Module):
    """Spikformer of the module docstring; ``neuron()`` builds each neuron layer."""

    def __init__(self, config: SpikformerConfig, neuron: Callable[[], nn.Module]) -> None:
        super().__init__()
        self.config = config
        d = config.embed_dim
        widths = [d // 8, d // 4, d // 2, d]
        pooled = [k >= 4 - config.pool_stages for k in range(4)]
        self.stem = nn.Sequential(nn.Conv2d(config.in_channels, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]),
                                  *([nn.MaxPool2d(3, 2, 1)] if pooled[0] else []))
        self.stem_neuron = neuron()
        sps: list[nn.Module] = []
        for k in range(1, 4):
            layers = [nn.Conv2d(widths[k - 1], widths[k], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[k])]
            sps += [SeqToANN(*layers, *([nn.MaxPool2d(3, 2, 1)] if pooled[k] else [])), neuron()]
        self.sps = nn.Sequential(*sps)
        self.rpe = nn.Sequential(SeqToANN(nn.Conv2d(d, d, 3, 1, 1, bias=False), nn.BatchNorm2d(d)), neuron())
        self.blocks = nn.Sequential(*(SpikformerBlock(d, config.heads, config.mlp_ratio, config.scale, neuron)
                                      for _ in range(config.depth)))
        self.head = nn.Linear(d, config.num_classes)
        if config.channels_last:
            self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, num_classes) for images (B, C, H, W) or event frames (T, B, C, H, W)."""
        cfg = self.config
        y = self.sps(self.stem_neuron(stem_over_time(self.stem, x, cfg.steps, cfg.in_channels, channels_last=cfg.channels_last)))
        y = y + self.rpe(y)
        tokens = y.flatten(-2).transpose(-1, -2)  # (T, B, N, D)
        tokens = self.blocks(tokens)
        return self.head(tokens.mean(2)).mean(0)
