#pragma once

#include "Dataset.h"
#include "EnhanceJob.h"

#include <opencv2/core/mat.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace mri {

struct ComparisonEntry
{
    std::string patientId;
    cv::Mat original;   // CV_8UC1 or CV_16UC1
    cv::Mat enhanced;
    double psnr = 0.0;
    double ssim = 0.0;
};

// Picks up to `count` distinct patients, at random, among rows that have an
// enhanced slice (one row per patient). Repeatable for a given seed.
std::vector<std::size_t> pickRandomPatients(const Dataset &dataset, const std::vector<EnhancedRow> &results,
                                            int count, std::uint64_t seed);

// Loads original and enhanced images of the given rows. Throws EngineError.
std::vector<ComparisonEntry> loadComparisonEntries(const Dataset &dataset, const std::vector<EnhancedRow> &results,
                                                   const std::vector<std::size_t> &rowIndices);

// One row per entry: original | enhanced, labelled with patient_id, PSNR and
// SSIM. 8-bit BGR image ready for PNG or display.
cv::Mat renderComparisonFigure(const std::vector<ComparisonEntry> &entries);

// A labelled image of a figure; [low, high] is mapped to black..white.
struct FigurePanel
{
    std::string label;
    cv::Mat image; // CV_8UC1, CV_16UC1 or CV_32FC1
    double low = 0.0;
    double high = 255.0;
};

struct FigureRow
{
    std::string title;
    std::vector<FigurePanel> panels;
};

// Rows of panels scaled to a common height, each row under its title. 8-bit BGR.
cv::Mat renderFigure(const std::vector<FigureRow> &rows);

} // namespace mri
