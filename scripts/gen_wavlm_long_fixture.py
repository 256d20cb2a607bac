#!/usr/bin/env python3
"""Expected outputs of the tiny WavLM fixtures on a 7-second input, from transformers.

The shared fixtures run 75 frames; this one runs 349 frames, so the paths a long utterance takes
in ProbeDB (conv front end in several chunks, encoder rows split over workers, attention in
several query blocks, the log branch of the relative-position buckets) are compared with
transformers too. Input: the fixture's speech_like_16k.f32 tiled to 112 000 samples.

Run in a throwaway venv with torch + transformers:
    python scripts/gen_wavlm_long_fixture.py [Tests/ProbeTestSupport/Fixtures/wavlm]
Writes long/<fixture>_pooled_hidden_states.f32 ([L+1, H]) and long/<fixture>_last_hidden_state.f32
([T, H]) plus long/manifest.json with the versions.
"""
import json
import os
import sys

import numpy as np
import torch
import transformers
from transformers import WavLMModel

root = sys.argv[1] if len(sys.argv) > 1 else "Tests/ProbeTestSupport/Fixtures/wavlm"
x = np.fromfile(os.path.join(root, "input/speech_like_16k.f32"), dtype="<f4")
x = np.resize(x, 112000).astype(np.float32)
out = os.path.join(root, "long")
os.makedirs(out, exist_ok=True)
manifest = {"input": "input/speech_like_16k.f32 tiled to 112000 samples (numpy.resize)", "samples": 112000,
            "torch": torch.__version__, "transformers": transformers.__version__, "files": {}}
for name in ("base", "large"):
    folder = os.path.join(root, name)
    model = WavLMModel.from_pretrained(folder).eval()
    inp = x
    with open(os.path.join(folder, "preprocessor_config.json")) as f:
        if json.load(f).get("do_normalize", True):
            inp = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
    with torch.no_grad():
        r = model(torch.from_numpy(inp.astype(np.float32))[None], output_hidden_states=True)
    pooled = torch.stack([h[0].mean(0) for h in r.hidden_states]).numpy().astype("<f4")
    last = r.hidden_states[-1][0].numpy().astype("<f4")
    pooled.tofile(os.path.join(out, f"{name}_pooled_hidden_states.f32"))
    last.tofile(os.path.join(out, f"{name}_last_hidden_state.f32"))
    manifest["files"][name] = {"pooled": list(pooled.shape), "last_hidden_state (hidden_states[-1])": list(last.shape)}
with open(os.path.join(out, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=2)
print(json.dumps(manifest, indent=2))
