#!/usr/bin/python3
"""Writes the golden PSNR/SSIM values that tests/tst_metrics.cpp checks against.

Generated with Debian 12's python3-skimage 0.19.3 (numpy 1.24, scipy 1.10, Pillow 9.4):

    /usr/bin/python3 tests/data/metrics/make_metric_goldens.py

Run it with the system Python, not a pyenv/venv one: the goldens must come from
the scikit-image version the C++ implementation is matched to. It writes small
deterministic image pairs (PNG) and golden.csv into tests/data/metrics/. The
metrics are computed from the PNGs as read back, so they describe exactly the
pixels the test loads.
"""

import csv
import pathlib

import numpy as np
import skimage
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

OUT = pathlib.Path(__file__).resolve().parent


def smooth(rng, height, width, peak):
    """A smooth pattern with some structure, scaled to 0..peak."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    phase = rng.uniform(0, 2 * np.pi, 3)
    pattern = (np.sin(x / 5.0 + phase[0]) + np.cos(y / 7.0 + phase[1])
               + 0.5 * np.sin((x + y) / 3.0 + phase[2]))
    pattern = (pattern - pattern.min()) / (pattern.max() - pattern.min())
    return pattern * peak


def noisy(rng, image, sigma):
    return image + rng.normal(0.0, sigma, image.shape)


def to_depth(image, dtype):
    info = np.iinfo(dtype)
    return np.clip(np.rint(image), info.min, info.max).astype(dtype)


def pairs():
    rng = np.random.default_rng(20240611)
    out = []

    clean = smooth(rng, 48, 64, 255)
    out.append(("smooth8", to_depth(clean, np.uint8), to_depth(noisy(rng, clean, 12.0), np.uint8)))

    clean = smooth(rng, 53, 37, 230) + 10
    out.append(("odd8", to_depth(clean, np.uint8), to_depth(noisy(rng, clean, 25.0), np.uint8)))

    # Heavy noise with clipping at both ends: large local variances.
    clean = smooth(rng, 30, 45, 255)
    out.append(("clipped8", to_depth(clean, np.uint8), to_depth(noisy(rng, clean, 60.0), np.uint8)))

    clean = smooth(rng, 40, 40, 60000) + 2000
    out.append(("u16", to_depth(clean, np.uint16), to_depth(noisy(rng, clean, 1500.0), np.uint16)))

    image = to_depth(smooth(rng, 32, 32, 255), np.uint8)
    out.append(("identical", image, image.copy()))

    constant = np.full((24, 24), 100, np.uint8)
    changed = constant.copy()
    changed[5, 7] = 101
    changed[12, 3] = 99
    changed[20, 20] = 104
    out.append(("constant", constant, changed))

    clean = smooth(rng, 7, 7, 200) + 20
    out.append(("tiny7", to_depth(clean, np.uint8), to_depth(noisy(rng, clean, 10.0), np.uint8)))
    return out


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, reference, test in pairs():
        files = []
        for suffix, image in (("ref", reference), ("test", test)):
            file = OUT / f"{name}_{suffix}.png"
            Image.fromarray(image).save(file)
            # Pillow reads 16-bit PNGs as int32: compare values, keep the written type.
            back = np.asarray(Image.open(file))
            assert np.array_equal(back, image), file
            back = back.astype(image.dtype)
            files.append((file.name, back))
        (ref_name, ref), (test_name, tst) = files
        data_range = float(np.iinfo(ref.dtype).max)
        with np.errstate(divide="ignore"):  # identical images: MSE 0, PSNR inf
            psnr = peak_signal_noise_ratio(ref, tst, data_range=data_range)
        ssim = structural_similarity(ref, tst, data_range=data_range)
        rows.append([ref_name, test_name, repr(data_range), repr(float(psnr)), repr(float(ssim))])

    with open(OUT / "golden.csv", "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["reference", "test", "data_range", "psnr", "ssim"])
        writer.writerows(rows)
    print(f"scikit-image {skimage.__version__}: wrote {len(rows)} pairs to {OUT}")


if __name__ == "__main__":
    main()
