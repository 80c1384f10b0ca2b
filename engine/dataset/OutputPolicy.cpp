#include "dataset/OutputPolicy.h"

#include "base/EngineError.h"
#include "dataset/Dataset.h"
#include "io/AtomicFile.h"
#include "io/PathIdentity.h"

#include <sys/stat.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace fs = std::filesystem;

namespace mri {

namespace {

bool isInside(const fs::path &file, const fs::path &folder)
{
    auto f = file.begin();
    for (auto part = folder.begin(); part != folder.end(); ++part, ++f) {
        if (part->empty() && std::next(part) == folder.end())
            break; // a trailing separator
        if (f == file.end() || *f != *part)
            return false;
    }
    return f != file.end();
}

} // namespace

OutputPolicy::Entry OutputPolicy::describe(const fs::path &file, const std::string &what)
{
    Entry entry;
    entry.given = file;
    entry.resolved = resolvedPath(file);
    entry.what = what;
    struct stat status{};
    if (::stat(file.c_str(), &status) == 0) {
        entry.exists = true;
        entry.device = status.st_dev;
        entry.inode = status.st_ino;
    }
    return entry;
}

void OutputPolicy::add(std::vector<Entry> &entries, const fs::path &path, const std::string &what)
{
    if (!path.empty()) // an option not given
        entries.push_back(describe(path, what));
}

bool OutputPolicy::sameFile(const Entry &a, const Entry &b)
{
    if (a.exists && b.exists)
        return a.device == b.device && a.inode == b.inode;
    return a.resolved == b.resolved;
}

void OutputPolicy::protectFile(const fs::path &file, const std::string &what)
{
    add(m_files, file, what);
}

void OutputPolicy::protectFolder(const fs::path &folder, const std::string &what)
{
    add(m_folders, folder, what);
}

void OutputPolicy::protectDataset(const Dataset &dataset)
{
    protectFile(dataset.csvFile, "the dataset's table");
    for (std::size_t i = 0; i < dataset.rows.size(); ++i) {
        const auto &row = dataset.rows[i];
        if (!row.imagePathText.empty()) {
            std::error_code error;
            if (fs::is_directory(row.imagePath, error)) {
                // A DICOM series: its DICOM files (the folder may hold other inputs and results too).
                for (fs::directory_iterator it(row.imagePath, error), end; !error && it != end; it.increment(error)) {
                    if (it->is_regular_file(error) && hasDicomPreamble(it->path()))
                        protectFile(it->path(), "a file of the input series of " + dataset.describeRow(i));
                }
            } else {
                protectFile(row.imagePath, "the input image of " + dataset.describeRow(i));
            }
        }
        protectFile(cleanImagePathOf(dataset, i), "the ground truth of " + dataset.describeRow(i));
    }
}

void OutputPolicy::addOutput(const fs::path &file, const std::string &what)
{
    add(m_outputs, file, what);
}

void OutputPolicy::addOutputFolder(const fs::path &folder, const std::string &what)
{
    add(m_outputFolders, folder, what);
}

void OutputPolicy::checkOutput(const Entry &output) const
{
    if (isStreamOrNode(output.given))
        return; // a stream or a device node: written by opening it, nothing is replaced
    std::string named = output.what + " '" + output.given.string() + "'";
    named[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(named[0])));
    std::error_code error;
    if (fs::is_directory(output.given, error))
        throw EngineError(named + " is a folder; name a file.");
    for (const auto &file : m_files) {
        if (sameFile(output, file))
            throw EngineError(named + " would overwrite " + file.what + "; choose another path.");
    }
    for (const auto &folder : m_folders) {
        if (isInside(output.resolved, folder.resolved))
            throw EngineError(named + " lies in " + folder.what + " ('" + folder.given.string()
                              + "'); choose a path outside it.");
    }
}

void OutputPolicy::check() const
{
    for (const auto &output : m_outputFolders) {
        for (const auto &folder : m_folders) {
            if (output.resolved == folder.resolved || isInside(output.resolved, folder.resolved))
                throw EngineError("The folder '" + output.given.string() + "' of " + output.what + " lies in "
                                  + folder.what + " ('" + folder.given.string() + "'); choose a folder outside it.");
        }
    }
    for (std::size_t i = 0; i < m_outputs.size(); ++i) {
        const auto &output = m_outputs[i];
        checkOutput(output);
        if (isStreamOrNode(output.given))
            continue;
        for (std::size_t j = 0; j < i; ++j) {
            if (sameFile(output, m_outputs[j]))
                throw EngineError("'" + output.given.string() + "' is both " + m_outputs[j].what + " and "
                                  + output.what + "; give them different paths.");
        }
    }
}

} // namespace mri
