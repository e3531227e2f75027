"""What every benchmark script records about its run and how it publishes its table.

``machine()`` describes the machine and software (CPU, cores, load average, versions, commit), so a number
taken on a busy machine can be recognized; ``write_section`` puts a script's markdown table between its
markers in ``benchmarks/README.md`` (appending a new section with ``heading`` the first time).
"""

from __future__ import annotations

import platform
import re
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (or what ``platform`` knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def version(module: str) -> str:
    """``module.__version__``, or "absent" when it cannot be imported."""
    try:
        return __import__(module).__version__
    except Exception:  # noqa: BLE001 - report what is there
        return "absent"


def git_commit() -> str:
    """Short hash of the checked-out commit ("unknown" outside a git work tree)."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def write_section(name: str, table: str, heading: str) -> None:
    """Replace the text between ``<!-- name:begin -->`` and ``<!-- name:end -->`` in the benchmarks README
    by ``table``; if the markers are missing, append ``heading`` (markdown) and the marked table."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{table}\n{end}"
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + heading.strip() + "\n\n" + block + "\n"
    README.write_text(text)

