#!/usr/bin/env python3
"""WavLM forward-pass benchmark: ProbeDB (Swift on OpenBLAS) vs PyTorch on CPU, in the same run.

A random-weight model with the full microsoft/wavlm-base-plus configuration (768-d, 12 layers,
conv_bias false, group-norm front end, do_normalize false) is built with transformers and saved
with save_pretrained (model.safetensors); it is cached in --model-dir. Speech-like input of 1 s,
4 s and 10 s is cut from the bundled corpus (examples/mini-corpus, concatenated). Both engines
run a forward pass with every hidden state, with the same thread count; best and median of
--repeats runs are reported after one warm-up, with the ratio ProbeDB/PyTorch, ProbeDB's
GFLOP/s against OpenBLAS sgemm measured in the same run, its peak RSS during the forward passes
(keeping every hidden state, and keeping only the pooled vectors as EXTRACT does),
and the agreement of the pooled vectors (max |a-b|, min cosine over layers).

Run in a throwaway venv with torch + transformers (+ numpy, soundfile not needed):
    python3 -m venv /tmp/wavlm-venv && /tmp/wavlm-venv/bin/pip install torch transformers safetensors numpy
    swift build -c release --product probedb-bench
    /tmp/wavlm-venv/bin/python scripts/bench_wavlm.py [--threads 2] [--repeats 5]
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import tempfile
import time
import wave

import numpy as np
import torch
import transformers
from transformers import WavLMConfig, WavLMModel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BASE_PLUS = dict(
    hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
    hidden_act="gelu", feat_extract_activation="gelu", feat_extract_norm="group",
    conv_dim=[512] * 7, conv_kernel=[10, 3, 3, 3, 3, 2, 2], conv_stride=[5, 2, 2, 2, 2, 2, 2],
    conv_bias=False, num_conv_pos_embeddings=128, num_conv_pos_embedding_groups=16,
    num_buckets=320, max_bucket_distance=800, do_stable_layer_norm=False, layer_norm_eps=1e-5,
    mask_time_prob=0.05, architectures=["WavLMModel"],
)


def make_model(folder):
    if os.path.exists(os.path.join(folder, "model.safetensors")):
        return
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(20241125)
    model = WavLMModel(WavLMConfig(**BASE_PLUS)).eval()
    model.save_pretrained(folder)  # config.json + model.safetensors
    with open(os.path.join(folder, "preprocessor_config.json"), "w") as f:
        json.dump({"do_normalize": False, "feature_extractor_type": "Wav2Vec2FeatureExtractor", "feature_size": 1,
                   "padding_side": "right", "padding_value": 0.0, "return_attention_mask": True, "sampling_rate": 16000}, f, indent=2)


def read_wav(path):
    with wave.open(path) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1 and w.getframerate() == 16000, path
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def write_wav(path, pcm):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(pcm.astype("<i2").tobytes())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seconds", type=float, nargs="+", default=[1, 4, 10])
    ap.add_argument("--model-dir", default=os.path.join(tempfile.gettempdir(), "probedb-wavlm-base-plus-random"))
    ap.add_argument("--bench", default=os.path.join(ROOT, ".build/release/probedb-bench"))
    a = ap.parse_args()
    make_model(a.model_dir)
    work = tempfile.mkdtemp(prefix="bench-wavlm-")
    speech = np.concatenate([read_wav(p) for p in sorted(glob.glob(os.path.join(ROOT, "examples/mini-corpus/**/*.wav"), recursive=True))])
    files = []
    for s in a.seconds:
        n = int(s * 16000)
        pcm = np.resize(speech, n)
        p = os.path.join(work, f"{s:g}s.wav")
        write_wav(p, pcm)
        files.append((s, p, pcm.astype(np.float32) / 32768))

    torch.set_num_threads(a.threads)
    model = WavLMModel.from_pretrained(a.model_dir).eval()

    def run_ours(env):
        sg = json.loads(subprocess.run([a.bench, "sgemm", str(a.threads)], capture_output=True, text=True, check=True, env=env).stdout)
        out = subprocess.run([a.bench, "wavlm", a.model_dir, str(a.threads), str(a.repeats), work] + [p for _, p, _ in files],
                             capture_output=True, text=True, env=env)
        if out.returncode != 0:
            raise SystemExit(out.stderr)
        return sg, [json.loads(line) for line in out.stdout.splitlines()]

    sgemm, ours = run_ours(dict(os.environ))
    # OPENBLAS_CORETYPE (set in some environments) pins OpenBLAS's kernels; the same passes with
    # OpenBLAS's own CPU detection are reported beside them.
    auto = None
    if os.environ.get("OPENBLAS_CORETYPE"):
        env = dict(os.environ)
        del env["OPENBLAS_CORETYPE"]
        auto = run_ours(env)
    # The same passes keeping no hidden states (EXTRACT's mode): its peak memory.
    pooled_only = subprocess.run([a.bench, "wavlm", a.model_dir, str(a.threads), "2", work] + [p for _, p, _ in files],
                                 capture_output=True, text=True, env=dict(os.environ, PROBEDB_BENCH_POOLED="1"), check=True)
    lean = [json.loads(line) for line in pooled_only.stdout.splitlines()]

    print(f"torch {torch.__version__}, transformers {transformers.__version__}, threads {a.threads}, repeats {a.repeats}")
    print(f"OpenBLAS sgemm: {sgemm['square2048']:.1f} GFLOP/s (2048^3), {sgemm['ffn_10s']:.1f} GFLOP/s (499x3072x768), {sgemm['core']} kernels"
          + (f" (OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']})" if os.environ.get("OPENBLAS_CORETYPE") else ""))
    print(f"{'audio':>6} {'torch best':>10} {'median':>8} {'probedb best':>12} {'median':>8} {'ratio':>6} {'GFLOP/s':>8} {'of sgemm':>8} {'peak MB':>8} {'pooled-only MB':>14} {'max|d|':>9} {'min cos':>10}")
    torch_best = []
    for (s, p, x), mine, thin in zip(files, ours, lean):
        with torch.no_grad():
            inp = torch.from_numpy(x)[None]
            model(inp, output_hidden_states=True)  # warm-up
            times = []
            for _ in range(a.repeats):
                t0 = time.perf_counter()
                r = model(inp, output_hidden_states=True)
                times.append(time.perf_counter() - t0)
        pooled = torch.stack([h[0].mean(0) for h in r.hidden_states]).numpy()
        got = np.fromfile(os.path.join(work, f"{files.index((s, p, x))}.f32"), dtype="<f4").reshape(pooled.shape)
        cos = min(float(np.dot(g, e) / np.linalg.norm(g) / np.linalg.norm(e)) for g, e in zip(got, pooled))
        tb, tm = min(times), statistics.median(times)
        torch_best.append(tb)
        print(f"{s:>5g}s {tb:>10.3f} {tm:>8.3f} {mine['best_seconds']:>12.3f} {mine['median_seconds']:>8.3f} "
              f"{mine['best_seconds'] / tb:>6.2f} {mine['gflop_per_second']:>8.1f} {mine['gflop_per_second'] / sgemm['square2048']:>8.2f} "
              f"{mine['peak_rss_mb']:>8.0f} {thin['peak_rss_mb']:>14.0f} {np.abs(got - pooled).max():>9.2e} {cos:>10.8f}")
    print(f"weights {ours[0]['weight_mb']:.0f} MB; load {ours[0]['load_seconds']:.2f} s, peak RSS while loading {ours[0]['load_peak_rss_mb']:.0f} MB, RSS after loading {ours[0]['rss_after_load_mb']:.0f} MB; "
          "peak RSS columns are the whole probedb-bench process during the forward passes (weights included): "
          "'peak MB' keeping every hidden state as the timed runs do, 'pooled-only MB' keeping only the pooled vectors as EXTRACT does")
    if auto:
        asg, aours = auto
        print(f"Same run, OPENBLAS_CORETYPE unset (OpenBLAS picks {asg['core']} kernels; sgemm {asg['square2048']:.1f} GFLOP/s):")
        for (s, _, _), tb, mine in zip(files, torch_best, aours):
            print(f"{s:>5g}s  torch {tb:.3f}  probedb {mine['best_seconds']:.3f} (median {mine['median_seconds']:.3f})  ratio {mine['best_seconds'] / tb:.2f}  "
                  f"{mine['gflop_per_second']:.1f} GFLOP/s = {mine['gflop_per_second'] / asg['square2048']:.2f} of sgemm")


if __name__ == "__main__":
    main()
