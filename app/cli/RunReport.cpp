#include "RunReport.h"

#include "base/EngineError.h"
#include "base/Version.h"
#include "io/AtomicFile.h"
#include "io/FileDigest.h"
#include "nn/ThreadPolicy.h"
#include "ProgramName.h"

#include <unistd.h>

#include <ctime>
#include <fstream>

namespace mri::cli {

namespace {

std::string utcText(std::chrono::system_clock::time_point when)
{
    const std::time_t time = std::chrono::system_clock::to_time_t(when);
    std::tm utc{};
    gmtime_r(&time, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

std::string cpuModel()
{
    std::ifstream cpuinfo("/proc/cpuinfo");
    for (std::string line; std::getline(cpuinfo, line);) {
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            return colon == std::string::npos ? std::string() : line.substr(line.find_first_not_of(' ', colon + 1));
        }
    }
    return {};
}

std::string hostName()
{
    char name[256] = {};
    return gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string();
}

} // namespace

RunReport::RunReport(const std::string &command, const std::vector<std::string> &arguments)
    : m_started(std::chrono::system_clock::now()), m_clock(std::chrono::steady_clock::now())
{
    m_report["program"] = kProgram;
    m_report["version"] = programVersion();
    m_report["command"] = command;
    m_report["arguments"] = arguments;
    m_report["machine"] = {{"host", hostName()},
                           {"cpu", cpuModel()},
                           {"cpus_available", availableCpuCount()},
                           {"threads", resolveThreadCount(0)},
                           {"device", "cpu"}};
}

ReportJson &RunReport::operator[](const std::string &key)
{
    return m_report[key];
}

void RunReport::setModel(const std::filesystem::path &file, const std::string &sha256)
{
    ReportJson model{{"file", std::filesystem::absolute(file).lexically_normal().string()}};
    if (!sha256.empty()) {
        model["sha256"] = sha256;
        m_report["model"] = model;
        return;
    }
    try {
        model["sha256"] = sha256OfFile(file);
    } catch (const EngineError &) {
        model["sha256"] = nullptr;
    }
    m_report["model"] = model;
}

void RunReport::setCompute(int threads, const std::string &device)
{
    m_report["machine"]["threads"] = threads;
    m_report["machine"]["device"] = device;
}

void RunReport::write(const std::filesystem::path &file, int exitStatus, const std::string &error) const
{
    auto report = m_report;
    const auto finished = std::chrono::system_clock::now();
    report["started"] = utcText(m_started);
    report["finished"] = utcText(finished);
    report["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_clock).count();
    report["exit_status"] = exitStatus;
    report["error"] = error.empty() ? ReportJson(nullptr) : ReportJson(error);
    writeFileAtomically(file, report.dump(2, ' ', false, ReportJson::error_handler_t::replace) + "\n");
}

} // namespace mri::cli
