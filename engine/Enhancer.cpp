#include "Enhancer.h"

#include "EngineError.h"
#include "ImageIO.h"
#include "NoiseFloor.h"
#include "ThreadPolicy.h"
#include "nn/Checkpoint.h"
#include "nn/TiledInference.h"

#include <opencv2/core.hpp>

#include <cstring>
#include <thread>

namespace mri {

struct Enhancer::Impl
{
    nn::UNet net{nullptr};
    torch::Device device{torch::kCPU};
    ModelInfo info;
    int tileSize = 768;
    bool ricianCorrection = false;
    int noiseCoils = 1;
    bool smoothFloor = kSmoothFloorRemoval;
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
    useThreads(0);
    auto impl = std::make_unique<Impl>();
    impl->device = torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    auto loaded = nn::loadCheckpoint(modelFile, impl->device);
    impl->net = loaded.net;
    impl->net->eval();
    impl->info = nn::modelInfoOf(loaded.meta);
    impl->ricianCorrection = impl->info.ricianCorrection;
    impl->noiseCoils = impl->info.settings.noiseCoils;
    return Enhancer(std::move(impl));
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

cv::Mat Enhancer::enhanceUnit(const cv::Mat &unitImage, const std::atomic_bool *cancel, NoiseEstimate *noise) const
{
    if (unitImage.empty() || unitImage.type() != CV_32FC1)
        throw EngineError("Enhancement needs a non-empty single-channel float image.");
    torch::NoGradGuard noGrad;
    const cv::Mat contiguous = unitImage.isContinuous() ? unitImage : unitImage.clone();
    const auto input = torch::from_blob(const_cast<float *>(contiguous.ptr<float>()), {contiguous.rows, contiguous.cols},
                                        torch::kFloat32);
    torch::Tensor output;
    try {
        output = nn::inferSlice(m_impl->net, input, m_impl->tileSize, cancel, m_impl->device);
    } catch (const c10::Error &error) {
        // LibTorch's messages carry a backtrace: the first line is the sentence.
        const std::string text = error.what();
        throw EngineError("The network could not process a " + std::to_string(unitImage.cols) + "x"
                          + std::to_string(unitImage.rows) + " slice: " + text.substr(0, text.find('\n')) + ".");
    }
    if (!output.defined())
        return {};
    const auto result = output.contiguous();
    cv::Mat unit(contiguous.rows, contiguous.cols, CV_32FC1);
    std::memcpy(unit.ptr<float>(), result.data_ptr<float>(), sizeof(float) * unit.total());
    if (m_impl->ricianCorrection) {
        auto removal = removeNoiseFloorOf(unit, contiguous, m_impl->noiseCoils, m_impl->smoothFloor);
        if (noise)
            *noise = removal.noise;
        return removal.signal;
    }
    if (noise)
        *noise = estimateNoise(contiguous, m_impl->noiseCoils);
    return unit;
}

cv::Mat Enhancer::enhance(const cv::Mat &image, const std::atomic_bool *cancel, NoiseEstimate *noise) const
{
    if (image.empty() || image.channels() != 1 || (image.depth() != CV_8U && image.depth() != CV_16U))
        throw EngineError("Enhancement needs a non-empty 8- or 16-bit single-channel image.");
    const cv::Mat unit = enhanceUnit(toUnitFloat(image), cancel, noise);
    if (unit.empty())
        return {};
    return fromUnitFloat(unit, image.depth());
}

} // namespace mri
