#include "BenchmarkCommand.h"

#include "base/EngineError.h"
#include "dataset/OutputPolicy.h"
#include "quality/Noise.h"
#include "CommandOutput.h"
#include "CommonOptions.h"
#include "ExitStatus.h"
#include "OptionHelpers.h"
#include "RunReport.h"
#include "TerminalProgress.h"
#include "TrainingSettingOptions.h"

#include <cmath>
#include <cstdio>

namespace mri::cli {

namespace {

// "name:key=value,key=value". Throws UsageError.
BenchmarkVariant parseVariant(const std::string &text)
{
    const auto colon = text.find(':');
    if (colon == std::string::npos || colon == 0)
        throw UsageError("'" + text + "' is not of the form name:key=value,key=value.");
    return {text.substr(0, colon), parseSettingOverrides(splitList(text.substr(colon + 1)))};
}

std::vector<double> parseSigmas(const std::string &text)
{
    std::vector<double> sigmas;
    for (const auto &item : splitList(text)) {
        const auto sigma = readNumber<double>(item);
        if (!sigma || !(*sigma > 0.0 && *sigma < 1.0))
            throw UsageError("Noise levels are fractions of the intensity range such as 0.05,0.10, not '" + item + "'.");
        sigmas.push_back(*sigma);
    }
    if (sigmas.empty())
        throw UsageError("At least one noise level is needed, such as 0.05,0.10.");
    return sigmas;
}

// The report's table as JSON rows: numbers as numbers, names as text.
ReportJson resultsJson(const QualityBenchmarkReport &report)
{
    const auto table = benchmarkCsv(report);
    auto rows = ReportJson::array();
    for (const auto &fields : table.rows) {
        ReportJson row = ReportJson::object();
        for (std::size_t c = 0; c < table.header.size() && c < fields.size(); ++c) {
            const auto number = readNumber<double>(fields[c]);
            row[table.header[c]] = number && std::isfinite(*number) ? ReportJson(*number) : ReportJson(fields[c]);
        }
        rows.push_back(row);
    }
    return rows;
}

// `base`: the report's path without its extension.
void reportBenchmark(RunReport &json, const QualityBenchmarkOptions &options, const QualityBenchmarkReport &report,
                     const std::filesystem::path &base)
{
    auto sigmas = ReportJson::array();
    for (const auto sigma : options.sigmas)
        sigmas.push_back(sigma);
    json["settings"] = {{"clean", options.cleanDir.string()},
                        {"sigmas", sigmas},
                        {"noise", noiseSpecName(options.noise)},
                        {"train_minutes", options.trainMinutes},
                        {"ablation_minutes", options.ablationMinutes},
                        {"methods", options.methods},
                        {"seed", options.seed},
                        {"repeats", options.repeats},
                        {"train_on_test", options.trainOnTest}};
    json["counts"] = {{"training_slices", report.trainingSlices},
                      {"held_out_slices", report.heldOutSlices},
                      {"unseen_slices", report.unseenSlices}};
    json["results"] = resultsJson(report);
    json["report_files"] = {base.string() + ".md", base.string() + ".csv", base.string() + ".png"};
}

} // namespace

void BenchmarkCommand::define(CLI::App &c, CommonOptions &common)
{
    addText(c, "--clean", m_clean, "DIR", "Clean slices: split into training and held-out")->required();
    auto *unseen = c.add_option("--unseen", m_unseen,
                                "Clean slices of other MRI, each folder its own columns: scored, never trained on "
                                "(with --train-on-test: trained on and scored); repeatable");
    unseen->type_name("DIR")->allow_extra_args(false);
    std::vector<std::string> sigmas;
    for (const auto sigma : m_options.sigmas)
        sigmas.push_back(numberText(sigma));
    addParsedOption<std::vector<double>>(c, "--sigma",
                                         "Noise levels as fractions of the intensity range (default "
                                             + joined(sigmas, ",") + ")",
                                         parseSigmas,
                                         [this](const std::vector<double> &value) { m_options.sigmas = value; })
        ->type_name("S,S,...");
    addNoiseSpec(c, m_options.noise);
    addNumber(c, "--train-minutes", m_options.trainMinutes, 0.05, 600.0,
              "Training budget of the default pipeline per noise level");
    addNumber(c, "--ablation-minutes", m_options.ablationMinutes, 0.0, 600.0,
              "Training budget of the other trained rows; 0: the same as --train-minutes");
    addText(c, "--methods", m_methods, "NAME,NAME,...",
            "Rows to run: " + joined(benchmarkMethodNames(), ", ") + " (default: all)");
    addNumber<std::uint64_t>(c, "--seed", m_options.seed, 1, kLargestSeed, "Seed of the noise and the training");
    addNumber(c, "--repeats", m_options.repeats, 1, 20,
              "Run everything this many times with seeds SEED, SEED+1, ...; the report gives means and spreads");
    c.add_flag("--train-on-test", m_options.trainOnTest,
               "As a user works: no held-out split; the trained rows train on each set's own noisy slices and "
               "are scored on them");
    auto *variant = c.add_option("--variant", m_variants,
                                 "An extra trained row: the default pipeline with these training settings; "
                                 "repeatable");
    variant->type_name("NAME:KEY=VALUE,...")->allow_extra_args(false);
    variant->check(checkedBy([](const std::string &text) { parseVariant(text); }));
    addSettingOverrideOption(c, m_settings,
                             "A training setting for every trained row, applied last (keys: see 'mri-enhance train "
                             "--help'); repeatable");
    addText(c, "--out", m_out, "REPORT", "Report to write (default " + m_out + ")");
    addText(c, "--work-dir", m_workDir, "DIR", "Folder for the trained models (default: REPORT-models)");
    common.addJsonReport(c);
}

QualityBenchmarkOptions BenchmarkCommand::options() const
{
    QualityBenchmarkOptions options = m_options;
    options.cleanDir = m_clean;
    options.unseenDirs.assign(m_unseen.begin(), m_unseen.end());
    options.methods = splitList(m_methods);
    for (const auto &variant : m_variants)
        options.variants.push_back(parseVariant(variant));
    options.settings = parseSettingOverrides(m_settings);
    const std::filesystem::path out = m_out;
    options.workDir = !m_workDir.empty() ? std::filesystem::path(m_workDir)
                                         : out.parent_path() / (out.stem().string() + "-models");
    return options;
}

int BenchmarkCommand::run(std::atomic_bool &cancel, const CommandOutput &output) const
{
    const QualityBenchmarkOptions options = this->options();
    const std::filesystem::path out = m_out;
    auto base = out;
    base.replace_extension();
    OutputPolicy policy;
    policy.protectFolder(options.cleanDir, "the clean slices (--clean)");
    for (const auto &unseen : options.unseenDirs)
        policy.protectFolder(unseen, "the unseen slices (--unseen)");
    for (const char *ending : {".md", ".csv", ".png"})
        policy.addOutput(base.string() + ending, std::string("the report's ") + (ending + 1) + " file (--out)");
    policy.addOutputFolder(options.workDir, "the models' folder (--work-dir)");
    checkOutputs(policy, output);
    TerminalProgress progress(output.verbosity);
    QualityBenchmarkReport report;
    try {
        report = runQualityBenchmark(options, [&](const std::string &line) { progress.message(line); }, cancel);
    } catch (const EngineError &) {
        if (!cancel)
            throw;
        progress.warning("Benchmark interrupted; no report was written.");
        return kExitInterrupted;
    }
    writeBenchmarkReport(report, out);
    if (output.report)
        reportBenchmark(*output.report, options, report, base);
    if (output.verbosity != Verbosity::Quiet)
        std::fputs(formatBenchmarkMarkdown(report).c_str(), stdout);
    progress.result("\nWrote " + base.string() + ".md, " + base.string() + ".csv and " + base.string() + ".png");
    return kExitSuccess;
}

} // namespace mri::cli
