#include "enhance/ShardMerge.h"

#include "base/EngineError.h"
#include "dataset/OutputPolicy.h"
#include "io/AtomicFile.h"
#include "io/CsvTable.h"
#include "io/FileLock.h"

#include <algorithm>
#include <optional>
#include <set>

namespace mri {

namespace {

bool hasResult(const EnhancedRow &row)
{
    return row.done || !row.error.empty();
}

std::string shortDigest(const std::string &sha256)
{
    return sha256.empty() ? std::string("(none)") : sha256.substr(0, 12);
}

// The parts beside `target`, all of one split; returns its part count.
int partCountOf(const std::vector<ShardFile> &parts, const std::filesystem::path &target)
{
    if (parts.empty())
        throw EngineError("There are no parts to merge: no '" + target.stem().string() + ".shard-I-of-N.csv' beside '"
                          + target.string() + "'; run 'mri-enhance enhance --shard I/N' first.");
    std::set<int> counts;
    for (const auto &part : parts)
        counts.insert(part.shard.count);
    if (counts.size() > 1)
        throw EngineError("Parts of different splits lie beside '" + target.string() + "' (of "
                          + std::to_string(*counts.begin()) + " and of " + std::to_string(*counts.rbegin())
                          + " parts); remove the parts of the split you do not want and merge again.");
    return *counts.begin();
}

// Every part's rows with a result into result.rows, each from the part it
// belongs to; `present` marks the parts read, `madeBy` the part of each row.
void readParts(const Dataset &dataset, const std::vector<int> &shardOf, MergeResult &result, std::vector<bool> &present,
               std::vector<std::filesystem::path> &madeBy)
{
    for (const auto &part : result.parts) {
        present[static_cast<std::size_t>(part.shard.index)] = true;
        std::vector<std::size_t> unmatched;
        const auto rows = readMetricsCsv(dataset, part.file, &unmatched);
        if (!unmatched.empty())
            throw EngineError("The part '" + part.file.string() + "' has " + std::to_string(unmatched.size())
                              + " rows that are not in the dataset's table (the first is its data row "
                              + std::to_string(unmatched.front() + 1)
                              + "): the table changed since the parts were made, or they belong to another dataset.");
        for (std::size_t i = 0; i < rows.size(); ++i) {
            if (!hasResult(rows[i]))
                continue;
            if (shardOf[i] != part.shard.index)
                throw EngineError("The part '" + part.file.string() + "' holds " + dataset.describeRow(i)
                                  + ", which belongs to part " + std::to_string(shardOf[i]) + " of "
                                  + std::to_string(result.partCount)
                                  + ": the dataset's table changed since the parts were made; enhance the parts again.");
            result.rows[i] = rows[i];
            madeBy[i] = part.file;
        }
    }
}

// One model for all: a merged table of two models' results is not one run's.
void checkOneModel(MergeResult &result, const std::vector<std::filesystem::path> &madeBy)
{
    std::vector<std::pair<std::string, std::filesystem::path>> models;
    for (std::size_t i = 0; i < result.rows.size(); ++i) {
        const auto &sha = result.rows[i].modelSha256;
        if (!result.rows[i].done)
            continue;
        if (std::none_of(models.begin(), models.end(), [&](const auto &m) { return m.first == sha; }))
            models.emplace_back(sha, madeBy[i]);
    }
    if (models.size() > 1)
        throw EngineError("The parts disagree: '" + models[0].second.string() + "' was enhanced with the model "
                          + shortDigest(models[0].first) + "… and '" + models[1].second.string() + "' with "
                          + shortDigest(models[1].first) + "…; enhance every part with one model.");
    for (const auto &model : models)
        result.modelSha256s.push_back(model.first);
}

// The parts that are missing (into result.missingParts) and, unless allowed,
// a refusal naming the first missing part or the first row a part did not finish.
void checkComplete(const Dataset &dataset, const MergeOptions &options, const std::vector<int> &shardOf,
                   const std::vector<bool> &present, MergeResult &result)
{
    for (int index = 0; index < result.partCount; ++index) {
        if (!present[static_cast<std::size_t>(index)])
            result.missingParts.push_back(index);
    }
    std::vector<std::size_t> unfinished;
    for (std::size_t i = 0; i < result.rows.size(); ++i) {
        if (!hasResult(result.rows[i]) && present[static_cast<std::size_t>(shardOf[i])])
            unfinished.push_back(i);
    }
    if (options.allowMissing)
        return;
    if (!result.missingParts.empty()) {
        const int index = result.missingParts.front();
        throw EngineError("Part " + std::to_string(index) + " of " + std::to_string(result.partCount) + " ('"
                          + shardMetricsCsv(result.metricsCsv, {index, result.partCount}).string() + "') is missing"
                          + (result.missingParts.size() > 1
                                 ? " (and " + std::to_string(result.missingParts.size() - 1) + " more)"
                                 : std::string())
                          + "; run it, or merge with --allow-missing.");
    }
    if (!unfinished.empty())
        throw EngineError("Part " + std::to_string(shardOf[unfinished.front()]) + " of "
                          + std::to_string(result.partCount) + " has not finished " + dataset.describeRow(unfinished.front())
                          + (unfinished.size() > 1 ? " (and " + std::to_string(unfinished.size() - 1) + " more rows)"
                                                   : std::string())
                          + "; run the part again (it redoes only unfinished rows), or merge with --allow-missing.");
}

// Counts the rows done and failed; a row without a result gets an error
// saying which part did not make it.
void countRows(const std::vector<int> &shardOf, const std::vector<bool> &present, MergeResult &result)
{
    for (std::size_t i = 0; i < result.rows.size(); ++i) {
        auto &row = result.rows[i];
        if (row.done) {
            ++result.done;
        } else if (!row.error.empty()) {
            ++result.failed;
        } else {
            const auto part = std::to_string(shardOf[i]) + " of " + std::to_string(result.partCount);
            row.error = present[static_cast<std::size_t>(shardOf[i])] ? "not enhanced: part " + part + " did not finish this row"
                                                                       : "not enhanced: part " + part + " is missing";
            ++result.missing;
        }
    }
}

} // namespace

MergeResult mergeShardMetrics(const Dataset &dataset, const MergeOptions &options)
{
    MergeResult result;
    result.metricsCsv = options.metricsCsv.empty() ? defaultMetricsCsv(dataset) : options.metricsCsv;
    const auto &target = result.metricsCsv;
    auto parts = findShardMetricsCsvs(target);
    result.partCount = partCountOf(parts, target);
    result.parts = parts;
    const auto shardOf = shardOfRows(dataset, result.partCount);

    result.rows.resize(dataset.rows.size());
    for (std::size_t i = 0; i < result.rows.size(); ++i)
        result.rows[i].rowIndex = i;
    std::vector<bool> present(static_cast<std::size_t>(result.partCount), false);
    std::vector<std::filesystem::path> madeBy(dataset.rows.size());
    readParts(dataset, shardOf, result, present, madeBy);
    checkOneModel(result, madeBy);
    checkComplete(dataset, options, shardOf, present, result);
    countRows(shardOf, present, result);
    std::optional<FileLock> lock; // none beside a stream or device node (/dev/stdout)
    if (!isStreamOrNode(target))
        lock.emplace(target);
    writeCsvFileAtomically(target, buildMetricsTable(dataset, result.rows, target));
    return result;
}

} // namespace mri
