"""A convolutional SNN built for throughput on a small CPU (CIFAR-10 32x32x3, direct encoding, T = 4).

    stem   conv3x3(C_in -> c0) + BN + maxpool 2 (static images: computed once, repeated over T) -> neuron
    stage  conv3x3, stride s_k (c_{k-1} -> c_k) + BN -> neuron                  one per further channel count
    head   average pooling to head_pool x head_pool -> linear -> mean over T (logits)

Default (channels 32, 64, 128, 256; strides 1, 2, 2; head_pool 4) on 32x32 inputs: neurons at 16x16 (32 and
64 channels), 8x8 and 4x4; 14.2 MMAC per step plus a 0.9 MMAC stem once per image, 36,864 neurons per step
(a 3-conv width-32 net at full resolution has 19.8 MMAC and 98,304 neurons per step). Speed comes from
downsampling before the first neuron (the stem's pooling acts on the static currents, once), every conv-BN
stage folding T into the batch (``multistep.SeqToANN``), channels_last tensors (oneDNN's fast CPU layout;
~2-4x faster convolutions here than NCHW; the fused neuron path runs on that layout without copies) and the
fused neuron recurrence.

Two choices were made for the signed neuron in short CPU training runs (10k CIFAR-10 images, 3 epochs; numbers
in the report of issue 16): max pooling (not average) in the stem, and a 4x4 spatial readout instead of global
average pooling. A signed neuron is an odd function of its input, and with both averages the network stays
nearly odd end to end (like a tanh network: 40 % where the ReLU one reached 50 %); the stem's max pooling and
the spatial readout took the ideal signed LIF from 35 % to 50 % (binary LIF: 47 % -> 57 %).

Input: a static image batch (B, C, H, W) (direct encoding over ``steps``) or event frames (T, B, C, H, W).
Output: logits (B, num_classes), the mean over T of the per-step readout. The neuron type is a constructor
argument (a factory such as ``spiking_neurons.neuron_factory("device", params)``), one call per layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn

from ..validation import check_range
from .multistep import SeqToANN, stem_over_time


@dataclass(frozen=True)
class ConvSNNConfig:
    """in_channels: 3 (RGB) or 2 (ON/OFF events); channels: c0 of the stem, then one stage per further entry, with
    ``strides`` (1 or 2 each); steps: T for static inputs; head_pool: side of the pooled spike map the linear readout
    sees; dropout before the readout; channels_last: memory layout of the conv stages (CPU speed)."""

    in_channels: int = 3
    num_classes: int = 10
    channels: tuple[int, ...] = (32, 64, 128, 256)
    strides: tuple[int, ...] = (1, 2, 2)
    steps: int = 4
    head_pool: int = 4
    dropout: float = 0.0
    channels_last: bool = True

    def __post_init__(self) -> None:
        check_range("in_channels", self.in_channels, 1, 1e6)
        check_range("num_classes", self.num_classes, 2, 1e6)
        check_range("steps", self.steps, 1, 1e6)
        check_range("channels", list(self.channels), 1, 1e6)
        check_range("len(channels)", len(self.channels), 1, 16)
        if len(self.strides) != len(self.channels) - 1:
            raise ValueError(f"strides = {self.strides!r} has {len(self.strides)} entries; allowed: len(channels) - 1 = "
                             f"{len(self.channels) - 1} (one per stage after the stem)")
        check_range("strides", list(self.strides), 1, 2)
        check_range("head_pool", self.head_pool, 1, 64)
        check_range("dropout", self.dropout, 0.0, 1.0, high_inclusive=False)


def _conv_bn(c_in: int, c_out: int, stride: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out)]


class ConvSNN(nn.Module):
    """The conv SNN of the module docstring; ``neuron()`` builds each neuron layer."""

    def __init__(self, config: ConvSNNConfig, neuron: Callable[[], nn.Module]) -> None:
        super().__init__()
        self.config = config
        c = config.channels
        self.stem = nn.Sequential(*_conv_bn(config.in_channels, c[0], 1), nn.MaxPool2d(2))
        self.stem_neuron = neuron()
        stages: list[nn.Module] = []
        for c_in, c_out, stride in zip(c[:-1], c[1:], config.strides):
            stages += [SeqToANN(*_conv_bn(c_in, c_out, stride)), neuron()]
        self.stages = nn.Sequential(*stages)
        self.dropout = nn.Dropout(config.dropout) if config.dropout > 0 else nn.Identity()
        self.pool = nn.AdaptiveAvgPool2d(config.head_pool)
        self.head = nn.Linear(c[-1] * config.head_pool**2, config.num_classes)
        if config.channels_last:
            self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (B, num_classes) for images (B, C, H, W) or event frames (T, B, C, H, W)."""
        cfg = self.config
        y = self.stem_neuron(stem_over_time(self.stem, x, cfg.steps, cfg.in_channels, channels_last=cfg.channels_last))
        y = self.stages(y)
        features = self.pool(y.flatten(0, 1)).flatten(1)  # (T * B, C * head_pool^2): spike rates per region
        logits = self.head(self.dropout(features))
        return logits.view(y.shape[0], y.shape[1], -1).mean(0)
