#pragma once

#include <filesystem>
#include <string>

namespace mri {

// Where the results of a dataset go (enhanced slices, metrics CSV, the GUI's
// default model): the dataset folder itself when it is writable, otherwise a
// folder of the dataset's own under the user's data directory
// ($XDG_DATA_HOME/mri-enhance-studio/results/<name>-<hash>), so that a
// read-only mount can still be enhanced. The GUI and the command line both
// use this rule, so each finds what the other wrote.
struct ResultsLocation
{
    std::filesystem::path folder;
    bool insideDataset = true; // false: the dataset folder is not writable
    // One sentence for the user when the results do not go into the dataset folder; empty otherwise.
    std::string notice() const;
};

ResultsLocation resultsLocationFor(const std::filesystem::path &datasetFolder);

// Eight hex digits of FNV-1a over the path's text: a stable, short name for a
// folder, the same in every process and version.
std::string shortPathHash(const std::filesystem::path &path);

// $XDG_DATA_HOME/mri-enhance-studio, or ~/.local/share/mri-enhance-studio.
std::filesystem::path userDataFolder();

} // namespace mri
