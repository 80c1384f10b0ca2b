#pragma once

#include "dataset/ShardPlan.h"
#include "image/ContrastStep.h"
#include "io/SlicePlane.h"
#include "quality/SelfCheck.h"

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mri {

// What one enhance run is asked to do (the CLI's `enhance`, the GUI's enhance
// and contrast controls): models, selection, output places and the settings
// of the network and the contrast step.
struct EnhanceOptions
{
    // A denoising model, or a super-resolution one (objective superres) alone.
    std::filesystem::path modelFile;
    // Non-empty: a super-resolution model applied after modelFile's denoising,
    // in the same run (SuperResolution.h).
    std::filesystem::path resolutionModel;
    int scale = 0;                            // > 0: the factor asked for; the super-resolution model must have it
    bool throughPlane = false;                // asked for through-plane: refuse a model trained on pictures
    std::filesystem::path outputDir;          // empty: <dataset>/enhanced_images
    std::filesystem::path metricsCsv;         // empty: <dataset>/brain_tumor_info_metrics.csv
    std::vector<std::string> patientIds;      // empty: every row
    std::vector<std::size_t> rowIndices;      // alternative selection by row (GUI); empty: use patientIds
    bool writeCsv = true;
    int tileSize = 0;                         // > 0: largest tile side (see Enhancer::setTiling)
    int noiseCoils = -1;                      // >= 0: overrides the model's noise_coils (0: estimate per slice)
    // Volumes: the noise floor follows a noise level map estimated from the
    // volume (NoiseMap.h; parallel imaging) where it varies enough; false: one
    // level for the whole volume.
    bool noiseMap = true;
    // The mean over each tile's four mirror images where the denoising model
    // has it by default (Enhancer::setMirrorAverage()); false: one pass, 4x faster.
    bool mirrorAverage = true;
    int threads = 0;                          // CPU threads of the network; 0: every CPU this process may use
    std::optional<SlicePlane> plane;          // volumes are enhanced along it; empty: the model's plane
    std::filesystem::path perSliceCsv;        // non-empty: one row per slice of every enhanced row, here
    // Files the caller writes too (a report): checked with the run's outputs
    // before any work (OutputPolicy), with the option that names each.
    std::vector<std::pair<std::filesystem::path, std::string>> otherOutputs;
    // After the network, before writing: pictures on the unit result, volumes
    // slice by slice along the plane (ContrastStep.h). None: the network's output as it is.
    ContrastStep contrast;
    // Set: only this part's rows (ShardPlan.h), its own metrics CSV
    // (shardMetricsCsv of metricsCsv) rewritten after every row, and rows that
    // an earlier run of the part finished with the same model are kept, not redone.
    std::optional<ShardSpec> shard;
    // Rows whose self-check (SelfCheck.h) is this bad or worse count as
    // failed: their result is removed and the row gets the reason as its
    // error. NotChecked: never.
    Verdict failOn = Verdict::NotChecked;
};

} // namespace mri
