#!/usr/bin/python3
"""Issue 22: calibrating the self-check (`mri-enhance check`) against ground truth.

For every case (a clean template with noise from as_user_volumes.py's generator,
noise seed 1000) the script makes results that got better and results made bad
on purpose, runs `mri-enhance check NOISY RESULT` on each (no ground truth), and
scores each against the clean volume (scikit-image PSNR and 3-D SSIM, tissue
bias as as_user_volumes.py scores it). Results:
  ours            `mri-enhance enhance` with the case's own model (trained as a
                  user does, `train --seed 1`, when CASE/model-seed1.pt is missing)
  ours-one-level  the same with --no-noise-map (sense:R cases only)
  other-model     enhanced with the model of another case (PARTNERS below)
  floor-kept      the network's prediction with the floor removal off
                  (build/benchmarks/raw_prediction)
  cut-short       a model trained for --max-seconds 30 (with --cut-short)
  ours-blurred    ours, Gaussian-blurred (sigma 1.5 voxels): signal removed
  ours-darker     ours times 0.7: tissue 30 % darker
  identity        the noisy input itself
  gaussian-1, -2  the noisy input Gaussian-blurred (sigma 1 and 2 voxels)
  dipy-true, dipy-estimated  DIPY nlmeans, Rician (with --dipy; slow)
With --held-out: the cases of HELD_OUT instead, not used to choose the
thresholds, enhanced with the model of another case (PARTNERS) as "ours".

Writes a CSV and a markdown table with the rank correlation (Spearman) of the
estimated gain with the true PSNR gain, and how the verdict sorts the results
the issue names: 'suspect' wanted for every result below its input's PSNR or
with a tissue bias beyond 5 %, 'ok' for every result gaining >= 3 dB with a
tissue bias under 2 %.

  /usr/bin/python3 benchmarks/self_check_calibration.py --work /tmp/selfcheck \\
      --csv benchmarks/results/issue22-self-check.csv --markdown benchmarks/results/issue22-self-check.md
"""
import argparse
import csv
import os
import subprocess
import sys

import nibabel as nib
import numpy as np
from scipy import ndimage
from scipy.stats import spearmanr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from as_user_volumes import DEFAULT_PROGRAM, VOLUMES, add_noise, parse_noise, score  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RAW_PREDICTION = os.path.join(HERE, "..", "build", "benchmarks", "raw_prediction")
CASES = [
    ("inia19", "rician", 0.05), ("inia19", "rician", 0.10), ("inia19", "rician+zerofill:2", 0.05),
    ("inia19", "rician+sense:2", 0.05), ("inia19", "rician+sense:2", 0.10),
    ("ch2", "rician", 0.05), ("ch2", "rician+sense:2", 0.05),
]
# Held out: cases not used to choose the thresholds, enhanced with the model
# of another case (no training of their own): other levels, coils, volumes.
HELD_OUT = [("inia19", "rician", 0.03), ("inia19", "chi:8", 0.05), ("ch2", "rician", 0.10),
            ("ch2", "rician+zerofill:2", 0.05)]
# The model each case is also enhanced with: trained on another noise level or volume.
PARTNERS = {
    "inia19-rician-5": "inia19-rician-10", "inia19-rician-10": "inia19-rician-5",
    "inia19-rician-zerofill2-5": "inia19-rician-5", "inia19-rician-sense2-5": "inia19-rician-sense2-10",
    "inia19-rician-sense2-10": "inia19-rician-sense2-5", "ch2-rician-5": "inia19-rician-5",
    "ch2-rician-sense2-5": "inia19-rician-sense2-5",
    # held out: their "ours" is this model
    "inia19-rician-3": "inia19-rician-5", "inia19-chi8-5": "inia19-rician-5", "ch2-rician-10": "ch2-rician-5",
    "ch2-rician-zerofill2-5": "ch2-rician-5",
}


def case_name(volume, noise, level):
    return f"{volume}-{noise.replace(':', '').replace('+', '-')}-{int(round(level * 100))}"


