#!/usr/bin/python3
"""Issue 21: the noise-floor removal studied offline on one volume.

  /usr/bin/python3 benchmarks/floor_study.py CLEAN.nii.gz NOISY.nii.gz RAW.nii.gz [--coils 1]

RAW is the network's prediction with the floor left in (build/benchmarks/
raw_prediction). Variants of the floor removal are applied to it in numpy and
scored against CLEAN as benchmarks/as_user_volumes.py scores (whole volume,
scikit-image, data_range 255; tissue bias and erased share inside clean > 10 %
of its maximum):
  raw                the prediction as it is
  point              E[M]^-1 pointwise, sigma per slice
  posterior/slice    the program's posterior (half the prior at 0, half
                     uniform on [0, 20 sigma]; tau = the prediction's MAD in the
                     background), sigma and tau per slice
  posterior/volume   the same, sigma and tau pooled over the volume's background
  spatial            posterior/volume, with the background's prior weight taken
                     from the 5x5 local mean of the prediction (its own measured
                     spread in the background) instead of one half everywhere
  calibrated, tau MAD / tau tail
                     posterior/volume with the floor where the prediction puts
                     it in the background (within 5 %), tau the MAD or the
                     upper tail (the program's choice since issue 21)
  calibrated spatial xK, tau MAD
                     calibrated, with the spatial prior's spread K times the
                     local mean's MAD
"""
import argparse

import nibabel as nib
import numpy as np
from scipy import ndimage, special
from skimage.filters import threshold_otsu
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def chi_mean(a_over_sigma, coils):
    # E[M]/sigma for non-central chi with N coils (N = 1: Rician).
    z = -0.5 * np.square(a_over_sigma)
    return np.sqrt(2) * np.exp(special.gammaln(coils + 0.5) - special.gammaln(coils)) * special.hyp1f1(-0.5, coils, z)


def posterior_table(tau_ratio, coils, zero_weight=0.5):
    a = np.linspace(0, 20, 4001)
    mean = chi_mean(a, coils)
    m = np.linspace(-5, 30, 3501)
    t = max(tau_ratio, 1e-3)
    like = np.exp(-0.5 * np.square((m[:, None] - mean[None, :]) / t))
    uniform = like.sum(axis=1) * (a[1] - a[0]) / 20.0
    weighted = (like * a[None, :]).sum(axis=1) * (a[1] - a[0]) / 20.0
    zero = np.exp(-0.5 * np.square((m - mean[0]) / t))
    return m, uniform, weighted, zero


def apply_posterior(pred, sigma, tau, coils, zero_prob=None):
    """Posterior mean of A; zero_prob (array in [0,1]) replaces the prior's point mass at 0 per voxel."""
    m, uniform, weighted, zero = posterior_table(tau / sigma, coils)
    r = pred / sigma
    u = np.interp(r, m, uniform)
    w = np.interp(r, m, weighted)
    z = np.interp(r, m, zero)
    p0 = 0.5 if zero_prob is None else zero_prob
    return sigma * (1 - p0) * w / ((1 - p0) * u + p0 * z + 1e-300)


