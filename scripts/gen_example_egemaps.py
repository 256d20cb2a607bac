#!/usr/bin/env python3
"""eGeMAPSv02 functionals of the bundled example corpus, computed with openSMILE: the reference
that ProbeDB's own EXTRACT egemaps is compared with on the example corpus. Run in a throwaway venv:

    python3 -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install opensmile==2.6.0
    /tmp/refvenv/bin/python scripts/gen_example_egemaps.py examples/mini-corpus examples/mini-corpus-egemaps.csv

Writes `path` (relative to the corpus folder) and the 88 functionals in openSMILE's order and
names, one row per WAV file, sorted by path.
"""
import csv
import os
import sys

import opensmile

root, out = sys.argv[1], sys.argv[2]
smile = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.Functionals)
paths = sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs if f.endswith(".wav"))
with open(out, "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["path"] + list(smile.feature_names))
    for p in paths:
        row = smile.process_file(os.path.join(root, p)).iloc[0]
        w.writerow([p] + [repr(float(v)) for v in row.values])
print(f"opensmile {opensmile.__version__}: {len(paths)} files -> {out}", file=sys.stderr)
