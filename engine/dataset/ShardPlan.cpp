#include "dataset/ShardPlan.h"

#include "base/EngineError.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <regex>

namespace mri {

std::vector<int> shardOfRows(const Dataset &dataset, int count)
{
    if (count < 1)
        throw EngineError("A dataset is split into at least one part.");
    // Patients in order of first appearance, with their rows.
    std::vector<std::vector<std::size_t>> patients;
    std::map<std::string, std::size_t> patientOf;
    for (std::size_t i = 0; i < dataset.rows.size(); ++i) {
        const auto &id = dataset.rows[i].patientId;
        if (id.empty()) {
            patients.push_back({i});
            continue;
        }
        const auto [found, inserted] = patientOf.emplace(id, patients.size());
        if (inserted)
            patients.emplace_back();
        patients[found->second].push_back(i);
    }
    std::vector<std::size_t> order(patients.size());
    for (std::size_t p = 0; p < order.size(); ++p)
        order[p] = p;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return patients[a].size() > patients[b].size(); });
    std::vector<std::size_t> load(static_cast<std::size_t>(count), 0);
    std::vector<int> shards(dataset.rows.size(), 0);
    for (const auto p : order) {
        const auto lightest = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());
        load[static_cast<std::size_t>(lightest)] += patients[p].size();
        for (const auto row : patients[p])
            shards[row] = lightest;
    }
    return shards;
}

std::vector<std::size_t> rowsOfShard(const Dataset &dataset, const ShardSpec &shard)
{
    const auto shards = shardOfRows(dataset, shard.count);
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < shards.size(); ++i) {
        if (shards[i] == shard.index)
            rows.push_back(i);
    }
    return rows;
}

std::filesystem::path shardMetricsCsv(const std::filesystem::path &metricsCsv, const ShardSpec &shard)
{
    auto file = metricsCsv;
    file.replace_filename(metricsCsv.stem().string() + ".shard-" + std::to_string(shard.index) + "-of-"
                          + std::to_string(shard.count) + ".csv");
    return file;
}

std::string shardName(const ShardSpec &shard)
{
    return std::to_string(shard.index) + "/" + std::to_string(shard.count);
}

namespace {

// A whole number, or the variable it names; `what` says which side for the sentence.
long long shardNumber(const std::string &text, const std::string &what, const std::string &whole,
                      const std::function<std::optional<std::string>(const std::string &)> &environment)
{
    const auto isNumber = [](const std::string &s) {
        return !s.empty() && s.size() <= 9
            && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
    };
    if (isNumber(text))
        return std::stoll(text);
    static const std::regex variableName("[A-Za-z_][A-Za-z0-9_]*");
    if (!std::regex_match(text, variableName))
        throw EngineError("'" + whole + "' is not a part such as 2/10 or SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT: "
                          + what + " '" + text + "' is neither a whole number nor a variable name.");
    const auto value = environment ? environment(text) : [&]() -> std::optional<std::string> {
        if (const char *set = std::getenv(text.c_str()))
            return std::string(set);
        return std::nullopt;
    }();
    if (!value)
        throw EngineError("The part '" + whole + "' names the environment variable " + text
                          + ", which is not set (is this running inside the array job?).");
    if (!isNumber(*value))
        throw EngineError("The environment variable " + text + " of the part '" + whole + "' holds '" + *value
                          + "', not a whole number.");
    return std::stoll(*value);
}

} // namespace

ShardSpec parseShardSpec(const std::string &text,
                         const std::function<std::optional<std::string>(const std::string &)> &environment)
{
    const auto slash = text.find('/');
    if (slash == std::string::npos || text.find('/', slash + 1) != std::string::npos)
        throw EngineError("'" + text + "' is not a part such as 2/10 (the third of ten, counted from 0) or "
                          "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT.");
    const auto index = shardNumber(text.substr(0, slash), "the index", text, environment);
    const auto count = shardNumber(text.substr(slash + 1), "the count", text, environment);
    if (count < 1 || count > kMostShards)
        throw EngineError("The part '" + text + "' has " + std::to_string(count) + " parts; from 1 to "
                          + std::to_string(kMostShards) + " are possible.");
    if (index >= count)
        throw EngineError("The part '" + text + "' is index " + std::to_string(index) + " of " + std::to_string(count)
                          + " parts, but parts are counted from 0 to " + std::to_string(count - 1)
                          + " (with Slurm: --array=0-" + std::to_string(count - 1) + ").");
    return {static_cast<int>(index), static_cast<int>(count)};
}

std::vector<ShardFile> findShardMetricsCsvs(const std::filesystem::path &metricsCsv)
{
    const auto folder = metricsCsv.parent_path().empty() ? std::filesystem::path(".") : metricsCsv.parent_path();
    const std::string prefix = metricsCsv.stem().string() + ".shard-";
    static const std::regex suffix("([0-9]{1,9})-of-([0-9]{1,9})\\.csv");
    std::vector<ShardFile> found;
    std::error_code error;
    for (std::filesystem::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
        const auto name = it->path().filename().string();
        if (name.rfind(prefix, 0) != 0)
            continue;
        std::smatch match;
        const std::string rest = name.substr(prefix.size());
        if (!std::regex_match(rest, match, suffix))
            continue;
        const int index = std::stoi(match[1]);
        const int count = std::stoi(match[2]);
        if (count >= 1 && index < count)
            found.push_back({{index, count}, metricsCsv.parent_path() / name});
    }
    std::sort(found.begin(), found.end(), [](const ShardFile &a, const ShardFile &b) {
        return a.shard.count != b.shard.count ? a.shard.count < b.shard.count : a.shard.index < b.shard.index;
    });
    return found;
}

} // namespace mri
