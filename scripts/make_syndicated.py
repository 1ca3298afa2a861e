#!/usr/bin/env python3
"""Simulate syndication: write BULK plus COPIES reposts of every labelled dev
article, each on its own made-up site, with its own first line and its last
paragraph dropped, as outlets do when they carry a wire story.

usage: scripts/make_syndicated.py [--copies 6] BULK.jsonl DEV.jsonl OUT.jsonl

Then compare `scripts/learn_eval.py -- --group-by domain OUT.jsonl` with
`... --keep-duplicates ...`: without the near-duplicate collapse, the
reposted article text recurs in COPIES + 1 documents and is learned. OUT
holds corpus text: keep it under /tmp, never commit it.
"""
import argparse, json

ap = argparse.ArgumentParser()
ap.add_argument('--copies', type=int, default=6)
ap.add_argument('bulk')
ap.add_argument('dev')
ap.add_argument('out')
a = ap.parse_args()
with open(a.out, 'w', encoding='utf-8') as out:
    for line in open(a.bulk, encoding='utf-8'):
        out.write(line)
    for line in open(a.dev, encoding='utf-8'):
        r = json.loads(line)
        paras = r['text'].split('\n\n')
        for k in range(a.copies):
            body = paras[:-1] if len(paras) > 2 else paras
            text = f'Reposted by partner outlet number {k + 1}\n\n' + '\n\n'.join(body)
            out.write(json.dumps({'id': f"{r['id']}-copy{k}", 'domain': f'partner{k}.example',
                                  'text': text}) + '\n')
