#include "CommandLine.h"

#include "base/EngineError.h"
#include "base/Version.h"
#include "commands/BenchmarkCommand.h"
#include "commands/CheckCommand.h"
#include "commands/CompareCommand.h"
#include "commands/DemoDatasetCommand.h"
#include "commands/EnhanceCommand.h"
#include "commands/ExportModelCommand.h"
#include "commands/ImportModelCommand.h"
#include "commands/MergeCommand.h"
#include "commands/MetricsCommand.h"
#include "commands/TrainCommand.h"
#include "CommandOutput.h"
#include "CommonOptions.h"
#include "FailureReport.h"
#include "OptionHelpers.h"
#include "ProgramName.h"
#include "RunReport.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace mri::cli {

namespace {

const char *kDescription = "mri-enhance: denoise and enhance MRI (slices, NIfTI volumes, DICOM series) with a U-Net, score them with PSNR and SSIM.";

const char *kFooter = R"(A dataset is a folder with brain_tumor_info.csv (columns patient_id and image_path, others kept), or a
folder of images. Results go into the dataset folder, or into the user's data folder when it is not writable.
Run 'mri-enhance COMMAND --help' for the options of a command.
Cluster: 'enhance --shard I/N' on each of N tasks, then 'merge' (see the README, "Running on a cluster").
Exit status: 0 success, 1 failure, 2 usage error, 3 some rows failed, 130 interrupted.)";

// Every command of mri-enhance, in the order of its help. A new command is a
// file pair in commands/ and one line here.
std::vector<std::unique_ptr<Command>> makeCommands()
{
    std::vector<std::unique_ptr<Command>> commands;
    commands.push_back(std::make_unique<DemoDatasetCommand>());
    commands.push_back(std::make_unique<TrainCommand>());
    commands.push_back(std::make_unique<EnhanceCommand>());
    commands.push_back(std::make_unique<CompareCommand>());
    commands.push_back(std::make_unique<MetricsCommand>());
    commands.push_back(std::make_unique<CheckCommand>());
    commands.push_back(std::make_unique<BenchmarkCommand>());
    commands.push_back(std::make_unique<ExportModelCommand>());
    commands.push_back(std::make_unique<ImportModelCommand>());
    commands.push_back(std::make_unique<MergeCommand>());
    return commands;
}

// The commands described to CLI11, each bound to the object that fills in its values and runs it.
struct Program
{
    CLI::App app{kDescription, kProgram};
    CommonOptions common;
    std::vector<std::unique_ptr<Command>> commands = makeCommands();
    std::vector<CLI::App *> subcommands; // of commands[i]

    Program()
    {
        app.set_version_flag("--version", std::string(kProgram) + " " + programVersion(), "Print the version and exit");
        // As before CLI11: an option given twice takes its last value.
        app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
        for (const auto &command : commands) {
            auto *subcommand = app.add_subcommand(command->name(), command->description());
            command->define(*subcommand, common);
            common.addVerbosityFlags(*subcommand);
            subcommands.push_back(subcommand);
        }
        app.footer(kFooter); // after the commands, which would inherit it
    }

    // The command named first, or nullptr.
    CLI::App *commandNamed(const std::string &name)
    {
        for (auto *command : app.get_subcommands({})) {
            if (command->get_name() == name)
                return command;
        }
        return nullptr;
    }

    // The command of type T (for the parse hooks of CommandLine.h).
    template <typename T>
    T &command()
    {
        for (const auto &entry : commands) {
            if (auto *found = dynamic_cast<T *>(entry.get()))
                return *found;
        }
        throw std::logic_error("a command missing from makeCommands()");
    }

    // The command that was parsed, or nullptr. CLI11 also takes several on one
    // line ("train ... enhance ..."), of which one runs: the first in the help's
    // order, but merge before export-model and import-model (as it always has).
    Command *commandToRun() const
    {
        Command *first = nullptr;
        Command *merge = nullptr;
        for (std::size_t i = 0; i < commands.size(); ++i) {
            if (!app.got_subcommand(subcommands[i]))
                continue;
            if (!first)
                first = commands[i].get();
            if (commands[i]->name() == "merge")
                merge = commands[i].get();
        }
        const bool modelExchange = first && (first->name() == "export-model" || first->name() == "import-model");
        return modelExchange && merge ? merge : first;
    }

    void parse(const std::vector<std::string> &arguments)
    {
        std::vector<std::string> reversed(arguments.rbegin(), arguments.rend()); // CLI11 takes them last first
        app.parse(reversed);
    }

    // CLI11's message as one sentence, with where to look for help.
    std::string usageSentence(const CLI::Error &error) const
    {
        const auto selected = app.get_subcommands();
        const std::string command = selected.empty() ? std::string(kProgram)
                                                     : std::string(kProgram) + " " + selected.front()->get_name();
        std::string text = error.what();
        if (dynamic_cast<const CLI::ExtrasError *>(&error)) {
            // CLI11 2.1 lists the extras last first; name them as they were typed.
            const auto extras = app.remaining(true);
            text = std::string(extras.size() > 1 ? "Unexpected arguments" : "Unexpected argument") + " for '" + command
                + "': " + joined(extras, " ");
        }
        while (!text.empty() && (text.back() == '.' || text.back() == '\n'))
            text.pop_back();
        return text + "; run '" + command + " --help'.";
    }
};