def background_mask(slice_):
    local = ndimage.uniform_filter(slice_, 7)
    if local.max() <= local.min():
        return None
    mask = local <= threshold_otsu(local)
    values = local[mask]
    centre = np.median(values)
    spread = 1.4826 * np.median(np.abs(values - centre))
    mask &= local <= centre + 5 * spread
    mask = ndimage.binary_erosion(mask, structure=np.ones((9, 9)))
    return mask if mask.sum() >= max(256, slice_.size // 50) else None


def chi_median_over_sigma(coils):
    from scipy.stats import chi
    return chi.median(2 * coils) / np.sqrt(1.0)


def score(result, clean):
    result = np.clip(result, 0, 255)
    tissue = clean > 0.1 * clean.max()
    return (peak_signal_noise_ratio(clean, result, data_range=255), structural_similarity(clean, result, data_range=255),
            100 * (result[tissue] - clean[tissue]).mean() / clean[tissue].mean(),
            100 * (result[tissue] < 0.25 * clean[tissue]).mean(), result[~tissue].mean())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("clean")
    parser.add_argument("noisy")
    parser.add_argument("raw")
    parser.add_argument("--coils", type=int, default=1)
    args = parser.parse_args()
    data = np.asarray(nib.load(args.clean).dataobj, dtype=np.float64)
    clean = np.round(255 * (data - data.min()) / (data.max() - data.min()))
    noisy = np.asarray(nib.load(args.noisy).dataobj, dtype=np.float64)
    raw = np.asarray(nib.load(args.raw).dataobj, dtype=np.float64)
    coils = args.coils
    median_ratio = chi_median_over_sigma(coils)

    masks = [background_mask(noisy[:, :, z]) for z in range(noisy.shape[2])]
    sigmas, taus = [], []
    for z, mask in enumerate(masks):
        if mask is None:
            sigmas.append(np.nan)
            taus.append(np.nan)
            continue
        sigmas.append(np.median(noisy[:, :, z][mask]) / median_ratio)
        p = raw[:, :, z][mask]
        taus.append(1.4826 * np.median(np.abs(p - np.median(p))))
    sigmas, taus = np.array(sigmas), np.array(taus)
    all_bg = np.concatenate([noisy[:, :, z][m] for z, m in enumerate(masks) if m is not None])
    all_pred = np.concatenate([raw[:, :, z][m] for z, m in enumerate(masks) if m is not None])
    sigma_volume = np.median(all_bg) / median_ratio
    tau_volume = 1.4826 * np.median(np.abs(all_pred - np.median(all_pred)))
    print(f"sigma per slice: median {np.nanmedian(sigmas):.2f}, range {np.nanmin(sigmas):.2f}..{np.nanmax(sigmas):.2f}; "
          f"volume {sigma_volume:.2f}; tau per slice median {np.nanmedian(taus):.2f}, volume {tau_volume:.2f} "
          f"(tau/sigma {tau_volume / sigma_volume:.2f})")

    results = {"noisy": noisy, "raw": raw}
    per_slice = np.empty_like(raw)
    for z in range(raw.shape[2]):
        s = sigmas[z] if np.isfinite(sigmas[z]) else sigma_volume
        t = taus[z] if np.isfinite(taus[z]) else tau_volume
        per_slice[:, :, z] = apply_posterior(raw[:, :, z], s, t, coils)
    results["posterior/slice"] = per_slice
    results["posterior/volume"] = apply_posterior(raw, sigma_volume, tau_volume, coils)

    # Spatial: how likely a voxel is background, from the local mean of the prediction.
    local = ndimage.uniform_filter(raw, size=(5, 5, 1))
    local_bg = np.concatenate([local[:, :, z][m] for z, m in enumerate(masks) if m is not None])
    floor = np.median(local_bg)
    tau_local = 1.4826 * np.median(np.abs(local_bg - floor))
    # The local mean under "background" is N(floor, tau_local^2); under "signal" (A uniform on
    # [0, 20 sigma]) it spreads evenly from the floor upwards: 1/(20 sigma) Phi((m - floor)/tau_local).
    from scipy.stats import norm
    background_like = norm.pdf(local, floor, tau_local)
    signal_like = norm.cdf((local - floor) / tau_local) / (20 * sigma_volume)
    p_background = background_like / (background_like + signal_like)
    print(f"spatial: floor {floor:.2f}, tau of the 5x5 mean {tau_local:.2f}")
    results["spatial"] = apply_posterior(raw, sigma_volume, tau_volume, coils, zero_prob=p_background)

    # Calibrated: the floor where the prediction puts it in the background
    # (the program since issue 21's second step), tau the MAD or the upper tail.
    floor_pred = np.median(all_pred)
    sigma_cal = sigma_volume * np.clip(floor_pred / (sigma_volume * chi_mean(0.0, coils)), 0.95, 1.05)
    centred = all_pred - floor_pred
    mad = 1.4826 * np.median(np.abs(centred))
    tail = np.clip(np.quantile(centred, 0.99) / 2.326, mad, 3 * mad)
    print(f"calibrated: floor ratio {floor_pred / (sigma_volume * chi_mean(0.0, coils)):.4f}, "
          f"tau/sigma MAD {mad / sigma_volume:.4f}, tail {tail / sigma_volume:.4f}")
    results["calibrated, tau MAD"] = apply_posterior(raw, sigma_cal, mad, coils)
    results["calibrated, tau tail"] = apply_posterior(raw, sigma_cal, tail, coils)
    cal_floor = sigma_cal * chi_mean(0.0, coils)
    local_floor = np.median(local_bg)
    local_spread = 1.4826 * np.median(np.abs(local_bg - local_floor))
    for k in (1.0, 3.0):
        spread = k * local_spread
        background_like = norm.pdf(local, local_floor, spread)
        signal_like = norm.cdf((local - local_floor) / spread) / (20 * sigma_cal)
        p_bg = background_like / (background_like + signal_like)
        results[f"calibrated spatial x{k:g}, tau MAD"] = apply_posterior(raw, sigma_cal, mad, coils, zero_prob=p_bg)

    print("| variant | PSNR | SSIM | tissue bias % | erased % | background mean |\n|---|---:|---:|---:|---:|---:|")
    for name, volume in results.items():
        p, s, b, e, bg = score(volume, clean)
        print(f"| {name} | {p:.2f} | {s:.3f} | {b:.2f} | {e:.2f} | {bg:.2f} |", flush=True)


if __name__ == "__main__":
    main()
