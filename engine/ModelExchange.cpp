#include "ModelExchange.h"

#include "AtomicFile.h"
#include "EngineError.h"
#include "ModelFile.h"
#include "TrainingSettings.h"
#include "nn/Checkpoint.h"
#include "nn/UNet.h"

#include <caffe2/serialize/inline_container.h>
#include <nlohmann/json.hpp>
#include <torch/serialize.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <cctype>
#include <cstring>
#include <map>
#include <sstream>
#include <vector>

namespace mri {

namespace {

using Json = nlohmann::json;

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

bool contains(const std::vector<char> &bytes, const std::string &text)
{
    return std::search(bytes.begin(), bytes.end(), text.begin(), text.end()) != bytes.end();
}

// The key under which ordinaryDictOf() keeps the OrderedDict class the tensors refer to.
constexpr const char *kOrderedKey = "__mri_enhance_ordered_dict__";

// LibTorch 1.13's unpickler cannot build the OrderedDict of
// torch.save(net.state_dict()) (pytorch/pytorch#100741, fixed in later
// releases): the archive rewritten so that its pickle builds a plain dict
// instead (the OrderedDict class kept under kOrderedKey, since the tensors'
// backward hooks refer to it) without the _metadata state that follows it.
// std::nullopt when the pickle is not laid out as torch.save writes it.
std::optional<std::vector<char>> ordinaryDictOf(const std::vector<char> &bytes)
{
    const std::string prefix("\x80\x02" "ccollections\nOrderedDict\nq\x00)Rq\x01(", 34);
    const std::string metadata("X\x09\x00\x00\x00_metadata", 14);
    std::string input(bytes.begin(), bytes.end());
    std::istringstream stream(input);
    caffe2::serialize::PyTorchStreamReader reader(&stream);
    std::vector<char> rewritten;
    caffe2::serialize::PyTorchStreamWriter writer([&rewritten](const void *data, size_t size) {
        const auto *begin = static_cast<const char *>(data);
        rewritten.insert(rewritten.end(), begin, begin + size);
        return size;
    });
    bool patched = false;
    for (const auto &name : reader.getAllRecords()) {
        auto [data, size] = reader.getRecord(name);
        std::string record(static_cast<const char *>(data.get()), size);
        if (name == "data.pkl") {
            // The state of the OrderedDict ({"_metadata": ...}, BUILD) follows the
            // last SETITEMS ('u'): an EMPTY_DICT, its BINPUT, then the key.
            const auto key = record.rfind(metadata);
            if (record.compare(0, prefix.size(), prefix) != 0 || key == std::string::npos || key < 7)
                return std::nullopt;
            const auto brace = record[key - 5] == 'r' && record[key - 6] == '}' ? key - 6 : key - 3; // LONG_BINPUT or BINPUT
            if (record[brace] != '}' || record[brace - 1] != 'u')
                return std::nullopt;
            const std::string orderedKey(kOrderedKey);
            std::string head("\x80\x02}q\x01(X", 7);
            const auto length = static_cast<std::uint32_t>(orderedKey.size());
            head.append(reinterpret_cast<const char *>(&length), 4); // little-endian, as the pickle
            head += orderedKey + std::string("ccollections\nOrderedDict\nq\x00", 27);
            record = head + record.substr(prefix.size(), brace - prefix.size()) + ".";
            patched = true;
        }
        writer.writeRecord(name, record.data(), record.size());
    }
    writer.writeEndOfFile();
    if (!patched)
        return std::nullopt;
    return rewritten;
}

// The tensors of a state dict file, by name. Throws EngineError naming the file.
std::map<std::string, torch::Tensor> readStateDict(const std::filesystem::path &file)
{
    const auto bytes = readBytes(file, "State dict file");
    c10::IValue value;
    try {
        value = torch::pickle_load(bytes);
    } catch (const std::exception &error) {
        // LibTorch 1.13's unpickler cannot build the OrderedDict that state_dict() returns.
        try {
            if (const auto rewritten = ordinaryDictOf(bytes)) {
                value = torch::pickle_load(*rewritten);
                if (value.isGenericDict())
                    static_cast<void>(value.toGenericDict().erase(kOrderedKey));
            }
        } catch (const std::exception &) {
            value = c10::IValue();
        }
        if (!value.isGenericDict()) {
            if (contains(bytes, "collections\nOrderedDict"))
                throw EngineError(quoted(file) + " holds an OrderedDict this program cannot read; save a plain dict "
                                                 "instead: torch.save(dict(net.state_dict()), ...) or "
                                                 "mri_enhance_network.save_model().");
            throw EngineError(quoted(file) + " is not a PyTorch state dict file (" + firstLine(error.what()) + ").");
        }
    }
    if (!value.isGenericDict())
        throw EngineError(quoted(file) + " holds a " + value.tagKind()
                          + ", not a state dict (a dict of tensor names to tensors).");
    std::map<std::string, torch::Tensor> tensors;
    for (const auto &entry : value.toGenericDict()) {
        if (!entry.key().isString())
            throw EngineError(quoted(file) + " has a key that is not a tensor name (a " + entry.key().tagKind()
                              + "), so it is not a state dict.");
        const auto &key = entry.key().toStringRef();
        if (!entry.value().isTensor())
            throw EngineError("The entry '" + key + "' of " + quoted(file) + " is a " + entry.value().tagKind()
                              + ", not a tensor; a state dict holds only tensors.");
        tensors[key] = entry.value().toTensor();
    }
    if (tensors.empty())
        throw EngineError(quoted(file) + " is an empty dict, not the state dict of a network.");
    return tensors;
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
    auto tensors = readStateDict(stateDict);
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
    for (const auto &[name, target] : expected) {
        const auto found = tensors.find(name);
        if (found == tensors.end())
            throw EngineError(quoted(stateDict) + " lacks the tensor '" + name + "' that a network of " + described
                              + " needs; give the settings it was trained with (settings file, --depth, "
                                "--base-channels, --set).");
        const auto &tensor = found->second;
        if (tensor.sizes() != target.sizes())
            throw EngineError("The tensor '" + name + "' of " + quoted(stateDict) + " is " + shapeText(tensor)
                              + " but a network of " + described + " needs " + shapeText(target)
                              + "; give the settings it was trained with (settings file, --depth, --base-channels, "
                                "--set).");
        if (!tensor.is_floating_point() && target.is_floating_point())
            throw EngineError("The tensor '" + name + "' of " + quoted(stateDict) + " holds integers, not weights.");
        target.copy_(tensor.to(torch::kCPU, target.scalar_type()));
        tensors.erase(found);
    }
    if (!tensors.empty())
        throw EngineError(quoted(stateDict) + " holds the tensor '" + tensors.begin()->first + "', which a network of "
                          + described + " does not have; give the settings it was trained with (settings file, "
                                        "--depth, --base-channels, --set).");
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
    return result;
}

} // namespace mri
