#!/usr/bin/env python3
"""Benchmark: eGeMAPSv02 functionals of 60 s of 16 kHz speech, ProbeDB vs openSMILE (Python
package, import and model set-up excluded), one thread each, in the same run. Not a test.

    swift build -c release --product probedb-bench
    /tmp/refvenv/bin/python scripts/bench_egemaps.py [--seconds 60] [--repeats 5]

The speech is the bundled corpus's files concatenated (75 s, repeated for longer runs such as
--seconds 600, the 10-minute check). Prints both
times, the ratio, ProbeDB's per-stage costs (the parity itself is checked by the test suite).
"""
import argparse
import json
import os
import subprocess
import tempfile
import time
import wave

import numpy as np
import opensmile

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)
ap = argparse.ArgumentParser()
ap.add_argument("--seconds", type=float, default=60.0)
ap.add_argument("--repeats", type=int, default=5)
a = ap.parse_args()

corpus = os.path.join(root, "examples", "mini-corpus")
parts = []
for d, _, fs in sorted(os.walk(corpus)):
    for f in sorted(fs):
        if f.endswith(".wav"):
            with wave.open(os.path.join(d, f), "rb") as w:
                parts.append(np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"))
speech = np.concatenate(parts)
speech = np.tile(speech, int(np.ceil(a.seconds * 16000 / len(speech))))[: int(a.seconds * 16000)]
path = os.path.join(tempfile.mkdtemp(), "speech.wav")
with wave.open(path, "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(16000)
    w.writeframes(speech.tobytes())

os.environ["OMP_NUM_THREADS"] = "1"
smile = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.Functionals, num_workers=1)
signal = speech.astype(np.float64) / 32768.0
ref = smile.process_signal(signal, 16000)  # warm-up
t_ref = min(_t for _t in (lambda: [(lambda t0: (smile.process_signal(signal, 16000), time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(a.repeats)])())
out = json.loads(subprocess.run([os.path.join(root, ".build/release/probedb-bench"), "egemaps", path, str(a.repeats)],
                                capture_output=True, text=True, check=True).stdout)
t_pdb = out["seconds"]
print(f"audio: {len(speech) / 16000:.1f} s of 16 kHz speech (bundled corpus, concatenated)")
print(f"openSMILE {opensmile.__version__} (Python, 1 thread): {t_ref:.3f} s   ProbeDB (release, 1 thread): {t_pdb:.3f} s   ratio ProbeDB/openSMILE = {t_pdb / t_ref:.2f}")
for stage, s in out["stages"].items():
    print(f"  {s:7.3f} s  {stage}")
