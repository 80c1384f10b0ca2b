#include "dataset/ResultsLocation.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <unistd.h>

namespace mri {

std::string shortPathHash(const std::filesystem::path &path)
{
    const std::string text = path.string();
    std::uint64_t hash = 14695981039346656037ULL;
    for (const unsigned char c : text) {
        hash ^= c;
        hash *= 1099511628211ULL;
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
    return std::string(hex, 8);
}

namespace {

bool isWritableFolder(const std::filesystem::path &folder)
{
    std::error_code error;
    return std::filesystem::is_directory(folder, error) && ::access(folder.c_str(), W_OK | X_OK) == 0;
}

} // namespace

std::string ResultsLocation::notice() const
{
    if (insideDataset)
        return {};
    return "The dataset folder is not writable, so results are written to '" + folder.string() + "'.";
}

std::filesystem::path userDataFolder()
{
    const char *dataHome = std::getenv("XDG_DATA_HOME");
    if (dataHome && *dataHome)
        return std::filesystem::path(dataHome) / "mri-enhance-studio";
    const char *home = std::getenv("HOME");
    return std::filesystem::path(home && *home ? home : "/tmp") / ".local" / "share" / "mri-enhance-studio";
}

ResultsLocation resultsLocationFor(const std::filesystem::path &datasetFolder)
{
    std::error_code error;
    auto absolute = std::filesystem::absolute(datasetFolder, error);
    if (error)
        absolute = datasetFolder;
    absolute = absolute.lexically_normal();
    if (!absolute.has_filename() && absolute.has_parent_path())
        absolute = absolute.parent_path(); // "dir/" -> "dir"
    if (isWritableFolder(absolute))
        return {absolute, true};
    const std::string name = absolute.filename().empty() ? std::string("dataset") : absolute.filename().string();
    return {userDataFolder() / "results" / (name + "-" + shortPathHash(absolute)), false};
}

} // namespace mri
