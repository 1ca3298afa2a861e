#!/usr/bin/env python3
"""Measure `dejunk learn` against the hand labels of the dev corpus.

usage: scripts/learn_eval.py [--dejunk target/release/dejunk] [--out DIR]
           [--labels-corpus DEV.jsonl] [--labels DEV.labels.jsonl]
           [--score] -- LEARN-ARGS...

Runs `dejunk learn LEARN-ARGS -o DIR/learned.txt`, then judges every entry
(active and commented-out "review" ones) by where it matches in the labelled
documents: an occurrence is junk when its line is dropped by the labels or the
match lies inside a labelled cut; an entry is junk when all its occurrences
in the labelled documents are junk, prose when any is not, and unjudged when
it does not occur there. Prints precision (junk / judged) for the active
entries and for the review ones, lists the active entries that hit prose, and
with --score runs score.py with and without the learned file.

Generated files stay in --out (default /tmp/dejunk-learn-eval): they hold
corpus text and must not be committed.
"""
import argparse, json, os, re, subprocess, sys

NUM = r'\d+(?:[.,]\d+)*(?:[kKmM+](?![A-Za-z0-9]))?'


def entry_regex(pattern):
    """A regex for a learned [line] entry: literals, {n}, escaped braces;
    case-insensitive, whitespace runs match any whitespace run."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith('{{', i):
            out.append(re.escape('{')); i += 2
        elif pattern.startswith('}}', i):
            out.append(re.escape('}')); i += 2
        elif pattern.startswith('{n}', i):
            out.append(NUM); i += 3
        elif pattern[i].isspace():
            while i < len(pattern) and pattern[i].isspace():
                i += 1
            out.append(r'\s+')
        else:
            out.append(re.escape(pattern[i])); i += 1
    body = ''.join(out)
    return re.compile(r'(?<![\w])' + body + r'(?![\w])', re.IGNORECASE)


END = '.!?…"\'”’)]'


def is_unit(line, m):
    """True when the match is a unit the learner counts: the whole line, or
    a sentence of it (it starts the line or follows a sentence end, and ends
    the line or a sentence). A [line] entry that matches a few words inside
    a sentence cannot remove the line, so such hits are not judged."""
    before, after = line[:m.start()], line[m.end():]
    starts = not before.strip() or (before[-1:].isspace() and before.rstrip()[-1:] in END)
    ends = not after.strip() or (after[:1].isspace() and m.group(0)[-1:] in END)
    return starts and ends


def parse_learned(path):
    """[(pattern, active, comment)] from a learned pattern file."""
    entries = []
    lines = open(path, encoding='utf-8').read().split('\n')
    in_section = False
    for i, line in enumerate(lines):
        if line == '[line]':
            in_section = True
            continue
        if not in_section or not line.strip():
            continue
        if line.startswith('# review:'):
            pat = lines[i + 1][2:]
            entries.append((pat, False, line))
        elif not line.startswith('#'):
            entries.append((line, True, lines[i - 1]))
    return entries


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dejunk', default='target/release/dejunk')
    ap.add_argument('--out', default='/tmp/dejunk-learn-eval')
    ap.add_argument('--labels-corpus', default='/work/shared/corpus/dev.jsonl')
    ap.add_argument('--labels', default='/work/shared/corpus/dev.labels.jsonl')
    ap.add_argument('--score', action='store_true')
    ap.add_argument('--show', type=int, default=15)
    ap.add_argument('learn', nargs=argparse.REMAINDER)
    a = ap.parse_args()
    learn_args = a.learn[1:] if a.learn[:1] == ['--'] else a.learn
    os.makedirs(a.out, exist_ok=True)
    learned = os.path.join(a.out, 'learned.txt')
    subprocess.run([a.dejunk, 'learn', *learn_args, '-o', learned], check=True)

    docs = {}
    for l in open(a.labels_corpus, encoding='utf-8'):
        r = json.loads(l)
        docs[r['id']] = r['text'].split('\n')
    labels = [json.loads(l) for l in open(a.labels, encoding='utf-8')]

    entries = parse_learned(learned)
    results = []  # (pattern, active, comment, junk_hits, prose_hits, prose_example)
    for pat, active, comment in entries:
        rx = entry_regex(pat)
        junk = prose = 0
        example = None
        for lab in labels:
            lines = docs[lab['id']]
            drop = set(lab.get('drop', []))
            cuts = {}
            for c in lab.get('cuts', []):
                if len(c) == 2 and isinstance(c[1], str):
                    cuts.setdefault(c[0], []).append(c[1])
            for no, line in enumerate(lines, 1):
                for m in rx.finditer(line):
                    if not is_unit(line, m):
                        continue
                    hit = m.group(0)
                    if no in drop or any(hit in cut for cut in cuts.get(no, [])):
                        junk += 1
                    else:
                        prose += 1
                        example = example or line[:160]
        results.append((pat, active, comment, junk, prose, example))

    # The same file with the review entries switched on: what the verdicts
    # are worth.
    learned_all = os.path.join(a.out, 'learned-all.txt')
    with open(learned_all, 'w', encoding='utf-8') as f:
        for line in open(learned, encoding='utf-8').read().split('\n'):
            if line.startswith('# ') and any(line[2:] == pat for pat, act, _ in entries if not act):
                line = line[2:]
            f.write(line + '\n')

    def summary(name, rows):
        judged = [r for r in rows if r[3] + r[4] > 0]
        good = [r for r in judged if r[4] == 0]
        prec = len(good) / len(judged) if judged else float('nan')
        print(f'{name}: {len(rows)} entries; {len(judged)} occur in the labelled docs; '
              f'{len(good)} junk, {len(judged) - len(good)} hit prose; precision {prec:.3f}')
        return judged

    print(f'learned file: {learned}')
    summary('active', [r for r in results if r[1]])
    summary('review (commented out)', [r for r in results if not r[1]])
    summary('all (no verdicts)', results)
    bad = [r for r in results if r[1] and r[4] > 0]
    if bad:
        print(f'\nactive entries that hit prose (first {a.show}):')
        for pat, _, comment, junk, prose, ex in bad[: a.show]:
            print(f'  {pat!r}: {prose} prose / {junk} junk hits; prose line: {ex!r}')
    good_review = [r for r in results if not r[1] and r[3] > 0 and r[4] == 0]
    if good_review:
        print(f'\nreview entries that are junk by the labels (first {a.show}):')
        for pat, _, comment, junk, prose, ex in good_review[: a.show]:
            print(f'  {pat!r}: {junk} junk hits; {comment}')

    if a.score:
        score = os.environ.get('DEJUNK_SCORE', '/work/shared/eval/score.py')
        for name, cmd in [('built-in only', [a.dejunk]),
                          ('built-in + learned', [a.dejunk, '--patterns', learned]),
                          ('learned only', [a.dejunk, '--no-builtin', '--patterns', learned]),
                          ('built-in + all learned', [a.dejunk, '--patterns', learned_all])]:
            p = subprocess.run([sys.executable, score, '--corpus', a.labels_corpus,
                                '--labels', a.labels, '--json', '--', *cmd],
                               capture_output=True, text=True, check=True)
            r = json.loads(p.stdout.strip().split('\n')[-1])
            print(f'{name:24} prose kept {r["prose_kept"]:.4f}  junk removed {r["junk_removed"]:.4f}  '
                  f'precision {r["removal_precision"]:.4f}  exact {r["exact_docs"]}/{r["docs"]}')


if __name__ == '__main__':
    main()
