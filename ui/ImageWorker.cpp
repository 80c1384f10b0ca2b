#include "ImageWorker.h"

#include "WorkerFailure.h"

#include "base/EngineError.h"
#include "dataset/OutputPolicy.h"
#include "enhance/ComparisonFigure.h"
#include "image/DisplayMapping.h"
#include "image/Resampling.h"
#include "io/AtomicFile.h"
#include "io/ImageIO.h"
#include "quality/Metrics.h"
#include "quality/SelfCheck.h"
#include "SliceImage.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <tuple>

namespace studio {

namespace {

// The engine's figure rule for the on-screen comparison: the pair shares the
// original's min..max mapped onto 8 bits.
QImage eightBitOf(const cv::Mat &slice, double low, double high)
{
    return sliceimage::fromMat(mri::mapToEightBit(slice, low, high));
}

// Original and enhanced volume of the row being viewed, plus the previous
// row's; beyond the first two, only while they hold 128 M voxels (512 MB) in all.
constexpr std::size_t kCachedVolumes = 4;
constexpr std::size_t kAlwaysCached = 2;
constexpr std::size_t kCachedVoxelBudget = std::size_t(128) << 20;

// What identifies a volume on disk: rewritten files (a new enhancement) are read again.
std::string stampOf(const std::filesystem::path &path)
{
    std::error_code error;
    const auto time = std::filesystem::last_write_time(path, error).time_since_epoch().count();
    const auto size = std::filesystem::is_regular_file(path, error) ? std::filesystem::file_size(path, error) : 0;
    return std::to_string(time) + ":" + std::to_string(size);
}

// |residualOf(reference, enhanced)| as pixels of the difference's depth and
// scale (`unitsPerPixel` values to a pixel), so that both share one window.
// Without a noise level: the plain difference.
void addResidual(SlicePair &pair, const cv::Mat &reference, const cv::Mat &enhanced, const SliceRequest &request,
                 double unitsPerPixel, int depth)
{
    if (!(request.noiseSigma > 0.0) || !std::isfinite(request.noiseSigma)) {
        pair.residual = pair.difference;
        return;
    }
    const cv::Mat residual = cv::abs(mri::residualOf(reference, enhanced, request.noiseSigma, request.noiseCoils));
    cv::Mat pixels;
    residual.convertTo(pixels, depth, 1.0 / unitsPerPixel);
    pair.residual = sliceimage::fromMat(pixels);
    pair.residualSigma = request.noiseSigma;
    pair.residualCoils = request.noiseCoils;
}

// The slices shown of a volume whose result lies on a finer grid: the slider
// steps through the finer grid; the original shows its slice nearest in
// position, so both show the same anatomy. Returns the enhanced slice.
int placeOnFinerGrid(SlicePair &pair, const SliceRequest &request, const mri::ScanVolume &original,
                     const mri::ScanVolume &enhanced, const mri::GridRefinement &refinement)
{
    int enhancedSlice = 0;
    pair.sliceCount = mri::sliceCountOf(enhanced, request.plane);
    if (request.sliceOnEnhancedGrid && request.slice >= 0 && request.slice < pair.sliceCount) {
        enhancedSlice = request.slice;
        pair.originalSlice = mri::matchingSliceOf(enhanced, request.plane, enhancedSlice, original);
    } else {
        pair.originalSlice = request.slice >= 0 && request.slice < pair.originalSliceCount ? request.slice
                                                                                          : pair.originalSliceCount / 2;
        enhancedSlice = mri::matchingSliceOf(original, request.plane, pair.originalSlice, enhanced);
    }
    pair.slice = enhancedSlice;
    pair.sliceOnEnhancedGrid = true;
    pair.scale = refinement.factor;
    pair.scaleNote = QString::fromStdString(mri::refinementNote(original, refinement));
    const auto before = mri::slicePixelSizeOf(original, request.plane);
    const auto after = mri::slicePixelSizeOf(enhanced, request.plane);
    pair.originalPixelScale = QSizeF(before.width / after.width, before.height / after.height);
    return enhancedSlice;
}

// Both on the original's grid: the slice asked for, or the middle one.
int placeOnOneGrid(SlicePair &pair, const SliceRequest &request)
{
    pair.sliceCount = pair.originalSliceCount;
    pair.originalSlice = request.slice >= 0 && request.slice < pair.sliceCount ? request.slice : pair.sliceCount / 2;
    pair.slice = pair.originalSlice;
    return pair.slice;
}

// Demo datasets carry the clean slice: then both images get metrics
// against the ground truth, computed by the engine.
void addReferenceMetrics(SlicePair &pair, const SliceRequest &request, const cv::Mat &original, const cv::Mat &enhanced)
{
    if (request.referencePath.isEmpty() || original.empty())
        return;
    try {
        const cv::Mat reference = mri::loadGrayscaleImage(toPath(request.referencePath));
        if (reference.size() != original.size() || reference.depth() != original.depth())
            return;
        const auto before = mri::compareImages(reference, original);
        pair.originalReferencePsnr = before.psnr;
        pair.originalReferenceSsim = before.ssim;
        pair.hasReference = true;
        if (!enhanced.empty() && enhanced.size() == reference.size()) {
            const auto after = mri::compareImages(reference, enhanced);
            pair.enhancedReferencePsnr = after.psnr;
            pair.enhancedReferenceSsim = after.ssim;
        }
    } catch (const std::exception &) {
        // The reference is a bonus: without it the view shows the usual metrics.
    }
}

} // namespace

// A volume read once, with its display mapping: the engine's window and the
// 16-bit encoding of its values (SlicePair::valueOffset/valueScale).
struct ImageWorker::CachedVolume
{
    QString path;
    QString seriesUid;
    std::string stamp;
    mri::ScanVolume volume;
    mri::DisplayWindow window;
    sliceimage::VolumeEncoding encoding;
};

std::shared_ptr<const ImageWorker::CachedVolume> ImageWorker::volumeAt(const QString &path, const QString &seriesUid)
{
    const std::string stamp = stampOf(toPath(path));
    for (auto it = m_volumes.begin(); it != m_volumes.end(); ++it) {
        if ((*it)->path == path && (*it)->seriesUid == seriesUid && (*it)->stamp == stamp) {
            auto found = *it;
            m_volumes.erase(it);
            m_volumes.insert(m_volumes.begin(), found);
            return found;
        }
    }
    // An older read of a file rewritten since (a new enhancement) goes.
    m_volumes.erase(std::remove_if(m_volumes.begin(), m_volumes.end(),
                                   [&](const auto &cached) { return cached->path == path && cached->seriesUid == seriesUid; }),
                    m_volumes.end());
    auto entry = std::make_shared<CachedVolume>();
    entry->path = path;
    entry->seriesUid = seriesUid;
    entry->stamp = stamp;
    entry->volume = mri::readScan(toPath(path), seriesUid.toStdString());
    entry->window = mri::displayWindowOf(entry->volume);
    entry->encoding = sliceimage::volumeEncodingOf(entry->volume, entry->window.inverted);

    m_volumes.insert(m_volumes.begin(), entry);
    std::size_t kept = 0;
    std::size_t voxels = 0;
    while (kept < m_volumes.size() && kept < kCachedVolumes) {
        voxels += m_volumes[kept]->volume.voxels.size();
        if (kept >= kAlwaysCached && voxels > kCachedVoxelBudget)
            break;
        ++kept;
    }
    m_volumes.resize(kept);
    return entry;
}

ImageWorker::ImageWorker(QObject *parent)
    : QObject(parent)
{
}

void ImageWorker::setLatestSliceToken(int token)
{
    m_latestSliceToken = token;
}

void ImageWorker::loadVolumeSlices(const SliceRequest &request)
{
    SlicePair pair;
    pair.token = request.token;
    pair.row = request.row;
    pair.patientId = request.patientId;
    pair.isVolume = true;
    pair.plane = request.plane;

    std::shared_ptr<const CachedVolume> original;
    try {
        original = volumeAt(request.originalPath, request.seriesUid);
    } catch (const std::exception &problem) {
        pair.originalError = sentenceOf(problem);
    }
    if (request.token < m_latestSliceToken)
        return;
    std::shared_ptr<const CachedVolume> enhanced;
    mri::GridRefinement refinement;
    if (!request.enhancedPath.isEmpty()) {
        try {
            enhanced = volumeAt(request.enhancedPath, QString());
            if (original)
                refinement = mri::gridRefinementOf(original->volume, enhanced->volume);
        } catch (const std::exception &problem) {
            pair.enhancedError = sentenceOf(problem);
            enhanced.reset();
        }
    }
    if (request.token < m_latestSliceToken)
        return;
    if (!original) {
        emit slicesLoaded(pair);
        return;
    }
    const auto &originalVolume = original->volume;
    pair.originalSliceCount = mri::sliceCountOf(originalVolume, request.plane);
    const int enhancedSlice = enhanced && refinement.factor > 1
        ? placeOnFinerGrid(pair, request, originalVolume, enhanced->volume, refinement)
        : placeOnOneGrid(pair, request);
    pair.valueOffset = original->encoding.offset;
    pair.valueScale = original->encoding.scale;
    pair.maximumValue = original->encoding.maximumPixel;
    const cv::Mat originalValues = mri::extractSlice(originalVolume, request.plane, pair.originalSlice);
    pair.original = sliceimage::fromMat(sliceimage::encodeSlice(originalValues, original->encoding));
    // The engine's display window, in pixel units.
    std::tie(pair.autoLow, pair.autoHigh) = sliceimage::windowInPixels(original->window, original->encoding);
    if (enhanced) {
        // The original's mapping: the pair shares one window.
        const cv::Mat enhancedValues = mri::extractSlice(enhanced->volume, request.plane, enhancedSlice);
        pair.enhanced = sliceimage::fromMat(sliceimage::encodeSlice(enhancedValues, original->encoding));
        // On a finer grid: against the original as shown, stretched by nearest neighbour.
        cv::Mat reference = originalValues;
        if (reference.size() != enhancedValues.size())
            cv::resize(originalValues, reference, enhancedValues.size(), 0, 0, cv::INTER_NEAREST);
        cv::Mat difference;
        cv::absdiff(reference, enhancedValues, difference);
        cv::Mat pixels;
        difference.convertTo(pixels, CV_16U, 1.0 / std::abs(original->encoding.scale));
        pair.difference = sliceimage::fromMat(pixels);
        pair.differenceHigh = std::max(1, sliceimage::robustRange(pixels, 0.0, 0.995).second);
        addResidual(pair, reference, enhancedValues, request, std::abs(original->encoding.scale), CV_16U);
    }
    if (request.token < m_latestSliceToken)
        return;
    emit slicesLoaded(pair);
}

void ImageWorker::loadSlices(const SliceRequest &request)
{
    if (request.token < m_latestSliceToken)
        return; // the user already selected another patient
    const auto failure = failureOf(tr("The slices could not be shown because of an unexpected error."), [&] {
        if (!request.originalPath.isEmpty() && mri::scanFormatOf(toPath(request.originalPath)) != mri::ScanFormat::Picture) {
            loadVolumeSlices(request);
            return;
        }
        SlicePair pair;
        pair.token = request.token;
        pair.row = request.row;
        pair.patientId = request.patientId;

        cv::Mat original;
        cv::Mat enhanced;
        try {
            if (request.originalPath.isEmpty())
                throw mri::EngineError(tr("The CSV row has no image_path.").toStdString());
            original = mri::loadGrayscaleImage(toPath(request.originalPath));
        } catch (const std::exception &problem) {
            pair.originalError = sentenceOf(problem);
        }
        if (!request.enhancedPath.isEmpty()) {
            try {
                enhanced = mri::loadGrayscaleImage(toPath(request.enhancedPath));
                // Super-resolution: the same picture F times larger in both axes.
                const int factor = original.empty() ? 1 : mri::inPlaneScaleOf(original.size(), enhanced.size());
                if (!original.empty() && enhanced.depth() == original.depth() && factor >= 2) {
                    pair.scale = factor;
                    pair.scaleNote = tr("×%1 in-plane").arg(factor);
                    pair.originalPixelScale = QSizeF(factor, factor);
                } else if (!original.empty() && (enhanced.size() != original.size() || enhanced.depth() != original.depth()))
                    throw mri::EngineError(tr("The enhanced slice '%1' does not match the size or bit depth of the original.")
                                               .arg(request.enhancedPath)
                                               .toStdString());
            } catch (const std::exception &problem) {
                pair.enhancedError = sentenceOf(problem);
                enhanced.release();
                pair.scale = 1;
                pair.scaleNote.clear();
                pair.originalPixelScale = QSizeF(1.0, 1.0);
            }
        }

        if (!original.empty()) {
            pair.original = sliceimage::fromMat(original);
            pair.maximumValue = sliceimage::maximumValueOf(pair.original);
            const auto [low, high] = sliceimage::robustRange(original, 0.005, 0.995);
            pair.autoLow = low;
            pair.autoHigh = high;
        }
        if (!enhanced.empty()) {
            pair.enhanced = sliceimage::fromMat(enhanced);
            if (!original.empty()) {
                cv::Mat reference = original;
                if (reference.size() != enhanced.size())
                    cv::resize(original, reference, enhanced.size(), 0, 0, cv::INTER_NEAREST);
                cv::Mat difference;
                cv::absdiff(reference, enhanced, difference);
                pair.difference = sliceimage::fromMat(difference);
                pair.differenceHigh = std::max(1, sliceimage::robustRange(difference, 0.0, 0.995).second);
                addResidual(pair, reference, enhanced, request, 1.0, enhanced.depth());
            }
        }
        addReferenceMetrics(pair, request, original, enhanced);
        if (request.token < m_latestSliceToken)
            return;
        emit slicesLoaded(pair);
    });
    if (failure)
        emit failed(Task::Slices, *failure);
}

void ImageWorker::loadComparison(int token, const DatasetHandle &dataset, const ResultList &results, quint64 seed,
                                 const ShownSliceMap &shown)
{
    const auto failure = failureOf(tr("The comparison could not be loaded because of an unexpected error."), [&] {
        if (!dataset)
            throw mri::EngineError(tr("No dataset is open.").toStdString());
        ComparisonSet set;
        set.token = token;
        set.available = static_cast<int>(mri::pickRandomPatients(*dataset, results, 1 << 30, seed).size());
        set.rows = mri::pickRandomPatients(*dataset, results, 3, seed);
        const auto entries = mri::loadComparisonEntries(*dataset, results, set.rows, shown);
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const auto &entry = entries[i];
            double low = 0.0;
            double high = 255.0; // volumes: already through the engine's display window
            if (!entry.displayReady)
                cv::minMaxLoc(entry.original, &low, &high);
            ComparisonItem item;
            item.sliceNote = QString::fromStdString(entry.sliceNote);
            item.scale = entry.scale;
            item.scaleNote = QString::fromStdString(entry.scaleNote);
            item.row = static_cast<int>(set.rows[i]);
            item.patientId = QString::fromStdString(entry.patientId);
            item.original = eightBitOf(entry.original, low, high);
            item.enhanced = eightBitOf(entry.enhanced, low, high);
            item.psnr = entry.psnr;
            item.ssim = entry.ssim;
            set.items.push_back(item);
        }
        emit comparisonLoaded(set);
    });
    if (failure)
        emit failed(Task::Comparison, *failure);
}

