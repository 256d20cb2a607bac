#!/usr/bin/env python3
"""openSMILE eGeMAPSv02 reference values for ProbeEGeMAPS's parity tests. Run in a throwaway venv:

    /tmp/refvenv/bin/pip install opensmile==2.6.0 numpy
    /tmp/refvenv/bin/python scripts/gen_egemaps_fixtures.py Tests/ProbeTestSupport/Fixtures/egemaps

Signals: the spec's A (2 s digital silence), B (1 s, trunc(9830·sin(2π·200 n/16000))), C (1.5 s,
10-harmonic 150 Hz tone scaled to peak 0.25), a 100 Hz → 4 kHz log sweep, white noise, a 0.2 s
tone, and three files of the bundled corpus. Each synthetic signal is written as a 16-bit WAV;
openSMILE receives int16/32768 (the wrapper's ×32768 → int16 step is then exact), so it sees the
same int16 samples the files hold. Writes functionals (88) and LLDs (25, the last artefact row
dropped) per signal, with provenance.
"""
import json
import os
import sys
import wave

import numpy as np
import opensmile

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "mini-corpus")
fs = 16000


def write(name, s):
    with wave.open(os.path.join(out, name), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(fs)
        w.writeframes(np.asarray(s, dtype="<i2").tobytes())


def read(path):
    with wave.open(path, "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


n = np.arange(fs * 3)
rng = np.random.RandomState(1)
t = np.arange(int(1.5 * fs)) / fs
c = sum(np.sin(2 * np.pi * 150 * h * t) / h for h in range(1, 11))
c = c / np.abs(c).max() * 0.25
sweep_t = np.arange(2 * fs) / fs
sweep = 0.3 * np.sin(2 * np.pi * 100 * (40 ** (sweep_t / 2) - 1) * 2 / np.log(40))
signals = {
    "silence.wav": np.zeros(2 * fs, dtype=np.int16),
    "tone200.wav": np.trunc(9830 * np.sin(2 * np.pi * 200 * np.arange(fs) / fs)).astype(np.int16),
    "harmonic150.wav": np.trunc(32767 * c).astype(np.int16),
    "sweep.wav": np.trunc(32767 * sweep).astype(np.int16),
    "noise.wav": np.clip(np.round(3000 * rng.normal(size=fs)), -32768, 32767).astype(np.int16),
    "short.wav": np.trunc(8000 * np.sin(2 * np.pi * 300 * np.arange(int(0.2 * fs)) / fs)).astype(np.int16),
}
for name, s in signals.items():
    write(name, s)
files = {name: os.path.join(out, name) for name in signals}
for rel in ("Actor_01/03-01-05-01-01-01-01.wav", "Actor_02/03-01-01-01-02-01-02.wav", "Actor_04/03-01-04-01-01-01-04.wav"):
    files[rel] = os.path.join(root, rel)

func = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.Functionals)
lld = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02, feature_level=opensmile.FeatureLevel.LowLevelDescriptors)
result = {"provenance": {"tool": f"opensmile {opensmile.__version__} (Python package), eGeMAPSv02",
                         "input": "int16 samples / 32768.0 via process_signal (exact int16 round trip)",
                         "command": "python scripts/gen_egemaps_fixtures.py Tests/ProbeTestSupport/Fixtures/egemaps"},
          "feature_names": list(func.feature_names), "lld_names": list(lld.feature_names), "signals": {}}
for name, path in files.items():
    s = read(path).astype(np.float64) / 32768.0
    f = func.process_signal(s, fs).iloc[0].values.astype(float)
    l = lld.process_signal(s, fs).values.astype(float)[:-1]
    result["signals"][name] = {"path": name if name in signals else "examples/mini-corpus/" + name, "samples": int(len(s)),
                               "functionals": [None if np.isnan(v) else float(v) for v in f],
                               "lld": l.tolist()}
with open(os.path.join(out, "reference.json"), "w") as fh:
    json.dump(result, fh)
