#pragma once

#include "benchmark/QualityBenchmark.h"
#include "Command.h"

#include <string>
#include <vector>

namespace mri::cli {

// benchmark --clean DIR: the enhancers against ground truth, and a report (.md, .csv, .png).
class BenchmarkCommand final : public Command
{
public:
    std::string name() const override { return "benchmark"; }
    std::string description() const override
    {
        return "Measure the enhancers against ground truth and write a report (.md, .csv and .png)";
    }
    void define(CLI::App &command, CommonOptions &common) override;
    int run(std::atomic_bool &cancel, const CommandOutput &output) const override;

    // After parsing: what it runs with. Throws UsageError.
    QualityBenchmarkOptions options() const;

private:
    QualityBenchmarkOptions m_options;
    std::string m_clean;
    std::vector<std::string> m_unseen;
    std::string m_methods;
    std::string m_out = "benchmark-report.md";
    std::string m_workDir;
    std::vector<std::string> m_variants;
    std::vector<std::string> m_settings;
};

} // namespace mri::cli
