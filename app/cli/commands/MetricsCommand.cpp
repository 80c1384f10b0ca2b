#include "MetricsCommand.h"

#include "base/EngineError.h"
#include "io/ImageIO.h"
#include "io/ScanVolume.h"
#include "quality/Metrics.h"
#include "quality/VolumeMetrics.h"
#include "ExitStatus.h"
#include "OptionHelpers.h"

#include <cstdio>

namespace mri::cli {

void MetricsCommand::define(CLI::App &c, CommonOptions &)
{
    // Not required here: a missing one gets the sentence of run().
    addText(c, "REFERENCE", m_reference, "FILE", "Reference image, or volume (NIfTI file, DICOM file or series folder)");
    addText(c, "TEST", m_test, "FILE", "Image to score");
}

int MetricsCommand::run(std::atomic_bool &, const CommandOutput &) const
{
    if (m_reference.empty() || m_test.empty())
        throw UsageError("'metrics' needs exactly two image files: REFERENCE TEST.");
    const auto &referenceFile = m_reference;
    const auto &testFile = m_test;
    if (scanFormatOf(referenceFile) != ScanFormat::Picture || scanFormatOf(testFile) != ScanFormat::Picture) {
        // Volumes: the 3-D metrics with the reference's declared range.
        const auto reference = readScan(referenceFile);
        const auto test = readScan(testFile);
        const auto metrics = compareVolumes(reference, test);
        std::printf("PSNR=%s SSIM=%s data_range=%s\n", formatMetric(metrics.psnr, 4).c_str(),
                    formatMetric(metrics.ssim, 6).c_str(), formatMetric(reference.dataRange, 6).c_str());
        return kExitSuccess;
    }
    const auto reference = loadGrayscaleImage(referenceFile);
    const auto test = loadGrayscaleImage(testFile);
    if (reference.size() != test.size())
        throw EngineError("'" + referenceFile + "' is " + std::to_string(reference.cols) + "x"
                          + std::to_string(reference.rows) + " but '" + testFile + "' is "
                          + std::to_string(test.cols) + "x" + std::to_string(test.rows) + ".");
    if (reference.depth() != test.depth())
        throw EngineError("'" + referenceFile + "' and '" + testFile + "' have different bit depths.");
    const auto metrics = compareImages(reference, test);
    std::printf("PSNR=%s SSIM=%s\n", formatMetric(metrics.psnr, 4).c_str(), formatMetric(metrics.ssim, 6).c_str());
    return kExitSuccess;
}

} // namespace mri::cli
