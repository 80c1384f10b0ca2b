#pragma once

#include "dataset/Dataset.h"
#include "dataset/ShardPlan.h"
#include "enhance/EnhanceJob.h"

#include <filesystem>
#include <string>
#include <vector>

namespace mri {

struct MergeOptions
{
    std::filesystem::path metricsCsv; // the merged CSV; empty: defaultMetricsCsv(dataset). Parts lie beside it.
    bool allowMissing = false;        // write what exists; missing rows get an error instead of a refusal
};

struct MergeResult
{
    std::filesystem::path metricsCsv;       // written
    int partCount = 0;                      // N of the split
    std::vector<ShardFile> parts;           // the parts read
    std::vector<int> missingParts;          // indices without a file
    std::vector<EnhancedRow> rows;          // one per dataset row, as written
    int done = 0;
    int failed = 0;
    int missing = 0;                        // rows of missing parts or not finished by their part
    std::vector<std::string> modelSha256s;  // of the rows done (one, when the parts agree)
};

// Joins the parts that `enhance --shard I/N` wrote beside the metrics CSV
// (shardMetricsCsv) into the metrics CSV, in the dataset's row order, as one
// run over all rows would have written it. Refuses with one sentence (EngineError),
// before writing anything, when there are no parts, when parts of different
// splits lie there, when a part holds rows that are not in the dataset or
// belong to another part (the CSV changed since), when parts were made with
// different models, and, unless allowMissing, when a part is missing or has
// not finished its rows. Written under the CSV's lock, atomically.
MergeResult mergeShardMetrics(const Dataset &dataset, const MergeOptions &options);

} // namespace mri
