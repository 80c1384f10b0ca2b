#!/usr/bin/python3
"""Issue 22: the self-check calibrated on 2-D slices, every noise model, three seeds.

self_check_calibration.py does volumes; this does what a user of a folder of
slices sees: every row of the metrics CSV is one slice, checked on its own.
For each noise model and seed S (the noise's seed and the training's):
  mri-enhance demo-dataset --out CASE --slices N --sigma L --noise NOISE --seed S
  mri-enhance train --dataset CASE --model CASE/model.pt --seed S   (defaults)
  mri-enhance enhance ...                                          -> "ours"
and results made bad on purpose, per slice:
  identity        the noisy slice itself
  gaussian-1, -2  the noisy slice Gaussian-blurred (sigma 1 and 2 pixels)
  ours-blurred    ours blurred (sigma 1.5): signal removed
  ours-darker     ours times 0.7
  other-model     enhanced with the model of the partner case (another noise
                  level or model), same seed
  cut-short       a model trained for --max-seconds 20 (seed 1 only)
  floor-off       a model trained with --set rician_correction=false (seed 1 only)
Each result is checked by `mri-enhance check NOISY RESULT` (no ground truth)
and scored against the clean slice (scikit-image PSNR and SSIM, data_range
255; tissue bias as as_user_volumes.py: mean of result - clean over the
pixels brighter than a tenth of the clean maximum, over their clean mean).

  /usr/bin/python3 benchmarks/self_check_slices.py --work /tmp/selfcheck2d \\
      --csv benchmarks/results/issue22-self-check-slices.csv --markdown benchmarks/results/issue22-self-check-slices.md
"""
import argparse
import csv
import os
import sys
import time

import numpy as np
from scipy import ndimage
from scipy.stats import spearmanr
from skimage import io

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from as_user_volumes import DEFAULT_PROGRAM, score  # noqa: E402
from self_check_calibration import check, run  # noqa: E402

# (noise, level, partner case whose model is the "other-model")
CASES = [
    ("rician", 0.05, "rician-10"), ("rician", 0.10, "rician-5"), ("chi:8", 0.05, "rician-5"),
    ("rician+correlated:1", 0.10, "rician-10"), ("rician+zerofill:2", 0.05, "rician-5"),
    ("rician+sense:2", 0.10, "rician-10"),
]


def case_name(noise, level):
    return f"{noise.replace(':', '').replace('+', '-')}-{int(round(level * 100))}"


def train(program, folder, model, seed, extra=()):
    if not os.path.exists(model):
        started = time.time()
        run([program, "train", "--dataset", folder, "--model", model, "--seed", str(seed), "--quiet", *extra])
        print(f"  trained {os.path.basename(model)} in {time.time() - started:.0f} s", flush=True)
    return model


def enhance(program, folder, model, tag):
    """Path of each row's result, in the dataset's row order."""
    out_dir = os.path.join(folder, f"enhanced-{tag}")
    csv_out = os.path.join(folder, f"metrics-{tag}.csv")
    if not os.path.exists(csv_out):
        run([program, "enhance", "--dataset", folder, "--model", model, "--out-dir", out_dir, "--csv-out", csv_out,
             "--quiet"])
    with open(csv_out) as handle:
        rows = list(csv.DictReader(handle))
    return [r["enhanced_image_path"] if os.path.isabs(r["enhanced_image_path"])
            else os.path.join(folder, r["enhanced_image_path"]) for r in rows], rows


