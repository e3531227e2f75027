"""Reproductions: each module is config dataclass -> run() -> result files (the only layer that writes files)."""
