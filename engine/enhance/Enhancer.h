#pragma once

#include "model/ModelInfo.h"
#include "quality/NoiseFloor.h"

#include <opencv2/core/mat.hpp>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

namespace mri {

// Runs a trained U-Net over whole slices of any size. Slices larger than the
// tile size go through overlapping tiles blended with a smooth weight, so
// memory stays bounded. Not copyable; movable. Thread-compatible: one thread
// at a time per instance.
class Enhancer final
{
public:
    // Throws EngineError naming the file when it is missing or not a model of ours.
    static Enhancer load(const std::filesystem::path &modelFile);
    ~Enhancer();
    Enhancer(Enhancer &&) noexcept;
    Enhancer &operator=(Enhancer &&) noexcept;

    const ModelInfo &info() const;
    // "cpu" or "cuda": where the network runs (chosen once, at load).
    std::string deviceName() const;

    // Largest tile side in pixels (rounded up to a multiple of 2^depth). Tiles
    // overlap by the network's receptive radius plus a blending band. Default
    // nn::kAutomaticTileSize (nn/TileSize.h).
    void setTiling(int tileSize);
    int tileSize() const;

    // Removes the noise floor from the output (Rician or, with several coils,
    // non-central chi; the noise measured in each slice's background; see
    // NoiseFloor.h). Defaults to the model's setting.
    void setRicianCorrection(bool enabled);
    bool ricianCorrection() const;
    // Receiver coils of the floor's noise model; 0: estimated per slice.
    // Defaults to the model's setting.
    void setNoiseCoils(int coils);
    int noiseCoils() const;
    // The posterior inversion of the floor (smooth near it) instead of the
    // point inversion; kSmoothFloorRemoval by default.
    void setSmoothFloorRemoval(bool enabled);
    bool smoothFloorRemoval() const;

    // Called after each tile of a slice with the tiles done and their total
    // (1 of 1 for a slice that fits one tile), on the enhancing thread. Cancel
    // is checked before each tile, so a tile's time bounds how late it acts.
    void setTileProgress(std::function<void(int done, int total)> progress);

    // Same size and depth as the input (CV_8UC1 or CV_16UC1). Returns an empty
    // Mat when `cancel` became true part way. `noise`, when given, receives
    // the noise measured in the slice's background (also without floor removal).
    cv::Mat enhance(const cv::Mat &image, const std::atomic_bool *cancel = nullptr, NoiseEstimate *noise = nullptr) const;
    // Memory beyond the input: one float image of its size (the tiles'
    // accumulated output, where the floor is removed in place), one tile's
    // data, a bounded noise sample (NoiseFloor.h) and the converted result.
    // Float [0, 1] in and out, for benchmarks and tests.
    cv::Mat enhanceUnit(const cv::Mat &unitImage, const std::atomic_bool *cancel = nullptr,
                        NoiseEstimate *noise = nullptr) const;

    // The network's passes for each tile's prediction: 1, or for a model
    // trained with large structured blind spots (noise correlated between
    // pixels; nn::jInvariantRadiusOf()) those of the J-invariant inference, which
    // predicts every pixel with its own blind spot hidden, as in training
    // (plainly such a model can darken the tissue).
    int blindSpotPasses() const;
    // Averages each tile's prediction over its four mirror images. On by
    // default for denoising models of one pass; off for J-invariant ones, which
    // already take blindSpotPasses() passes, and for super-resolution.
    void setMirrorAverage(bool enabled);
    bool mirrorAverage() const;
    // All network passes per tile: blindSpotPasses(), times 4 with the mirror average.
    int passesPerTile() const;

    // 2.5-D: the input channels a model trained with neighbour_slices = n
    // takes; info().network.neighbourSlices.
    int neighbourSlices() const;
    // A volume's slice with the slices around it, all unit float (CV_32FC1,
    // the slice's size), `neighbours` ordered below..above without the slice:
    // k below (farthest first), then k above (nearest first), e.g. {z-1, z+1};
    // at the volume's ends repeat the end slice. A model with neighbour slices
    // given none (or fewer) repeats the slice (or the farthest given); a
    // single-slice model ignores them. The noise floor is measured in the slice.
    cv::Mat enhanceUnit(const cv::Mat &unitImage, const std::vector<cv::Mat> &neighbours,
                        const std::atomic_bool *cancel = nullptr, NoiseEstimate *noise = nullptr) const;
    // The network's output for such a slice with the noise floor left in, for
    // a volume whose floor is measured over all its slices (NoiseFloor.h,
    // measureFloor()); empty when cancelled.
    cv::Mat predictUnit(const cv::Mat &unitImage, const std::vector<cv::Mat> &neighbours,
                        const std::atomic_bool *cancel = nullptr) const;

private:
    // The network's output for an 8-, 16-bit or unit float slice (with its
    // neighbours, see enhanceUnit()); empty when cancelled.
    cv::Mat infer(const cv::Mat &image, const std::vector<cv::Mat> &neighbours, const std::atomic_bool *cancel) const;
    // Noise floor removal (in place) or the noise measurement alone.
    void finish(cv::Mat &prediction, const cv::Mat &noisyInput, NoiseEstimate *noise) const;

    struct Impl;
    explicit Enhancer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace mri