def save(array, path):
    io.imsave(path, np.clip(np.round(array), 0, 255).astype(np.uint8), check_contrast=False)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", default="/tmp/selfcheck2d")
    parser.add_argument("--program", default=DEFAULT_PROGRAM)
    parser.add_argument("--slices", type=int, default=16)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--case", action="append", help="only these cases (names as in the table)")
    parser.add_argument("--extras-seed", type=int, help="the seed that also gets cut-short and floor-off (default: "
                        "the first of --seeds; 0: none), so that seeds can run in parallel processes")
    parser.add_argument("--from-csv", nargs="+", help="no runs: the report of these CSVs (parallel runs joined)")
    parser.add_argument("--csv")
    parser.add_argument("--markdown")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    extras_seed = seeds[0] if args.extras_seed is None else args.extras_seed
    if args.from_csv:
        report(read_rows(args.from_csv), args)
        return

    cases = [(seed, noise, level, partner) for seed in seeds for noise, level, partner in CASES
             if not args.case or case_name(noise, level) in args.case]
    for seed, noise, level, _ in cases:  # every model first: a case's partner may come later
        folder = os.path.join(args.work, f"{case_name(noise, level)}-seed{seed}")
        if not os.path.exists(os.path.join(folder, "brain_tumor_info.csv")):
            run([args.program, "demo-dataset", "--out", folder, "--slices", str(args.slices), "--sigma",
                 str(level), "--noise", noise, "--seed", str(seed), "--quiet"])
        print(f"{case_name(noise, level)} seed {seed}", flush=True)
        train(args.program, folder, os.path.join(folder, "model.pt"), seed)

    rows = []
    for seed, noise, level, partner in cases:
        name = case_name(noise, level)
        folder = os.path.join(args.work, f"{name}-seed{seed}")
        print(f"{name} seed {seed}", flush=True)
        model = os.path.join(folder, "model.pt")
        ours, dataset_rows = enhance(args.program, folder, model, "ours")
        variants = {"ours": ours}
        partner_model = os.path.join(args.work, f"{partner}-seed{seed}", "model.pt")
        if os.path.exists(partner_model):
            variants["other-model"] = enhance(args.program, folder, partner_model, "other-model")[0]
        if seed == extras_seed:
            short = train(args.program, folder, os.path.join(folder, "model-cut-short.pt"), seed,
                          ["--max-seconds", "20"])
            variants["cut-short"] = enhance(args.program, folder, short, "cut-short")[0]
            floor_off = train(args.program, folder, os.path.join(folder, "model-floor-off.pt"), seed,
                              ["--set", "rician_correction=false"])
            variants["floor-off"] = enhance(args.program, folder, floor_off, "floor-off")[0]
        made = os.path.join(folder, "made")
        os.makedirs(made, exist_ok=True)
        for index, row in enumerate(dataset_rows):
            noisy_path = os.path.join(folder, row["image_path"])
            clean = io.imread(os.path.join(folder, row["clean_image_path"])).astype(np.float64)
            noisy = io.imread(noisy_path).astype(np.float64)
            mine = io.imread(ours[index]).astype(np.float64)
            stem = os.path.splitext(os.path.basename(row["image_path"]))[0]
            results = {"identity": noisy_path, **{tag: paths[index] for tag, paths in variants.items()}}
            for tag, array in (("gaussian-1", ndimage.gaussian_filter(noisy, 1)),
                               ("gaussian-2", ndimage.gaussian_filter(noisy, 2)),
                               ("ours-blurred", ndimage.gaussian_filter(mine, 1.5)),
                               ("ours-darker", 0.7 * mine)):
                results[tag] = save(array, os.path.join(made, f"{stem}-{tag}.png"))
            noisy_score = score(noisy, clean)
            for method, path in results.items():
                truth = score(io.imread(path), clean)
                fields = check(args.program, noisy_path, path)
                rows.append({"case": name, "seed": seed, "slice": stem, "method": method,
                             "true PSNR": truth["PSNR"], "true SSIM": truth["SSIM"],
                             "true gain dB": truth["PSNR"] - noisy_score["PSNR"],
                             "true tissue bias %": truth["tissue bias %"], **fields})
        for method in results:
            mine = [r for r in rows if r["case"] == name and r["seed"] == seed and r["method"] == method]
            print(f"  {method:13s} true gain {np.mean([r['true gain dB'] for r in mine]):6.2f} "
                  f"est {np.nanmean([float(r.get('estimated_gain_dB') or 'nan') for r in mine]):6.2f} "
                  f"bias {np.mean([r['true tissue bias %'] for r in mine]):6.2f} verdicts "
                  + " ".join(f"{v}:{sum(r.get('verdict') == v for r in mine)}" for v in ("ok", "check", "suspect")),
                  flush=True)

    if rows:
        report(rows, args)


