#include "enhance/RowEnhancement.h"

#include "base/EngineError.h"
#include "enhance/SuperResolution.h"
#include "image/NeighbourSlices.h"
#include "image/Resampling.h"
#include "io/DicomSeries.h"
#include "io/ImageIO.h"
#include "io/NiftiFile.h"
#include "io/ScanVolume.h"
#include "quality/Metrics.h"
#include "quality/NoiseMap.h"
#include "quality/TissueContrast.h"
#include "quality/VolumeMetrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace mri {

namespace {

// What the written result says made it: a derived DICOM series "<series>
// enhanced by <model>" (64 characters at most), elsewhere the program and the
// model files.
std::string resultDescription(const ScanVolume &input, const RunModels &models, const EnhanceOptions &options)
{
    if (input.format != ScanFormat::Dicom)
        return "MRI Enhance Studio: " + models.description;
    std::string text = (input.seriesDescription.empty() ? std::string("Series") : input.seriesDescription)
        + " enhanced by " + options.modelFile.stem().string();
    return text.size() > 64 ? text.substr(0, 64) : text;
}

// The contrast step on a picture's result (8 or 16 bits, back in its depth);
// `cnr` receives the grey/white CNR of the returned image with the classes of
// `enhanced` (before the step).
cv::Mat contrastPicture(const cv::Mat &enhanced, const ContrastStep &step, double &cnr)
{
    cv::Mat result = enhanced;
    if (step.kind != ContrastKind::None)
        result = fromUnitFloat(applyContrast(toUnitFloat(enhanced), step), enhanced.depth());
    cnr = greyWhiteCnr(result, enhanced);
    return result;
}

// The contrast step on every slice of a volume along `plane`, on the
// network's unit scale (so MONOCHROME1 is stepped as displayed). Voxels
// without a value become numbers: the caller puts NaN back.
void contrastVolume(ScanVolume &volume, SlicePlane plane, const ValueRange &range, const ContrastStep &step)
{
    if (step.kind == ContrastKind::None)
        return;
    for (int frame = 0; frame < volume.size[3]; ++frame) {
        for (int index = 0; index < sliceCountOf(volume, plane); ++index) {
            const cv::Mat values = extractSlice(volume, plane, index, frame);
            insertSlice(volume, plane, index, frame,
                        fromNetworkUnit(applyContrast(toNetworkUnit(values, range), step), range));
        }
    }
}

// Puts the input's non-finite voxels (NaN, Inf) back into `result`, which
// lies on the input's grid or on one `factor` times finer along `axis`.
void restoreNonFiniteVoxels(const ScanVolume &input, ScanVolume &result, int axis, int factor)
{
    if (std::all_of(input.voxels.begin(), input.voxels.end(), [](float v) { return std::isfinite(v); }))
        return;
    const auto &in = input.size;
    const auto &out = result.size;
    for (int t = 0; t < in[3]; ++t)
        for (int z = 0; z < out[2]; ++z)
            for (int y = 0; y < out[1]; ++y)
                for (int x = 0; x < out[0]; ++x) {
                    const int source[3] = {axis == 0 ? x / factor : x, axis == 1 ? y / factor : y,
                                           axis == 2 ? z / factor : z};
                    const float value = input.voxels[((static_cast<std::size_t>(t) * in[2] + source[2]) * in[1]
                                                      + source[1]) * in[0] + source[0]];
                    if (!std::isfinite(value))
                        result.voxels[((static_cast<std::size_t>(t) * out[2] + z) * out[1] + y) * out[0] + x] = value;
                }
}

// Every slice along `plane` through the denoiser (one scale for the whole
// volume). Empty when cancelled.
std::optional<ScanVolume> denoiseVolume(Enhancer &enhancer, const ScanVolume &volume, SlicePlane plane, bool noiseMap,
                                        const std::function<void(int, int)> &progress, int workBefore, int workTotal,
                                        const std::atomic_bool &cancel, EnhancedRow &outcome)
{
    const auto range = networkRangeOf(volume);
    const int count = sliceCountOf(volume, plane);
    ScanVolume enhanced = volume;
    int done = workBefore;
    for (int frame = 0; frame < volume.size[3]; ++frame) {
        // The frame's slices scaled once: a 2.5-D network reads each slice's neighbours too.
        std::vector<cv::Mat> unit(static_cast<std::size_t>(count));
        for (int index = 0; index < count; ++index)
            unit[static_cast<std::size_t>(index)] = toNetworkUnit(extractSlice(volume, plane, index, frame), range);
        // The network on every slice first; then one noise floor for the frame
        // (poolFloorMeasures()), which slices without background of their own need.
        std::vector<cv::Mat> predicted(static_cast<std::size_t>(count));
        std::vector<FloorMeasure> measures(static_cast<std::size_t>(count));
        for (int index = 0; index < count; ++index, ++done) {
            if (progress) {
                enhancer.setTileProgress([&progress, done, workTotal](int tiles, int tilesTotal) {
                    progress(done * tilesTotal + tiles, workTotal * tilesTotal);
                });
            }
            const auto slot = static_cast<std::size_t>(index);
            predicted[slot] = enhancer.predictUnit(unit[slot], neighboursOf(unit, index, enhancer.neighbourSlices()), &cancel);
            if (predicted[slot].empty())
                return std::nullopt;
            measures[slot] = measureFloor(predicted[slot], unit[slot], enhancer.noiseCoils(),
                                          enhancer.ricianCorrection() && enhancer.smoothFloorRemoval());
        }
        const FloorMeasure pooled = poolFloorMeasures(measures);
        // Where the noise level varies over the field of view (parallel imaging), the
        // floor follows it; the residual measures it only for pixel-independent noise.
        const bool mapped = noiseMap && enhancer.ricianCorrection() && enhancer.smoothFloorRemoval()
            && pooled.noise.blindSpotRadius == 0;
        const NoiseMap levels = mapped ? NoiseMap::estimateVolume(predicted, unit, pooled) : NoiseMap();
        if (frame == 0) {
            outcome.noise = pooled.noise;
            outcome.noiseLevelMinimum = levels.minimum();
            outcome.noiseLevelMaximum = levels.maximum();
        }
        for (int index = 0; index < count; ++index) {
            const auto slot = static_cast<std::size_t>(index);
            // The frame's noise level, floor and prediction error for every slice: a slice's own
            // error, from the upper tail of a few thousand background pixels, varied threefold
            // between Colin27's slices and flattened faint tissue where it was large.
            if (enhancer.ricianCorrection())
                removeMeasuredFloor(predicted[slot], pooled, levels.slice(index, predicted[slot].size()));
            insertSlice(enhanced, plane, index, frame, fromNetworkUnit(predicted[slot], range));
            predicted[slot].release();
        }
    }
    enhancer.setTileProgress({});
    return enhanced;
}

// A volume row's input, checked before any work: a DICOM series we can
// derive a series from, 7x7 voxels across for SSIM, NIfTI for super-resolution.
ScanVolume readVolumeToEnhance(const RunModels &models, const DatasetRow &row, const EnhanceOptions &options)
{
    ScanVolume volume = readScan(row.imagePath, row.seriesUid);
    if (volume.format == ScanFormat::Dicom)
        checkDerivedDicomWritable(volume); // why the output could not be written: before the work
    // The volume's SSIM (VolumeMetrics.h) needs 7x7 in x and y; say so before the work and the output.
    if (volume.size[0] < 7 || volume.size[1] < 7)
        throw EngineError("The volume '" + row.imagePath.string() + "' is " + std::to_string(volume.size[0]) + "x"
                          + std::to_string(volume.size[1])
                          + " voxels across, smaller than the 7x7 window that SSIM needs");
    checkUpscalerFits(models, true, upscalerFileOf(options), row.imagePath.string());
    if (models.upscaler && volume.format != ScanFormat::Nifti)
        throw EngineError("Super-resolution writes NIfTI volumes; the DICOM series '" + row.imagePath.string()
                          + "' can be converted to NIfTI first (for example with dcm2niix)");
    return volume;
}

// Each slice's self-check, with the volume's noise level (a slice may have no background of its own).
void checkVolumeSlices(const ScanVolume &volume, const ScanVolume &enhanced, SlicePlane plane, EnhancedRow &outcome)
{
    const int count = sliceCountOf(volume, plane);
    for (int frame = 0; frame < volume.size[3]; ++frame)
        for (int index = 0; index < count; ++index)
            outcome.sliceChecks.push_back(checkEnhancement(
                std::vector<cv::Mat>{extractSlice(volume, plane, index, frame)},
                std::vector<cv::Mat>{extractSlice(enhanced, plane, index, frame)}, outcome.selfCheck.noiseCoils,
                outcome.selfCheck.noiseSigma));
}

// 2-D PSNR and SSIM of every slice along `plane`, volume after volume.
void scoreVolumeSlices(const ScanVolume &volume, const ScanVolume &written, SlicePlane plane, EnhancedRow &outcome)
{
    const int count = sliceCountOf(volume, plane);
    for (int frame = 0; frame < volume.size[3]; ++frame) {
        for (int index = 0; index < count; ++index) {
            const cv::Mat original = extractSlice(volume, plane, index, frame);
            const cv::Mat result = extractSlice(written, plane, index, frame);
            QualityMetrics slice;
            slice.psnr = peakSignalNoiseRatio(original, result, volume.dataRange);
            slice.ssim = original.rows >= 7 && original.cols >= 7
                ? structuralSimilarity(original, result, volume.dataRange)
                : std::numeric_limits<double>::quiet_NaN();
            outcome.sliceMetrics.push_back(slice);
        }
    }
}

// Scored as written (integer formats round the values), on the input's grid;
// `classes` are the tissue classes of the result before the contrast step.
void scoreWrittenVolume(const ScanVolume &volume, const std::filesystem::path &target, const DatasetRow &row,
                        SlicePlane plane, const cv::Mat &classes, const EnhanceOptions &options, EnhancedRow &outcome)
{
    ScanVolume written = readScan(target);
    if (outcome.scale > 1)
        written = degradeVolumeAlongAxis(written, outcome.upsampledAxis, outcome.scale, SliceProfile::Area);
    const auto metrics = compareVolumes(volume, written);
    if (std::isnan(metrics.psnr) || std::isnan(metrics.ssim))
        throw EngineError("The enhanced volume '" + target.string() + "' of '" + row.imagePath.string()
                          + "' could not be scored: its PSNR or SSIM is not a number");
    const int count = sliceCountOf(volume, plane);
    outcome.psnr = metrics.psnr;
    outcome.ssim = metrics.ssim;
    outcome.cnr = greyWhiteCnr(sampleVoxels(written), classes);
    outcome.contrast = contrastStepText(options.contrast);
    outcome.format = scanFormatName(volume.format);
    outcome.dataRange = volume.dataRange;
    outcome.slices = count * volume.size[3];
    outcome.slicesPerVolume = count;
    if (!options.perSliceCsv.empty())
        scoreVolumeSlices(volume, written, plane, outcome);
}

// The network's work on a volume, in slices: denoising along the plane, then
// up-sampling every slice across the plane's slice axis.
struct VolumeWork
{
    int denoise = 0;
    int upscale = 0;
    int total() const { return denoise + upscale; }
};

VolumeWork volumeWorkOf(const RunModels &models, const ScanVolume &volume, SlicePlane plane)
{
    VolumeWork work;
    const int axis = sliceAxisOf(volume, plane);
    work.denoise = models.denoiser ? sliceCountOf(volume, plane) * volume.size[3] : 0;
    if (models.upscaler) {
        for (int a = 0; a < 3; ++a)
            work.upscale += a == axis ? 0 : volume.size[static_cast<std::size_t>(a)] * volume.size[3];
    }
    return work;
}

// Up-samples `enhanced` along the plane's slice axis, then the contrast step
// on the finer grid, and writes it as NIfTI float (the finer grid's values lie
// between the input's levels). False when cancelled.
bool writeSuperResolvedVolume(RunModels &models, const ScanVolume &volume, const ValueRange &range,
                              const ScanVolume &enhanced, SlicePlane plane, const VolumeWork &work,
                              const std::filesystem::path &target, const EnhanceOptions &options,
                              const std::function<void(int, int)> &progress, const std::atomic_bool &cancel,
                              EnhancedRow &outcome)
{
    const int axis = sliceAxisOf(volume, plane);
    auto sharp = superResolveVolume(*models.upscaler, enhanced, axis, range, &cancel, [&](int done, int) {
        if (progress)
            progress(work.denoise + done, work.total());
    });
    if (!sharp)
        return false;
    contrastVolume(*sharp, plane, range, options.contrast);
    restoreNonFiniteVoxels(volume, *sharp, axis, models.scale);
    writeNiftiVolume(*sharp, target, resultDescription(volume, models, options), kNiftiFloat32);
    outcome.scale = models.scale;
    outcome.upsampledAxis = axis;
    return true;
}

// Enhances a volume row: denoised along `plane`, then (with a super-resolution
// model) up-sampled along the plane's slice axis, then the contrast step; written in the input's
// format (NIfTI float on the finer grid), then scored on the volume as written,
// brought back to the input's grid when it changed. False when cancelled.
bool enhanceVolumeRow(RunModels &models, const DatasetRow &row, const std::filesystem::path &target,
                      SlicePlane plane, const EnhanceOptions &options, const std::function<void(int, int)> &progress,
                      const std::atomic_bool &cancel, EnhancedRow &outcome)
{
    const ScanVolume volume = readVolumeToEnhance(models, row, options);
    const VolumeWork work = volumeWorkOf(models, volume, plane);
    const ValueRange range = networkRangeOf(volume); // the network's scale, also of the contrast step
    ScanVolume enhanced = volume;
    if (models.denoiser) {
        auto denoised = denoiseVolume(*models.denoiser, volume, plane, options.noiseMap, progress, 0, work.total(),
                                      cancel, outcome);
        if (!denoised)
            return false;
        enhanced = std::move(*denoised);
    }
    // Voxels without a finite value (NaN outside a resampled field of view, an
    // Inf) were background to the network; they are written back as they were.
    restoreNonFiniteVoxels(volume, enhanced, -1, 1);
    if (models.denoiser) {
        outcome.selfCheck = checkEnhancement(volume, enhanced, outcome.noise.coils);
        if (!options.perSliceCsv.empty())
            checkVolumeSlices(volume, enhanced, plane, outcome);
    }
    const cv::Mat classes = sampleVoxels(enhanced); // the tissue classes: before the contrast step
    if (models.upscaler) {
        if (!writeSuperResolvedVolume(models, volume, range, enhanced, plane, work, target, options, progress, cancel,
                                      outcome))
            return false;
    } else {
        if (options.contrast.kind != ContrastKind::None) {
            contrastVolume(enhanced, plane, range, options.contrast);
            restoreNonFiniteVoxels(volume, enhanced, -1, 1);
        }
        writeScan(volume, enhanced, target, resultDescription(volume, models, options));
    }
    scoreWrittenVolume(volume, target, row, plane, classes, options, outcome);
    return true;
}

// A picture: denoised, then (with a super-resolution model) up-sampled
// in-plane, then the contrast step; scored against the input on its grid.
// Empty when cancelled.
cv::Mat enhancePicture(RunModels &models, const cv::Mat &original, const ContrastStep &contrast,
                       const std::atomic_bool &cancel, EnhancedRow &outcome, const std::filesystem::path &upscalerFile,
                       const std::string &input)
{
    checkUpscalerFits(models, false, upscalerFile, input);
    cv::Mat enhanced = original;
    if (models.denoiser) {
        enhanced = models.denoiser->enhance(original, &cancel, &outcome.noise);
        if (enhanced.empty())
            return {};
        outcome.selfCheck = checkEnhancement(std::vector<cv::Mat>{original}, std::vector<cv::Mat>{enhanced},
                                             outcome.noise.coils);
    }
    if (models.upscaler) {
        const cv::Mat sharp = superResolveUnit(*models.upscaler, toUnitFloat(enhanced), -1, &cancel);
        if (sharp.empty())
            return {};
        enhanced = fromUnitFloat(sharp, original.depth());
    }
    enhanced = contrastPicture(enhanced, contrast, outcome.cnr);
    outcome.contrast = contrastStepText(contrast);
    QualityMetrics metrics;
    if (models.upscaler) {
        outcome.scale = models.scale;
        outcome.upsampledAxis = -1;
        const cv::Mat back = fromUnitFloat(degradeInPlane(toUnitFloat(enhanced), models.scale, SliceProfile::Area),
                                           original.depth());
        // A side not divisible by the factor: compare the part both grids cover.
        const cv::Rect common(0, 0, back.cols, back.rows);
        metrics = compareImages(original(common).clone(), back);
    } else {
        metrics = compareImages(original, enhanced);
    }
    outcome.psnr = metrics.psnr;
    outcome.ssim = metrics.ssim;
    return enhanced;
}

// A picture row: enhanced as a picture (its levels through the network, both
// axes up-sampled), written back in its bit depth. Read and written as 8- or
// 16-bit levels, not as a float scan: an 8000x8000 slice stays under 1 GB
// (tst_memory), where float copies of it in and out cost 512 MB more.
bool enhancePictureRow(RunModels &models, const DatasetRow &row, const std::filesystem::path &target,
                       const EnhanceOptions &options, const std::atomic_bool &cancel, EnhancedRow &outcome)
{
    const cv::Mat original = loadGrayscaleImage(row.imagePath);
    // scikit-image refuses SSIM below its 7x7 window too; say so before the work.
    if (original.rows < 7 || original.cols < 7)
        throw EngineError("the slice '" + row.imagePathText + "' is " + std::to_string(original.cols) + "x"
                          + std::to_string(original.rows) + " pixels, smaller than the 7x7 window that SSIM needs");
    const cv::Mat enhanced = enhancePicture(models, original, options.contrast, cancel, outcome,
                                            upscalerFileOf(options), row.imagePathText);
    if (enhanced.empty())
        return false;
    saveImageAtomically(target, enhanced);
    outcome.format = scanFormatName(ScanFormat::Picture);
    outcome.dataRange = dataRangeOf(original);
    outcome.slices = 1;
    return true;
}

} // namespace

bool enhanceRow(RunModels &models, const DatasetRow &row, const std::filesystem::path &target, SlicePlane plane,
                const EnhanceOptions &options, const std::function<void(int, int)> &progress,
                const std::atomic_bool &cancel, EnhancedRow &outcome)
{
    // Read once: scanFormatOf may open the file to look for DICOM's preamble.
    const ScanFormat format = scanFormatOf(row.imagePath);
    if (!row.imagePathText.empty())
        outcome.format = scanFormatName(format); // failed rows say it too
    if (format == ScanFormat::Picture)
        return enhancePictureRow(models, row, target, options, cancel, outcome);
    return enhanceVolumeRow(models, row, target, plane, options, progress, cancel, outcome);
}

} // namespace mri
