#!/usr/bin/env bash
# Whole-process speed of dejunk next to the tools people already use, on the
# same machine in the same run: `cat` (the cost of reading and writing the
# bytes), `grep -vFf` and `grep -viFf` with dejunk's literal junk phrases.
#
#   bash benches/compare.sh            # from the project root
#
# Environment:
#   RUNS=5       rounds, each running every tool once (medians are reported)
#   BULK_RUNS=21 rounds of the bulk test (its runs are short, and this
#                machine's load moves its ratio by a tenth from run to run;
#                with 11, the median still moved by up to a tenth)
#   BULK_COLD=1  do not read the bulk test's files before each run
#   COPIES=5     how many times the corpus texts are repeated (~34 MB each)
#   BIG_GB=1     size of the streamed input for the memory check (0: skip)
#   PATTERNS=f   extra pattern file passed to dejunk with --patterns
#   CORPUS=f     a JSONL corpus with a "text" field (default: the shared
#                bulk corpus, else the dev corpus)
#
# Output goes to a regular file for every tool: grep and cat take shortcuts
# when writing to /dev/null. The file is removed before each timed run
# (`fresh`), not truncated: truncating the last run's 170 MB output costs
# ext4 about 90 ms, which would be timed as part of the next tool (more than
# cat's own time, and 12 ms of every bulk run). Runs are timed by
# benches/timed.py, from the tool's spawn to its exit: timing in the shell
# would also count two forks of `date`, the subshell, and the expansion of
# 11,648 file names in the bulk test (about 12 ms a run, the same for every
# mode, which flattens the ratios). Peak RSS comes from /usr/bin/time, which
# the one-thread runs go through (its fork and exec, under a millisecond, are
# timed for every tool alike). Corpus text is generated in a temporary
# directory and removed at the end; none of it is committed.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUNS=${RUNS:-5}
BULK_RUNS=${BULK_RUNS:-21}
COPIES=${COPIES:-5}
BIG_GB=${BIG_GB:-1}
SHARED=${SHARED:-$ROOT/../shared}
if [[ -z "${CORPUS:-}" ]]; then
    CORPUS=$SHARED/corpus/bulk.jsonl
    [[ -f $CORPUS ]] || CORPUS=$SHARED/corpus/dev.jsonl
