#include "model/ModelFile.h"

#include "base/EngineError.h"
#include "base/Version.h"
#include "io/AtomicFile.h"
#include "model/TrainingSettings.h"

#include <nlohmann/json.hpp>

#include <climits>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace mri {

namespace {

using Json = nlohmann::json;

constexpr const char *kMagic = "mri-enhance-model";
constexpr std::size_t kLargestHeader = 64 * 1024 * 1024; // a history of millions of epochs still fits

EngineError notAModel(const std::filesystem::path &file)
{
    return EngineError("'" + file.string() + "' is not an MRI Enhance Studio model file.");
}

EngineError damaged(const std::filesystem::path &file, const std::string &why)
{
    return EngineError("Model file '" + file.string() + "' is damaged: " + why + ".");
}

Json settingToJson(const SettingDescription &setting, const SettingValue &value)
{
    switch (setting.type) {
    case SettingType::Integer: return std::get<long long>(value);
    case SettingType::Real: return std::get<double>(value);
    case SettingType::Boolean: return std::get<bool>(value);
    case SettingType::Choice: return std::get<std::string>(value);
    }
    return nullptr;
}

SettingValue settingFromJson(const SettingDescription &setting, const Json &json, const std::filesystem::path &file)
{
    const auto wrongType = [&] {
        // Not the text of a structured value: it may be megabytes (or nested too deep to print).
        const std::string shown = json.is_structured() ? std::string(json.type_name()) : json.dump();
        return damaged(file, "the setting '" + setting.key + "' has a value of the wrong type (" + shown + ")");
    };
    switch (setting.type) {
    case SettingType::Integer:
        if (!json.is_number_integer())
            throw wrongType();
        return json.get<long long>();
    case SettingType::Real:
        if (!json.is_number())
            throw wrongType();
        return json.get<double>();
    case SettingType::Boolean:
        if (!json.is_boolean())
            throw wrongType();
        return json.get<bool>();
    case SettingType::Choice:
        if (!json.is_string())
            throw wrongType();
        return json.get<std::string>();
    }
    throw wrongType();
}

// JSON has no NaN: a missing validation is stored as null.
Json number(double value)
{
    return std::isfinite(value) ? Json(value) : Json(nullptr);
}

double numberOf(const Json &json)
{
    return json.is_number() ? json.get<double>() : std::nan("");
}

Json historyToJson(const std::vector<EpochSummary> &history)
{
    Json list = Json::array();
    for (const auto &e : history) {
        list.push_back({{"epoch", e.epoch},
                        {"global_step", e.globalStep},
                        {"train_loss", number(e.trainLoss)},
                        {"validation_loss", number(e.validationLoss)},
                        {"validation_psnr", number(e.validationPsnr)},
                        {"learning_rate", number(e.learningRate)},
                        {"elapsed_seconds", number(e.elapsedSeconds)}});
    }
    return list;
}

// A count stored in the header: a whole number from 0 to `largest`. Read as
// nlohmann's get<int>() would, 1e300 or 2.5 would be converted with undefined
// behaviour or silently cut.
long long countField(const Json &object, const char *key, long long largest, const std::filesystem::path &file)
{
    const Json &value = object.at(key);
    const bool whole = value.is_number_unsigned() ? value.get<unsigned long long>() <= static_cast<unsigned long long>(largest)
                                                  : value.is_number_integer() && value.get<long long>() >= 0
            && value.get<long long>() <= largest;
    if (!whole)
        throw damaged(file, std::string("its '") + key + "' is not a whole number from 0 to " + std::to_string(largest));
    return value.get<long long>();
}

std::vector<EpochSummary> historyFromJson(const Json &list, int epochs, const std::filesystem::path &file)
{
    if (!list.is_array())
        throw damaged(file, "its history is not a list");
    std::vector<EpochSummary> history;
    for (const auto &item : list) {
        EpochSummary e;
        e.epoch = static_cast<int>(countField(item, "epoch", INT_MAX, file));
        e.epochs = epochs;
        e.globalStep = countField(item, "global_step", LLONG_MAX, file);
        e.trainLoss = numberOf(item.at("train_loss"));
        e.validationLoss = numberOf(item.at("validation_loss"));
        e.validationPsnr = numberOf(item.at("validation_psnr"));
        e.learningRate = numberOf(item.at("learning_rate"));
        e.elapsedSeconds = numberOf(item.at("elapsed_seconds"));
        history.push_back(e);
    }
    return history;
}

} // namespace

