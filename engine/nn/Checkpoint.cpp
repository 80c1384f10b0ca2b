#include "nn/Checkpoint.h"

#include "AtomicFile.h"
#include "EngineError.h"

#include <cmath>
#include <map>
#include <sstream>

namespace mri::nn {

namespace {

constexpr const char *kFormatName = "mri-enhance-model";
constexpr int kFormatVersion = 1;

std::string encodeMeta(const CheckpointMeta &meta)
{
    const auto &o = meta.options;
    std::ostringstream out;
    out.precision(17);
    out << "format=" << kFormatName << '\n'
        << "version=" << kFormatVersion << '\n'
        << "depth=" << meta.network.depth << '\n'
        << "base_channels=" << meta.network.baseChannels << '\n'
        << "residual_output=" << meta.network.residualOutput << '\n'
        << "top_skip=" << meta.network.topSkip << '\n'
        << "blur_pool=" << meta.network.blurPool << '\n'
        << "batch_norm=" << meta.network.batchNorm << '\n'
        << "objective=" << objectiveName(o.objective) << '\n'
        << "epochs=" << o.epochs << '\n'
        << "learning_rate=" << o.learningRate << '\n'
        << "batch_size=" << o.batchSize << '\n'
        << "patch_size=" << o.patchSize << '\n'
        << "patches_per_image=" << o.patchesPerImage << '\n'
        << "validation_fraction=" << o.validationFraction << '\n'
        << "n2v_mask_fraction=" << o.n2vMaskFraction << '\n'
        << "n2v_neighbourhood=" << o.n2vNeighbourhood << '\n'
        << "synthetic_noise=" << noiseModelName(o.syntheticNoise) << '\n'
        << "synthetic_sigma=" << o.syntheticSigma << '\n'
        << "seed=" << o.seed << '\n'
        << "n2v_median_replacement=" << o.n2vMedianReplacement << '\n'
        << "cosine_schedule=" << o.cosineSchedule << '\n'
        << "max_training_seconds=" << o.maxTrainingSeconds << '\n'
        << "rician_correction=" << o.ricianCorrection << '\n'
        << "epochs_completed=" << meta.epochsCompleted << '\n'
        << "global_step=" << meta.globalStep << '\n';
    for (const auto &e : meta.history) {
        out << "history=" << e.epoch << ',' << e.globalStep << ',' << e.trainLoss << ',' << e.validationLoss << ','
            << e.validationPsnr << ',' << e.learningRate << ',' << e.elapsedSeconds << '\n';
    }
    return out.str();
}

double toDouble(const std::string &text)
{
    if (text == "nan" || text == "-nan")
        return std::nan("");
    if (text == "inf")
        return INFINITY;
    return std::stod(text);
}

CheckpointMeta decodeMeta(const std::string &text, const std::filesystem::path &file)
{
    std::map<std::string, std::string> values;
    std::vector<std::string> history;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        const auto equals = line.find('=');
        if (equals == std::string::npos)
            continue;
        const auto key = line.substr(0, equals);
        const auto value = line.substr(equals + 1);
        if (key == "history")
            history.push_back(value);
        else
            values[key] = value;
    }
    if (values["format"] != kFormatName)
        throw EngineError("'" + file.string() + "' is not an MRI Enhance Studio model file.");
    if (std::stoi(values["version"]) > kFormatVersion)
        throw EngineError("'" + file.string() + "' was written by a newer version of MRI Enhance Studio.");

