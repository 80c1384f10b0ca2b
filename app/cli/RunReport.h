#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace mri::cli {

// Keys in the order they are set: program and version first, as a reader expects.
using ReportJson = nlohmann::ordered_json;

// The machine-readable account of one command (--json FILE): program and
// version, command line, start and end (UTC), exit status and error, the
// machine, and what the command adds (model and its SHA-256, settings, row
// counts, per-row errors, timings). Written atomically when the command ends,
// whether it succeeded or not.
class RunReport final
{
public:
    RunReport(const std::string &command, const std::vector<std::string> &arguments);

    // The command's own fields.
    ReportJson &operator[](const std::string &key);
    // "model": path and SHA-256 of `file`: `sha256` when the command has it
    // already, else computed (null when the file cannot be read).
    void setModel(const std::filesystem::path &file, const std::string &sha256 = {});
    // machine.threads and machine.device.
    void setCompute(int threads, const std::string &device);

    void write(const std::filesystem::path &file, int exitStatus, const std::string &error) const;

private:
    ReportJson m_report;
    std::chrono::system_clock::time_point m_started;
    std::chrono::steady_clock::time_point m_clock;
};

} // namespace mri::cli
