#!/usr/bin/env python3
"""Benchmark: EVALUATE + RANK (5 emotions, eGeMAPS and d = 768 embeddings) against the paper
reference pipeline's corresponding stage (nested CV + SHAP), on identical rows and splits, in the
same run; with --full, the whole analysis (also the top-k sweep and the ridge probes: PROBE * …
BY CATEGORY) against the whole reference pipeline. Not a test; run on demand:

    swift build -c release --product probedb
    /tmp/refvenv/bin/python scripts/bench_learn.py ../shared/reference/paper_pipeline.py [--dim 768] [--seed 0] [--speakers 24] [--full] [--work /tmp/bench_learn]

1. makes the reference's --synthetic corpus (seed 0, 24 speakers unless given) and saves it;
2. times the reference's stage 1 (`_stage_classify`: nested CV of eGeMAPS and all embedding dims +
   SHAP) for the paper's five emotions, on one core as the reference runs (BLAS one thread);
3. writes ProbeDB inputs with the reference's rows and splits (scripts/reference_to_probedb.py);
4. times ProbeDB's `EVALUATE * … USING egemaps, emb` and `RANK emb/egemaps FOR *` (release build,
   both cores), reading each statement's time from the shell's `.timer`;
5. checks every fold's F1 and C, the mean F1 and the top-20 SHAP rankings are identical
   (scripts/compare_reference.py) and prints the ratio.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
import importlib.util

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("reference")
    ap.add_argument("--dim", type=int, default=768)
    ap.add_argument("--seed", type=int, default=0, help="the synthetic corpus's seed (the reference's --seed)")
    ap.add_argument("--speakers", type=int, default=24, help="speakers in the synthetic corpus")
    ap.add_argument("--work", default="/tmp/bench_learn")
    ap.add_argument("--full", action="store_true", help="the whole pipeline: sweep and ridge probes too")
    a = ap.parse_args()
    spec = importlib.util.spec_from_file_location("paper_pipeline", a.reference)
    ref = importlib.util.module_from_spec(spec)
    sys.modules["paper_pipeline"] = ref
    spec.loader.exec_module(ref)
    import numpy as np
    ref._limit_blas()
    os.makedirs(a.work, exist_ok=True)

    data = ref.make_synthetic(seed=a.seed, n_speakers=a.speakers, dim=a.dim)
    ref.save_dataset(f"{a.work}/data", data["X"], data["F"], data["feature_names"], data["labels"], data["speakers"])
    cfg = ref.Config(emotions=list(ref.SYNTH_PAPER_EMOTIONS))
    X = ref.speaker_zscore(data["X"], data["speakers"])
    F = ref.speaker_zscore(data["F"], data["speakers"])
    emotions = {}
    t0 = time.perf_counter()
    if a.full:
        res = ref.run_pipeline(data["X"], data["F"], data["feature_names"], data["labels"], data["speakers"], cfg, log=lambda m: None)
        t_ref = time.perf_counter() - t0
        json.dump(ref._to_jsonable(res), open(f"{a.work}/ref.json", "w"))
        stages = {k: round(v, 2) for k, v in res["timing_seconds"].items()}
        print(f"reference pipeline (5 emotions, d={a.dim}, all stages): {t_ref:.2f} s  {stages}", flush=True)
    for e in ([] if a.full else cfg.emotions):
        idx, y = ref.build_task(data["labels"], e, "neutral", None, cfg.sample_seed)
        s1 = ref._stage_classify(e, X[idx], F[idx], y, data["speakers"][idx], cfg)
        emotions[e] = {
            "sample_indices": idx.tolist(), "splits": s1["splits"],
            "egemaps_classification": {k: s1["egemaps_clf"][k] for k in ("fold_f1", "fold_C", "f1_mean")},
            "embedding_classification_all_dims": {k: s1["embedding_clf"][k] for k in ("fold_f1", "fold_C", "f1_mean")},
            "embedding_shap": {"mean_abs_shap": s1["embedding_importance"].tolist(), "ranking": ref.rank_desc(s1["embedding_importance"]).tolist()},
            "egemaps_shap": {"mean_abs_shap": s1["egemaps_importance"].tolist(),
                             "ranking": [data["feature_names"][j] for j in ref.rank_desc(s1["egemaps_importance"])]},
        }
    if not a.full:
        t_ref = time.perf_counter() - t0
        result = {"feature_names": data["feature_names"], "emotions": emotions}
        json.dump(result, open(f"{a.work}/ref.json", "w"))
        print(f"reference stage 1 (nested CV + SHAP, 5 emotions, d={a.dim}): {t_ref:.2f} s", flush=True)

    subprocess.run([sys.executable, f"{here}/reference_to_probedb.py", f"{a.work}/data", f"{a.work}/ref.json", f"{a.work}/pdb"], check=True)
    opts = "WITH (sample = 'sample.csv', splits = 'splits.csv')"
    script = ("IMPORT CORPUS synth FROM 'manifest.csv';\nIMPORT EMBEDDINGS emb FROM 'embeddings.npy' FOR synth KEYS 'keys.csv';\n"
              "IMPORT FEATURES egemaps FROM 'egemaps.csv' FOR synth;\nUSE synth;\n.timer on\n"
              f"EVALUATE * VS neutral USING egemaps, emb {opts};\nRANK emb FOR * {opts};\nRANK egemaps FOR * {opts};\n")
    if a.full:
        script += "PROBE * FROM emb FOR * BY CATEGORY WITH (sample = 'sample.csv', splits = 'splits.csv', probe_split = 'probe_split.csv');\n"
    open(f"{a.work}/pdb/bench.pql", "w").write(script)
    db = f"{a.work}/pdb/bench.db"
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    out = subprocess.run([f"{root}/.build/release/probedb", db, "-f", "bench.pql", "--format", "csv"], cwd=f"{a.work}/pdb",
                         capture_output=True, text=True, check=True).stdout
    times = [float(x) for x in re.findall(r"Run Time: ([0-9.]+) s", out)]
    t_eval, t_rank = times[0], sum(times[1:3])
    t_probe = times[3] if a.full else 0.0
    t_pdb = t_eval + t_rank + t_probe
    print(f"ProbeDB (release, 2 cores): EVALUATE egemaps + emb {t_eval:.3f} s; RANK emb + egemaps {t_rank:.3f} s (reusing EVALUATE's CV)"
          + (f"; PROBE * BY CATEGORY {t_probe:.3f} s" if a.full else "") + f"; total {t_pdb:.3f} s")
    print(f"speed-up: {t_ref / t_pdb:.1f}x ({'whole reference pipeline' if a.full else 'reference stage 1'} / ProbeDB statements, same data, rows and splits)")
    cmp = subprocess.run([sys.executable, f"{here}/compare_reference.py", f"{a.work}/ref.json", db], capture_output=True, text=True)
    print(cmp.stdout.strip().splitlines()[-1] if cmp.stdout else cmp.stderr)
    for line in cmp.stdout.splitlines():
        if line.startswith("MISMATCH"):
            print("  " + line)


if __name__ == "__main__":
    main()