def read_rows(paths):
    rows = []
    for path in paths:
        with open(path) as handle:
            for row in csv.DictReader(handle):
                for key in ("true PSNR", "true SSIM", "true gain dB", "true tissue bias %"):
                    row[key] = float(row[key])
                row["seed"] = int(row["seed"])
                rows.append(row)
    return rows


def report(rows, args):
    summary = summarize(rows)
    print(summary)
    if args.csv:
        with open(args.csv, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(dict.fromkeys(k for r in rows for k in r)),
                                    extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
    if args.markdown:
        write_markdown(args.markdown, rows, summary)


def summarize(rows):
    must_suspect = [r for r in rows if r["true gain dB"] < 0 or abs(r["true tissue bias %"]) > 5]
    must_ok = [r for r in rows if r["true gain dB"] >= 3 and abs(r["true tissue bias %"]) < 2]
    estimated = [float(r.get("estimated_gain_dB") or "nan") for r in rows]
    rho = spearmanr(estimated, [r["true gain dB"] for r in rows], nan_policy="omit").correlation
    return (f"{len(rows)} results (slices). Spearman rank correlation of estimated_gain_dB with the true PSNR gain: "
            f"{rho:.3f}. Below the input or tissue bias beyond 5 %: {len(must_suspect)}, of which "
            f"{sum(r.get('verdict') == 'suspect' for r in must_suspect)} marked suspect. Gain >= 3 dB with tissue "
            f"bias under 2 %: {len(must_ok)}, of which {sum(r.get('verdict') == 'ok' for r in must_ok)} marked ok.")


def write_markdown(path, rows, summary):
    """One line per case, seed and method (means over the slices), then every miss in full."""
    lines = [f"`{' '.join(sys.argv)}`\n", summary, "",
             "| case | seed | method | slices | true gain dB | estimated gain dB | true tissue bias % | ok | check | suspect |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    groups = {}
    for r in rows:
        groups.setdefault((r["case"], r["seed"], r["method"]), []).append(r)
    for (case, seed, method), group in groups.items():
        estimated = np.nanmean([float(r.get("estimated_gain_dB") or "nan") for r in group])
        lines.append(f"| {case} | {seed} | {method} | {len(group)} | "
                     f"{np.mean([r['true gain dB'] for r in group]):.2f} | {estimated:.2f} | "
                     f"{np.mean([r['true tissue bias %'] for r in group]):.2f} | "
                     + " | ".join(str(sum(r.get("verdict") == v for r in group)) for v in ("ok", "check", "suspect"))
                     + " |")
    misses = [r for r in rows if ((r["true gain dB"] < 0 or abs(r["true tissue bias %"]) > 5)
                                  and r.get("verdict") != "suspect")
              or (r["true gain dB"] >= 3 and abs(r["true tissue bias %"]) < 2 and r.get("verdict") != "ok")]
    lines += ["", f"Misses ({len(misses)}):", "",
              "| case | seed | slice | method | true gain dB | true tissue bias % | estimated gain dB | verdict | reason |",
              "|---|---|---|---|---:|---:|---:|---|---|"]
    for r in misses:
        lines.append(f"| {r['case']} | {r['seed']} | {r['slice']} | {r['method']} | {r['true gain dB']:.2f} | "
                     f"{r['true tissue bias %']:.2f} | {r.get('estimated_gain_dB', '')} | {r.get('verdict', '')} | "
                     f"{r.get('verdict_reason', '')} |")
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
