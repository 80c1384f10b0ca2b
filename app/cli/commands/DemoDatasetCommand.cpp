#include "DemoDatasetCommand.h"

#include "dataset/OutputPolicy.h"
#include "CommandOutput.h"
#include "CommonOptions.h"
#include "ExitStatus.h"
#include "OptionHelpers.h"
#include "TerminalProgress.h"

#include <chrono>
#include <cmath>

namespace mri::cli {

void DemoDatasetCommand::define(CLI::App &c, CommonOptions &common)
{
    addText(c, "--out", m_out, "DIR", "Folder to write the dataset to")->required();
    addChoice(c, "--format", m_options.format, {DemoFormat::Png, DemoFormat::Nifti, DemoFormat::Dicom}, demoFormatName,
              parseDemoFormat, "How the patients are stored: png slices, one NIfTI volume each or one DICOM "
                               "series each");
    addNumber(c, "--slices", m_options.sliceCount, 1, 1000,
              "png: slices, evenly spaced through the brain; nifti, dicom: slices of each patient's volume");
    addNumber(c, "--patients", m_options.patientCount, 1, 100,
              "nifti, dicom: volumes, cut from evenly spaced places in the brain");
    addNumber(c, "--sigma", m_options.sigma, 0.0, 1.0, "Noise standard deviation as a fraction of the intensity range");
    addNoiseSpec(c, m_options.noise);
    addNumber<std::uint64_t>(c, "--seed", m_options.seed, 0, kLargestSeed, "Seed of the noise");
    addText(c, "--volume", m_volume, "FILE",
            "NIfTI volume to cut the slices from (default " + m_options.volumeFile.string() + ")");
    addChoice(c, "--orientation", m_options.orientation, {SlicePlane::Axial, SlicePlane::Coronal, SlicePlane::Sagittal},
              slicePlaneName, parseSlicePlane, "Slice orientation");
    common.addJsonReport(c);
}

int DemoDatasetCommand::run(std::atomic_bool &, const CommandOutput &output) const
{
    DemoDatasetOptions options = m_options;
    options.outputDir = m_out;
    if (!m_volume.empty())
        options.volumeFile = m_volume;
    OutputPolicy policy;
    policy.protectFile(options.volumeFile, "the volume the demo is cut from");
    checkOutputs(policy, output);
    TerminalProgress progress(output.verbosity);
    const auto start = std::chrono::steady_clock::now();
    const auto result = buildDemoDataset(options, [&](int done, int total) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        progress.update("Writing slices", done, total, done > 0 ? elapsed / done * (total - done) : NAN);
    });
    progress.finish();
    if (options.format == DemoFormat::Png)
        progress.result("Wrote " + std::to_string(result.sliceCount) + " slices and " + result.csvFile.string());
    else
        progress.result("Wrote " + std::to_string(result.patientCount) + " "
                        + (options.format == DemoFormat::Nifti ? "NIfTI" : "DICOM") + " volumes of "
                        + std::to_string(result.sliceCount / result.patientCount) + " slices and "
                        + result.csvFile.string());
    return kExitSuccess;
}

} // namespace mri::cli
