"""Cost of summing the field terms through the registry (physics/terms.py) in the torch right-hand side.

``llg.llgs_rhs`` (the sum over the registered, active terms) against the hand-written sum it replaced
(``_hand_written`` below, the body of ``llg.llgs_rhs`` before issue 12), same inputs, same process,
alternating, best of ``--rounds``; both give the same tensor bit for bit (checked). B = 1 shows the
Python overhead per call, B = 1000 the arithmetic. Writes benchmarks/results/field_terms_overhead.json
and its section of benchmarks/README.md.

    python benchmarks/field_terms_overhead.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import timeit
from pathlib import Path

import torch
from _report import cpu_name, git_commit, write_section

from mtjnn.physics import Macrospin
from mtjnn.physics.anisotropy import anisotropy_field
from mtjnn.physics.demag import demag_field
from mtjnn.physics.llg import llgs_rhs
from mtjnn.physics.torques import stt_field

RESULTS = Path(__file__).resolve().parent / "results" / "field_terms_overhead.json"


def _hand_written(m, p, field, current):
    """The pre-registry ``llgs_rhs`` (constant efficiency, no thermal field)."""
    a_j = p.stt_per_ampere * current
    b = field + anisotropy_field(m, p.hk, p.easy_axis) + demag_field(m, p.ms, p.demag)
    b = b + stt_field(m, a_j, p.field_like * a_j, p.polarizer)
    c1 = torch.linalg.cross(m, b.expand_as(m), dim=-1)
    c2 = torch.linalg.cross(m, c1, dim=-1)
    return -p.gamma_ll * (c1 + p.alpha * c2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="repeat every timing this many times, keep the best")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error(f"--rounds = {args.rounds}; allowed: 1 or more")
    torch.set_num_threads(1)
    load_start = os.getloadavg()
    junction = Macrospin(ms=1e6, thickness=1.5e-9, area=1e-16, anisotropy_field=1.5, easy_axis=(0, 0, 1),
                         polarizer=(0, 0, 1))
    rows = []
    for batch in (1, 1000):
        p = junction.resolve(batch, torch.float64, "cpu")
        m = torch.nn.functional.normalize(torch.randn(batch, 3, dtype=torch.float64), dim=-1)
        fld, cur = torch.tensor([[0.01, 0.0, 0.02]], dtype=torch.float64), torch.tensor([[1e-5]], dtype=torch.float64)
        assert torch.equal(_hand_written(m, p, fld, cur), llgs_rhs(m, p, fld, cur))
        n, best = 2000, {"hand": float("inf"), "registry": float("inf")}
        for _ in range(args.rounds):
            best["hand"] = min(best["hand"], timeit.timeit(lambda: _hand_written(m, p, fld, cur), number=n) / n)
            best["registry"] = min(best["registry"], timeit.timeit(lambda: llgs_rhs(m, p, fld, cur), number=n) / n)
        rows.append({"batch": batch, "hand_us": best["hand"] * 1e6, "registry_us": best["registry"] * 1e6,
                     "ratio": best["registry"] / best["hand"]})
        print(f"B = {batch}: hand-written {rows[-1]['hand_us']:.1f} us, registry {rows[-1]['registry_us']:.1f} us, "
              f"ratio {rows[-1]['ratio']:.3f}")
    meta = {"timestamp": _dt.datetime.now().isoformat(timespec="seconds"), "cpu": cpu_name(), "rounds": args.rounds,
            "torch": torch.__version__, "git_commit": git_commit(), "loadavg_start": load_start,
            "loadavg_end": os.getloadavg()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"rows": rows, "meta": meta}, indent=2) + "\n")
    table = "\n".join(["| B | hand-written sum (us/call) | registry sum (us/call) | ratio |", "|---|---|---|---|"]
                      + [f"| {r['batch']} | {r['hand_us']:.1f} | {r['registry_us']:.1f} | {r['ratio']:.3f} |"
                         for r in rows]
                      + ["", f"{meta['cpu']}, 1 thread, commit {meta['git_commit']}, load average "
                         f"{load_start[0]:.1f} -> {meta['loadavg_end'][0]:.1f} (shared machine)."])
    write_section("field_terms_overhead", table, "## Field-term registry overhead (`field_terms_overhead.py`)\n\n"
                  "```\npython benchmarks/field_terms_overhead.py\n```\n\ntorch `llgs_rhs` per call, the registry sum "
                  "against the hand-written sum it replaced (same results bit for bit).")


if __name__ == "__main__":
    main()
