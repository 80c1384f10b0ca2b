#pragma once

// Models that travel: the weights of a model file as a PyTorch state dict that
// Python's torch.load reads, and back. The network in Python is
// python/mri_enhance_network.py (the same module names, so the keys match).
//
// A state dict file holds only tensors (a dict of name -> tensor, written as
// Python's torch.save writes it), so that
//   net.load_state_dict(torch.load(OUT))
// works as is. The settings travel beside it in settingsFileOf(OUT) (OUT +
// ".json"): the model file's JSON header (engine/model/ModelFile.h), whose
// "settings" object holds every training setting by its key.

#include "model/TrainingOptions.h"

#include <filesystem>
#include <optional>
#include <string>

namespace mri {

enum class ExchangeFormat
{
    PyTorch, // "pytorch": a state dict for torch.load, settings in OUT.json
};

std::string exchangeFormatName(ExchangeFormat format);
std::optional<ExchangeFormat> parseExchangeFormat(const std::string &name);

// The settings file that goes with a state dict: the same name with ".json" appended.
std::filesystem::path settingsFileOf(const std::filesystem::path &stateDict);

struct ExportedModel
{
    std::filesystem::path stateDict;
    std::filesystem::path settingsFile;
    int tensors = 0;
    NetworkConfig network;
};

// Writes the weights and buffers of `modelFile` to `out` and its settings to
// settingsFileOf(out), each atomically. Throws EngineError naming the file.
ExportedModel exportModel(const std::filesystem::path &modelFile, const std::filesystem::path &out,
                          ExchangeFormat format = ExchangeFormat::PyTorch);

// The settings of a settings file: a JSON object whose "settings" object holds
// training settings by key (an exported OUT.json, or one Python wrote; keys
// it lacks keep `defaults`' values). Throws EngineError naming the file and
// the setting for bad JSON or a value of the wrong type or out of range.
TrainingOptions readExchangeSettings(const std::filesystem::path &settingsFile, const TrainingOptions &defaults = {});

struct ImportedModel
{
    int tensors = 0;
    NetworkConfig network; // concrete: neighbour slices decided
    // What was read besides a plain state dict ("read the state dict under
    // 'state_dict' of its dict of ...; removed the prefix 'module.' ..."); empty for a plain one.
    std::string found;
};

// Builds the network `settings` describe (automatic neighbour slices: read
// from the first convolution's input channels), fills it with the tensors of
// the state dict `stateDict` and writes `modelFile` (atomically), which
// `enhance` and `train --resume` read. `stateDict` is a torch.save archive of
// a dict or state_dict()'s OrderedDict of tensors, also wrapped in a dict
// under 'state_dict', 'model_state_dict' or 'model' (a training checkpoint)
// and with nn.DataParallel's 'module.' before every key. Throws EngineError
// with one sentence naming the file (and keys) when it is not such a file
// (a legacy-format file, one cut short, a whole pickled network), lacks
// tensors the network needs, has ones it does not, one of another shape, or
// a weight that is NaN or Inf.
ImportedModel importModel(const std::filesystem::path &stateDict, const TrainingOptions &settings,
                          const std::filesystem::path &modelFile);

} // namespace mri
