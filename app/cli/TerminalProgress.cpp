#include "TerminalProgress.h"

#include <unistd.h>

#include <cmath>

namespace mri::cli {

namespace {
constexpr auto kInteractiveInterval = std::chrono::milliseconds(100);
constexpr auto kPlainInterval = std::chrono::seconds(5);
constexpr int kBarWidth = 28;
} // namespace

TerminalProgress::TerminalProgress(Verbosity verbosity, std::FILE *stream)
    : m_verbosity(verbosity)
    , m_stream(stream)
    , m_interactive(isatty(fileno(stream)) != 0)
{
}

TerminalProgress::~TerminalProgress()
{
    finish();
}

std::string TerminalProgress::formatDuration(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return "--:--";
    const long long total = std::llround(seconds);
    char text[32];
    if (total >= 3600)
        std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
    else
        std::snprintf(text, sizeof text, "%lld:%02lld", total / 60, total % 60);
    return text;
}

void TerminalProgress::update(const std::string &label, long long done, long long total, double etaSeconds,
                              const std::string &detail)
{
    if (m_verbosity == Verbosity::Quiet)
        return;
    const auto now = std::chrono::steady_clock::now();
    const bool last = done >= total;
    if (!last && m_barShown && now - m_lastDraw < (m_interactive ? kInteractiveInterval : kPlainInterval))
        return;
    m_lastDraw = now;
    m_barShown = true;
    const double fraction = total > 0 ? static_cast<double>(done) / total : 1.0;
    const std::string suffix = " " + std::to_string(done) + "/" + std::to_string(total) + "  ETA "
        + formatDuration(etaSeconds) + (detail.empty() ? "" : "  " + detail);
    if (m_interactive) {
        const int filled = static_cast<int>(fraction * kBarWidth);
        std::string bar(filled, '#');
        bar.append(kBarWidth - filled, '.');
        std::fprintf(m_stream, "\r\033[K%s [%s] %3d%%%s", label.c_str(), bar.c_str(),
                     static_cast<int>(fraction * 100.0), suffix.c_str());
    } else {
        std::fprintf(m_stream, "%s %3d%%%s\n", label.c_str(), static_cast<int>(fraction * 100.0), suffix.c_str());
    }
    std::fflush(m_stream);
}

void TerminalProgress::message(const std::string &line)
{
    if (m_verbosity != Verbosity::Quiet)
        print(line);
}

void TerminalProgress::warning(const std::string &line)
{
    print(line);
}

void TerminalProgress::detail(const std::string &line)
{
    if (m_verbosity == Verbosity::Verbose)
        print(line);
}

void TerminalProgress::result(const std::string &line)
{
    if (m_verbosity == Verbosity::Quiet)
        return;
    finish();
    std::fprintf(stdout, "%s\n", line.c_str());
    std::fflush(stdout);
}

void TerminalProgress::print(const std::string &line)
{
    if (m_interactive && m_barShown)
        std::fprintf(m_stream, "\r\033[K");
    std::fprintf(m_stream, "%s\n", line.c_str());
    m_lastDraw = {};
    std::fflush(m_stream);
}

void TerminalProgress::finish()
{
    if (m_interactive && m_barShown)
        std::fprintf(m_stream, "\n");
    m_barShown = false;
    std::fflush(m_stream);
}

} // namespace mri::cli