void ImageWorker::saveComparisonFigure(const DatasetHandle &dataset, const ResultList &results, const RowList &rows,
                                       const QString &file, const ShownSliceMap &shown)
{
    const auto failure = failureOf(tr("The figure could not be saved because of an unexpected error."), [&] {
        if (!dataset)
            throw mri::EngineError(tr("No dataset is open.").toStdString());
        mri::OutputPolicy policy;
        policy.protectDataset(*dataset);
        for (const auto &row : results) {
            if (row.done)
                policy.protectFile(row.enhancedImage, "the enhanced image of " + dataset->describeRow(row.rowIndex));
        }
        policy.addOutput(toPath(file), "the figure");
        policy.check();
        const auto entries = mri::loadComparisonEntries(*dataset, results, rows, shown);
        mri::saveImageAtomically(toPath(file), mri::renderComparisonFigure(entries));
        emit comparisonSaved(file);
    });
    if (failure)
        emit failed(Task::SaveFigure, *failure);
}

void ImageWorker::exportCsv(const DatasetHandle &dataset, const ResultList &results, const QString &file)
{
    const auto failure = failureOf(tr("The metrics CSV could not be written because of an unexpected error."), [&] {
        if (!dataset)
            throw mri::EngineError(tr("No dataset is open.").toStdString());
        mri::OutputPolicy policy;
        policy.protectDataset(*dataset);
        policy.addOutput(toPath(file), "the exported metrics CSV");
        policy.check();
        mri::writeMetricsCsv(*dataset, results, toPath(file));
        emit csvExported(file);
    });
    if (failure)
        emit failed(Task::ExportCsv, *failure);
}

