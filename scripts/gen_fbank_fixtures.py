#!/usr/bin/env python3
"""Reference log-mel filterbanks for ProbeAudio's FbankExtractor, from torchaudio's Kaldi-compatible
implementation (`torchaudio.compliance.kaldi.fbank`, defaults with dither 0 and 80 mel bins), on
synthetic signals written here and two files of the bundled corpus. Run in a throwaway venv:

    /tmp/refvenv/bin/pip install torch==2.11.0 torchaudio==2.11.0 numpy
    /tmp/refvenv/bin/python scripts/gen_fbank_fixtures.py Tests/ProbeTestSupport/Fixtures/fbank

Input samples are the 16-bit PCM values (as ProbeDB decodes them, ×32768).
"""
import json
import os
import sys
import wave

import numpy as np
import torch
import torchaudio
from torchaudio.compliance import kaldi

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "mini-corpus")


def write_wav(path, x):
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm.tobytes())


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert w.getframerate() == 16000 and w.getsampwidth() == 2 and w.getnchannels() == 1
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32)


rng = np.random.RandomState(0)
t = np.arange(8000) / 16000.0
signals = {
    "sweep.wav": 0.4 * np.sin(2 * np.pi * (100 * t + 3900 * t * t)),
    "noise.wav": 0.1 * rng.normal(size=8000),
    "vowel.wav": sum(0.3 / k * np.sin(2 * np.pi * 140 * k * t) for k in range(1, 20)),
    "short.wav": 0.2 * np.sin(2 * np.pi * 440 * np.arange(420) / 16000.0),
}
for name, x in signals.items():
    write_wav(os.path.join(out, name), x)
cases = {name: os.path.join(out, name) for name in signals}
for rel in ("Actor_01/03-01-05-01-01-01-01.wav", "Actor_02/03-01-04-01-02-01-02.wav"):
    cases[rel] = os.path.join(root, rel)
result = {"provenance": {"tool": f"torchaudio {torchaudio.__version__} (torch {torch.__version__}) compliance.kaldi.fbank",
                         "settings": "num_mel_bins=80, dither=0.0, other arguments default; input = 16-bit sample values",
                         "command": "python scripts/gen_fbank_fixtures.py Tests/ProbeTestSupport/Fixtures/fbank"}, "cases": {}}
for name, path in cases.items():
    x = torch.from_numpy(read_wav(path)).unsqueeze(0)
    f = kaldi.fbank(x, num_mel_bins=80, dither=0.0, sample_frequency=16000.0).numpy().astype(np.float64)
    result["cases"][name] = {"path": path if name in signals else "examples/mini-corpus/" + name, "frames": int(f.shape[0]),
                             "first_frames": f[:3].tolist(), "mean": f.mean(axis=0).tolist(), "sd": f.std(axis=0).tolist()}
with open(os.path.join(out, "reference.json"), "w") as fh:
    json.dump(result, fh)