def run(command):
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def enhance(program, folder, model, tag, extra=()):
    out_dir = os.path.join(folder, f"enhanced-{tag}")
    csv_out = os.path.join(folder, f"metrics-{tag}.csv")
    if not os.path.exists(csv_out):  # a rerun (after changing the check) reuses the results
        run([program, "enhance", "--dataset", folder, "--model", model, "--out-dir", out_dir, "--csv-out", csv_out,
             "--quiet", *extra])
    with open(csv_out) as handle:
        path = next(csv.DictReader(handle))["enhanced_image_path"]
    return path if os.path.isabs(path) else os.path.join(folder, path)


def check(program, noisy_path, result_path):
    out = subprocess.run([program, "check", noisy_path, result_path], capture_output=True, text=True)
    fields = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    if out.returncode != 0:  # not checked: say why in the table
        fields.setdefault("verdict_reason", out.stderr.strip() or f"check exited {out.returncode}")
    return fields


def save(array, like, path):
    nib.save(nib.Nifti1Image(array.astype(np.float32), like.affine), path)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", default="/tmp/selfcheck")
    parser.add_argument("--program", default=DEFAULT_PROGRAM)
    parser.add_argument("--case", action="append", help="only these cases (names as in the table)")
    parser.add_argument("--dipy", action="store_true", help="also DIPY nlmeans, true and estimated sigma")
    parser.add_argument("--cut-short", action="store_true", help="also a model trained for 30 s")
    parser.add_argument("--held-out", action="store_true", help="the held-out cases only")
    parser.add_argument("--csv")
    parser.add_argument("--markdown")
    args = parser.parse_args()

    rows = []
    for volume, noise, level in (HELD_OUT if args.held_out else CASES):
        name = case_name(volume, noise, level)
        if args.case and name not in args.case:
            continue
        folder = os.path.join(args.work, name)
        os.makedirs(folder, exist_ok=True)
        image = nib.load(VOLUMES[volume])
        data = np.asarray(image.dataobj, dtype=np.float64)
        clean = np.round(255 * (data - data.min()) / (data.max() - data.min()))
        spec = parse_noise(noise)
        noisy_path = os.path.join(folder, "noisy.nii.gz")
        noisy8 = np.clip(np.round(add_noise(clean, spec, level * 255, 1000)), 0, 255).astype(np.uint8)
        nib.save(nib.Nifti1Image(noisy8, image.affine), noisy_path)
        with open(os.path.join(folder, "brain_tumor_info.csv"), "w") as handle:
            handle.write("patient_id,image_path\nP1,noisy.nii.gz\n")
        model = os.path.join(folder, "model-seed1.pt")
        if args.held_out:
            model = os.path.join(args.work, PARTNERS[name], "model-seed1.pt")
        elif not os.path.exists(model):
            run([args.program, "train", "--dataset", folder, "--model", model, "--seed", "1", "--quiet"])

        results = {"identity": noisy_path}
        ours_path = enhance(args.program, folder, model, "ours")
        results["ours"] = ours_path
        ours = np.asarray(nib.load(ours_path).dataobj, dtype=np.float64)
        if spec["sense"] > 1:
            results["ours-one-level"] = enhance(args.program, folder, model, "one-level", ["--no-noise-map"])
        partner = os.path.join(args.work, PARTNERS[name], "model-seed1.pt")
        if os.path.exists(partner) and not args.held_out:
            results["other-model"] = enhance(args.program, folder, partner, "other-model")
        if os.path.exists(RAW_PREDICTION):
            raw = os.path.join(folder, "floor-kept.nii.gz")
            if not os.path.exists(raw):
                run([RAW_PREDICTION, model, noisy_path, raw])
            results["floor-kept"] = raw
        if args.cut_short and not args.held_out:
            short = os.path.join(folder, "model-cut-short.pt")
            if not os.path.exists(short):
                run([args.program, "train", "--dataset", folder, "--model", short, "--seed", "1", "--max-seconds", "30",
                     "--quiet"])
            results["cut-short"] = enhance(args.program, folder, short, "cut-short")
        results["ours-blurred"] = save(ndimage.gaussian_filter(ours, 1.5), image, os.path.join(folder, "ours-blurred.nii.gz"))
        results["ours-darker"] = save(0.7 * ours, image, os.path.join(folder, "ours-darker.nii.gz"))
        for width in (1, 2):
            results[f"gaussian-{width}"] = save(ndimage.gaussian_filter(noisy8.astype(np.float64), width), image,
                                                os.path.join(folder, f"gaussian-{width}.nii.gz"))
        if args.dipy:
            from dipy.denoise.nlmeans import nlmeans
            from dipy.denoise.noise_estimate import estimate_sigma
            sigma = level * 255
            if spec["sense"] > 1:
                from as_user_volumes import sense_g_map
                g = sense_g_map(clean.shape[0], clean.shape[1], spec["sense"])
                sigma = np.repeat((sigma * g)[:, :, None], clean.shape[2], axis=2)
            for label, given in (("dipy-true", sigma), ("dipy-estimated", None)):
                path = os.path.join(folder, f"{label}.nii.gz")
                if not os.path.exists(path):
                    s = given if given is not None else estimate_sigma(noisy8.astype(np.float64), N=spec["coils"])
                    save(nlmeans(noisy8.astype(np.float64), sigma=s, rician=True), image, path)
                results[label] = path

        noisy_score = score(noisy8, clean)
        for method, path in results.items():
            result = np.asarray(nib.load(path).dataobj, dtype=np.float64)
            truth = score(result, clean)
            fields = check(args.program, noisy_path, path)
            row = {"case": name + (" (held out)" if args.held_out else ""), "method": method, "true PSNR": truth["PSNR"], "true SSIM": truth["SSIM"],
                   "true gain dB": truth["PSNR"] - noisy_score["PSNR"], "true tissue bias %": truth["tissue bias %"],
                   **fields}
            rows.append(row)
            print(name, method, f"gain {row['true gain dB']:.2f} est {fields.get('estimated_gain_dB')} "
                  f"bias {truth['tissue bias %']:.2f} {fields.get('verdict')}: {fields.get('verdict_reason')}", flush=True)

    if not rows:
        return
    must_suspect = [r for r in rows if r["true gain dB"] < 0 or abs(r["true tissue bias %"]) > 5]
    must_ok = [r for r in rows if r["true gain dB"] >= 3 and abs(r["true tissue bias %"]) < 2]
    estimated = [float(r.get("estimated_gain_dB") or "nan") for r in rows]  # not checked: NaN
    rho = spearmanr(estimated, [r["true gain dB"] for r in rows]).correlation
    summary = (f"{len(rows)} results. Spearman rank correlation of estimated_gain_dB with the true PSNR gain: "
               f"{rho:.3f}. Below the input or tissue bias beyond 5 %: {len(must_suspect)}, of which "
               f"{sum(r.get('verdict') == 'suspect' for r in must_suspect)} marked suspect. Gain >= 3 dB with "
               f"tissue bias under 2 %: {len(must_ok)}, of which {sum(r.get('verdict') == 'ok' for r in must_ok)} "
               f"marked ok.")
    print(summary)
    columns = ["case", "method", "true gain dB", "true tissue bias %", "true SSIM", "estimated_gain_dB",
               "residual_to_noise", "residual_edge_correlation", "tissue_bias", "noise_left", "verdict",
               "verdict_reason"]
    if args.csv:
        with open(args.csv, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0].keys()), extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
    if args.markdown:
        lines = [f"`{' '.join(sys.argv)}`\n", summary, "", "| " + " | ".join(columns) + " |",
                 "|" + "---|" * len(columns)]
        for row in rows:
            cells = [f"{row[c]:.2f}" if isinstance(row.get(c), float) else str(row.get(c, "")) for c in columns]
            lines.append("| " + " | ".join(cells) + " |")
        with open(args.markdown, "w") as handle:
            handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
