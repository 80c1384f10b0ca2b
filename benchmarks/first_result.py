#!/usr/bin/python3
"""Issue 21: how soon a user has a result, beside DIPY's nlmeans on the same volume.

One noisy volume (as_user_volumes.py's generator), one `mri-enhance train` run
with the defaults (plus any --train-arg). Every checkpoint the training writes
(one per epoch, renamed into place) is copied as it appears with the seconds
since training began; afterwards each copy is enhanced and scored as a user's
result would be. DIPY nlmeans (true and estimated sigma) runs after the
training, on the same machine, so its time is comparable.

  /usr/bin/python3 benchmarks/first_result.py --volume inia19 --noise rician --level 0.05 --seed 1
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time

import nibabel as nib
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from as_user_volumes import DEFAULT_PROGRAM, VOLUMES, add_noise, parse_noise, score  # noqa: E402


def enhance(program, folder, model, tag):
    csv_out = os.path.join(folder, f"metrics-{tag}.csv")
    out_dir = os.path.join(folder, f"enhanced-{tag}")
    started = time.time()
    subprocess.run([program, "enhance", "--dataset", folder, "--model", model, "--out-dir", out_dir,
                    "--csv-out", csv_out, "--quiet"], check=True)
    seconds = time.time() - started
    with open(csv_out) as handle:
        path = next(csv.DictReader(handle))["enhanced_image_path"]
    if not os.path.isabs(path):
        path = os.path.join(folder, path)
    return np.asarray(nib.load(path).dataobj, dtype=np.float64), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--volume", choices=sorted(VOLUMES), default="inia19")
    parser.add_argument("--noise", default="rician")
    parser.add_argument("--level", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--noise-seed", type=int, default=1000)
    parser.add_argument("--program", default=DEFAULT_PROGRAM)
    parser.add_argument("--work", default="/tmp/first_result")
    parser.add_argument("--train-arg", action="append", default=[])
    parser.add_argument("--skip-dipy", action="store_true")
    args = parser.parse_args()

    image = nib.load(VOLUMES[args.volume])
    data = np.asarray(image.dataobj, dtype=np.float64)
    clean = np.round(255 * (data - data.min()) / (data.max() - data.min()))
    spec = parse_noise(args.noise)
    sigma = args.level * 255
    folder = os.path.join(args.work, f"{args.volume}-{args.noise.replace(':', '').replace('+', '-')}-"
                                     f"{int(round(args.level * 100))}-seed{args.seed}")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    noisy8 = np.clip(np.round(add_noise(clean, spec, sigma, args.noise_seed)), 0, 255).astype(np.uint8)
    nib.save(nib.Nifti1Image(noisy8, image.affine), os.path.join(folder, "noisy.nii.gz"))
    with open(os.path.join(folder, "brain_tumor_info.csv"), "w") as handle:
        handle.write("patient_id,image_path\nP1,noisy.nii.gz\n")
    print(json.dumps({"method": "noisy", **score(noisy8, clean)}), flush=True)

    model = os.path.join(folder, "model.pt")
    snapshots = []
    with open(os.path.join(folder, "train.log"), "w") as log:
        started = time.time()
        training = subprocess.Popen([args.program, "train", "--dataset", folder, "--model", model,
                                     "--seed", str(args.seed), "--verbose"] + args.train_arg,
                                    stdout=log, stderr=subprocess.STDOUT)
        seen = None
        while True:
            finished = training.poll() is not None
            try:
                stamp = os.stat(model).st_mtime_ns
            except FileNotFoundError:
                stamp = None
            if stamp is not None and stamp != seen:
                seen = stamp
                copy = os.path.join(folder, f"snapshot-{len(snapshots) + 1}.pt")
                shutil.copyfile(model, copy)
                snapshots.append((time.time() - started, copy))
            if finished:
                break
            time.sleep(0.5)
        if training.returncode != 0:
            raise SystemExit(f"training failed, see {folder}/train.log")
        train_seconds = time.time() - started

    rows = []
    for elapsed, path in snapshots:
        result, enhance_seconds = enhance(args.program, folder, path, os.path.basename(path)[:-3])
        rows.append({"method": f"ours {os.path.basename(path)[:-3]}", **score(result, clean),
                     "train s": round(elapsed, 1), "enhance s": round(enhance_seconds, 1)})
        print(json.dumps(rows[-1]), flush=True)
    print(json.dumps({"training s": round(train_seconds, 1)}), flush=True)

    if not args.skip_dipy:
        from dipy.denoise.nlmeans import nlmeans
        from dipy.denoise.noise_estimate import estimate_sigma
        for label, given in (("dipy-nlmeans true sigma", sigma), ("dipy-nlmeans estimated sigma", None)):
            started = time.time()
            s = given if given is not None else estimate_sigma(noisy8.astype(np.float64), N=spec["coils"])
            result = nlmeans(noisy8.astype(np.float64), sigma=s, rician=True)
            rows.append({"method": label, **score(result, clean), "seconds": round(time.time() - started, 1)})
            print(json.dumps(rows[-1]), flush=True)


if __name__ == "__main__":
    main()
