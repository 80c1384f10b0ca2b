#pragma once

// How the workers turn a failed job into the one sentence the GUI shows.

#include <QString>

#include <exception>
#include <optional>

namespace studio {

// The engine's own sentence (EngineError and the standard exceptions say what went wrong).
inline QString sentenceOf(const std::exception &error)
{
    return QString::fromStdString(error.what());
}

// Runs `work`; returns nothing when it finished, else the sentence of what it
// threw, or `unexpected` for anything that is not a std::exception.
template <typename Work>
std::optional<QString> failureOf(const QString &unexpected, Work &&work)
{
    try {
        work();
        return std::nullopt;
    } catch (const std::exception &error) {
        return sentenceOf(error);
    } catch (...) {
        return unexpected;
    }
}

} // namespace studio
