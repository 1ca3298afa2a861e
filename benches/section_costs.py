#!/usr/bin/env python3
"""What each section of the pattern files costs the stream, alone.

    python3 benches/section_costs.py [INPUT]

Times the release binary over INPUT (default: the texts of the shared
corpus, COPIES times (default 2, about 68 MB), in a temporary file) with
`--no-builtin --patterns` and, in turn, one pattern that never matches (the
floor: reading, splitting, checking and writing every line), each whole
category file, and each section of each file (its header line, such as
`[line sentence]`, and its entries). Prints the fastest of RUNS (default 3)
wall times, minus the floor, sorted, most costly first.

Sections interact (the prefilter shares its searches among all rules), so
the costs do not add up to the whole set's; they show where a new rule, or
a slow one, would be felt. The machine's noise is a few milliseconds:
compare sections within one run of the script.
"""

import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "dejunk")
RUNS = int(os.environ.get("RUNS", "3"))
COPIES = int(os.environ.get("COPIES", "2"))
HEADER = re.compile(r"^\[[a-z]+( [a-z=0-9 ]*)?\]$")


def timed(tmp, patterns, text):
    """Fastest wall time in ms of RUNS runs, output to a fresh file. The
    category (the file's name) is enabled: `dateline` is off by default."""
    category = os.path.basename(patterns)[:-4]
    out = os.path.join(tmp, "out.txt")
    best = None
    for _ in range(RUNS):
        if os.path.exists(out):
            os.remove(out)
        with open(out, "wb") as o:
            start = time.perf_counter()
            r = subprocess.run(
                [BIN, "--no-builtin", "--patterns", patterns, "--enable", category, text],
                stdout=o,
                stderr=subprocess.PIPE,
            )
            took = (time.perf_counter() - start) * 1000
        if r.returncode != 0:
            sys.exit(f"{patterns}: dejunk failed: {r.stderr.decode(errors='replace')}")
        best = took if best is None else min(best, took)
    os.remove(out)
    return best


def sections(path):
    """(first line number, header, entries) of each section of a file, and
    the file's directives (`@category`, `@description`)."""
    lines = open(path, encoding="utf-8").read().split("\n")
    directives = [l for l in lines if l.startswith("@")]
    found, cur = [], None
    for n, line in enumerate(lines, 1):
        t = line.strip()
        if HEADER.match(t):
            cur = (n, t, [])
            found.append(cur)
        elif cur and t and not t.startswith("#") and not t.startswith("@"):
            cur[2].append(line)
    return directives, found


def main():
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    with tempfile.TemporaryDirectory(prefix="dejunk-sections.") as tmp:
        text = sys.argv[1] if len(sys.argv) > 1 else None
        if text is None:
            corpus = os.path.join(ROOT, "..", "shared", "corpus", "bulk.jsonl")
            if not os.path.exists(corpus):
                sys.exit("no input: give a text file, or put the corpus in ../shared")
            text = os.path.join(tmp, "input.txt")
            with open(corpus, encoding="utf-8") as f:
                texts = [json.loads(line)["text"].rstrip("\n") + "\n\n" for line in f]
            with open(text, "w", encoding="utf-8") as o:
                for _ in range(COPIES):
                    o.writelines(texts)
        floor_file = os.path.join(tmp, "floor.txt")
        with open(floor_file, "w", encoding="utf-8") as f:
            f.write("@category floor\n[line]\nzq never matches qz\n")
        floor = timed(tmp, floor_file, text)
        print(f"input {os.path.getsize(text):,} bytes; floor (one pattern) {floor:.0f} ms; "
              f"fastest of {RUNS} runs, minus the floor")
        rows = []
        for path in sorted(glob.glob(os.path.join(ROOT, "patterns", "*.txt"))):
            name = os.path.basename(path)[:-4]
            rows.append((timed(tmp, path, text) - floor, f"{name} (whole file)"))
            directives, found = sections(path)
            for n, header, entries in found:
                # Named as the file, so that its category is the same.
                os.makedirs(os.path.join(tmp, "part"), exist_ok=True)
                part = os.path.join(tmp, "part", f"{name}.txt")
                with open(part, "w", encoding="utf-8") as f:
                    f.write("\n".join(directives + [header] + entries) + "\n")
                cost = timed(tmp, part, text) - floor
                rows.append((cost, f"{name}.txt:{n} {header} ({len(entries)} entries)"))
        for cost, what in sorted(rows, reverse=True):
            print(f"{cost:7.0f} ms  {what}")


if __name__ == "__main__":
    main()
