#include "training/ModelExchange.h"

#include "base/EngineError.h"
#include "io/AtomicFile.h"
#include "model/ModelFile.h"
#include "model/TrainingSettings.h"
#include "nn/Checkpoint.h"
#include "nn/TorchPickle.h"
#include "nn/UNet.h"

#include <nlohmann/json.hpp>
#include <torch/serialize.h>
#include <torch/torch.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <cctype>
#include <map>
#include <vector>

namespace mri {

namespace {

using Json = nlohmann::json;
using nn::kindName;
using nn::Pickled;

std::string quoted(const std::filesystem::path &file)
{
    return "'" + file.string() + "'";
}

std::string firstLine(const std::string &text)
{
    auto line = text.substr(0, text.find('\n'));
    while (!line.empty() && (line.back() == '.' || line.back() == ' '))
        line.pop_back();
    return line;
}

std::string shapeText(const torch::Tensor &tensor)
{
    std::string text = "[";
    for (int64_t d = 0; d < tensor.dim(); ++d)
        text += (d ? ", " : "") + std::to_string(tensor.size(d));
    return text + "]";
}

// "depth 2, base_channels 16, ...": every setting of the network's shape, from the table.
std::string describeNetwork(const NetworkConfig &network)
{
    TrainingOptions options;
    options.network = network;
    std::string text;
    for (const auto &setting : trainingSettings()) {
        if (setting.networkShape)
            text += (text.empty() ? "" : ", ") + setting.key + " "
                + formatSettingValue(setting, setting.get(options));
    }
    return text;
}

// Parameters and buffers by their module path ("encoders.0.first.weight"), as
// Python's state_dict() names them.
std::vector<std::pair<std::string, torch::Tensor>> namedTensors(nn::UNet &net)
{
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    for (const auto &item : net->named_parameters(true))
        tensors.emplace_back(item.key(), item.value());
    for (const auto &item : net->named_buffers(true))
        tensors.emplace_back(item.key(), item.value());
    return tensors;
}

std::vector<char> readBytes(const std::filesystem::path &file, const std::string &what)
{
    std::error_code error;
    if (std::filesystem::is_directory(file, error))
        throw EngineError(what + " " + quoted(file) + " is a folder, not a file.");
    if (!std::filesystem::exists(file, error))
        throw EngineError(what + " " + quoted(file) + " does not exist.");
    std::ifstream in(file, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof())
        throw EngineError(what + " " + quoted(file) + " cannot be read.");
    return bytes;
}

// The value torch.save wrote into `file`. Throws EngineError with one sentence
// naming the file for what it is when it is not a readable torch.save archive.
nn::PickledPtr unpickleFile(const std::filesystem::path &file)
{
    const auto bytes = readBytes(file, "State dict file");
    try {
        return nn::unpickleTorchSave(bytes, file);
    } catch (const EngineError &) {
        throw;
    } catch (const std::exception &error) {
        throw EngineError(quoted(file) + " is not a readable PyTorch state dict file (" + firstLine(error.what())
                          + ").");
    }
}

// "'a', 'b', 'c' and 4 more"
std::string someNames(const std::vector<std::string> &names, std::size_t most = 3)
{
    std::string text;
    for (std::size_t i = 0; i < names.size() && i < most; ++i)
        text += (i == 0 ? "'" : (i + 1 == names.size() ? " and '" : ", '")) + names[i] + "'";
    if (names.size() > most)
        text += " and " + std::to_string(names.size() - most) + " more";
    return text;
}

bool allTensors(const Pickled &dict)
{
    return std::all_of(dict.entries.begin(), dict.entries.end(), [](const auto &entry) {
        return entry.first->kind == Pickled::Kind::Text && entry.second->kind == Pickled::Kind::Tensor;
    });
}

struct StateDict
{
    std::map<std::string, torch::Tensor> tensors;
    std::vector<std::string> order; // the file's order, for naming keys
    std::vector<std::string> notes; // what was read besides a plain state dict
};

// The tensors of a state dict file, by name, unwrapped from {'state_dict': ...}
// or {'model': ...} and from DataParallel's "module." prefix. Throws
// EngineError naming the file and what it holds instead.
StateDict readStateDict(const std::filesystem::path &file)
{
    const auto root = unpickleFile(file);
    if (root->kind == Pickled::Kind::Object)
        throw EngineError(quoted(file) + " holds a " + kindName(*root)
                          + " (a whole pickled network?), not a state dict; save net.state_dict() instead.");
    if (root->kind != Pickled::Kind::Dict)
        throw EngineError(quoted(file) + " holds a " + kindName(*root)
                          + ", not a state dict (a dict of tensor names to tensors).");
    if (root->entries.empty())
        throw EngineError(quoted(file) + " is an empty dict, not the state dict of a network.");
    StateDict result;
    const Pickled *dict = root.get();
    if (!allTensors(*dict)) {
        // A checkpoint's dict: the state dict under one of the usual keys.
        std::vector<std::string> keys;
        const Pickled *inner = nullptr;
        std::string innerKey;
        for (const auto &[key, value] : dict->entries) {
            if (key->kind != Pickled::Kind::Text)
                throw EngineError(quoted(file) + " has a key that is not a tensor name (a " + kindName(*key)
                                  + "), so it is not a state dict.");
            keys.push_back(key->text);
            if (!inner && (key->text == "state_dict" || key->text == "model_state_dict" || key->text == "model")) {
                if (value->kind == Pickled::Kind::Object)
                    throw EngineError("The entry '" + key->text + "' of " + quoted(file) + " is a "
                                      + kindName(*value)
                                      + " (a whole pickled network?), not a state dict; save net.state_dict() "
                                        "instead.");
                if (value->kind == Pickled::Kind::Dict && !value->entries.empty() && allTensors(*value)) {
                    inner = value.get();
                    innerKey = key->text;
                }
            }
        }
        if (!inner) {
            for (const auto &[key, value] : dict->entries) {
                if (value->kind != Pickled::Kind::Tensor)
                    throw EngineError(quoted(file) + " holds a dict of " + someNames(keys, 5)
                                      + ", not a state dict: its entry '" + key->text + "' is a " + kindName(*value)
                                      + ", not a tensor, and it has no 'state_dict' or 'model' entry that holds "
                                        "one.");
            }
        }
        dict = inner;
        result.notes.push_back("read the state dict under '" + innerKey + "' of its dict of " + someNames(keys, 5));
    }
    std::vector<std::string> names;
    for (const auto &entry : dict->entries)
        names.push_back(entry.first->text);
    // nn.DataParallel and DistributedDataParallel save "module." before every key.
    const std::string prefix = "module.";
    const bool prefixed = std::all_of(names.begin(), names.end(), [&](const std::string &name) {
        return name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0;
    });
    for (const auto &[key, value] : dict->entries) {
        const auto name = prefixed ? key->text.substr(prefix.size()) : key->text;
        result.tensors[name] = value->tensor;
        result.order.push_back(name);
    }
    if (prefixed)
        result.notes.push_back("removed the prefix 'module.' (nn.DataParallel) from its keys");
    return result;
}

} // namespace

std::string exchangeFormatName(ExchangeFormat format)
{
    switch (format) {
    case ExchangeFormat::PyTorch: return "pytorch";
    }
    return "pytorch";
}

std::optional<ExchangeFormat> parseExchangeFormat(const std::string &name)
{
    if (name == "pytorch")
        return ExchangeFormat::PyTorch;
    return std::nullopt;
}

std::filesystem::path settingsFileOf(const std::filesystem::path &stateDict)
{
    auto file = stateDict;
    file += ".json";
    return file;
}

ExportedModel exportModel(const std::filesystem::path &modelFile, const std::filesystem::path &out, ExchangeFormat)
{
    auto loaded = nn::loadCheckpoint(modelFile, torch::Device(torch::kCPU));
    c10::Dict<std::string, torch::Tensor> dict;
    for (const auto &[name, tensor] : namedTensors(loaded.net))
        dict.insert(name, tensor.detach().contiguous());
    std::vector<char> bytes;
    try {
        bytes = torch::pickle_save(c10::IValue(dict));
    } catch (const std::exception &error) {
        throw EngineError("The weights of " + quoted(modelFile) + " could not be written as a state dict: "
                          + firstLine(error.what()) + ".");
    }
    ModelFileHeader header;
    header.settings = loaded.meta.options;
    header.settings.network = loaded.meta.network;
    header.settings.modelFile.clear();
    header.settings.resume = false;
    header.epochsCompleted = loaded.meta.epochsCompleted;
    header.globalStep = loaded.meta.globalStep;
    header.history = loaded.meta.history;

    ExportedModel result;
    result.stateDict = out;
    result.settingsFile = settingsFileOf(out);
    result.tensors = static_cast<int>(dict.size());
    result.network = loaded.meta.network;
    // The settings first: a state dict is never found without its settings.
    writeFileAtomically(result.settingsFile, encodeModelHeader(header) + "\n");
    writeFileAtomically(out, std::string_view(bytes.data(), bytes.size()));
    return result;
}

TrainingOptions readExchangeSettings(const std::filesystem::path &settingsFile, const TrainingOptions &defaults)
{
    const auto bytes = readBytes(settingsFile, "Settings file");
    const Json json = Json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (json.is_discarded() || !json.is_object())
        throw EngineError("Settings file " + quoted(settingsFile) + " is not a JSON object.");
    const auto settings = json.find("settings");
    if (settings == json.end() || !settings->is_object())
        throw EngineError("Settings file " + quoted(settingsFile) + " has no \"settings\" object.");
    // Every key is read and checked as a model file's header is
    // (decodeModelHeader); keys it lacks keep the defaults.
    ModelFileHeader withDefaults;
    withDefaults.settings = defaults;
    Json full = Json::parse(encodeModelHeader(withDefaults)).at("settings");
    for (const auto &item : settings->items()) {
        if (!findTrainingSetting(item.key()))
            throw EngineError("Settings file " + quoted(settingsFile) + " names the setting '" + item.key()
                              + "', which this program does not know.");
        full[item.key()] = item.value();
    }
    const Json header{{"format", "mri-enhance-model"},
                      {"schema_version", kModelFileVersion},
                      {"settings", full},
                      {"epochs_completed", 0},
                      {"global_step", 0},
                      {"history", Json::array()}};
    try {
        return decodeModelHeader(header.dump(), settingsFile).settings;
    } catch (const EngineError &error) {
        // The model file's sentences ("Model file 'x' is damaged: ..."), said of a settings file.
        std::string sentence = error.what();
        const std::string modelFile = "Model file ";
        if (sentence.rfind(modelFile, 0) == 0)
            sentence = "Settings file " + sentence.substr(modelFile.size());
        const std::string damaged = " is damaged: ";
        if (const auto at = sentence.find(damaged); at != std::string::npos) {
            sentence.replace(at, damaged.size(), ": ");
            sentence[at + 2] = static_cast<char>(std::tolower(static_cast<unsigned char>(sentence[at + 2])));
        }
        throw EngineError(sentence);
    }
}

ImportedModel importModel(const std::filesystem::path &stateDict, const TrainingOptions &settings,
                          const std::filesystem::path &modelFile)
{
    auto read = readStateDict(stateDict);
    auto &tensors = read.tensors;
    NetworkConfig network = settings.network;
    if (network.neighbourSlices < 0) {
        // Automatic: the first convolution's input channels tell 1 + 2n.
        const auto first = tensors.find("encoders.0.first.weight");
        const bool readable = first != tensors.end() && first->second.dim() == 4 && first->second.size(1) % 2 == 1;
        network.neighbourSlices = readable ? static_cast<int>(first->second.size(1) / 2) : 0;
    }
    try {
        validateNetworkConfig(network);
    } catch (const EngineError &error) {
        throw EngineError("The settings for " + quoted(stateDict) + " describe no network: " + error.what());
    }
    torch::NoGradGuard noGrad;
    nn::UNet net(network);
    const auto described = describeNetwork(network);
    const auto expected = namedTensors(net);
    const std::string advice = "; give the settings it was trained with (settings file, --depth, --base-channels, "
                               "--set).";
    // Every key that is missing or extra, a few of each named.
    std::vector<std::string> missing;
    std::vector<std::string> unexpected;
    for (const auto &[name, target] : expected) {
        if (!tensors.count(name))
            missing.push_back(name);
    }
    for (const auto &name : read.order) {
        if (std::none_of(expected.begin(), expected.end(), [&](const auto &item) { return item.first == name; }))
            unexpected.push_back(name);
    }
    if (!missing.empty() && !unexpected.empty())
        throw EngineError(quoted(stateDict) + " does not hold the tensors of a network of " + described + ": it lacks "
                          + someNames(missing) + " and has " + someNames(unexpected)
                          + ", which that network does not have" + advice);
    if (!missing.empty())
        throw EngineError(quoted(stateDict) + " lacks the tensor" + (missing.size() > 1 ? "s " : " ")
                          + someNames(missing) + " that a network of " + described + " needs" + advice);
    if (!unexpected.empty())
        throw EngineError(quoted(stateDict) + " holds the tensor" + (unexpected.size() > 1 ? "s " : " ")
                          + someNames(unexpected) + ", which a network of " + described + " does not have" + advice);
    for (const auto &[name, target] : expected) {
        const auto &tensor = tensors.at(name);
        if (tensor.sizes() != target.sizes())
            throw EngineError("The tensor '" + name + "' of " + quoted(stateDict) + " is " + shapeText(tensor)
                              + " but a network of " + described + " needs " + shapeText(target) + advice);
        if (!tensor.is_floating_point() && target.is_floating_point())
            throw EngineError("The tensor '" + name + "' of " + quoted(stateDict) + " holds integers, not weights.");
        // NaN or Inf would enhance every picture to NaN.
        if (tensor.is_floating_point() && !torch::isfinite(tensor).all().item<bool>())
            throw EngineError(nn::nonFiniteWeightSentence(stateDict, name));
        target.copy_(tensor.to(torch::kCPU, target.scalar_type()));
    }
    nn::CheckpointMeta meta;
    meta.network = network;
    meta.options = settings;
    meta.options.network = network;
    meta.options.modelFile.clear();
    meta.options.resume = false;
    // A fresh optimiser state, so that `train --resume` can continue from it.
    torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(settings.learningRate));
    nn::saveCheckpoint(modelFile, net, optimizer, meta);
    ImportedModel result;
    result.tensors = static_cast<int>(expected.size());
    result.network = network;
    for (const auto &note : read.notes)
        result.found += (result.found.empty() ? "" : "; ") + note;
    return result;
}

} // namespace mri