std::string trainingSettingsJson(const TrainingOptions &options)
{
    Json settings = Json::object();
    for (const auto &setting : trainingSettings())
        settings[setting.key] = settingToJson(setting, setting.get(options));
    return settings.dump();
}

std::string encodeModelHeader(const ModelFileHeader &header)
{
    const Json settings = Json::parse(trainingSettingsJson(header.settings));
    const Json json{{"format", kMagic},
                    {"schema_version", kModelFileVersion},
                    {"written_by", std::string("mri-enhance ") + programVersion()},
                    {"settings", settings},
                    {"epochs_completed", header.epochsCompleted},
                    {"global_step", header.globalStep},
                    {"history", historyToJson(header.history)}};
    return json.dump(1);
}

ModelFileHeader decodeModelHeader(const std::string &text, const std::filesystem::path &file)
{
    const Json json = Json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_object())
        throw damaged(file, "its header is not valid JSON");
    // json.value() would throw its own exception for a field of another type.
    const auto format = json.find("format");
    if (format == json.end() || !format->is_string() || format->get<std::string>() != kMagic)
        throw notAModel(file);
    const auto version = json.find("schema_version");
    if (version == json.end() || !version->is_number_integer())
        throw damaged(file, "its header has no schema version");
    if (version->is_number_unsigned() ? version->get<unsigned long long>() > unsigned(kModelFileVersion)
                                      : version->get<long long>() > kModelFileVersion) {
        const auto writer = json.find("written_by");
        const bool named = writer != json.end() && writer->is_string();
        throw EngineError("Model file '" + file.string() + "' was written by a newer version of MRI Enhance Studio ("
                          + (named ? writer->get<std::string>() : std::string("unknown")) + ").");
    }
    if (version->get<long long>() < 1)
        throw damaged(file, "its schema version " + std::to_string(version->get<long long>()) + " is not valid");
    ModelFileHeader header;
    header.formatVersion = static_cast<int>(version->get<long long>());
    try {
        const auto &settings = json.at("settings");
        for (const auto &setting : trainingSettings()) {
            // A setting added after the file was written has the value files had before it.
            const auto stored = settings.find(setting.key);
            if (stored == settings.end()) {
                if (setting.valueBeforeIntroduced)
                    setting.set(header.settings, *setting.valueBeforeIntroduced);
                continue;
            }
            const auto value = settingFromJson(setting, *stored, file);
            try {
                checkSettingValue(setting, value);
            } catch (const EngineError &error) {
                throw damaged(file, std::string(error.what()).substr(0, std::string(error.what()).size() - 1));
            }
            setting.set(header.settings, value);
        }
        header.epochsCompleted = static_cast<int>(countField(json, "epochs_completed", INT_MAX, file));
        header.globalStep = countField(json, "global_step", LLONG_MAX, file);
        header.history = historyFromJson(json.at("history"), header.settings.epochs, file);
    } catch (const Json::exception &error) {
        throw damaged(file, std::string("its header lacks a field or has one of the wrong type (") + error.what() + ")");
    }
    return header;
}

