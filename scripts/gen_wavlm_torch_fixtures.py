#!/usr/bin/env python3
"""Write pytorch_model.bin next to each WavLM fixture's model.safetensors, with torch.save.

The zip/pickle format of a state dict as PyTorch writes it is what ProbeDB's TorchCheckpoint
reader parses; the values are identical to model.safetensors, so the same expected outputs apply.
(The loader's error tests make their broken variants themselves, by truncating and corrupting copies.)

Run in a throwaway venv with torch + safetensors:
    python scripts/gen_wavlm_torch_fixtures.py [Tests/ProbeTestSupport/Fixtures/wavlm]
Provenance of the committed files: torch 2.11.0+cu130, safetensors 0.8.0.
"""
import os
import sys
from collections import OrderedDict

import torch
from safetensors.torch import load_file

root = sys.argv[1] if len(sys.argv) > 1 else "Tests/ProbeTestSupport/Fixtures/wavlm"
for name in ("base", "large"):
    folder = os.path.join(root, name)
    sd = load_file(os.path.join(folder, "model.safetensors"))
    # Same layout as save_pretrained(safe_serialization=False): an OrderedDict of tensors.
    torch.save(OrderedDict(sd), os.path.join(folder, "pytorch_model.bin"))
    print(folder, "pytorch_model.bin", len(sd), "tensors, torch", torch.__version__)