fi
[[ -f $CORPUS ]] || { echo "no corpus: set CORPUS=file.jsonl" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/dejunk-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

cargo build --release --quiet

# Removes the output files a timed run is about to write: freeing the last
# run's output is not part of the next run.
fresh() {
    rm -f "$@"
}
# One timed run: `timed OUT CMD... [--- OUT CMD...]` sets US, the wall time
# in microseconds from spawn to exit.
timed() {
    US=$(python3 "$ROOT/benches/timed.py" "$@")
}
DEJUNK=$ROOT/target/release/dejunk
EXTRA=()
[[ -n "${PATTERNS:-}" ]] && EXTRA=(--patterns "$PATTERNS")

echo "== input"
python3 - "$CORPUS" "$TMP/one.txt" <<'EOF'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in f:
        out.write(json.loads(line)["text"].rstrip("\n") + "\n\n")
EOF
ONE_MB=$(( $(stat -c %s "$TMP/one.txt") / 1000000 ))
# Repeat until the input is about 170 MB (COPIES copies of a 34 MB corpus).
REPEAT=$(( COPIES * 34 / (ONE_MB > 0 ? ONE_MB : 1) ))
(( REPEAT < 1 )) && REPEAT=1
for _ in $(seq "$REPEAT"); do cat "$TMP/one.txt"; done >"$TMP/input.txt"
SIZE=$(stat -c %s "$TMP/input.txt")
echo "corpus $(basename "$CORPUS") texts x$REPEAT = $SIZE bytes"

# The literal junk phrases for grep: entries of the built-in pattern files
# without placeholders (headers, directives and comments dropped).
cat patterns/*.txt |
    grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*@' -e '^[[:space:]]*$' |
    grep -v -E '^\[[a-z]+( [a-z=0-9 ]*)?\]$' |
    grep -v '{[a-z]*}' |
    sed -e 's/{{/{/g' -e 's/}}/}/g' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' |
    sort -u >"$TMP/phrases.txt"
echo "grep phrases: $(wc -l <"$TMP/phrases.txt") literal entries of patterns/*.txt"

# About 500 extra literal entries, to check that speed holds when the
# pattern files grow: the junk lines quoted in census-bulk.md, then the
# lines repeated most often across documents of the corpus.
python3 - "$SHARED/corpus/census-bulk.md" "$CORPUS" "$TMP/extra500.txt" <<'EOF'
import collections, json, re, sys
census, corpus, out = sys.argv[1:]
entries = []
try:
    entries += re.findall(r"`([^`\n]{4,200})`", open(census, encoding="utf-8").read())
except OSError:
    pass
df = collections.Counter()
with open(corpus, encoding="utf-8") as f:
    for line in f:
        lines = {l.strip() for l in json.loads(line)["text"].split("\n")}
        df.update(l for l in lines if 4 <= len(l) <= 150)
entries += [l for l, n in df.most_common(2000) if n >= 3]
seen, keep = set(), []
for e in entries:
    e = " ".join(e.split())
    if e.lower() in seen or e[0] in "[#@" or not any(c.isalnum() for c in e):
        continue
    seen.add(e.lower())
    keep.append(e.replace("{", "{{").replace("}", "}}"))
with open(out, "w", encoding="utf-8") as f:
    f.write("@category extra\n[line]\n" + "\n".join(keep[:500]) + "\n")
EOF
echo "extra patterns: $(( $(wc -l <"$TMP/extra500.txt") - 2 )) literal entries (census-bulk.md, repeated lines)"

# The tools of the one-thread comparison. GNU cat (9.x) copies between
# regular files with copy_file_range, in the kernel, without reading the
# bytes into memory; dd with 64 KiB blocks reads and writes them as dejunk
# must. Here the two take about as long.
TOOLS=(cat "dd bs=64K" "grep -vFf" "grep -viFf" dejunk dejunk+500)
# ripgrep, when installed (not needed otherwise): the fastest line filter
# there is, with the same phrases, and with one phrase that never matches,
# which prints every line and so shows what a line filter costs before it
# matches anything. One thread, and reads instead of a memory map, as
# dejunk does (mapped, the input counts in rg's peak RSS: 192 MB with -i).
RG=$(command -v rg || true)
if [[ -n $RG ]]; then
    TOOLS+=("rg -vFf" "rg -viFf" "rg -vF 1 literal")
    echo "$("$RG" --version | sed -n 1p) found: its rows are added"
else
    echo "ripgrep (rg) not installed: its rows are skipped"
fi
cmd_of() {
    case $1 in
    cat) CMD=(cat "$TMP/input.txt") ;;
    "dd bs=64K") CMD=(dd if="$TMP/input.txt" bs=64K status=none) ;;
    "grep -vFf") CMD=(grep -vFf "$TMP/phrases.txt" "$TMP/input.txt") ;;
    "grep -viFf") CMD=(grep -viFf "$TMP/phrases.txt" "$TMP/input.txt") ;;
    dejunk) CMD=("$DEJUNK" "${EXTRA[@]}" "$TMP/input.txt") ;;
    dejunk+500) CMD=("$DEJUNK" "${EXTRA[@]}" --patterns "$TMP/extra500.txt" "$TMP/input.txt") ;;
    "rg -vFf") CMD=("$RG" --no-config -j1 --no-mmap -vFf "$TMP/phrases.txt" "$TMP/input.txt") ;;
    "rg -viFf") CMD=("$RG" --no-config -j1 --no-mmap -viFf "$TMP/phrases.txt" "$TMP/input.txt") ;;
    "rg -vF 1 literal") CMD=("$RG" --no-config -j1 --no-mmap -vF "zq#never#qz" "$TMP/input.txt") ;;
    esac
}
median() {
    printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"
}

echo
echo "== one thread, $SIZE bytes, $RUNS rounds (median wall, MB/s, peak RSS)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# Rounds of one run of each tool, output to a regular file: a change in the
# machine's speed during the comparison hits every tool alike.
declare -A TIME PEAK MEDIAN
for i in $(seq "$RUNS"); do
    for name in "${TOOLS[@]}"; do
        cmd_of "$name"
        fresh "$TMP/out.txt"
        timed "$TMP/out.txt" /usr/bin/time -f '%M' -o "$TMP/rss" "${CMD[@]}"
        TIME[$name,$i]=$US
        r=$(tail -1 "$TMP/rss")
        (( r > ${PEAK[$name]:-0} )) && PEAK[$name]=$r
    done
done
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-17s %11s %14s %12s\n' tool wall throughput rss
for name in "${TOOLS[@]}"; do
    times=()
    for i in $(seq "$RUNS"); do times+=("${TIME[$name,$i]}"); done
    MEDIAN[$name]=$(median "${times[@]}")
    printf '%-17s %9.3f s %9.1f MB/s %8.1f MiB\n' "$name" \
        "$(echo "${MEDIAN[$name]} / 1000000" | bc -l)" \
        "$(echo "$SIZE / ${MEDIAN[$name]}" | bc -l)" \
        "$(echo "${PEAK[$name]} / 1024" | bc -l)"
done
# Ratio of the medians, then the ratio in each round (its spread shows how
# much the machine moved).
ratio() {
    local rounds=()
    for i in $(seq "$RUNS"); do
        rounds+=("$(printf '%.2f' "$(echo "${TIME[$2,$i]} / ${TIME[$3,$i]}" | bc -l)")")
    done
    printf '%-24s %6.2fx   rounds: %s\n' "$1" \
        "$(echo "${MEDIAN[$2]} / ${MEDIAN[$3]}" | bc -l)" "${rounds[*]}"
}
echo
echo "== ratios of wall time (goal: <= 1 against grep -vFf, <= 3 against cat)"
ratio "dejunk / grep -vFf" dejunk "grep -vFf"
ratio "dejunk / grep -viFf" dejunk "grep -viFf"
ratio "dejunk / cat" dejunk cat
ratio "dejunk / dd bs=64K" dejunk "dd bs=64K"
ratio "dejunk+500 / grep -vFf" dejunk+500 "grep -vFf"
if [[ -n $RG ]]; then
    ratio "dejunk / rg -vFf" dejunk "rg -vFf"
    ratio "dejunk / rg -viFf" dejunk "rg -viFf"
    ratio "rg -vFf / cat" "rg -vFf" cat
    ratio "rg -vF 1 literal / cat" "rg -vF 1 literal" cat
fi

echo
echo "== adversarial shapes (whole process, MB/s; grep -vFf beside, for scale)"
python3 - "$TMP" <<'EOF'
import random, sys
d = sys.argv[1]
random.seed(7)
size = 20_000_000
words = "the of and to in a is was for on that with as by he she said it at from".split()
def prose(n):
    return " ".join(random.choice(words) for _ in range(n))
near = [
    "Advertisement for the new film ran on {p}",
    "Photo {p}",
    "By the time {p}",
    "(Photo {p}",
    "Getty Images said {p}",
    "— {p} (@{w}",
    "{p} /AP {p}",
    "Story highlights {p} and more",
    "Image zoom",
    "{n} of the {p}",
    "RELATED: " + "x " * 40,
    "A post shared by {p}",
]
def fill(t):
    return t.replace("{p}", prose(6)).replace("{w}", random.choice(words)).replace("{n}", str(random.randint(1, 99)))
shapes = {
    "near-misses": lambda: fill(random.choice(near)) + "\n",
    "long-lines": lambda: prose(150_000) + "\n",
    "only-newlines": lambda: "\n" * 100_000,
    "short-lines": lambda: random.choice(words) + "\n",
}
for name, gen in shapes.items():
    with open(f"{d}/adv-{name}.txt", "w") as f:
        n = 0
        while n < size:
            s = gen()
            f.write(s)
            n += len(s)
EOF
printf '%-14s %14s %14s\n' shape dejunk "grep -vFf"
for f in "$TMP"/adv-*.txt; do
    name=$(basename "$f" .txt)
    name=${name#adv-}
    # The median of three runs of each, interleaved.
    d=() g=()
    for _ in 1 2 3; do
        fresh "$TMP/out.txt"
        timed "$TMP/out.txt" "$DEJUNK" "${EXTRA[@]}" "$f"
        d+=("$US")
        fresh "$TMP/out.txt"
        timed "$TMP/out.txt" grep -vFf "$TMP/phrases.txt" "$f"
        g+=("$US")
    done
    printf '%-14s %9.1f MB/s %9.1f MB/s\n' "$name" \
        "$(echo "$(stat -c %s "$f") / $(median "${d[@]}")" | bc -l)" \
        "$(echo "$(stat -c %s "$f") / $(median "${g[@]}")" | bc -l)"
done

echo
echo "== one small file: the whole process (start, build the cleaner, clean, exit)"
# The first 3-5 KB article of the corpus, as a file of its own: what a
# script that runs dejunk once per file pays for each. `cat` beside it is
# the cost of starting a process and copying the bytes.
python3 - "$CORPUS" "$TMP/article.txt" <<'EOF'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        text = json.loads(line)["text"]
        if 3000 <= len(text.encode()) <= 5000:
            with open(sys.argv[2], "w", encoding="utf-8") as out:
                out.write(text)
            break
EOF
d=() c=()
for _ in $(seq 31); do
    fresh "$TMP/out.txt"
    timed "$TMP/out.txt" "$DEJUNK" "${EXTRA[@]}" "$TMP/article.txt"
    d+=("$US")
    fresh "$TMP/out.txt"
    timed "$TMP/out.txt" cat "$TMP/article.txt"
    c+=("$US")
done
printf '%s bytes, median of 31 runs: dejunk %.2f ms, cat %.2f ms (%.1fx)\n' \
    "$(stat -c %s "$TMP/article.txt")" "$(echo "$(median "${d[@]}") / 1000" | bc -l)" \
    "$(echo "$(median "${c[@]}") / 1000" | bc -l)" \
    "$(echo "$(median "${d[@]}") / $(median "${c[@]}")" | bc -l)"

if (( BIG_GB > 0 )); then
    echo
    echo "== memory on a ${BIG_GB} GB stream (peak RSS must stay <= 16 MiB)"
    N=$(( BIG_GB * 1000000000 / $(stat -c %s "$TMP/one.txt") + 1 ))
    fresh "$TMP/out.txt"
    t0=$(date +%s%N)
    for _ in $(seq "$N"); do cat "$TMP/one.txt"; done |
        /usr/bin/time -f '%M' -o "$TMP/rss" "$DEJUNK" "${EXTRA[@]}" >"$TMP/out.txt"
    t1=$(date +%s%N)
    printf 'streamed %d copies (%.2f GB): peak RSS %.1f MiB, %.1f s\n' "$N" \
        "$(echo "$N * $(stat -c %s "$TMP/one.txt") / 1000000000" | bc -l)" \
        "$(echo "$(tail -1 "$TMP/rss") / 1024" | bc -l)" \
        "$(echo "($t1 - $t0) / 1000000000" | bc -l)"
fi

echo
echo "== bulk: many files, and the same articles as JSON Lines, -j 1 against -j 2 (goal: >= 1.8x files/s)"
if "$DEJUNK" --help | grep -qE -- '(^|[[:space:]])-j([ ,]|$)'; then
    mkdir -p "$TMP/files"
    python3 - "$CORPUS" "$TMP/files" <<'EOF'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    for i, line in enumerate(f):
        with open(f"{sys.argv[2]}/{i:06d}.txt", "w", encoding="utf-8") as out:
            out.write(json.loads(line)["text"])
EOF
    NFILES=$(ls "$TMP/files" | wc -l)
    mapfile -t NAMES < <(cd "$TMP/files" && ls)
    HALF=$(( NFILES / 2 ))
    # One timed run of a bulk mode, in microseconds. Modes: stdout with
    # -j 1 and -j 2; -r DIR -o OUT with -j 1 and -j 2; and the ceilings:
    # two -j 1 processes at once on the two halves of the files, to stdout
    # and into one output directory, which is what the machine gives a
    # second process, against -j 1. Output trees are kept until the end:
    # for about half a minute after many files are deleted, ext4 (without a
    # journal) passes over their freed inodes one by one when it allocates
    # new ones, and creating files was measured 5x slower.
    bulk() {
        fresh "$TMP/out.txt" "$TMP/out-a.txt" "$TMP/out-b.txt"
        # Every mode starts with the inputs in the page cache. This VM's
        # DAMON pages out what it sees accessed at most once in half a
        # second for six seconds, and the test reads each file about that
        # seldom: without this, a run now and then waited on the disk for
        # some files (hundreds of waits in a run, seen with `perf sched`),
        # which is I/O, not the CPU scaling measured here.
        [[ -n "${BULK_COLD:-}" ]] || cat "$TMP"/files/*.txt >/dev/null
        # Nor does any run write back what an earlier one left dirty: the
        # kernel writes a file's pages 30 s after they were written, so
        # without this the output trees of one round were written to disk,
        # by kernel threads taking a CPU, during the timed runs of a later
        # one, whichever mode those were (and a mode using both CPUs loses
        # more to a third thread than one using one CPU).
        sync
        case $1 in
        stdout-j*)
            cd "$TMP/files"
            timed "$TMP/out.txt" "$DEJUNK" "${EXTRA[@]}" -q -j "${1#stdout-j}" ./*.txt ;;
        tree-j*)
            timed /dev/null "$DEJUNK" "${EXTRA[@]}" -q -j "${1#tree-j}" -r "$TMP/files" -o "$TMP/tree-$1-$2" ;;
        two)
            cd "$TMP/files"
            timed "$TMP/out-a.txt" "$DEJUNK" "${EXTRA[@]}" -q -j 1 "${NAMES[@]:0:HALF}" --- \
                "$TMP/out-b.txt" "$DEJUNK" "${EXTRA[@]}" -q -j 1 "${NAMES[@]:HALF}" ;;
        tree-two)
            cd "$TMP/files"
            timed /dev/null "$DEJUNK" "${EXTRA[@]}" -q -j 1 -o "$TMP/tree-$1-$2" "${NAMES[@]:0:HALF}" --- \
                /dev/null "$DEJUNK" "${EXTRA[@]}" -q -j 1 -o "$TMP/tree-$1-$2" "${NAMES[@]:HALF}" ;;
        esac
        echo "$US"
    }
    MODES=(stdout-j1 stdout-j2 two tree-j1 tree-j2 tree-two)
    declare -A BT FPS
    echo "nproc $(nproc); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    # Interleaved, so that a change in the machine's load hits every mode.
    for i in $(seq "$BULK_RUNS"); do
        for m in "${MODES[@]}"; do
            BT[$m]+="$(bulk "$m" "$i") "
        done
    done
    # The same articles as one JSON Lines stream, which the threads share
    # in batches of lines: -j 1 and -j 2 in rounds of their own, back to
    # back, after one `sync`. Interleaved with the modes above, each run
    # after their `cat` and `sync`, this ratio went from 1.04x to 2.40x
    # between the rounds of one run: there -j 2's threads waited on each
    # other up to 3,000 times a run (22 outside the script, the same
    # binary), and in a later phase of some runs -j 1 took 0.06-0.11 s
    # more system time. Alternated outside the script, 1.84x-1.86x.
    JMODES=(jsonl-j1 jsonl-j2)
    fresh "$TMP/out.txt"
    cat "$CORPUS" >/dev/null
    sync
    for i in $(seq "$BULK_RUNS"); do
        for m in "${JMODES[@]}"; do
            fresh "$TMP/out.txt"
            timed "$TMP/out.txt" "$DEJUNK" "${EXTRA[@]}" -q --jsonl -j "${m#jsonl-j}" "$CORPUS"
            BT[$m]+="$US "
        done
    done
    echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
    for m in "${MODES[@]}" "${JMODES[@]}"; do
        # shellcheck disable=SC2086 # a list of numbers
        med=$(median ${BT[$m]})
        FPS[$m]=$(( NFILES * 1000000 / med ))
        # (A JSON Lines run cleans the same articles, one record each.)
        printf '%-10s %d files, median of %d runs: %6d files/s\n' "$m" "$NFILES" "$BULK_RUNS" "${FPS[$m]}"
    done
    # The ratio of the medians, then the median of each round's own ratio
    # (its two runs a few seconds apart) and those ratios: a busy minute
    # moves one round, where the medians of the modes may come from
    # different minutes.
    fps_ratio() {
        local -a a b r
        read -ra a <<<"${BT[$3]}"
        read -ra b <<<"${BT[$2]}"
        for i in "${!a[@]}"; do
            r+=("$(printf '%.2f' "$(echo "${a[$i]} / ${b[$i]}" | bc -l)")")
        done
        printf '%-34s %.2fx   median round %.2fx   rounds: %s\n' "$1" \
            "$(echo "${FPS[$2]} / ${FPS[$3]}" | bc -l)" \
            "$(median "${r[@]}")" "${r[*]}"
    }
    fps_ratio "stdout, -j 2 / -j 1:" stdout-j2 stdout-j1
    fps_ratio "  ceiling, two processes / -j 1:" two stdout-j1
    fps_ratio "-r -o, -j 2 / -j 1:" tree-j2 tree-j1
    fps_ratio "  ceiling, two processes / -j 1:" tree-two tree-j1
    fps_ratio "JSON Lines, -j 2 / -j 1:" jsonl-j2 jsonl-j1
else
    echo "skipped: no -j (dejunk --help does not list it)"
fi
