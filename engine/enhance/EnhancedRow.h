#pragma once

#include "quality/Metrics.h"
#include "quality/NoiseFloor.h"
#include "quality/SelfCheck.h"

#include <cstddef>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

namespace mri {

// Result for one dataset row.
struct EnhancedRow
{
    std::size_t rowIndex = 0;
    bool done = false;                         // false: not selected / not run yet
    std::filesystem::path enhancedImage;       // absolute path of the written image
    double psnr = 0.0;
    double ssim = 0.0;
    // Grey/white contrast-to-noise ratio (TissueContrast.h) of the result as
    // written. There is no ground truth at enhance time: the tissue classes
    // come from the enhanced result before the contrast step, so the figure
    // says what the contrast step did to the separation of grey and white
    // matter. NaN (written "nan") when no three classes are found.
    double cnr = std::numeric_limits<double>::quiet_NaN();
    std::string contrast;                      // contrastStepText of the step applied ("none")
    NoiseEstimate noise;                       // measured in the slice's background (a volume's middle slice)
    // Volumes with pixel-independent noise: the lowest and highest noise level
    // over the field of view relative to `noise.sigma` (NoiseMap.h; parallel
    // imaging), the first frame's; 1 and 1 when one level was used.
    double noiseLevelMinimum = 1.0;
    double noiseLevelMaximum = 1.0;
    std::string format;                        // "picture", "nifti", "dicom" (scanFormatName)
    double dataRange = 0.0;                    // data_range of PSNR and SSIM (ScanVolume::dataRange)
    int slices = 0;                            // slices enhanced (1 for a picture; all volumes of a 4-D scan)
    int slicesPerVolume = 1;                   // slices of one volume along the plane
    std::vector<QualityMetrics> sliceMetrics;  // volumes: 2-D PSNR and SSIM per slice, volume after volume
    std::vector<SelfCheck> sliceChecks;        // volumes with a per-slice CSV: each slice's self-check, in that order
    // Super-resolution: the result's grid is `scale` times finer than the
    // input's along `upsampledAxis` (-1: both axes of a picture; 0, 1, 2: a
    // volume's array axis), and PSNR/SSIM compare the result brought back to
    // the input's grid (area down-sampling by `scale`) with the input.
    int scale = 1;
    int upsampledAxis = -1;
    // The denoised result checked against its input without ground truth
    // (before super-resolution and the contrast step); NotChecked without a denoiser.
    SelfCheck selfCheck;
    std::string modelSha256;                   // of the model file that enhanced (or tried to enhance) the row
    double seconds = 0.0;                      // time this run spent on the row
    std::string error;                         // non-empty: why this row failed
};

} // namespace mri
