#pragma once

#include "dataset/Dataset.h"
#include "dataset/ShardPlan.h"
#include "enhance/EnhanceOptions.h"
#include "image/ContrastStep.h"
#include "io/CsvTable.h"
#include "io/SlicePlane.h"
#include "quality/Metrics.h"
#include "quality/NoiseFloor.h"
#include "quality/SelfCheck.h"

#include <atomic>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>
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

// One sentence on the noise measured in the background of the enhanced rows
// (medians): sigma as a share of the range, coils, neighbour correlation; ""
// when no row was enhanced.
std::string describeMeasuredNoise(const std::vector<EnhancedRow> &rows);

// One sentence on the rows whose self-check is not ok, for the end of a run:
// "2 of 40 results need a look: P003 (suspect: tissue 31 % darker ...), P017
// (check: ...)." (at most five named); "" when every checked row is ok.
std::string describeSelfChecks(const Dataset &dataset, const std::vector<EnhancedRow> &rows);

struct EnhanceProgress
{
    int done = 0;
    int total = 0;
    int failed = 0;
    double elapsedSeconds = 0.0;
    double etaSeconds = 0.0;
};

// Within the slice being enhanced: the network's tiles done of its total.
struct SliceProgress
{
    std::size_t rowIndex = 0;
    int slice = 1;            // 1-based position among the selected rows
    int slices = 0;
    int tilesDone = 0;
    int tilesTotal = 0;
};

struct EnhanceCallbacks
{
    std::function<void(const EnhancedRow &)> onRow;
    std::function<void(const EnhanceProgress &)> onProgress;
    std::function<void(const SliceProgress &)> onSliceProgress; // after each tile, on the enhancing thread
    std::function<void(const std::string &)> onMessage; // waiting for a lock, a malformed CSV kept aside
};

struct EnhanceRunResult
{
    std::vector<EnhancedRow> rows;            // one per dataset row, in dataset order
    int succeeded = 0;
    int failed = 0;
    bool cancelled = false;
    int requested = 0;                        // rows selected for this run (with a shard: of the part)
    int skipped = 0;                          // shard rows an earlier run finished with this model: kept
    std::string modelSha256;                  // of options.modelFile
    std::string device;                       // "cpu" or "cuda" (Enhancer::deviceName)
    int threads = 0;                          // CPU threads of the network
    double elapsedSeconds = 0.0;
    std::filesystem::path metricsCsv;         // written CSV (empty when writeCsv was false)
    std::vector<std::string> notices;         // sentences the user should read (a CSV kept aside)
};

// Enhances the selected rows, writes each result in its input's format to the
// output folder (pictures as PNG of the same bit depth, NIfTI with the input's
// header, DICOM as a derived series; inputs are never touched) and, when
// asked, the metrics CSV. A volume is enhanced slice by slice along the plane
// and scored on the 3-D arrays as written (VolumeMetrics.h). Rows that fail keep their
// line with an error. Before any work it refuses (EngineError) an output that
// would overwrite an input, the ground truth, the dataset's table or the model,
// an output folder that holds inputs, two rows with one output, an unwritable
// output folder, an unknown patient id or a model that cannot be loaded. The
// metrics CSV is read, merged and replaced under a lock (FileLock.h), so
// concurrent runs on other rows keep each other's rows; a malformed earlier CSV
// is kept under a backup name (EnhanceRunResult::notices). Blocking: call it
// from a worker thread.
EnhanceRunResult enhanceDataset(const Dataset &dataset, const EnhanceOptions &options,
                                const EnhanceCallbacks &callbacks, const std::atomic_bool &cancel);

// Where each row's result goes: the input's path relative to the dataset (its
// CSV's folder) under `outputDir`: pictures as .png, NIfTI as
// <name>_enhanced.nii.gz, a DICOM series as a folder named like the input's
// folder (a single DICOM file: like the file); inputs outside the dataset
// under external/<folder>-<hash>/. Distinct inputs never share a path.
std::vector<std::filesystem::path> planOutputPaths(const Dataset &dataset, const std::filesystem::path &outputDir);

// The metrics table: every input column plus enhanced_image_path, PSNR, SSIM,
// CNR, contrast, data_range, slices, format, scale, upsampled_along ("x y"
// for a picture, a volume's array axis, empty without super-resolution),
// metrics_grid ("enhanced": PSNR and SSIM compare the result itself; "input":
// the result area-down-sampled back to the input's grid), model_sha256 (two
// digests joined by "+" when a super-resolution model followed the denoiser)
// and error (patient_id and image_path as read; an input column named like
// one of these keeps its values as "<name>_input"). Only rows done or failed
// are written. Enhanced paths are written relative to the CSV's folder when inside it.
CsvTable buildMetricsTable(const Dataset &dataset, const std::vector<EnhancedRow> &rows,
                           const std::filesystem::path &metricsCsv);
void writeMetricsCsv(const Dataset &dataset, const std::vector<EnhancedRow> &rows,
                     const std::filesystem::path &metricsCsv);
// One row per slice of the enhanced rows: patient_id, image_path,
// enhanced_image_path, volume, slice, plane, PSNR, SSIM, data_range.
void writePerSliceCsv(const Dataset &dataset, const std::vector<EnhancedRow> &rows, SlicePlane plane,
                      const std::filesystem::path &file);

// Reads a metrics CSV written earlier back into per-row results (matched by
// the input columns it repeats). Rows without a result stay done = false; a
// row is done only when its enhanced file exists. `unmatched` (optional)
// receives the CSV's rows that match no dataset row. Throws EngineError.
std::vector<EnhancedRow> readMetricsCsv(const Dataset &dataset, const std::filesystem::path &metricsCsv,
                                        std::vector<std::size_t> *unmatched = nullptr);

// In the dataset's results folder (ResultsLocation.h): the dataset folder when writable.
std::filesystem::path defaultMetricsCsv(const Dataset &dataset);
std::filesystem::path defaultEnhancedDir(const Dataset &dataset);

} // namespace mri