    CheckpointMeta meta;
    const auto get = [&](const char *key) -> const std::string & {
        const auto found = values.find(key);
        if (found == values.end())
            throw EngineError("Model file '" + file.string() + "' lacks the setting '" + key + "'.");
        return found->second;
    };
    meta.network.depth = std::stoi(get("depth"));
    meta.network.baseChannels = std::stoi(get("base_channels"));
    meta.network.residualOutput = get("residual_output") == "1";
    meta.network.topSkip = get("top_skip") == "1";
    meta.network.blurPool = get("blur_pool") == "1";
    meta.network.batchNorm = values["batch_norm"] == "1";
    auto &o = meta.options;
    o.network = meta.network;
    o.objective = parseObjective(get("objective")).value_or(TrainingObjective::Noise2Void);
    o.epochs = std::stoi(get("epochs"));
    o.learningRate = toDouble(get("learning_rate"));
    o.batchSize = std::stoi(get("batch_size"));
    o.patchSize = std::stoi(get("patch_size"));
    o.patchesPerImage = std::stoi(get("patches_per_image"));
    o.validationFraction = toDouble(get("validation_fraction"));
    o.n2vMaskFraction = toDouble(get("n2v_mask_fraction"));
    o.n2vNeighbourhood = std::stoi(get("n2v_neighbourhood"));
    o.syntheticNoise = parseNoiseModel(get("synthetic_noise")).value_or(NoiseModel::Rician);
    o.syntheticSigma = toDouble(get("synthetic_sigma"));
    o.seed = std::stoull(get("seed"));
    o.n2vMedianReplacement = values["n2v_median_replacement"] == "1";
    o.cosineSchedule = values["cosine_schedule"] == "1";
    o.maxTrainingSeconds = values.count("max_training_seconds") ? toDouble(values["max_training_seconds"]) : 0.0;
    o.ricianCorrection = values["rician_correction"] == "1";
    meta.epochsCompleted = std::stoi(get("epochs_completed"));
    meta.globalStep = std::stoll(get("global_step"));
    for (const auto &line : history) {
        std::istringstream fields(line);
        std::string field;
        std::vector<std::string> parts;
        while (std::getline(fields, field, ','))
            parts.push_back(field);
        if (parts.size() != 7)
            continue;
        EpochSummary e;
        e.epoch = std::stoi(parts[0]);
        e.epochs = o.epochs;
        e.globalStep = std::stoll(parts[1]);
        e.trainLoss = toDouble(parts[2]);
        e.validationLoss = toDouble(parts[3]);
        e.validationPsnr = toDouble(parts[4]);
        e.learningRate = toDouble(parts[5]);
        e.elapsedSeconds = toDouble(parts[6]);
        meta.history.push_back(e);
    }
    return meta;
}

} // namespace

void saveCheckpoint(const std::filesystem::path &file, UNet &net, torch::optim::Optimizer &optimizer,
                    const CheckpointMeta &meta)
{
    torch::serialize::OutputArchive archive;
    archive.write("meta", c10::IValue(encodeMeta(meta)));
    torch::serialize::OutputArchive modelArchive;
    net->save(modelArchive);
    archive.write("model", modelArchive);
    torch::serialize::OutputArchive optimizerArchive;
    optimizer.save(optimizerArchive);
    archive.write("optimizer", optimizerArchive);
    writeFileAtomically(file, [&](const std::filesystem::path &temporary) { archive.save_to(temporary.string()); });
}

LoadedCheckpoint loadCheckpoint(const std::filesystem::path &file, const torch::Device &device)
{
    std::error_code error;
    if (!std::filesystem::is_regular_file(file, error))
        throw EngineError("Model file '" + file.string() + "' does not exist.");
    LoadedCheckpoint loaded;
    try {
        torch::serialize::InputArchive archive;
        archive.load_from(file.string(), device);
        c10::IValue metaValue;
        if (!archive.try_read("meta", metaValue) || !metaValue.isString())
            throw EngineError("'" + file.string() + "' is not an MRI Enhance Studio model file.");
        loaded.meta = decodeMeta(metaValue.toStringRef(), file);
        loaded.net = UNet(loaded.meta.network);
        torch::serialize::InputArchive modelArchive;
        archive.read("model", modelArchive);
        loaded.net->load(modelArchive);
        loaded.net->to(device);
        loaded.optimizerState = std::make_shared<torch::serialize::InputArchive>();
        archive.read("optimizer", *loaded.optimizerState);
    } catch (const EngineError &) {
        throw;
    } catch (const std::exception &e) {
        throw EngineError("Cannot load model file '" + file.string() + "': it is damaged or not a model of this tool ("
                          + std::string(e.what()).substr(0, std::string(e.what()).find('\n')) + ").");
    }
    return loaded;
}

ModelInfo modelInfoOf(const CheckpointMeta &meta)
{
    ModelInfo info;
    info.formatVersion = kFormatVersion;
    info.network = meta.network;
    info.objective = meta.options.objective;
    info.epochsTrained = meta.epochsCompleted;
    info.ricianCorrection = meta.options.ricianCorrection;
    info.settings = meta.options;
    info.settings.network = meta.network;
    info.history = meta.history;
    return info;
}

} // namespace mri::nn

namespace mri {

ModelInfo readModelInfo(const std::filesystem::path &modelFile)
{
    return nn::modelInfoOf(nn::loadCheckpoint(modelFile, torch::Device(torch::kCPU)).meta);
}

} // namespace mri
