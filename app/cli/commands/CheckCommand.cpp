#include "CheckCommand.h"

#include "base/EngineError.h"
#include "io/ImageIO.h"
#include "io/ScanVolume.h"
#include "quality/SelfCheck.h"
#include "ExitStatus.h"
#include "OptionHelpers.h"

#include <cstdio>

namespace mri::cli {

void CheckCommand::define(CLI::App &c, CommonOptions &)
{
    addText(c, "INPUT", m_input, "FILE", "The noisy image or volume that was denoised");
    addText(c, "RESULT", m_result, "FILE", "The denoised result, on the input's grid");
    c.add_option("--coils", m_coils, "Receive coils of the noise (N of non-central chi); 0 estimates it from the "
                                     "background")
        ->check(CLI::Range(0.0, 64.0))
        ->capture_default_str();
}

int CheckCommand::run(std::atomic_bool &, const CommandOutput &) const
{
    if (m_input.empty() || m_result.empty())
        throw UsageError("'check' needs exactly two files: INPUT RESULT.");
    SelfCheck check;
    if (scanFormatOf(m_input) != ScanFormat::Picture || scanFormatOf(m_result) != ScanFormat::Picture) {
        const auto input = readScan(m_input);
        const auto result = readScan(m_result);
        if (input.size != result.size)
            throw EngineError("'" + m_result + "' is not on the grid of '" + m_input + "'.");
        check = checkEnhancement(input, result, m_coils);
    } else {
        const auto input = loadGrayscaleImage(m_input);
        const auto result = loadGrayscaleImage(m_result);
        if (input.size() != result.size())
            throw EngineError("'" + m_result + "' is not the size of '" + m_input + "'.");
        check = checkEnhancement(std::vector<cv::Mat>{input}, std::vector<cv::Mat>{result}, m_coils);
    }
    for (const auto &[field, value] : selfCheckFields(check))
        std::printf("%s=%s\n", field.c_str(), value.c_str());
    return check.verdict == Verdict::NotChecked ? kExitFailure : kExitSuccess;
}

} // namespace mri::cli