bool asksForHelp(const std::vector<std::string> &arguments)
{
    return std::any_of(arguments.begin(), arguments.end(), [](const std::string &a) { return a == "--help" || a == "-h"; });
}

int runParsedCommand(Program &program, std::atomic_bool &cancel, const CommandOutput &output)
{
    if (const auto *command = program.commandToRun())
        return command->run(cancel, output);
    std::fputs(program.app.help().c_str(), stderr);
    return kExitUsage;
}

// Runs the parsed command and writes its --json report however it ends, with its exit status and sentence.
int runWithReport(Program &program, const std::vector<std::string> &arguments, std::atomic_bool &cancel,
                  CommandOutput &output)
{
    RunReport report(arguments.front(), std::vector<std::string>(arguments.begin() + 1, arguments.end()));
    output.report = &report;
    output.reportFile = program.common.reportFile();
    const std::filesystem::path reportFile = program.common.reportFile();
    int status = kExitFailure;
    // A command that failed may not have checked its outputs yet (or refused
    // the report's path): its report replaces only what may be replaced unchecked.
    const auto reportFailure = [&](int exitStatus, const std::string &sentence) {
        writeFailureReport(report, reportFile, exitStatus, sentence);
    };
    try {
        status = runParsedCommand(program, cancel, output);
    } catch (const UsageError &error) {
        reportFailure(kExitUsage, error.what());
        throw;
    } catch (const EngineError &error) {
        reportFailure(kExitFailure, error.what());
        throw;
    } catch (const std::exception &error) {
        reportFailure(kExitFailure, std::string("unexpected failure: ") + error.what());
        throw;
    }
    report.write(reportFile, status, {});
    if (output.verbosity == Verbosity::Verbose)
        std::fprintf(stderr, "Report written to %s\n", reportFile.c_str());
    return status;
}

// Parses and runs; usage errors are thrown (UsageError, with the --json report written).
int parseAndRun(Program &program, const std::vector<std::string> &arguments, std::atomic_bool &cancel)
{
    const auto &first = arguments.front();
    auto *named = program.commandNamed(first);
    // --help anywhere shows the help of the command, whatever else is on the line.
    if (asksForHelp(arguments)) {
        std::fputs((named ? named->help(kProgram) : program.app.help()).c_str(), stdout);
        return kExitSuccess;
    }
    if (!named && first.rfind("-", 0) != 0)
        reportUsageError(arguments, "Unknown command '" + first + "'; run 'mri-enhance --help'.");
    try {
        program.parse(arguments);
    } catch (const CLI::Success &) {
        throw;
    } catch (const CLI::Error &error) {
        reportUsageError(arguments, program.usageSentence(error));
    }
    CommandOutput output;
    output.verbosity = program.common.verbosity();
    if (program.common.reportFile().empty())
        return runParsedCommand(program, cancel, output);
    return runWithReport(program, arguments, cancel, output);
}

// Parses `arguments` as those after the name of command T, without running it,
// and returns T. Throws UsageError.
template <typename T>
T &parseCommand(Program &program, const std::vector<std::string> &arguments)
{
    auto &command = program.command<T>();
    std::vector<std::string> line{command.name()};
    line.insert(line.end(), arguments.begin(), arguments.end());
    try {
        program.parse(line);
    } catch (const CLI::Error &error) {
        throw UsageError(program.usageSentence(error));
    }
    return command;
}

} // namespace

int run(const std::vector<std::string> &arguments, std::atomic_bool &cancel)
{
    Program program;
    if (arguments.empty()) {
        std::fputs(program.app.help().c_str(), stderr);
        return kExitUsage;
    }
    try {
        return parseAndRun(program, arguments, cancel);
    } catch (const CLI::CallForVersion &version) {
        std::printf("%s\n", version.what());
        return kExitSuccess;
    } catch (const CLI::Success &) {
        std::fputs(program.app.help().c_str(), stdout);
        return kExitSuccess;
    } catch (const CLI::Error &error) {
        std::fprintf(stderr, "%s: %s\n", kProgram, program.usageSentence(error).c_str());
        return kExitUsage;
    } catch (const UsageError &error) {
        std::fprintf(stderr, "%s: %s\n", kProgram, error.what());
        return kExitUsage;
    } catch (const EngineError &error) {
        std::fprintf(stderr, "%s: %s\n", kProgram, error.what());
        return kExitFailure;
    } catch (const std::exception &error) {
        std::fprintf(stderr, "%s: unexpected failure: %s\n", kProgram, error.what());
        return kExitFailure;
    }
}

TrainingOptions parseTrainOptions(const std::vector<std::string> &arguments)
{
    Program program;
    return parseCommand<TrainCommand>(program, arguments).options();
}

QualityBenchmarkOptions parseBenchmarkOptions(const std::vector<std::string> &arguments)
{
    Program program;
    return parseCommand<BenchmarkCommand>(program, arguments).options();
}

} // namespace mri::cli
