"""The signed LIF as a drop-in neuron inside SpikingJelly and snnTorch networks (optional peers: each test skips
when its package is absent; ``pip install -c constraints-cpu.txt -e ".[peers]"``)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from mtjnn.devices.signed_lif import SignedLIFParams
from mtjnn.nn.spiking_neurons import SignedLIF, reset_states

DEVICE = SignedLIFParams(beta=0.47, gain=0.44, theta_pos=0.9, theta_neg=0.91, reset_value=-0.58)


def _swap(net: nn.Module, old: type, make) -> int:
    """Replace every ``old`` module of ``net`` by ``make()``; the number replaced."""
    count = 0
    for name, child in net.named_children():
        if isinstance(child, old):
            setattr(net, name, make())
            count += 1
        else:
            count += _swap(child, old, make)
    return count


def test_drop_in_spikingjelly() -> None:
    reason = "SpikingJelly is an optional peer (extra 'peers')"
    layer = pytest.importorskip("spikingjelly.activation_based.layer", reason=reason)
    neuron = pytest.importorskip("spikingjelly.activation_based.neuron", reason=reason)
    functional = pytest.importorskip("spikingjelly.activation_based.functional", reason=reason)
    torch.manual_seed(0)
    net = nn.Sequential(
        layer.Conv2d(3, 8, 3, padding=1, bias=False, step_mode="m"), layer.BatchNorm2d(8, step_mode="m"),
        neuron.LIFNode(step_mode="m"), layer.MaxPool2d(2, step_mode="m"),
        layer.Flatten(step_mode="m"), layer.Linear(8 * 4 * 4, 10, step_mode="m"), neuron.LIFNode(step_mode="m"),
    )
    assert _swap(net, neuron.LIFNode, lambda: SignedLIF(DEVICE)) == 2
    x = torch.randn(4, 2, 3, 8, 8)  # (T, B, C, H, W), SpikingJelly's multi-step layout
    out = net(x)
    assert out.shape == (4, 2, 10) and set(out.unique().tolist()) <= {-1.0, 0.0, 1.0}
    out.mean(0).sum().backward()
    assert net[0].weight.grad is not None and net[0].weight.grad.abs().sum() > 0
    functional.reset_net(net)
    # SpikingJelly's single-step mode drives the same network one step at a time: same spikes
    net.eval()
    with torch.no_grad():
        multi = net(x)
        functional.set_step_mode(net, "s")
        assert [m.step_mode for m in net if isinstance(m, SignedLIF)] == ["s", "s"]
        single = torch.stack([net(x[t]) for t in range(x.shape[0])])
        functional.reset_net(net)
    assert torch.equal(single, multi)


def test_drop_in_snntorch() -> None:
    snn = pytest.importorskip("snntorch", reason="snnTorch is an optional peer")
    utils = pytest.importorskip("snntorch.utils")
    sf = pytest.importorskip("snntorch.functional")
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), snn.Leaky(beta=0.5, init_hidden=True), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(8 * 4 * 4, 10), snn.Leaky(beta=0.5, init_hidden=True),
    )
    assert _swap(net, snn.Leaky, lambda: SignedLIF(DEVICE, step_mode="s")) == 2
    x = torch.randn(4, 2, 3, 8, 8)
    labels = torch.tensor([1, 7])

    def run() -> torch.Tensor:  # snnTorch's idiom: reset, then loop over time
        utils.reset(net)
        reset_states(net)
        return torch.stack([net(x[t]) for t in range(x.shape[0])])

    spikes = run()
    assert spikes.shape == (4, 2, 10) and set(spikes.unique().tolist()) <= {-1.0, 0.0, 1.0}
    loss = sf.mse_count_loss(correct_rate=0.8, incorrect_rate=0.2)(spikes, labels)
    loss.backward()
    assert net[0].weight.grad is not None and net[0].weight.grad.abs().sum() > 0
    # the same layers in multi-step mode (the fused path) give the same spikes
    with torch.no_grad():
        reference = run()
        for m in net:
            if isinstance(m, SignedLIF):
                m.step_mode = "m"
        h = net[3](net[2](net[1](net[0](x.flatten(0, 1)).view(4, 2, 8, 8, 8)).flatten(0, 1)))
        multi = net[5](net[4](h).view(4, 2, 10))
    assert torch.equal(multi, reference)
