#!/usr/bin/env python3
"""Reference values for ProbeLearn's parity tests, computed with scikit-learn, shap and NumPy.

Run in a throwaway venv outside the repository:
    python3 -m venv /tmp/refvenv && /tmp/refvenv/bin/pip install scikit-learn shap numpy scipy
    /tmp/refvenv/bin/python scripts/gen_learn_fixtures.py ../shared/reference/paper_pipeline.py \
        Tests/ProbeTestSupport/Fixtures/learn/reference.json

The nested-CV case uses the paper reference pipeline's own functions (make_synthetic, build_task,
precompute_splits, nested_cv, shap_importance) on a small synthetic corpus; everything the Swift
test needs (inputs and expected outputs) is written to one JSON file with the tool versions.
"""
import importlib.util
import json
import sys

import numpy as np
import shap
import sklearn
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GroupShuffleSplit, KFold
from sklearn.preprocessing import StandardScaler


def load_reference(path):
    spec = importlib.util.spec_from_file_location("paper_pipeline", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["paper_pipeline"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def main():
    ref = load_reference(sys.argv[1])
    out_path = sys.argv[2]
    ref._limit_blas()
    out = {"provenance": {
        "tools": {"numpy": np.__version__, "scikit_learn": sklearn.__version__, "shap": shap.__version__},
        "command": "python scripts/gen_learn_fixtures.py ../shared/reference/paper_pipeline.py " + out_path}}

    # 1. NumPy legacy RandomState
    out["random_state"] = {
        "permutation_42_10": np.random.RandomState(42).permutation(10).tolist(),
        "permutation_0_1000_head": np.random.RandomState(0).permutation(1000)[:20].tolist(),
        "choice_42_30_7": np.random.RandomState(42).choice(30, size=7, replace=False).tolist(),
        "choice_7_200_50": np.random.RandomState(7).choice(200, size=50, replace=False).tolist(),
    }

    # 2. GroupShuffleSplit on unequal groups (string ids sort by code point)
    rng = np.random.RandomState(3)
    groups = np.asarray([f"spk{g:02d}" for g in range(1, 25) for _ in range(rng.randint(2, 6))])
    gss = GroupShuffleSplit(n_splits=5, train_size=0.8, random_state=42)
    out["group_shuffle_split"] = {
        "groups": groups.tolist(),
        "splits": [{"train": tr.tolist(), "test": te.tolist()} for tr, te in gss.split(np.zeros(groups.size), groups=groups)],
        "kfold_17_5": [te.tolist() for _, te in KFold(5).split(np.zeros(17))],
    }

    # 3. Logistic regression (newton-cg, tol 1e-8) on standardised data, n<d and n>d
    lr_cases = []
    for (n, d, seed) in ((60, 90, 1), (120, 12, 2)):
        r = np.random.RandomState(seed)
        X = r.normal(size=(n, d)) * r.uniform(0.5, 3, size=d) + r.normal(size=d)
        w_true = np.zeros(d); w_true[:5] = r.normal(size=5) * 2
        y = (X @ w_true + r.normal(size=n) > np.median(X @ w_true)).astype(int)
        sc = StandardScaler().fit(X)
        Z = sc.transform(X)
        fits = []
        for C in (0.01, 0.1, 1.0, 10.0, 100.0):
            m = LogisticRegression(C=C, solver="newton-cg", tol=1e-8, max_iter=10000).fit(Z, y)
            # The same solver run to (near) machine precision: the exact optimum, to tell the
            # reference's own stopping error apart from ours.
            t = LogisticRegression(C=C, solver="newton-cg", tol=1e-13, max_iter=100000).fit(Z, y)
            fits.append({"C": C, "coef": m.coef_[0].tolist(), "intercept": float(m.intercept_[0]),
                         "decision": m.decision_function(Z).tolist(),
                         "coef_tight": t.coef_[0].tolist(), "intercept_tight": float(t.intercept_[0])})
        lr_cases.append({"X": X.tolist(), "y": y.tolist(), "mean": sc.mean_.tolist(), "scale": sc.scale_.tolist(), "fits": fits})
    out["logistic"] = lr_cases

    # 4. Ridge (several targets, several alphas) on standardised inputs
    r = np.random.RandomState(5)
    X = r.normal(size=(40, 25)); Y = X[:, :3] @ r.normal(size=(3, 4)) + r.normal(size=(40, 4)) + 10
    Z = StandardScaler().fit_transform(X)
    out["ridge"] = {"X": Z.tolist(), "Y": Y.tolist(), "fits": [
        {"alpha": a, "coef": Ridge(alpha=a).fit(Z, Y).coef_.T.tolist(), "intercept": Ridge(alpha=a).fit(Z, Y).intercept_.tolist()}
        for a in (0.001, 0.1, 10.0, 100.0)]}

    # 5. The reference protocol on a small synthetic corpus: one task, nested CV, SHAP
    cfg = ref.Config()
    data = ref.make_synthetic(seed=11, n_speakers=12, dim=128)
    Xn = ref.speaker_zscore(data["X"], data["speakers"])
    Fn = ref.speaker_zscore(data["F"], data["speakers"])
    idx, y = ref.build_task(data["labels"], "angry", "neutral", None, cfg.sample_seed)
    groups = data["speakers"][idx]
    splits = ref.precompute_splits(groups, cfg)
    cases = {}
    for name, M in (("embedding", Xn[idx]), ("egemaps", Fn[idx])):
        res, model = ref.nested_cv(M, y, splits, cfg)
        imp = ref.shap_importance(model, M, cfg)
        cases[name] = {"X": M.tolist(), "fold_f1": res["fold_f1"], "fold_C": res["fold_C"], "f1_mean": res["f1_mean"],
                       "inner_mean_scores": [s.tolist() for s in res["inner_mean_scores"]],
                       "last_coef": model.lr.coef_[0].tolist(), "last_intercept": float(model.lr.intercept_[0]),
                       "mean_abs_shap": imp.tolist(), "ranking": ref.rank_desc(imp).tolist()}
    out["nested_cv"] = {
        "labels": data["labels"].tolist(), "speakers": data["speakers"].tolist(),
        "task_rows": idx.tolist(), "y": y.tolist(), "groups": groups.tolist(),
        "splits": [{"train": s["train"].tolist(), "test": s["test"].tolist(),
                    "inner": [{"train": a.tolist(), "test": b.tolist()} for a, b in s["inner"]]} for s in splits],
        "raw_X_row0": data["X"][0].tolist(),
        "cases": cases}
    with open(out_path, "w") as fh:
        json.dump(out, fh)


if __name__ == "__main__":
    main()
