"""Devices: a device = parameters + state + response; each has a compact and a macrospin fidelity."""