void ImageWorker::inspectModel(const QString &file)
{
    const auto failure = failureOf(tr("The model file '%1' could not be read.").arg(file), [&] {
        emit modelInspected(file, mri::readModelInfo(toPath(file)));
    });
    if (failure)
        emit failed(Task::InspectModel, *failure);
}

// Copies the checkpoint byte for byte; the target appears complete or not at all.
void ImageWorker::copyModel(const QString &from, const QString &to)
{
    const auto failure = failureOf(tr("The model could not be saved because of an unexpected error."), [&] {
        std::ifstream input(toPath(from), std::ios::binary);
        if (!input)
            throw mri::EngineError(tr("The model file '%1' cannot be read.").arg(from).toStdString());
        const std::string bytes((std::istreambuf_iterator<char>(input)), std::istreambuf_iterator<char>());
        if (input.bad())
            throw mri::EngineError(tr("The model file '%1' cannot be read.").arg(from).toStdString());
        mri::OutputPolicy policy;
        policy.protectFile(toPath(from), "the model being copied");
        policy.addOutput(toPath(to), "the copy of the model");
        policy.check();
        mri::writeFileAtomically(toPath(to), bytes);
        emit modelCopied(to);
    });
    if (failure)
        emit failed(Task::CopyModel, *failure);
}

} // namespace studio
