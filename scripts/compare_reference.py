#!/usr/bin/env python3
"""Compare ProbeDB's stored EVALUATE / RANK results with paper_pipeline.py's JSON.

    python3 scripts/compare_reference.py RESULT.json PROBEDB.db [--top 20]

Checks, per emotion: every outer fold's F1 and chosen C (identical), mean F1 (identical),
eGeMAPS and embedding SHAP importance (within 1e-6 relative) and the top-N rankings (identical).
Uses the latest EVALUATE and RANK runs for each emotion. Exit status 1 on any mismatch.
"""
import json
import sqlite3
import sys


def main():
    ref = json.load(open(sys.argv[1]))
    db = sqlite3.connect(sys.argv[2])
    top = int(sys.argv[sys.argv.index("--top") + 1]) if "--top" in sys.argv else 20
    bad = 0

    def check(ok, what):
        nonlocal bad
        if not ok:
            bad += 1
            print("MISMATCH", what)

    for e, r in ref["emotions"].items():
        for rep, key in (("egemaps", "egemaps_classification"), ("emb", "embedding_classification_all_dims")):
            rows = db.execute(
                "SELECT fold, c, f1 FROM evaluations WHERE emotion = ? AND representation = ? AND run_id = "
                "(SELECT max(e.run_id) FROM evaluations e JOIN runs USING (run_id) WHERE e.emotion = ? AND e.representation = ? AND runs.statement LIKE 'EVALUATE%') ORDER BY fold",
                (e, rep, e, rep)).fetchall()
            want = r[key]
            check([x[2] for x in rows] == want["fold_f1"], f"{e} {rep} fold F1 {[x[2] for x in rows]} vs {want['fold_f1']}")
            check([x[1] for x in rows] == want["fold_C"], f"{e} {rep} fold C {[x[1] for x in rows]} vs {want['fold_C']}")
            mean = 0.0
            for x in rows:
                mean += x[2]
            mean /= max(len(rows), 1)
            check(mean == want["f1_mean"], f"{e} {rep} mean F1 {mean!r} vs {want['f1_mean']!r}")
        for rep, key, names in (("emb", "embedding_shap", None), ("egemaps", "egemaps_shap", ref["feature_names"])):
            rows = db.execute(
                "SELECT rank, dim, feature, mean_abs_shap FROM shap_importance WHERE emotion = ? AND representation = ? AND run_id = "
                "(SELECT max(run_id) FROM shap_importance WHERE emotion = ? AND representation = ?) ORDER BY rank",
                (e, rep, e, rep)).fetchall()
            imp = r[key]["mean_abs_shap"]
            if names is None:
                got_rank = [x[1] for x in rows]
                want_rank = r[key]["ranking"]
                got_imp = {x[1]: x[3] for x in rows}
                pairs = [(got_imp.get(j), imp[j]) for j in range(len(imp))]
            else:
                got_rank = [x[2] for x in rows]
                want_rank = r[key]["ranking"]
                got_imp = {x[2]: x[3] for x in rows}
                pairs = [(got_imp.get(n), imp[j]) for j, n in enumerate(names)]
            check(got_rank[:top] == want_rank[:top], f"{e} {rep} top-{top} ranking")
            worst = max(abs(a - b) / abs(b) if b else abs(a) for a, b in pairs if a is not None) if pairs else 0
            check(all(a is not None for a, _ in pairs) and worst <= 1e-6, f"{e} {rep} mean |SHAP| worst relative error {worst:.2e}")
        if "k_star" in r and db.execute("SELECT count(*) FROM probe_results WHERE emotion = ?", (e,)).fetchone()[0]:
            run = db.execute("SELECT max(run_id) FROM probe_results WHERE emotion = ?", (e,)).fetchone()[0]
            sweep = db.execute("SELECT k, f1 FROM topk_sweep WHERE run_id = ? AND emotion = ? ORDER BY k", (run, e)).fetchall()
            if sweep:
                check([x[0] for x in sweep] == r["topk_sweep"]["k"], f"{e} sweep k grid")
                check([x[1] for x in sweep] == r["topk_sweep"]["f1_mean"], f"{e} sweep F1 {[x[1] for x in sweep]} vs {r['topk_sweep']['f1_mean']}")
            kk = db.execute("SELECT DISTINCT k FROM probe_results WHERE run_id = ? AND emotion = ?", (run, e)).fetchall()
            check(kk == [(r["k_star"],)], f"{e} k* {kk} vs {r['k_star']}")
            got = {x[0]: x[1:] for x in db.execute(
                "SELECT feature, rmse_top, rmse_all, r2_top, r2_all, information_increase FROM probe_results WHERE run_id = ? AND emotion = ?", (run, e))}
            worst = 0.0
            for pf in r["ridge"]["per_feature"]:
                g = got.get(pf["feature"])
                if g is None:
                    continue
                for a, b in zip(g, (pf["rmse_top"], pf["rmse_all"], pf["r2_top"], pf["r2_all"], pf["information_increase"])):
                    worst = max(worst, abs(a - b) / abs(b) if b else abs(a))
            check(worst <= 1e-6, f"{e} ridge RMSE/R2/II worst relative error {worst:.2e}")
            summ = {x[0]: x[1:] for x in db.execute(
                "SELECT category, n, median, mean, share_above_1 FROM probe_summary WHERE run_id = ? AND emotion = ?", (run, e))}
            for cat, v in r["information_increase_by_category"].items():
                g = summ.get(cat.lower())
                ok = g is not None and g[0] == v["n"] and g[3] == v["frac_gt_1"] and abs(g[1] - v["median"]) <= 1e-6 * abs(v["median"]) and abs(g[2] - v["mean"]) <= 1e-6 * abs(v["mean"])
                check(ok, f"{e} {cat} summary {g} vs {v}")
            order = [x[0] for x in db.execute("SELECT category FROM probe_summary WHERE run_id = ? AND emotion = ? ORDER BY median DESC", (run, e))]
            check(order == [c.lower() for c in r["category_order_by_median_ii"]], f"{e} category order {order}")
        print(f"{e}: checked")
    print("ALL IDENTICAL" if bad == 0 else f"{bad} MISMATCHES")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