ModelFileHeader decodeVersion1Meta(const std::string &text, const std::filesystem::path &file)
{
    std::map<std::string, std::string> values;
    std::vector<std::string> historyLines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        const auto equals = line.find('=');
        if (equals == std::string::npos)
            continue;
        const auto key = line.substr(0, equals);
        const auto value = line.substr(equals + 1);
        if (key == "history")
            historyLines.push_back(value);
        else
            values[key] = value;
    }
    if (values["format"] != kMagic)
        throw notAModel(file);
    ModelFileHeader header;
    header.formatVersion = 1;
    for (const auto &setting : trainingSettings()) {
        const auto stored = values.find(setting.key);
        if (stored == values.end()) {
            if (setting.valueBeforeIntroduced)
                setting.set(header.settings, *setting.valueBeforeIntroduced);
            continue;
        }
        try {
            setting.set(header.settings, parseSettingValue(setting, stored->second));
        } catch (const EngineError &error) {
            throw damaged(file, std::string(error.what()).substr(0, std::string(error.what()).size() - 1));
        }
    }
    // Counts as whole numbers from 0 up: a cast of 1e300 or NaN is undefined behaviour.
    const auto count = [](double value, double largest) {
        if (!(value >= 0.0 && value <= largest && value == std::floor(value)))
            throw std::out_of_range("not a count");
        return value;
    };
    try {
        header.epochsCompleted = std::stoi(values.at("epochs_completed"));
        header.globalStep = std::stoll(values.at("global_step"));
        if (header.epochsCompleted < 0 || header.globalStep < 0)
            throw std::out_of_range("negative count");
        for (const auto &line : historyLines) {
            std::istringstream fields(line);
            std::vector<double> parts;
            for (std::string field; std::getline(fields, field, ',');)
                parts.push_back(field.find("nan") != std::string::npos ? std::nan("") : std::stod(field));
            if (parts.size() != 7)
                continue;
            EpochSummary e;
            e.epoch = static_cast<int>(count(parts[0], INT_MAX));
            e.epochs = header.settings.epochs;
            // 2^63 itself is not a long long; the largest double below it is.
            e.globalStep = static_cast<long long>(count(parts[1], 9223372036854774784.0));
            e.trainLoss = parts[2];
            e.validationLoss = parts[3];
            e.validationPsnr = parts[4];
            e.learningRate = parts[5];
            e.elapsedSeconds = parts[6];
            header.history.push_back(e);
        }
    } catch (const std::exception &) {
        throw damaged(file, "its epoch count or history is unreadable");
    }
    return header;
}

void writeModelFile(const std::filesystem::path &file, const ModelFileHeader &header, const std::string &archive)
{
    const std::string json = encodeModelHeader(header);
    std::string bytes = std::string(kMagic) + "\n" + std::to_string(json.size()) + "\n";
    bytes.reserve(bytes.size() + json.size() + archive.size());
    bytes += json;
    bytes += archive;
    writeFileAtomically(file, bytes);
}

namespace {

// Opens `file` and reads its version-2 header; nullopt when the layout is another.
std::optional<ModelFileHeader> readHeader(const std::filesystem::path &file, std::ifstream &in)
{
    std::error_code error;
    const auto status = std::filesystem::status(file, error);
    if (std::filesystem::is_directory(status))
        throw EngineError("Model file '" + file.string() + "' is a folder, not a file.");
    // A loop of links or a name too long is not "missing": say what the system says.
    if (error && error != std::errc::no_such_file_or_directory)
        throw EngineError("Model file '" + file.string() + "' cannot be opened: " + error.message() + ".");
    if (!std::filesystem::exists(status))
        throw EngineError("Model file '" + file.string() + "' does not exist.");
    in.open(file, std::ios::binary);
    if (!in)
        throw EngineError("Model file '" + file.string() + "' cannot be read.");
    return readModelFileHeader(in, file);
}

} // namespace

std::optional<ModelFileHeader> readModelFileHeader(std::istream &in, const std::filesystem::path &file)
{
    std::string magic(std::char_traits<char>::length(kMagic) + 1, '\0');
    in.read(magic.data(), static_cast<std::streamsize>(magic.size()));
    if (!in || magic != std::string(kMagic) + "\n")
        return std::nullopt;
    std::string count;
    std::getline(in, count);
    std::size_t used = 0;
    unsigned long long size = 0;
    try {
        size = std::stoull(count, &used);
    } catch (const std::exception &) {
        used = 0;
    }
    if (!in || used == 0 || used != count.size() || size > kLargestHeader)
        throw damaged(file, "its header length is unreadable");
    std::string json(static_cast<std::size_t>(size), '\0');
    in.read(json.data(), static_cast<std::streamsize>(size));
    if (static_cast<unsigned long long>(in.gcount()) != size)
        throw damaged(file, "it ends inside its header");
    return decodeModelHeader(json, file);
}

std::optional<ModelFileHeader> readModelFileHeader(const std::filesystem::path &file)
{
    std::ifstream in;
    return readHeader(file, in);
}

std::string readModelFileArchive(const std::filesystem::path &file, ModelFileHeader &header)
{
    std::ifstream in;
    const auto read = readHeader(file, in);
    if (!read)
        throw notAModel(file);
    header = *read;
    std::string archive((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad())
        throw EngineError("Model file '" + file.string() + "' cannot be read.");
    if (archive.empty())
        throw damaged(file, "it has no weights");
    return archive;
}

} // namespace mri
