"""mtjnn: neuromorphic hardware built from magnetic tunnel junctions.

Layers (arrows point to what a layer may import): ``physics`` -> ``devices`` -> ``circuits`` / ``nn``
-> ``experiments`` -> ``cli``; ``data`` feeds ``experiments``. See ``docs/architecture.md``.
"""

__version__ = "0.1.0"
