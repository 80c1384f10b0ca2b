#include "enhance/Enhancer.h"

#include "base/EngineError.h"
#include "base/MemoryPolicy.h"
#include "image/NeighbourSlices.h"
#include "io/ImageIO.h"
#include "nn/BlindSpot.h"
#include "nn/Checkpoint.h"
#include "nn/ThreadPolicy.h"
#include "nn/TileSize.h"
#include "nn/TiledInference.h"
#include "quality/NoiseFloor.h"

#include <opencv2/core.hpp>

#include <algorithm>
#include <thread>
#include <vector>

namespace mri {

struct Enhancer::Impl
{
    nn::UNet net{nullptr};
    torch::Device device{torch::kCPU};
    ModelInfo info;
    int tileSize = nn::kAutomaticTileSize;
    bool ricianCorrection = false;
    int noiseCoils = 1;
    bool smoothFloor = kSmoothFloorRemoval;
    nn::TilePass pass;
    std::function<void(int, int)> tileProgress;
};

Enhancer::Enhancer(std::unique_ptr<Impl> impl)
    : m_impl(std::move(impl))
{
}

Enhancer::~Enhancer() = default;
Enhancer::Enhancer(Enhancer &&) noexcept = default;
Enhancer &Enhancer::operator=(Enhancer &&) noexcept = default;

Enhancer Enhancer::load(const std::filesystem::path &modelFile)
{
    keepTensorMemoryForReuse();
    useThreads(0);
    auto impl = std::make_unique<Impl>();
    impl->device = torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    auto loaded = nn::loadCheckpoint(modelFile, impl->device);
    impl->net = loaded.net;
    impl->net->eval();
    impl->info = nn::modelInfoOf(loaded.meta);
    impl->ricianCorrection = impl->info.ricianCorrection;
    impl->noiseCoils = impl->info.settings.noiseCoils;
    impl->pass.jInvariantRadius = nn::jInvariantRadiusOf(impl->info.settings);
    // Super-resolution models keep one pass: their mirror average is not measured.
    impl->pass.mirrorAverage = impl->pass.jInvariantRadius == 0
        && impl->info.settings.objective != TrainingObjective::SuperResolution;
    return Enhancer(std::move(impl));
}

std::string Enhancer::deviceName() const
{
    return m_impl->device.is_cuda() ? "cuda" : "cpu";
}

const ModelInfo &Enhancer::info() const
{
    return m_impl->info;
}

void Enhancer::setTiling(int tileSize)
{
    m_impl->tileSize = tileSize;
}

int Enhancer::tileSize() const
{
    return m_impl->tileSize;
}

void Enhancer::setRicianCorrection(bool enabled)
{
    m_impl->ricianCorrection = enabled;
}

bool Enhancer::ricianCorrection() const
{
    return m_impl->ricianCorrection;
}

void Enhancer::setNoiseCoils(int coils)
{
    m_impl->noiseCoils = coils;
}

int Enhancer::noiseCoils() const
{
    return m_impl->noiseCoils;
}

void Enhancer::setSmoothFloorRemoval(bool enabled)
{
    m_impl->smoothFloor = enabled;
}

void Enhancer::setTileProgress(std::function<void(int done, int total)> progress)
{
    m_impl->tileProgress = std::move(progress);
}

namespace {

// The unit float of every 8- or 16-bit level, by the conversion toUnitFloat()
// uses, so that tiles converted one at a time equal the whole-image conversion.
std::vector<float> unitLevels(int depth)
{
    const int levels = depth == CV_8U ? 256 : 65536;
    cv::Mat all(1, levels, depth == CV_8U ? CV_8UC1 : CV_16UC1);
    for (int i = 0; i < levels; ++i) {
        if (depth == CV_8U)
            all.at<unsigned char>(0, i) = static_cast<unsigned char>(i);
        else
            all.at<unsigned short>(0, i) = static_cast<unsigned short>(i);
    }
    const cv::Mat unit = toUnitFloat(all);
    return std::vector<float>(unit.ptr<float>(), unit.ptr<float>() + levels);
}

// Reads integer pixels through their unit-float lookup table (`levels` outlives the reader).
template <typename Pixel>
nn::SliceReader levelReader(const cv::Mat &image, const std::vector<float> &levels)
{
    return [&image, &levels](float *out, int64_t row, int64_t column, int64_t count) {
        const auto *pixels = image.ptr<Pixel>(static_cast<int>(row)) + column;
        for (int64_t i = 0; i < count; ++i)
            out[i] = levels[pixels[i]];
    };
}

} // namespace

cv::Mat Enhancer::infer(const cv::Mat &image, const std::vector<cv::Mat> &neighbours,
                        const std::atomic_bool *cancel) const
{
    torch::NoGradGuard noGrad;
    std::vector<float> levels;
    if (image.depth() == CV_8U || image.depth() == CV_16U)
        levels = unitLevels(image.depth());
    // One reader per input channel, each reading its slice (the Mats outlive the readers).
    const int wanted = m_impl->info.network.neighbourSlices;
    const auto channels = wanted == 0 ? std::vector<cv::Mat>{image} : inputChannelsOf(image, neighbours, wanted, "slice");
    std::vector<nn::SliceReader> readers;
    for (const auto &channel : channels) {
        switch (channel.depth()) {
        case CV_8U:
            readers.push_back(levelReader<unsigned char>(channel, levels));
            break;
        case CV_16U:
            readers.push_back(levelReader<unsigned short>(channel, levels));
            break;
        default:
            readers.push_back([&channel](float *out, int64_t row, int64_t column, int64_t count) {
                std::copy_n(channel.ptr<float>(static_cast<int>(row)) + column, count, out);
            });
        }
    }
    cv::Mat output(image.rows, image.cols, CV_32FC1);
    bool finished = false;
    try {
        finished = nn::inferSlice(m_impl->net, image.rows, image.cols, readers, output.ptr<float>(),
                                  static_cast<int64_t>(output.step1()), m_impl->tileSize, cancel, m_impl->device,
                                  m_impl->tileProgress, m_impl->pass);
    } catch (const c10::Error &error) {
        // LibTorch's messages carry a backtrace: the first line is the sentence.
        const std::string text = error.what();
        throw EngineError("The network could not process a " + std::to_string(image.cols) + "x"
                          + std::to_string(image.rows) + " slice: " + text.substr(0, text.find('\n')) + ".");
    }
    return finished ? output : cv::Mat();
}

void Enhancer::finish(cv::Mat &prediction, const cv::Mat &noisyInput, NoiseEstimate *noise) const
{
    if (m_impl->ricianCorrection) {
        const auto removal = removeNoiseFloorInPlace(prediction, noisyInput, m_impl->noiseCoils, m_impl->smoothFloor);
        if (noise)
            *noise = removal.noise;
    } else if (noise) {
        *noise = measureSliceNoise(noisyInput, m_impl->noiseCoils);
    }
}

bool Enhancer::smoothFloorRemoval() const
{
    return m_impl->smoothFloor;
}

int Enhancer::blindSpotPasses() const
{
    return nn::TilePass{m_impl->pass.jInvariantRadius, false}.networkPasses();
}

void Enhancer::setMirrorAverage(bool enabled)
{
    m_impl->pass.mirrorAverage = enabled;
}

bool Enhancer::mirrorAverage() const
{
    return m_impl->pass.mirrorAverage;
}

int Enhancer::passesPerTile() const
{
    return m_impl->pass.networkPasses();
}

int Enhancer::neighbourSlices() const
{
    return m_impl->info.network.neighbourSlices;
}

cv::Mat Enhancer::enhanceUnit(const cv::Mat &unitImage, const std::atomic_bool *cancel, NoiseEstimate *noise) const
{
    return enhanceUnit(unitImage, {}, cancel, noise);
}

cv::Mat Enhancer::enhanceUnit(const cv::Mat &unitImage, const std::vector<cv::Mat> &neighbours,
                              const std::atomic_bool *cancel, NoiseEstimate *noise) const
{
    if (unitImage.empty() || unitImage.type() != CV_32FC1)
        throw EngineError("Enhancement needs a non-empty single-channel float image.");
    cv::Mat unit = infer(unitImage, neighbours, cancel);
    if (unit.empty())
        return {};
    finish(unit, unitImage, noise);
    return unit;
}

cv::Mat Enhancer::predictUnit(const cv::Mat &unitImage, const std::vector<cv::Mat> &neighbours,
                              const std::atomic_bool *cancel) const
{
    if (unitImage.empty() || unitImage.type() != CV_32FC1)
        throw EngineError("Enhancement needs a non-empty single-channel float image.");
    return infer(unitImage, neighbours, cancel);
}

cv::Mat Enhancer::enhance(const cv::Mat &image, const std::atomic_bool *cancel, NoiseEstimate *noise) const
{
    if (image.empty() || image.channels() != 1 || (image.depth() != CV_8U && image.depth() != CV_16U))
        throw EngineError("Enhancement needs a non-empty 8- or 16-bit single-channel image.");
    // No float copy of the input: tiles are converted as the network needs them,
    // the noise is measured on the integer slice (NoiseFloor.h).
    cv::Mat unit = infer(image, {}, cancel);
    if (unit.empty())
        return {};
    finish(unit, image, noise);
    return fromUnitFloat(unit, image.depth());
}

} // namespace mri
