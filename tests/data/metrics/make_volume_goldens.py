#!/usr/bin/python3
"""Writes the golden 3-D PSNR/SSIM values that tests/tst_metrics.cpp checks.

Generated with Debian 12's python3-skimage 0.19.3 (numpy 1.24, scipy 1.10):

    /usr/bin/python3 tests/data/metrics/make_volume_goldens.py

Each case is a pair of float32 volumes stored raw (x fastest, then y, then z;
numpy shape (z, y, x)) as <name>_ref.f32 and <name>_test.f32, and a row of
golden_volumes.csv: name, nx, ny, nz, data_range, psnr, ssim. SSIM is
structural_similarity on the 3-D arrays with default arguments (7x7x7 window);
a volume thinner than 7 slices, which scikit-image refuses, is scored with the
mean of its slices' 2-D SSIM, as the C++ code documents.
"""

import csv
import pathlib

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

OUT = pathlib.Path(__file__).resolve().parent


def smooth(rng, nz, ny, nx):
    z, y, x = np.mgrid[0:nz, 0:ny, 0:nx].astype(np.float64)
    phase = rng.uniform(0, 2 * np.pi, 3)
    pattern = np.sin(x / 4.0 + phase[0]) + np.cos(y / 5.0 + phase[1]) + 0.7 * np.sin((x + z) / 3.0 + phase[2])
    return (pattern - pattern.min()) / (pattern.max() - pattern.min())


def main():
    rng = np.random.default_rng(11)
    cases = []
    # 12-bit DICOM-like stored values, data range 2^12 - 1.
    ref = np.round(smooth(rng, 16, 20, 24) * 3000 + 100)
    test = np.clip(np.round(ref + rng.normal(0, 60, ref.shape)), 0, 4095)
    cases.append(("dicom12", ref, test, 4095.0))
    # Float NIfTI with negative values: data range = the reference's max - min.
    ref = smooth(rng, 9, 11, 13) * 7.5 - 2.0
    test = ref + rng.normal(0, 0.3, ref.shape)
    cases.append(("float", ref, test, float(ref.max() - ref.min())))
    # Exactly the window's thickness.
    ref = np.round(smooth(rng, 7, 10, 12) * 200)
    test = np.round(ref * 0.9 + rng.normal(0, 5, ref.shape))
    cases.append(("seven", ref, test, 255.0))
    # Thinner than the window: mean of 2-D SSIMs.
    ref = np.round(smooth(rng, 5, 12, 14) * 60000)
    test = np.clip(np.round(ref + rng.normal(0, 900, ref.shape)), 0, 65535)
    cases.append(("thin", ref, test, 65535.0))
    # Identical volumes: PSNR infinite, SSIM 1.
    ref = np.round(smooth(rng, 8, 9, 10) * 1000)
    cases.append(("identical", ref, ref.copy(), 4095.0))

    with open(OUT / "golden_volumes.csv", "w", newline="") as table:
        writer = csv.writer(table)
        writer.writerow(["name", "nx", "ny", "nz", "data_range", "psnr", "ssim"])
        for name, ref, test, data_range in cases:
            ref = ref.astype(np.float32)
            test = test.astype(np.float32)
            ref.tofile(OUT / f"{name}_ref.f32")
            test.tofile(OUT / f"{name}_test.f32")
            r = ref.astype(np.float64)
            t = test.astype(np.float64)
            with np.errstate(divide="ignore"):
                psnr = peak_signal_noise_ratio(r, t, data_range=data_range)
            if r.shape[0] >= 7:
                ssim = structural_similarity(r, t, data_range=data_range)
            else:
                ssim = float(np.mean([structural_similarity(r[k], t[k], data_range=data_range)
                                      for k in range(r.shape[0])]))
            nz, ny, nx = r.shape
            writer.writerow([name, nx, ny, nz, repr(data_range), repr(float(psnr)), repr(float(ssim))])


if __name__ == "__main__":
    main()
