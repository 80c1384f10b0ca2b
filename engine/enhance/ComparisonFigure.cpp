#include "enhance/ComparisonFigure.h"

#include "base/EngineError.h"
#include "image/DisplayMapping.h"
#include "image/Resampling.h"
#include "io/ImageIO.h"
#include "quality/Metrics.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <map>
#include <random>

namespace mri {

namespace {

constexpr int kPanelHeight = 320;
constexpr int kGap = 12;
constexpr int kTitleHeight = 34;
const cv::Scalar kBackground(32, 32, 32);
const cv::Scalar kText(240, 240, 240);

// 8-bit BGR view of a slice, stretched by the original's range so that both
// images of a pair share one intensity mapping.
cv::Mat displayImage(const cv::Mat &image, double low, double high, bool nearest)
{
    const cv::Mat eight = mapToEightBit(image, low, high);
    cv::Mat resized;
    const double factor = static_cast<double>(kPanelHeight) / eight.rows;
    cv::resize(eight, resized, cv::Size(std::max(1, static_cast<int>(eight.cols * factor + 0.5)), kPanelHeight), 0, 0,
               factor < 1.0 ? cv::INTER_AREA : (nearest ? cv::INTER_NEAREST : cv::INTER_LINEAR));
    cv::Mat colour;
    cv::cvtColor(resized, colour, cv::COLOR_GRAY2BGR);
    return colour;
}

void putLabel(cv::Mat &canvas, const std::string &text, cv::Point origin, double scale)
{
    cv::putText(canvas, text, origin, cv::FONT_HERSHEY_SIMPLEX, scale, kText, 1, cv::LINE_AA);
}

} // namespace

std::vector<std::size_t> pickRandomPatients(const Dataset &dataset, const std::vector<EnhancedRow> &results, int count,
                                            std::uint64_t seed)
{
    // One candidate row per patient: the first enhanced one.
    std::map<std::string, std::size_t> firstRowOfPatient;
    for (const auto &outcome : results) {
        if (outcome.done && outcome.rowIndex < dataset.rows.size())
            firstRowOfPatient.emplace(dataset.rows[outcome.rowIndex].patientId, outcome.rowIndex);
    }
    std::vector<std::size_t> candidates;
    for (const auto &[patient, row] : firstRowOfPatient)
        candidates.push_back(row);
    std::sort(candidates.begin(), candidates.end());
    std::shuffle(candidates.begin(), candidates.end(), std::mt19937_64(seed));
    candidates.resize(std::min<std::size_t>(candidates.size(), static_cast<std::size_t>(std::max(0, count))));
    return candidates;
}

namespace {

// The original stretched to the enhanced image's size, nearest neighbour: the
// same physical extent, its pixels (a thick slice's blocks) kept visible.
cv::Mat stretchedToEnhanced(const cv::Mat &original, const cv::Mat &enhanced)
{
    if (original.size() == enhanced.size())
        return original;
    cv::Mat stretched;
    cv::resize(original, stretched, enhanced.size(), 0, 0, cv::INTER_NEAREST);
    return stretched;
}

// Original and enhanced slice of a volume row, on 8 bits through the
// original's display window so that the pair compares fairly.
void loadVolumeSlices(ComparisonEntry &entry, const std::filesystem::path &originalPath, const std::string &seriesUid,
                      const std::filesystem::path &enhancedPath, const ShownSlice &shown)
{
    const ScanVolume original = readScan(originalPath, seriesUid);
    const ScanVolume enhanced = readScan(enhancedPath);
    const GridRefinement refinement = gridRefinementOf(original, enhanced);
    const int count = sliceCountOf(original, shown.plane);
    const int slice = shown.slice >= 0 && shown.slice < count ? shown.slice : count / 2;
    const DisplayWindow window = displayWindowOf(original);
    entry.enhanced = volumeSliceForDisplay(enhanced, shown.plane,
                                           refinement.factor > 1 ? matchingSliceOf(original, shown.plane, slice, enhanced) : slice,
                                           window);
    entry.original = stretchedToEnhanced(volumeSliceForDisplay(original, shown.plane, slice, window), entry.enhanced);
    entry.sliceNote = std::string(slicePlaneName(shown.plane)) + " slice " + std::to_string(slice + 1) + " / "
        + std::to_string(count);
    entry.scale = refinement.factor;
    entry.scaleNote = refinementNote(original, refinement);
    entry.displayReady = true;
}

// The factor of a picture enhanced on a finer grid (inPlaneScaleOf()).
// Throws when the sizes do not fit it.
int pictureScaleOf(const cv::Mat &original, const cv::Mat &enhanced, int stated, const std::filesystem::path &enhancedPath,
                   const std::filesystem::path &originalPath)
{
    const int factor = inPlaneScaleOf(original.size(), enhanced.size(), stated);
    if (factor == 0) {
        const int tried = stated > 1 ? stated : (original.cols > 0 ? enhanced.cols / original.cols : 0);
        throw EngineError("The enhanced slice '" + enhancedPath.string() + "' does not have the size of '"
                          + originalPath.string() + "'" + (tried > 1 ? " times " + std::to_string(tried) : std::string())
                          + ".");
    }
    return factor;
}

} // namespace

std::vector<ComparisonEntry> loadComparisonEntries(const Dataset &dataset, const std::vector<EnhancedRow> &results,
                                                   const std::vector<std::size_t> &rowIndices,
                                                   const std::map<std::size_t, ShownSlice> &shown)
{
    std::vector<ComparisonEntry> entries;
    for (const auto index : rowIndices) {
        const auto &outcome = results.at(index);
        if (!outcome.done)
            throw EngineError("Patient '" + dataset.rows.at(index).patientId + "' has no enhanced slice yet.");
        ComparisonEntry entry;
        entry.patientId = dataset.rows[index].patientId;
        entry.psnr = outcome.psnr;
        entry.ssim = outcome.ssim;
        if (scanFormatOf(dataset.rows[index].imagePath) != ScanFormat::Picture) {
            const auto choice = shown.find(index);
            // A folder of several DICOM series: the row's series_uid picks one.
            loadVolumeSlices(entry, dataset.rows[index].imagePath, dataset.rows[index].seriesUid, outcome.enhancedImage,
                             choice != shown.end() ? choice->second : ShownSlice{});
            entries.push_back(std::move(entry));
            continue;
        }
        entry.original = loadGrayscaleImage(dataset.rows[index].imagePath);
        entry.enhanced = loadGrayscaleImage(outcome.enhancedImage);
        entry.scale = pictureScaleOf(entry.original, entry.enhanced, outcome.scale, outcome.enhancedImage,
                                     dataset.rows[index].imagePath);
        if (entry.scale > 1) {
            entry.original = stretchedToEnhanced(entry.original, entry.enhanced);
            entry.scaleNote = "\xC3\x97" + std::to_string(entry.scale) + " in-plane";
        }
        entry.psnr = outcome.psnr;
        entry.ssim = outcome.ssim;
        entries.push_back(std::move(entry));
    }
    return entries;
}

cv::Mat renderComparisonFigure(const std::vector<ComparisonEntry> &entries)
{
    return renderFigure(comparisonFigureRows(entries));
}

std::vector<FigureRow> comparisonFigureRows(const std::vector<ComparisonEntry> &entries)
{
    std::vector<FigureRow> rows;
    for (const auto &entry : entries) {
        double low = 0.0;
        double high = 255.0;
        if (!entry.displayReady)
            cv::minMaxLoc(entry.original, &low, &high);
        // Hershey fonts have no "×": the figure writes "x2".
        const std::string scale = "x" + std::to_string(entry.scale);
        const bool superResolved = entry.scale > 1;
        std::string title = entry.patientId + (entry.sliceNote.empty() ? "" : "  (" + entry.sliceNote + ")");
        if (superResolved)
            title += "  " + scale + (entry.sliceNote.empty() ? " in-plane" : " through-plane");
        title += "    PSNR " + formatMetric(entry.psnr, 2) + " dB    SSIM " + formatMetric(entry.ssim, 4);
        if (superResolved)
            title += " (on the input grid)";
        rows.push_back({title,
                        {{superResolved ? "original (nearest " + scale + ")" : "original", entry.original, low, high, superResolved},
                         {superResolved ? "enhanced " + scale : "enhanced", entry.enhanced, low, high}}});
    }
    return rows;
}

cv::Mat renderFigure(const std::vector<FigureRow> &rows)
{
    std::vector<std::vector<cv::Mat>> images;
    int width = 480;
    for (const auto &row : rows) {
        images.emplace_back();
        int rowWidth = kGap;
        for (const auto &panel : row.panels) {
            images.back().push_back(displayImage(panel.image, panel.low, panel.high, panel.nearest));
            rowWidth += images.back().back().cols + kGap;
        }
        width = std::max(width, rowWidth);
        int baseline = 0;
        const auto title = cv::getTextSize(row.title, cv::FONT_HERSHEY_SIMPLEX, 0.65, 1, &baseline);
        width = std::max(width, title.width + 2 * kGap); // a long title widens the figure rather than being cut
    }
    const int rowHeight = kTitleHeight + kPanelHeight + kGap;
    cv::Mat canvas(std::max(1, static_cast<int>(rows.size())) * rowHeight + kGap, width, CV_8UC3, kBackground);
    for (std::size_t r = 0; r < rows.size(); ++r) {
        const int top = kGap + static_cast<int>(r) * rowHeight;
        putLabel(canvas, rows[r].title, cv::Point(kGap, top + 22), 0.65);
        const int imageTop = top + kTitleHeight;
        int left = kGap;
        for (std::size_t p = 0; p < images[r].size(); ++p) {
            const auto &image = images[r][p];
            image.copyTo(canvas(cv::Rect(left, imageTop, image.cols, image.rows)));
            // On a dark box: a label stays readable over a bright image.
            const auto &label = rows[r].panels[p].label;
            int baseline = 0;
            const auto text = cv::getTextSize(label, cv::FONT_HERSHEY_SIMPLEX, 0.5, 1, &baseline);
            const cv::Rect box = cv::Rect(left, imageTop, text.width + 12, text.height + baseline + 10)
                & cv::Rect(0, 0, canvas.cols, canvas.rows);
            cv::Mat shade = canvas(box);
            shade.convertTo(shade, -1, 0.35); // darkened in place
            putLabel(canvas, label, cv::Point(left + 6, imageTop + 18), 0.5);
            left += image.cols + kGap;
        }
    }
    return canvas;
}

} // namespace mri
