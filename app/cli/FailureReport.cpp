#include "FailureReport.h"

#include "io/AtomicFile.h"
#include "ExitStatus.h"
#include "ProgramName.h"
#include "RunReport.h"
#include "UsageError.h"

#include <fstream>

namespace mri::cli {

namespace {

// On a usage error nothing is known of the command's inputs, so the report
// goes only where it replaces nothing of the user's: a new file, a stream or
// device node, or an earlier report of this program.
bool mayWriteReportWithoutChecks(const std::filesystem::path &file)
{
    std::error_code error;
    if (streamDescriptorOf(file) >= 0 || !std::filesystem::exists(file, error))
        return true;
    if (!std::filesystem::is_regular_file(file, error))
        return !std::filesystem::is_directory(file, error);
    std::ifstream in(file);
    const auto earlier = ReportJson::parse(in, nullptr, false);
    return earlier.is_object() && earlier.value("program", "") == kProgram;
}

} // namespace

std::string reportFileNamedIn(const std::vector<std::string> &arguments)
{
    std::string file;
    for (std::size_t i = 0; i < arguments.size(); ++i) {
        if (arguments[i] == "--json" && i + 1 < arguments.size())
            file = arguments[i + 1];
        else if (arguments[i].rfind("--json=", 0) == 0)
            file = arguments[i].substr(7);
    }
    return file;
}

void writeFailureReport(const RunReport &report, const std::filesystem::path &file, int exitStatus,
                        const std::string &sentence)
{
    if (mayWriteReportWithoutChecks(file))
        report.write(file, exitStatus, sentence);
}

void reportUsageError(const std::vector<std::string> &arguments, const std::string &sentence)
{
    if (const std::string file = reportFileNamedIn(arguments); !file.empty())
        writeFailureReport(RunReport(arguments.front(), std::vector<std::string>(arguments.begin() + 1, arguments.end())),
                           file, kExitUsage, sentence);
    throw UsageError(sentence);
}

} // namespace mri::cli
