#pragma once

#include <atomic>
#include <string>

namespace CLI {
class App;
} // namespace CLI

namespace mri::cli {

class CommonOptions;
struct CommandOutput;

// One command of mri-enhance (commands/*Command.h): its name, its options and
// what it does, in one file pair. CommandLine.cpp lists them.
class Command
{
public:
    virtual ~Command() = default;

    // The name on the command line and the line of the program's help.
    virtual std::string name() const = 0;
    virtual std::string description() const = 0;
    // Adds the options to `command` (named name()), bound to this object; the
    // shared --json comes from `common`, where this command has it.
    virtual void define(CLI::App &command, CommonOptions &common) = 0;
    // After parsing: does the work and returns the exit status. Throws
    // UsageError or EngineError with one sentence.
    virtual int run(std::atomic_bool &cancel, const CommandOutput &output) const = 0;
};

} // namespace mri::cli
