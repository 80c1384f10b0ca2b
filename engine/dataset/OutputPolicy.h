#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mri {

struct Dataset;

// The one rule for every file a command writes, checked before any work:
// no output may be a file the user gave us (an input image, the dataset's
// table, a ground truth, a model or state dict being read), lie inside a
// protected folder (a DICOM series being read), be a folder, or be the same
// file as another output of the run. Files are compared by resolved path and,
// where they exist, by device and inode, so a symbolic or hard link to an
// input is caught too. Streams and device nodes (/dev/stdout, /dev/null, a
// FIFO) are never "the same file" as an input and may take several outputs:
// AtomicFile writes them by opening them, not by renaming onto them.
class OutputPolicy final
{
public:
    // `what` names the file in the sentence: "the dataset's table", "the model file".
    void protectFile(const std::filesystem::path &file, const std::string &what);
    // Every file below `folder` (not the folder's siblings).
    void protectFolder(const std::filesystem::path &folder, const std::string &what);
    // The dataset's table, every row's image (each file of a DICOM series'
    // folder), and every ground truth (clean_image_path).
    void protectDataset(const Dataset &dataset);

    // `what` names the output by the option that chose it: "the --json report".
    void addOutput(const std::filesystem::path &file, const std::string &what);

    // A folder the run writes files of its own into: it may not lie in (or
    // be) a protected folder.
    void addOutputFolder(const std::filesystem::path &folder, const std::string &what);

    // Throws EngineError with one sentence for the first output that breaks the rule.
    void check() const;

private:
    struct Entry
    {
        std::filesystem::path given;    // as the user wrote it, for the sentence
        std::filesystem::path resolved; // absolute, normal, links resolved where they exist
        std::string what;
        bool exists = false;
        unsigned long long device = 0;
        unsigned long long inode = 0;
    };

    static Entry describe(const std::filesystem::path &file, const std::string &what);
    static void add(std::vector<Entry> &entries, const std::filesystem::path &path, const std::string &what);
    static bool sameFile(const Entry &a, const Entry &b);
    void checkOutput(const Entry &output) const;

    std::vector<Entry> m_files;
    std::vector<Entry> m_folders;
    std::vector<Entry> m_outputs;
    std::vector<Entry> m_outputFolders;
};

} // namespace mri
