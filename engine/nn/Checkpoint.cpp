#include "nn/Checkpoint.h"

#include "base/EngineError.h"
#include "model/ModelFile.h"

#include <sstream>

namespace mri::nn {

namespace {

ModelFileHeader headerOf(const CheckpointMeta &meta)
{
    ModelFileHeader header;
    header.settings = meta.options;
    header.settings.network = meta.network;
    header.settings.modelFile.clear();
    header.settings.resume = false;
    header.epochsCompleted = meta.epochsCompleted;
    header.globalStep = meta.globalStep;
    header.history = meta.history;
    return header;
}

CheckpointMeta metaOf(const ModelFileHeader &header)
{
    CheckpointMeta meta;
    meta.formatVersion = header.formatVersion;
    meta.network = header.settings.network;
    meta.options = header.settings;
    meta.epochsCompleted = header.epochsCompleted;
    meta.globalStep = header.globalStep;
    meta.history = header.history;
    return meta;
}

std::string firstLine(const std::string &text)
{
    return text.substr(0, text.find('\n'));
}

// Builds the network the header describes and loads the archive's weights and
// optimiser state into it.
void loadArchive(torch::serialize::InputArchive &archive, LoadedCheckpoint &loaded, const torch::Device &device,
                 const std::filesystem::path &file)
{
    loaded.net = UNet(loaded.meta.network);
    torch::serialize::InputArchive modelArchive;
    archive.read("model", modelArchive);
    try {
        loaded.net->load(modelArchive);
    } catch (const c10::Error &error) {
        throw EngineError("Model file '" + file.string() + "' does not match its own network settings (depth "
                          + std::to_string(loaded.meta.network.depth) + ", " + std::to_string(loaded.meta.network.baseChannels)
                          + " base channels): " + firstLine(error.what()) + ".");
    }
    loaded.net->to(device);
    loaded.optimizerState = std::make_shared<torch::serialize::InputArchive>();
    archive.read("optimizer", *loaded.optimizerState);
}

} // namespace

std::string firstNonFiniteTensor(UNet &net)
{
    torch::NoGradGuard noGrad;
    for (const auto &item : net->named_parameters(true)) {
        if (item.value().is_floating_point() && !torch::isfinite(item.value()).all().item<bool>())
            return item.key();
    }
    for (const auto &item : net->named_buffers(true)) {
        if (item.value().is_floating_point() && !torch::isfinite(item.value()).all().item<bool>())
            return item.key();
    }
    return {};
}

std::string firstNonFiniteOptimizerState(UNet &net, torch::optim::Optimizer &optimizer)
{
    torch::NoGradGuard noGrad;
    const auto finite = [](const torch::Tensor &tensor) {
        return !tensor.defined() || !tensor.is_floating_point() || torch::isfinite(tensor).all().item<bool>();
    };
    auto &states = optimizer.state();
    for (const auto &item : net->named_parameters(true)) {
        // The optimiser keys its state by the parameter's implementation, as its own save() does.
        const auto found = states.find(c10::guts::to_string(item.value().unsafeGetTensorImpl()));
        if (found == states.end())
            continue;
        const auto *adam = dynamic_cast<const torch::optim::AdamParamState *>(found->second.get());
        if (adam && !(finite(adam->exp_avg()) && finite(adam->exp_avg_sq()) && finite(adam->max_exp_avg_sq())))
            return item.key();
    }
    return {};
}

std::string nonFiniteWeightSentence(const std::filesystem::path &file, const std::string &tensor)
{
    return "'" + file.string() + "' holds a weight that is not a finite number (" + tensor + "); it cannot be used.";
}

void saveCheckpoint(const std::filesystem::path &file, UNet &net, torch::optim::Optimizer &optimizer,
                    const CheckpointMeta &meta)
{
    // Checked before anything is written: the file keeps its last good model.
    auto bad = firstNonFiniteTensor(net);
    std::string what = "the weight";
    if (bad.empty()) {
        bad = firstNonFiniteOptimizerState(net, optimizer);
        what = "the optimiser state of";
    }
    if (!bad.empty()) {
        std::error_code error;
        const bool exists = std::filesystem::exists(file, error);
        throw EngineError("Not saved to '" + file.string() + "': after epoch " + std::to_string(meta.epochsCompleted)
                          + " " + what + " '" + bad + "' is not a finite number (the training diverged); "
                          + (exists ? "the file keeps its last good model." : "nothing was written."));
    }
    torch::serialize::OutputArchive archive;
    torch::serialize::OutputArchive modelArchive;
    net->save(modelArchive);
    archive.write("model", modelArchive);
    torch::serialize::OutputArchive optimizerArchive;
    optimizer.save(optimizerArchive);
    archive.write("optimizer", optimizerArchive);
    std::ostringstream bytes;
    try {
        archive.save_to(bytes);
    } catch (const c10::Error &error) {
        throw EngineError("The model could not be serialised for '" + file.string() + "': " + firstLine(error.what()) + ".");
    }
    writeModelFile(file, headerOf(meta), bytes.str());
}

LoadedCheckpoint loadCheckpoint(const std::filesystem::path &file, const torch::Device &device)
{
    LoadedCheckpoint loaded;
    try {
        torch::serialize::InputArchive archive;
        if (readModelFileHeader(file)) {
            ModelFileHeader header;
            const std::string bytes = readModelFileArchive(file, header);
            loaded.meta = metaOf(header);
            archive.load_from(bytes.data(), bytes.size(), device);
        } else {
            // Version 1: a bare LibTorch archive with key=value meta data.
            archive.load_from(file.string(), device);
            c10::IValue metaValue;
            if (!archive.try_read("meta", metaValue) || !metaValue.isString())
                throw EngineError("'" + file.string() + "' is not an MRI Enhance Studio model file.");
            loaded.meta = metaOf(decodeVersion1Meta(metaValue.toStringRef(), file));
        }
        loadArchive(archive, loaded, device, file);
    } catch (const EngineError &) {
        throw;
    } catch (const std::exception &e) {
        throw EngineError("Cannot load model file '" + file.string() + "': it is damaged or not a model of this tool ("
                          + firstLine(e.what()) + ").");
    }
    // NaN or Inf weights would enhance every picture to NaN.
    if (const auto bad = firstNonFiniteTensor(loaded.net); !bad.empty())
        throw EngineError(nonFiniteWeightSentence(file, bad));
    return loaded;
}

ModelInfo modelInfoOf(const CheckpointMeta &meta)
{
    ModelInfo info;
    info.formatVersion = meta.formatVersion;
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
    // Version 2 answers from its header; version 1 has to be loaded whole.
    if (const auto header = readModelFileHeader(modelFile))
        return nn::modelInfoOf(nn::metaOf(*header));
    return nn::modelInfoOf(nn::loadCheckpoint(modelFile, torch::Device(torch::kCPU)).meta);
}

} // namespace mri
