"""The spiking networks by name, for experiments: ``build_model(arch, neuron, ...)``.

ARCHS: "convsnn" (``conv_snn.ConvSNN``, the fast CPU network), "spikformer" (``spikformer.Spikformer`` with its
default configuration) and the paper presets "spikformer-4-384" (CIFAR-10) and "spikformer-2-256"
(CIFAR10-DVS). ``spike_statistics`` (per-layer spike rate and sign) is re-exported from ``spike_monitor``.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from torch import nn

from ..validation import check_choice
from .conv_snn import ConvSNN, ConvSNNConfig
from .spike_monitor import spike_statistics
from .spikformer import PRESETS, Spikformer, SpikformerConfig

ARCHS = ("convsnn", "spikformer", *PRESETS)

__all__ = ["ARCHS", "build_model", "spike_statistics"]


def build_model(
    arch: str, neuron: Callable[[], nn.Module], *, in_channels: int | None = None, num_classes: int | None = None,
    steps: int | None = None, **overrides,
) -> nn.Module:
    """The network ``arch`` (one of ARCHS) with neuron layers from ``neuron`` (e.g.
    ``spiking_neurons.neuron_factory("device", params)``). in_channels (3 images, 2 events), num_classes and steps
    (T for static inputs) override the architecture's defaults when given; ``overrides``: further fields of its
    config dataclass (``ConvSNNConfig`` / ``SpikformerConfig``)."""
    check_choice("arch", arch, ARCHS)
    given = {"in_channels": in_channels, "num_classes": num_classes, "steps": steps}
    fields = {**{k: v for k, v in given.items() if v is not None}, **overrides}
    if arch == "convsnn":
        return ConvSNN(dataclasses.replace(ConvSNNConfig(), **fields), neuron)
    base = SpikformerConfig() if arch == "spikformer" else PRESETS[arch]
    return Spikformer(dataclasses.replace(base, **fields), neuron)
