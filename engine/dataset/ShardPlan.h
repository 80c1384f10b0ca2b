#pragma once

// Splitting a dataset's rows into parts for a cluster's array job (Slurm,
// Kubernetes Indexed Jobs, GNU parallel): every task computes the same split
// from the CSV alone, so the tasks need no coordination.

#include "dataset/Dataset.h"

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mri {

// Part `index` (0-based, as SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX count)
// of `count` parts.
struct ShardSpec
{
    int index = 0;
    int count = 1;
};

inline constexpr int kMostShards = 100000;

// The part of every row of `dataset`, for `count` parts. All rows of a patient
// (same patient_id) are in one part; parts are balanced by row count: patients
// are taken largest first (ties in CSV order) and each goes to the part with
// the fewest rows so far (ties: the lowest index). A pure function of the rows'
// patient ids. Rows without a patient id are patients of their own.
std::vector<int> shardOfRows(const Dataset &dataset, int count);

// The rows of part `shard.index`, in dataset order.
std::vector<std::size_t> rowsOfShard(const Dataset &dataset, const ShardSpec &shard);

// The metrics CSV of one part: "<stem>.shard-<I>-of-<N>.csv" beside `metricsCsv`.
std::filesystem::path shardMetricsCsv(const std::filesystem::path &metricsCsv, const ShardSpec &shard);

// "<I>/<N>" as written (0-based I).
std::string shardName(const ShardSpec &shard);

// Reads "I/N" where each side is a whole number or the name of an environment
// variable holding one (SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT,
// JOB_COMPLETION_INDEX/3). `environment` looks a name up (std::getenv by
// default). Throws EngineError with one sentence when the text, a variable or
// the range (0 <= I < N <= kMostShards) is wrong.
ShardSpec parseShardSpec(const std::string &text,
                         const std::function<std::optional<std::string>(const std::string &)> &environment = {});

// The parts written beside `metricsCsv`: each "<stem>.shard-I-of-N.csv" found,
// in order of N, then I.
struct ShardFile
{
    ShardSpec shard;
    std::filesystem::path file;
};
std::vector<ShardFile> findShardMetricsCsvs(const std::filesystem::path &metricsCsv);

} // namespace mri
