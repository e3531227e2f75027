"""Spiking networks (mtjnn.nn.conv_snn, spikformer, snn_models, spike_monitor, multistep): both input forms,
every neuron type, the spike monitor, a short training that beats chance, bad input."""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn.functional as F

from mtjnn.devices.signed_lif import SignedLIFParams
from mtjnn.nn.conv_snn import ConvSNN, ConvSNNConfig
from mtjnn.nn.snn_models import ARCHS, build_model
from mtjnn.nn.spike_monitor import SpikeMonitor, spike_statistics
from mtjnn.nn.spikformer import PRESETS, Spikformer, SpikformerConfig
from mtjnn.nn.spiking_neurons import NEURONS, neuron_factory

DEVICE = SignedLIFParams(beta=0.47, gain=0.44, theta_pos=0.9, theta_neg=0.91, reset_value=-0.58).with_variability(0.05, 0.05, 0.02)
TINY_CONV = {"channels": (8, 16, 16), "strides": (2, 2), "head_pool": 2}
TINY_SPIKFORMER = {"embed_dim": 16, "depth": 1, "heads": 2, "mlp_ratio": 2.0, "steps": 2, "pool_stages": 2}


def _model(arch: str, neuron: str, **kw) -> torch.nn.Module:
    torch.manual_seed(0)
    tiny = TINY_CONV if arch == "convsnn" else TINY_SPIKFORMER
    return build_model(arch, neuron_factory(neuron, DEVICE, seed=1), **{**tiny, **kw})


@pytest.mark.parametrize("neuron", NEURONS)
@pytest.mark.parametrize("arch", ["convsnn", "spikformer"])
def test_static_and_event_inputs_forward_and_backward(arch: str, neuron: str) -> None:
    images = torch.randn(3, 3, 16, 16)
    net = _model(arch, neuron, steps=3)
    out = net(images)
    assert out.shape == (3, 10)
    out.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.parameters())
    events = torch.rand(5, 2, 2, 16, 16)  # (T, B, polarity, H, W)
    ev_net = _model(arch, neuron, in_channels=2)
    assert ev_net(events).shape == (2, 10)


@pytest.mark.parametrize("arch", ["convsnn", "spikformer"])
def test_direct_encoding_equals_the_repeated_frame(arch: str) -> None:
    """A static image computes the stem once; feeding the same image as T identical frames gives the same logits."""
    net = _model(arch, "ideal", steps=3).eval()
    images = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(net(images), net(images.expand(3, *images.shape)), rtol=1e-5, atol=1e-6)


def test_presets_and_registry() -> None:
    assert set(ARCHS) == {"convsnn", "spikformer", "spikformer-4-384", "spikformer-2-256"}
    cifar, dvs = PRESETS["spikformer-4-384"], PRESETS["spikformer-2-256"]
    assert (cifar.depth, cifar.embed_dim, cifar.steps, cifar.in_channels) == (4, 384, 4, 3)
    assert (dvs.depth, dvs.embed_dim, dvs.steps, dvs.in_channels) == (2, 256, 16, 2)
    net = build_model("spikformer-2-256", neuron_factory("binary"))
    assert isinstance(net, Spikformer) and net.config == dvs
    assert 2e6 < sum(p.numel() for p in net.parameters()) < 4e6  # Spikformer-2-256 is ~2.6 M parameters
    assert isinstance(build_model("convsnn", neuron_factory("ideal"), in_channels=2, steps=8), ConvSNN)
    with pytest.raises(ValueError, match=r"arch = 'resnet'.*allowed: 'convsnn'"):
        build_model("resnet", neuron_factory("ideal"))


def test_spike_monitor_counts_rate_and_sign() -> None:
    images = torch.randn(4, 3, 16, 16)
    for neuron in NEURONS:
        net = _model("convsnn", neuron, steps=2)
        stats = spike_statistics(net, images)
        assert [s["layer"] for s in stats] == ["stem_neuron", "stages.1", "stages.3"]
        for s in stats:
            assert 0 < s["rate"] <= 1
            assert s["rate"] == pytest.approx(s["positive_rate"] + s["negative_rate"])
        negative = [s["negative_rate"] for s in stats]
        assert all(n == 0 for n in negative) if neuron == "binary" else any(n > 0 for n in negative)
        assert stats[0]["neuron_steps"] == 2 * 4 * 8 * 8 * 8
    net = _model("spikformer", "ideal")
    with SpikeMonitor(net) as monitor, torch.no_grad():
        net(images)
        net(images)
        summary = monitor.summary()
    assert len(summary) == 5 + 7  # SPS (4) + RPE, SSA (q, k, v, attn, proj) + MLP (2)
    assert summary[0]["neuron_steps"] == 2 * (2 * 4 * 2 * 16 * 16)  # two passes, T = 2, B = 4, D/8 = 2 channels
    assert not net.stem_neuron._forward_hooks  # hooks removed on exit


def test_short_training_beats_chance() -> None:
    """A tiny conv SNN of device neurons learns a 4-class toy task (a bright quadrant) in a few dozen steps."""
    gen = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 4, (256,), generator=gen)
    images = 0.5 * torch.randn(256, 3, 16, 16, generator=gen)
    for k in range(4):
        r, c = divmod(k, 2)
        images[labels == k, :, 8 * r:8 * r + 8, 8 * c:8 * c + 8] += 1.0
    torch.manual_seed(0)
    net = ConvSNN(ConvSNNConfig(num_classes=4, steps=2, **TINY_CONV), neuron_factory("device", DEVICE))
    opt = torch.optim.AdamW(net.parameters(), lr=1e-2)
    for epoch in range(4):
        for i in range(0, 192, 32):
            loss = F.cross_entropy(net(images[i:i + 32]), labels[i:i + 32])
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        accuracy = (net(images[192:]).argmax(1) == labels[192:]).double().mean().item()
    assert accuracy > 0.6, accuracy  # chance: 0.25


def test_bad_network_input() -> None:
    net = _model("convsnn", "ideal")
    with pytest.raises(ValueError, match=r"C = 2 channels.*allowed: C = 3"):
        net(torch.zeros(2, 2, 16, 16))
    with pytest.raises(ValueError, match=r"allowed: \(B, C, H, W\) images or \(T, B, C, H, W\) event frames"):
        net(torch.zeros(3, 16, 16))
    with pytest.raises(ValueError, match=r"dtype torch.uint8.*allowed: a floating dtype"):
        net(torch.zeros(2, 3, 16, 16, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"empty axis \(T <= 0"):
        net(torch.zeros(0, 2, 3, 16, 16))
    with pytest.raises(ValueError, match=r"strides = \(2,\).*allowed: len\(channels\) - 1 = 2"):
        ConvSNNConfig(channels=(8, 16, 32), strides=(2,))
    with pytest.raises(ValueError, match=r"embed_dim = 20.*multiple of 8"):
        SpikformerConfig(embed_dim=20, heads=2)
    with pytest.raises(ValueError, match=r"steps = 0"):
        dataclasses.replace(ConvSNNConfig(), steps=0)
