"""The local moderator on the held-out set, beside the word list it replaced, in one run.

    python bench/moderation.py

Prints recall on unsafe topics and false refusals on safe ones, overall, by category and by language,
for: the old word list, the rules alone (MODERATION=rules-only) and the full local moderator; then the
moderator's start-up time, its latency per call (one topic) and the resident memory it adds.
Targets (issue 16): recall >= 0.95 with false refusals <= 0.03; ready < 2 s; < 5 ms a call; < 200 MB.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 1e6


def main() -> int:
    base_rss = rss_mb()
    from app.services.safety.checks import legacy_unfit_words
    from app.services.safety import build_moderator, corpus

    rows = corpus.load("heldout.jsonl")
    started = time.perf_counter()
    before = rss_mb()
    local = build_moderator("local")
    ready = time.perf_counter() - started
    added = rss_mb() - before
    rules_only = build_moderator("rules-only")
    judges = {
        "word list": lambda text: bool(legacy_unfit_words([text])),
        "rules-only": lambda text: rules_only.verdict([text]).category is not None,
        "local": lambda text: local.verdict([text]).category is not None,
    }
    tallies: dict[str, dict[str, list[int]]] = {name: defaultdict(lambda: [0, 0]) for name in judges}
    latencies = []
    for row in rows:
        unsafe = row["label"] != "safe"
        for name, judge in judges.items():
            t0 = time.perf_counter()
            refused = judge(row["text"])
            if name == "local":
                latencies.append((time.perf_counter() - t0) * 1000)
            for key in ("all", f"lang:{row['lang']}", f"cat:{row['label'] if unsafe else 'safe'}"):
                hit = tallies[name][f"{'unsafe' if unsafe else 'safe'}|{key}"]
                hit[0] += refused
                hit[1] += 1
    print(
        f"held-out: {sum(r['label'] != 'safe' for r in rows)} unsafe, {sum(r['label'] == 'safe' for r in rows)} safe "
        "(written separately from training, topic by topic: corpus_heldout.py)\n"
    )
    keys = sorted({k.split("|", 1)[1] for k in tallies["local"]}, key=lambda k: (k != "all", k))
    print(f"{'':24}" + "".join(f"{name:>24}" for name in judges))
    for key in keys:
        for kind, label in (("unsafe", "recall"), ("safe", "false refusals")):
            cells = [tallies[name].get(f"{kind}|{key}") for name in judges]
            if not cells[0] or not cells[0][1]:
                continue
            line = "".join(f"{c[0] / c[1]:>17.3f} ({c[1]:>4})" for c in cells)
            print(f"{key + ' ' + label:24}{line}")
    print(
        f"\nready in {ready:.2f} s; {statistics.median(latencies):.2f} ms a call (median), "
        f"{sorted(latencies)[int(len(latencies) * 0.95)]:.2f} ms (p95); memory added {added:.0f} MB "
        f"({rss_mb() - base_rss:.0f} MB with the imports)"
    )
    print("targets: recall >= 0.95, false refusals <= 0.03, ready < 2 s, < 5 ms a call, < 200 MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
