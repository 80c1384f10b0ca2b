#pragma once

// An enhance run over a dataset: the run loop (selection, parts, progress,
// cancellation, --fail-on). Its parts: EnhanceOutputs.h (where results go),
// RunModels.h (the models), RowEnhancement.h (one row), MetricsTable.h (the CSVs).

#include "dataset/Dataset.h"
#include "enhance/EnhanceOptions.h"
#include "enhance/EnhanceOutputs.h"
#include "enhance/EnhancedRow.h"
#include "enhance/MetricsTable.h"

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace mri {

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

} // namespace mri
