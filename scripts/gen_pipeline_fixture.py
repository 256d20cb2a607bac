#!/usr/bin/env python3
"""End-to-end fixture for EVALUATE / RANK parity with the paper reference pipeline.

    /tmp/refvenv/bin/python scripts/gen_pipeline_fixture.py ../shared/reference/paper_pipeline.py \
        Tests/ProbeTestSupport/Fixtures/pipeline

Runs paper_pipeline.py three times on its small synthetic corpus (6 speakers, d = 128, seed 5):
with its defaults (newton-cg, tol 1e-8), with --lr-tol 1e-13 (the exact optimum, for SHAP
magnitudes), and with --authors-quirks (the authors' notebook's protocol, solved with newton-cg at
tol 1e-13, since its lbfgs early stop is not reproduced; the rows and splits are the same).
Writes the ProbeDB inputs (scripts/reference_to_probedb.py), expected.json (per emotion the fold
F1s, chosen Cs and mean F1 of both representations, the SHAP importance and ranking, the sweep
and the ridge probes) and expected_authors.json (the same under the authors' protocol).
"""
import json
import os
import subprocess
import sys
import tempfile

ref, out = sys.argv[1], sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
os.makedirs(out, exist_ok=True)
args = ["--synthetic", "--synthetic-dim", "128", "--synthetic-speakers", "6", "--synthetic-seed", "5"]
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([sys.executable, ref, *args, "--save-synthetic", f"{tmp}/data", "--out", f"{tmp}/ref.json"], check=True,
                   stderr=subprocess.DEVNULL)
    subprocess.run([sys.executable, ref, *args, "--lr-tol", "1e-13", "--out", f"{tmp}/tight.json"], check=True,
                   stderr=subprocess.DEVNULL)
    quirks = ["--authors-quirks", "--lr-solver", "newton-cg", "--lr-tol", "1e-13", "--lr-max-iter", "10000"]
    subprocess.run([sys.executable, ref, *args, *quirks, "--out", f"{tmp}/authors.json"], check=True, stderr=subprocess.DEVNULL)
    subprocess.run([sys.executable, os.path.join(here, "reference_to_probedb.py"), f"{tmp}/data", f"{tmp}/ref.json", out], check=True)
    r = json.load(open(f"{tmp}/ref.json"))
    t = json.load(open(f"{tmp}/tight.json"))
    a = json.load(open(f"{tmp}/authors.json"))
expected = {"provenance": {"tool": "paper_pipeline.py (scikit-learn, shap)", **{k: r["meta"][k] for k in ("numpy", "scikit_learn", "shap")},
                           "command": "paper_pipeline.py " + " ".join(args) + " [--lr-tol 1e-13]"},
            "feature_names": r["feature_names"], "emotions": {}}
for e, v in r["emotions"].items():
    tv = t["emotions"][e]
    expected["emotions"][e] = {
        "egemaps": {k: v["egemaps_classification"][k] for k in ("fold_f1", "fold_C", "f1_mean")},
        "emb": {k: v["embedding_classification_all_dims"][k] for k in ("fold_f1", "fold_C", "f1_mean")},
        "emb_tight": {k: tv["embedding_classification_all_dims"][k] for k in ("fold_f1", "fold_C", "f1_mean")},
        "emb_shap": tv["embedding_shap"]["mean_abs_shap"], "emb_ranking": tv["embedding_shap"]["ranking"],
        "egemaps_shap": tv["egemaps_shap"]["mean_abs_shap"], "egemaps_ranking": tv["egemaps_shap"]["ranking"],
        "emb_ranking_default_tol": v["embedding_shap"]["ranking"][:20],
        "emb_ranking_default_tol_full": v["embedding_shap"]["ranking"],
        "sweep_k": v["topk_sweep"]["k"], "sweep_f1": v["topk_sweep"]["f1_mean"], "k_star": v["k_star"],
        "per_feature": v["ridge"]["per_feature"],
        "categories": v["information_increase_by_category"],
        "category_order": v["category_order_by_median_ii"],
    }
json.dump(expected, open(os.path.join(out, "expected.json"), "w"))

# The authors' protocol: the same rows and splits (checked), its own numbers.
authors = {"provenance": {"tool": "paper_pipeline.py (scikit-learn, shap)", **{k: a["meta"][k] for k in ("numpy", "scikit_learn", "shap")},
                          "command": "paper_pipeline.py " + " ".join(args + quirks)},
           "emotions": {}}
for e, v in a["emotions"].items():
    assert v["sample_indices"] == r["emotions"][e]["sample_indices"] and v["splits"] == r["emotions"][e]["splits"], e
    authors["emotions"][e] = {
        "egemaps": {k: v["egemaps_classification"][k] for k in ("fold_f1", "fold_C", "f1_mean")},
        "emb": {k: v["embedding_classification_all_dims"][k] for k in ("fold_f1", "fold_C", "f1_mean")},
        "emb_shap": v["embedding_shap"]["mean_abs_shap"], "emb_ranking": v["embedding_shap"]["ranking"],
        "egemaps_shap": v["egemaps_shap"]["mean_abs_shap"], "egemaps_ranking": v["egemaps_shap"]["ranking"],
        "sweep_k": v["topk_sweep"]["k"], "sweep_f1": v["topk_sweep"]["f1_mean"], "k_star": v["k_star"],
        "per_feature": v["ridge"]["per_feature"],
    }
json.dump(authors, open(os.path.join(out, "expected_authors.json"), "w"))
