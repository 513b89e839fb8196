"""Wall time of `python -m app.cli make` for an 8-panel comic on the offline providers, as a user runs it,
against the same process doing nothing but start and import the CLI (the baseline), in one run.

    python bench/make.py [--panels 8] [--runs 3]

Each run is a fresh process on a fresh DATA_DIR; the median is printed. Target: under 5 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(args: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--panels", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    makes, imports = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            makes.append(
                timed(
                    [
                        "-m",
                        "app.cli",
                        "--data-dir",
                        tmp,
                        "make",
                        "teaching kids about safety",
                        "--age-group",
                        "5-12",
                        "--num-scenes",
                        str(args.panels),
                    ]
                )
            )
            panels = list((Path(tmp) / "images" / "panels").glob("*.png"))
            if len(panels) != 2 * args.panels:  # each panel's art and its lettered image
                raise SystemExit(f"make wrote {len(panels)} panel images, not {2 * args.panels}")
        imports.append(timed(["-c", "import app.cli"]))
    make, start = statistics.median(makes), statistics.median(imports)
    print(f"python -m app.cli make, {args.panels} panels (offline): {make:.2f} s median of {args.runs} (target < 5 s)")
    print(
        f"baseline, starting Python and importing the CLI: {start:.2f} s; the comic itself takes {make - start:.2f} s"
    )


if __name__ == "__main__":
    main()
