#pragma once

#include "dataset/Dataset.h"
#include "enhance/EnhanceJob.h"
#include "io/ScanVolume.h"

#include <opencv2/core/mat.hpp>

#include <cstdint>
#include <map>
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
    // Volumes: the slice shown ("axial slice 91 / 181"); original and enhanced
    // are then already on 8 bits through the original's display window
    // (DisplayMapping.h). Empty for pictures.
    std::string sliceNote;
    bool displayReady = false; // true: original and enhanced are shown as they are
    // Super-resolution: the enhanced image is on a grid `scale` times finer
    // (a picture in both axes, a volume along one array axis; EnhancedRow). The
    // original is then stretched by nearest neighbour to the enhanced image's
    // size, so that both show the same physical extent with the original's
    // blocks visible, and the volume's enhanced slice is the one at the
    // original slice's position. PSNR/SSIM were measured on the input's grid.
    int scale = 1;
    std::string scaleNote; // "×2 in-plane", "×4 through-plane (z): 2 mm → 0.5 mm"; empty at scale 1
};

// The slice of a volume row to show: plane, and the slice (-1: the middle).
struct ShownSlice
{
    SlicePlane plane = SlicePlane::Axial;
    int slice = -1;
};

// Picks up to `count` distinct patients, at random, among rows that have an
// enhanced slice (one row per patient). Repeatable for a given seed.
std::vector<std::size_t> pickRandomPatients(const Dataset &dataset, const std::vector<EnhancedRow> &results,
                                            int count, std::uint64_t seed);

// Loads original and enhanced images of the given rows; for a volume row (a
// NIfTI file or DICOM series) one slice of each: the one in `shown` for that
// row, else the middle axial slice (the slice counts on the original's grid;
// a finer enhanced volume shows its slice nearest that one's position).
// Throws EngineError.
std::vector<ComparisonEntry> loadComparisonEntries(const Dataset &dataset, const std::vector<EnhancedRow> &results,
                                                   const std::vector<std::size_t> &rowIndices,
                                                   const std::map<std::size_t, ShownSlice> &shown = {});

// One row per entry: original | enhanced, labelled with patient_id, PSNR and
// SSIM (and a super-resolved entry's scale, the metrics marked as measured on
// the input's grid). 8-bit BGR image ready for PNG or display.
cv::Mat renderComparisonFigure(const std::vector<ComparisonEntry> &entries);

// A labelled image of a figure; [low, high] is mapped to black..white.
struct FigurePanel
{
    std::string label;
    cv::Mat image; // CV_8UC1, CV_16UC1 or CV_32FC1
    double low = 0.0;
    double high = 255.0;
    bool nearest = false; // enlarged by nearest neighbour (a coarser grid's blocks stay visible)
};

struct FigureRow
{
    std::string title;
    std::vector<FigurePanel> panels;
};

// Rows of panels scaled to a common height, each row under its title. 8-bit BGR.
cv::Mat renderFigure(const std::vector<FigureRow> &rows);

// The rows renderComparisonFigure() draws: titles, panel labels and images.
std::vector<FigureRow> comparisonFigureRows(const std::vector<ComparisonEntry> &entries);

} // namespace mri
