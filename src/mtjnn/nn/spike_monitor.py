"""Per-layer spike statistics of a spiking network: rate and sign of the spikes, cheap enough for every eval.

``SpikeMonitor(net)`` hooks the output of every neuron layer of ``net`` (this package's ``SignedLIF`` /
``BinaryLIF``, or any module type passed in ``layer_types``, e.g. a SpikingJelly node) and accumulates, per
layer, the number of +1 spikes, of -1 spikes and of neuron-steps seen. It costs two reductions over each
spike tensor (no host synchronisation until ``summary()``) and nothing when disabled.

    monitor = SpikeMonitor(net)
    with torch.no_grad():
        net(x)
    monitor.summary()   # [{"layer": "stem_neuron", "rate": 0.12, "positive_rate": 0.08, "negative_rate": 0.04,
                        #   "positive_fraction": 0.67, "neuron_steps": ...}, ...]

rate = (n_pos + n_neg) / neuron_steps (spikes per neuron per step), positive_rate and negative_rate the same for
each sign (rate = positive_rate + negative_rate), positive_fraction = n_pos / (n_pos + n_neg) (the share of +1
among the spikes; NaN without spikes); a binary LIF has negative_rate = 0. ``spike_statistics(net, x)`` is the
one-call form: one forward pass without gradients under a temporary monitor.
"""

from __future__ import annotations

import torch
from torch import nn

from .spiking_neurons import is_spiking_layer


class SpikeMonitor:
    """Forward hooks counting spikes per layer (module docstring)."""

    def __init__(self, net: nn.Module, layer_types: tuple[type, ...] = ()) -> None:
        self.enabled = True
        self._counts: dict[str, list] = {}
        self._handles = []
        for name, module in net.named_modules():
            if is_spiking_layer(module) or (layer_types and isinstance(module, layer_types)):
                self._handles.append(module.register_forward_hook(self._hook(name or type(module).__name__)))
        if not self._handles:
            raise ValueError("net has no neuron layers; allowed: a network containing SignedLIF/BinaryLIF or layer_types")

    def _hook(self, name: str):
        def record(module: nn.Module, inputs: tuple, out: torch.Tensor) -> None:
            if not self.enabled:
                return
            s = out.detach()
            pos = (s > 0).sum()
            neg = (s < 0).sum()
            acc = self._counts.get(name)
            if acc is None:
                self._counts[name] = [pos, neg, s.numel()]
            else:
                acc[0] = acc[0] + pos
                acc[1] = acc[1] + neg
                acc[2] += s.numel()

        return record

    def reset(self) -> None:
        """Forget the counts."""
        self._counts.clear()

    def remove(self) -> None:
        """Remove the hooks."""
        for h in self._handles:
            h.remove()
        self._handles.clear()

    def summary(self) -> list[dict[str, float | str]]:
        """Per layer, in the order of the first forward pass: layer (module name), rate, positive_rate,
        negative_rate (spikes per neuron-step), positive_fraction and neuron_steps (module docstring)."""
        out = []
        for name, (pos, neg, n) in self._counts.items():
            p, q = int(pos), int(neg)
            out.append({"layer": name, "rate": (p + q) / n, "positive_rate": p / n, "negative_rate": q / n,
                        "positive_fraction": p / (p + q) if p + q else float("nan"), "neuron_steps": n})
        return out

    def __enter__(self) -> "SpikeMonitor":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def spike_statistics(net: nn.Module, x: torch.Tensor, layer_types: tuple[type, ...] = ()) -> list[dict[str, float | str]]:
    """``SpikeMonitor.summary()`` of one forward pass of ``net`` on ``x`` (no gradients, mode unchanged)."""
    with SpikeMonitor(net, layer_types) as monitor, torch.no_grad():
        net(x)
        return monitor.summary()
