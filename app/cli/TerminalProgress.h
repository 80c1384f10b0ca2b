#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "Verbosity.h"

namespace mri::cli {

// Progress for long commands: a redrawn bar with ETA when stderr is a
// terminal, otherwise a plain line now and then (logs, CI, pipes). Quiet
// shows only warnings; details show only when verbose.
class TerminalProgress final
{
public:
    explicit TerminalProgress(Verbosity verbosity = Verbosity::Normal, std::FILE *stream = stderr);
    ~TerminalProgress();

    // `detail` is appended after the ETA (e.g. the loss).
    void update(const std::string &label, long long done, long long total, double etaSeconds,
                const std::string &detail = {});
    // Prints a line of its own without breaking the bar.
    void message(const std::string &line);
    // A line that shows even when quiet (a row that failed).
    void warning(const std::string &line);
    // A line that shows only when verbose.
    void detail(const std::string &line);
    // The command's summary on stdout (not when quiet).
    void result(const std::string &line);
    void finish();

    static std::string formatDuration(double seconds);

private:
    void print(const std::string &line);

    Verbosity m_verbosity;
    std::FILE *m_stream;
    bool m_interactive;
    bool m_barShown = false;
    std::chrono::steady_clock::time_point m_lastDraw;
};

} // namespace mri::cli
