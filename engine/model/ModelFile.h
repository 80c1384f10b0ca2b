#pragma once

// The model file's layout, without LibTorch. Version 2 (this release):
//
//   mri-enhance-model\n
//   <byte count of the JSON header>\n
//   <JSON header: format, schema_version, written_by, settings (every key of
//    the table of training settings, typed), epochs_completed, global_step,
//    history>
//   <LibTorch archive: weights and optimiser state>
//
// so that the description is read without touching the weights. Version 1
// (release 0.1.0) is a bare LibTorch archive whose "meta" entry holds
// key=value lines; it is still read (engine/nn/Checkpoint.cpp).

#include "model/EpochSummary.h"
#include "model/TrainingOptions.h"

#include <filesystem>
#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace mri {

inline constexpr int kModelFileVersion = 2;

// Everything about a training run that is not a tensor.
struct ModelFileHeader
{
    int formatVersion = kModelFileVersion;
    TrainingOptions settings;          // modelFile and resume are not stored
    int epochsCompleted = 0;
    long long globalStep = 0;
    std::vector<EpochSummary> history;
};

std::string encodeModelHeader(const ModelFileHeader &header);
// Every training setting of `settings` as a JSON object (key: typed value), as the header stores them.
std::string trainingSettingsJson(const TrainingOptions &settings);
// Throws EngineError naming `file` for malformed JSON, a newer schema, a
// missing field or a stored setting out of its range.
ModelFileHeader decodeModelHeader(const std::string &json, const std::filesystem::path &file);
// Version 1's key=value text, read through the same table of settings.
ModelFileHeader decodeVersion1Meta(const std::string &text, const std::filesystem::path &file);

// Writes header and archive atomically (temporary name, then rename).
void writeModelFile(const std::filesystem::path &file, const ModelFileHeader &header, const std::string &archive);

// Reads the header of a version-2 file; std::nullopt when the file is not in
// that layout (a version-1 file, or not a model at all). Throws EngineError
// when the file is missing or unreadable, or its header is damaged.
std::optional<ModelFileHeader> readModelFileHeader(const std::filesystem::path &file);
// The same from a stream at the start of the file's bytes (left after the
// header); `file` names it in error sentences.
std::optional<ModelFileHeader> readModelFileHeader(std::istream &in, const std::filesystem::path &file);
// The LibTorch archive of a version-2 file (header read and checked too).
std::string readModelFileArchive(const std::filesystem::path &file, ModelFileHeader &header);

} // namespace mri
