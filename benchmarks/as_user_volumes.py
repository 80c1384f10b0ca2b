#!/usr/bin/python3
"""Issue 21: denoising whole volumes as a user works, beside DIPY's nlmeans.

For every volume, noise model, level and seed: the clean template (scaled to
0..255) gets noise (this script's own numpy generator, independent of the
program's), is written as one uint8 NIfTI file in a dataset folder of its own,
then
  - ours: `mri-enhance train --dataset D --model M --seed S` (the defaults, as a
    user runs it; --epochs/--set only when given here), then `mri-enhance
    enhance`; training and enhancing timed;
  - DIPY: `nlmeans(noisy, sigma, rician=True)` given the true sigma (with
    sense:R the true noise map, sigma times the g-factor map, which nlmeans
    takes as an array) and given its own `estimate_sigma(noisy, N=coils)`
    (seeds do not change DIPY: run once);
  - the noisy input itself.
Scored on the whole volume against the clean one with scikit-image
(peak_signal_noise_ratio and 3-D structural_similarity, data_range 255), and
inside the tissue (clean > 10 % of its maximum): the tissue bias (mean of
result - clean over the mean clean value) and the share of tissue voxels
erased (result below a quarter of the clean value).

  /usr/bin/python3 benchmarks/as_user_volumes.py --volume inia19 --noise rician \
      --level 0.05 --seeds 1 2 3 --markdown benchmarks/results/issue21-inia19.md

With --results CSV every row is appended to CSV as it is measured, with the
commit it was measured on, and a row already there for that commit is not
measured again: a grid of cells can be filled over several runs (the last
row of a cell for a commit counts).

Noise (sigma = level x 255 per real/imaginary channel, on every 2-D axial slice):
  rician          sqrt((x + n_re)^2 + n_im^2)
  chi:N           sqrt(sum_c (x/sqrt(N) + n_re,c)^2 + n_im,c^2), N coils
  zerofill:F      (with rician or chi) each complex noise field drawn on the
                  acquired grid (ceil(H/F) x ceil(W/F)), its k-space zero-padded
                  to H x W and transformed back, scaled to keep std sigma: the
                  correlation of a zero-filled acquisition; the clean image is
                  not filtered (the truth the result is scored against).
  sense:R         the noise std times the program's g-factor map
                  (senseGFactorMap(): 1 at the edges of the field of view,
                  1 + 0.25 (R - 1) in its middle).
Parts join with '+', e.g. chi:8+zerofill:2.
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import time

import nibabel as nib
import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

VOLUMES = {
    "inia19": "/usr/share/mricron/templates/inia19-t1-brain.nii.gz",
    "ch2": "/usr/share/mricron/templates/ch2.nii.gz",
}
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PROGRAM = os.path.join(HERE, "..", "build", "app", "mri-enhance")


def parse_noise(text):
    spec = {"coils": 1, "zerofill": 1, "sense": 1.0}
    for part in text.lower().split("+"):
        name, _, value = part.partition(":")
        if name == "rician":
            spec["coils"] = 1
        elif name == "chi":
            spec["coils"] = int(value)
        elif name == "zerofill":
            spec["zerofill"] = int(value)
        elif name == "sense":
            spec["sense"] = float(value)
        else:
            raise SystemExit(f"unknown noise part '{part}'")
    return spec


def sense_g_map(rows, columns, acceleration):
    # As the program's senseGFactorMap(): 1 + (gmax - 1) sin^2(pi r/(H-1)) sin^2(pi c/(W-1)), gmax = 1 + 0.25 (R - 1).
    if acceleration <= 1:
        return np.ones((rows, columns))
    peak = 1.0 + 0.25 * (acceleration - 1)
    hann = lambda n: np.sin(np.pi * np.arange(n) / max(n - 1, 1)) ** 2
    return 1.0 + (peak - 1.0) * np.outer(hann(rows), hann(columns))


def noise_field(rng, rows, columns, sigma, zerofill):
    if zerofill <= 1:
        return rng.normal(0.0, sigma, (rows, columns))
    coarse_rows, coarse_columns = math.ceil(rows / zerofill), math.ceil(columns / zerofill)
    coarse = rng.normal(0.0, 1.0, (coarse_rows, coarse_columns)) + 1j * rng.normal(0.0, 1.0, (coarse_rows, coarse_columns))
    k = np.fft.fftshift(np.fft.fft2(coarse))
    padded = np.zeros((rows, columns), dtype=complex)
    top, left = (rows - coarse_rows) // 2, (columns - coarse_columns) // 2
    padded[top:top + coarse_rows, left:left + coarse_columns] = k
    field = np.fft.ifft2(np.fft.ifftshift(padded))
    # Two independent real fields (real and imaginary parts), each scaled to std sigma.
    return field.real / field.real.std() * sigma, field.imag / field.imag.std() * sigma


def add_noise(clean, spec, sigma, seed):
    rng = np.random.default_rng(seed)
    noisy = np.empty_like(clean, dtype=np.float64)
    coils = spec["coils"]
    for z in range(clean.shape[2]):
        x = clean[:, :, z].astype(np.float64)
        rows, columns = x.shape
        g = sense_g_map(rows, columns, spec["sense"])
        total = np.zeros_like(x)
        pending = []
        for _ in range(coils):
            if spec["zerofill"] > 1:
                if not pending:
                    pending = list(noise_field(rng, rows, columns, sigma, spec["zerofill"]))
                re = pending.pop()
                if not pending:
                    pending = list(noise_field(rng, rows, columns, sigma, spec["zerofill"]))
                im = pending.pop()
            else:
                re = rng.normal(0.0, sigma, x.shape)
                im = rng.normal(0.0, sigma, x.shape)
            total += (x / math.sqrt(coils) + g * re) ** 2 + (g * im) ** 2
        noisy[:, :, z] = np.sqrt(total)
    return noisy


def score(result, clean):
    result = np.clip(result.astype(np.float64), 0, 255)
    psnr = peak_signal_noise_ratio(clean, result, data_range=255)
    ssim = structural_similarity(clean, result, data_range=255)
    tissue = clean > 0.1 * clean.max()
    bias = float((result[tissue] - clean[tissue]).mean() / clean[tissue].mean())
    erased = float((result[tissue] < 0.25 * clean[tissue]).mean())
    background = float(result[~tissue].mean())
    return {"PSNR": psnr, "SSIM": ssim, "tissue bias %": 100 * bias, "erased %": 100 * erased,
            "background mean": background}


def run(command, log):
    started = time.time()
    with open(log, "a") as out:
        out.write("$ " + " ".join(command) + "\n")
        out.flush()
        subprocess.run(command, check=True, stdout=out, stderr=subprocess.STDOUT)
    return time.time() - started


def ours(program, folder, seed, extra, log):
    model = os.path.join(folder, f"model-seed{seed}.pt")
    train_s = run([program, "train", "--dataset", folder, "--model", model, "--seed", str(seed)] + extra, log)
    csv_out = os.path.join(folder, f"metrics-seed{seed}.csv")
    out_dir = os.path.join(folder, f"enhanced-seed{seed}")
    enhance_s = run([program, "enhance", "--dataset", folder, "--model", model, "--out-dir", out_dir,
                     "--csv-out", csv_out], log)
    with open(csv_out) as handle:
        row = next(csv.DictReader(handle))
    path = row["enhanced_image_path"]
    if not os.path.isabs(path):
        path = os.path.join(folder, path)
    return np.asarray(nib.load(path).dataobj, dtype=np.float64), train_s, enhance_s


def code_version():
    """The commit of this checkout, with '+changes' when files differ from it."""
    try:
        commit = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], check=True,
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", HERE, "status", "--porcelain", "--untracked-files=no"], check=True,
                               capture_output=True, text=True).stdout.strip()
        return commit + ("+changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


RESULT_COLUMNS = ["commit", "volume", "noise", "level %", "method", "PSNR", "SSIM", "tissue bias %", "erased %",
                  "background mean", "seconds", "train s"]


def row_key(row):
    return (row["volume"], row["noise"], f"{float(row['level %']):g}", row["method"])


def done_rows(path, commit):
    """Rows of `path` measured on `commit` (DIPY's and the noisy input's on any commit: they do not change)."""
    if not os.path.exists(path):
        return {}
    def typed(row):
        for column in RESULT_COLUMNS[5:]:
            row[column] = float(row[column]) if row.get(column) else ""
        return row

    with open(path) as handle:
        return {row_key(row): typed(row) for row in csv.DictReader(handle)
                if row["commit"] == commit or not row["method"].startswith("ours")}


def append_row(path, row):
    fresh = not os.path.exists(path)
    with open(path, "a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=RESULT_COLUMNS, extrasaction="ignore")
        if fresh:
            writer.writeheader()
        writer.writerow(row)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--volume", choices=sorted(VOLUMES), action="append", required=True)
    parser.add_argument("--noise", action="append", required=True)
    parser.add_argument("--level", type=float, action="append", required=True, help="sigma as a fraction of 255")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--noise-seed", type=int, default=1000, help="the noise's own seed (the same for every training seed)")
    parser.add_argument("--program", default=DEFAULT_PROGRAM)
    parser.add_argument("--work", default="/tmp/as_user_volumes")
    parser.add_argument("--train-arg", action="append", default=[], help="extra argument for train, e.g. --train-arg=--epochs=3")
    parser.add_argument("--skip-dipy", action="store_true")
    parser.add_argument("--markdown", help="write the table here too")
    parser.add_argument("--results", help="append each row to this CSV; rows already there for this commit are skipped")
    args = parser.parse_args()
    commit = code_version()
    done = done_rows(args.results, commit) if args.results else {}

    rows = []
    os.makedirs(args.work, exist_ok=True)
    log = os.path.join(args.work, "commands.log")
    for volume_name in args.volume:
        image = nib.load(VOLUMES[volume_name])
        data = np.asarray(image.dataobj, dtype=np.float64)
        clean = np.round(255 * (data - data.min()) / (data.max() - data.min()))
        for noise in args.noise:
            spec = parse_noise(noise)
            for level in args.level:
                sigma = level * 255
                case = f"{volume_name}-{noise.replace(':', '').replace('+', '-')}-{int(round(level * 100))}"
                folder = os.path.join(args.work, case)
                os.makedirs(folder, exist_ok=True)
                noisy = add_noise(clean, spec, sigma, args.noise_seed)
                noisy8 = np.clip(np.round(noisy), 0, 255).astype(np.uint8)
                nib.save(nib.Nifti1Image(noisy8, image.affine), os.path.join(folder, "noisy.nii.gz"))
                with open(os.path.join(folder, "brain_tumor_info.csv"), "w") as handle:
                    handle.write("patient_id,image_path\nP1,noisy.nii.gz\n")
                where = {"commit": commit, "volume": volume_name, "noise": noise, "level %": round(level * 100, 2)}

                def have(method):
                    key = row_key({**where, "method": method})
                    if key in done:
                        rows.append(done[key])
                        print("already measured:", json.dumps(done[key]), flush=True)
                    return key in done

                def record(row):
                    rows.append(row)
                    print(json.dumps(row), flush=True)
                    if args.results:
                        append_row(args.results, row)

                if not have("noisy"):
                    record({**where, "method": "noisy", **score(noisy8, clean)})
                dipy_labels = ("dipy-nlmeans true sigma", "dipy-nlmeans estimated sigma")
                if not args.skip_dipy and not all(have(label) for label in dipy_labels):
                    from dipy.denoise.nlmeans import nlmeans
                    from dipy.denoise.noise_estimate import estimate_sigma
                    truth = sigma
                    if spec["sense"] > 1:  # the true noise map: sigma times the g-factor map on every slice
                        g = sense_g_map(clean.shape[0], clean.shape[1], spec["sense"])
                        truth = np.repeat((sigma * g)[:, :, None], clean.shape[2], axis=2)
                    for label, given in (("dipy-nlmeans true sigma", truth), ("dipy-nlmeans estimated sigma", None)):
                        started = time.time()
                        s = given if given is not None else estimate_sigma(noisy8.astype(np.float64), N=spec["coils"])
                        result = nlmeans(noisy8.astype(np.float64), sigma=s, rician=True)
                        seconds = time.time() - started
                        record({**where, "method": label, **score(result, clean), "seconds": round(seconds, 1)})
                for seed in args.seeds:
                    if have(f"ours seed {seed}"):
                        continue
                    result, train_s, enhance_s = ours(args.program, folder, seed, args.train_arg, log)
                    record({**where, "method": f"ours seed {seed}", **score(result, clean),
                            "seconds": round(train_s + enhance_s, 1), "train s": round(train_s, 1)})

    columns = ["volume", "noise", "level %", "method", "PSNR", "SSIM", "tissue bias %", "erased %", "background mean",
               "seconds"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column, "")
            cells.append(f"{value:.3f}" if column == "SSIM" and value != "" else
                         f"{value:.2f}" if isinstance(value, float) else str(value))
        lines.append("| " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        with open(args.markdown, "w") as handle:
            handle.write(f"`{' '.join(sys.argv)}`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
                         f"{os.cpu_count()} cores\n\n{table}\n")


if __name__ == "__main__":
    main()
