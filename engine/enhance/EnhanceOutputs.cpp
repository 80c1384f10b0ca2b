#include "enhance/EnhanceOutputs.h"

#include "base/EngineError.h"
#include "dataset/OutputPolicy.h"
#include "dataset/ResultsLocation.h"
#include "io/NiftiFile.h"
#include "io/PathIdentity.h"
#include "io/ScanVolume.h"

#include <algorithm>
#include <map>
#include <set>

namespace mri {

namespace {

// The folder that image_path values are relative to.
std::filesystem::path pathBase(const Dataset &dataset)
{
    return dataset.csvFile.empty() ? dataset.folder : dataset.csvFile.parent_path();
}

} // namespace

std::vector<std::filesystem::path> planOutputPaths(const Dataset &dataset, const std::filesystem::path &outputDir)
{
    const auto base = resolvedPath(pathBase(dataset));
    std::vector<std::filesystem::path> targets;
    std::map<std::filesystem::path, std::filesystem::path> inputOf; // relative output -> input
    for (std::size_t i = 0; i < dataset.rows.size(); ++i) {
        const auto &row = dataset.rows[i];
        if (row.imagePathText.empty()) {
            targets.push_back(outputDir / ("row_" + std::to_string(i + 1) + ".png"));
            continue;
        }
        const auto input = resolvedPath(row.imagePath);
        auto relative = input.lexically_relative(base);
        if (relative.empty() || *relative.begin() == "..") {
            // Outside the dataset: a folder per input folder, named so it cannot clash.
            const auto parent = input.parent_path();
            relative = std::filesystem::path("external") / (parent.filename().string() + "-" + shortPathHash(parent))
                / input.filename();
        }
        std::filesystem::path output;
        switch (scanFormatOf(row.imagePath)) {
        case ScanFormat::Nifti:
            output = relative.parent_path() / (niftiStem(relative) + "_enhanced.nii.gz");
            break;
        case ScanFormat::Dicom: {
            // A series becomes a folder; "." (the dataset folder itself) takes the folder's name.
            output = relative == "." || relative.empty() ? std::filesystem::path(base.filename()) : relative;
            std::error_code folderError;
            if (!std::filesystem::is_directory(input, folderError))
                output.replace_extension();
            if (!row.seriesUid.empty())
                output += "_" + shortPathHash(row.seriesUid);
            break;
        }
        case ScanFormat::Picture:
            output = relative;
            output.replace_extension(".png");
            break;
        }
        // scan.png and scan.tif in one folder: the second keeps its extension in the name.
        const auto [owner, inserted] = inputOf.emplace(output, input);
        if (!inserted && owner->second != input) {
            if (isNiftiFile(relative)) {
                // scan.nii and scan.nii.gz: scan_nii_gz_enhanced.nii.gz, still a NIfTI name.
                std::string extension = relative.filename().string().substr(niftiStem(relative).size() + 1);
                std::replace(extension.begin(), extension.end(), '.', '_');
                output.replace_filename(niftiStem(relative) + "_" + extension + "_enhanced.nii.gz");
            } else {
                output.replace_filename(relative.stem().string() + "_" + relative.extension().string().substr(1)
                                        + output.extension().string());
            }
            inputOf.emplace(output, input);
        }
        targets.push_back(outputDir / output);
    }
    return targets;
}

std::filesystem::path defaultMetricsCsv(const Dataset &dataset)
{
    return resultsLocationFor(dataset.folder).folder / kDefaultMetricsCsvName;
}

std::filesystem::path defaultEnhancedDir(const Dataset &dataset)
{
    return resultsLocationFor(dataset.folder).folder / kDefaultEnhancedDirName;
}

void checkOutputsAreSafe(const Dataset &dataset, const std::vector<std::size_t> &selected,
                         const std::filesystem::path &outputDir, const std::vector<std::filesystem::path> &targets,
                         const std::filesystem::path &metricsCsv, const EnhanceOptions &options, bool writeCsv)
{
    OutputPolicy policy;
    policy.protectDataset(dataset);
    policy.protectFile(options.modelFile, "the model file");
    policy.protectFile(options.resolutionModel, "the resolution model file");
    std::set<std::filesystem::path> inputFolders;
    for (std::size_t i = 0; i < dataset.rows.size(); ++i) {
        if (dataset.rows[i].imagePathText.empty())
            continue;
        const auto input = resolvedPath(dataset.rows[i].imagePath);
        inputFolders.insert(input.parent_path());
        std::error_code folderError;
        if (std::filesystem::is_directory(input, folderError))
            inputFolders.insert(input); // a DICOM series: its folder holds the input files
        if (const auto clean = cleanImagePathOf(dataset, i); !clean.empty())
            inputFolders.insert(resolvedPath(clean).parent_path());
    }
    std::map<std::filesystem::path, std::size_t> writer; // output -> first row writing it
    for (const auto index : selected) {
        const auto [other, inserted] = writer.emplace(resolvedPath(targets[index]), index);
        if (!inserted && !samePath(dataset.rows[other->second].imagePath, dataset.rows[index].imagePath))
            throw EngineError(dataset.describeRow(index) + " and " + dataset.describeRow(other->second)
                              + " would both be written to '" + targets[index].string() + "'.");
        std::error_code folderError;
        if (inserted && std::filesystem::is_directory(targets[index], folderError))
            policy.addOutputFolder(targets[index], "the output of " + dataset.describeRow(index)); // a derived series
        else if (inserted)
            policy.addOutput(targets[index], "the output of " + dataset.describeRow(index));
    }
    if (writeCsv)
        policy.addOutput(metricsCsv, "the metrics CSV");
    policy.addOutput(options.perSliceCsv, "the per-slice CSV");
    for (const auto &[file, what] : options.otherOutputs)
        policy.addOutput(file, what);
    policy.check();
    // Neither the output folder nor a folder made below it may hold inputs.
    const auto top = resolvedPath(outputDir);
    for (const auto &[target, index] : writer) {
        for (auto folder = target.parent_path(); !folder.empty(); folder = folder.parent_path()) {
            if (inputFolders.count(folder))
                throw EngineError("The output folder '" + outputDir.string()
                                  + "' holds input images; choose a folder of its own for the results.");
            if (folder == top || folder == folder.parent_path())
                break;
        }
    }
}


} // namespace mri
