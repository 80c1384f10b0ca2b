#include "ImageWorker.h"

#include "AtomicFile.h"
#include "ComparisonFigure.h"
#include "DisplayMapping.h"
#include "EngineError.h"
#include "ImageIO.h"
#include "Metrics.h"
#include "SliceImage.h"

#include <opencv2/core.hpp>

#include <exception>
#include <fstream>
#include <iterator>
#include <string>

namespace studio {

namespace {

QString sentenceOf(const std::exception &error)
{
    return QString::fromStdString(error.what());
}

// The engine's figure rule for the on-screen comparison: the pair shares the
// original's min..max mapped onto 8 bits.
QImage eightBitOf(const cv::Mat &slice, double low, double high)
{
    return sliceimage::fromMat(mri::mapToEightBit(slice, low, high));
}

} // namespace

ImageWorker::ImageWorker(QObject *parent)
    : QObject(parent)
{
}

void ImageWorker::setLatestSliceToken(int token)
{
    m_latestSliceToken = token;
}

void ImageWorker::loadSlices(const SliceRequest &request)
{
    if (request.token < m_latestSliceToken)
        return; // the user already selected another patient
    try {
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
                if (!original.empty() && (enhanced.size() != original.size() || enhanced.depth() != original.depth()))
                    throw mri::EngineError(tr("The enhanced slice '%1' does not match the size or bit depth of the original.")
                                               .arg(request.enhancedPath)
                                               .toStdString());
            } catch (const std::exception &problem) {
                pair.enhancedError = sentenceOf(problem);
                enhanced.release();
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
                cv::Mat difference;
                cv::absdiff(original, enhanced, difference);
                pair.difference = sliceimage::fromMat(difference);
                pair.differenceHigh = std::max(1, sliceimage::robustRange(difference, 0.0, 0.995).second);
            }
        }
        // Demo datasets carry the clean slice: then both images get metrics
        // against the ground truth, computed by the engine.
        if (!request.referencePath.isEmpty() && !original.empty()) {
            try {
                const cv::Mat reference = mri::loadGrayscaleImage(toPath(request.referencePath));
                if (reference.size() == original.size() && reference.depth() == original.depth()) {
                    const auto before = mri::compareImages(reference, original);
                    pair.originalReferencePsnr = before.psnr;
                    pair.originalReferenceSsim = before.ssim;
                    pair.hasReference = true;
                    if (!enhanced.empty()) {
                        const auto after = mri::compareImages(reference, enhanced);
                        pair.enhancedReferencePsnr = after.psnr;
                        pair.enhancedReferenceSsim = after.ssim;
                    }
                }
            } catch (const std::exception &) {
                // The reference is a bonus: without it the view shows the usual metrics.
            }
        }
        if (request.token < m_latestSliceToken)
            return;
        emit slicesLoaded(pair);
    } catch (const std::exception &problem) {
        emit failed(Task::Slices, sentenceOf(problem));
    } catch (...) {
        emit failed(Task::Slices, tr("The slices could not be shown because of an unexpected error."));
    }
}

void ImageWorker::loadComparison(int token, const DatasetHandle &dataset, const ResultList &results, quint64 seed)
{
    try {
        if (!dataset)
            throw mri::EngineError(tr("No dataset is open.").toStdString());
        ComparisonSet set;
        set.token = token;
        set.available = static_cast<int>(mri::pickRandomPatients(*dataset, results, 1 << 30, seed).size());
        set.rows = mri::pickRandomPatients(*dataset, results, 3, seed);
        const auto entries = mri::loadComparisonEntries(*dataset, results, set.rows);
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const auto &entry = entries[i];
            double low = 0.0;
            double high = 0.0;
            cv::minMaxLoc(entry.original, &low, &high);
            ComparisonItem item;
            item.row = static_cast<int>(set.rows[i]);
            item.patientId = QString::fromStdString(entry.patientId);
            item.original = eightBitOf(entry.original, low, high);
            item.enhanced = eightBitOf(entry.enhanced, low, high);
            item.psnr = entry.psnr;
            item.ssim = entry.ssim;
            set.items.push_back(item);
        }
        emit comparisonLoaded(set);
    } catch (const std::exception &problem) {
        emit failed(Task::Comparison, sentenceOf(problem));
    } catch (...) {
        emit failed(Task::Comparison, tr("The comparison could not be loaded because of an unexpected error."));
    }
}

void ImageWorker::saveComparisonFigure(const DatasetHandle &dataset, const ResultList &results, const RowList &rows,
                                       const QString &file)
{
    try {
        if (!dataset)
            throw mri::EngineError(tr("No dataset is open.").toStdString());
        const auto entries = mri::loadComparisonEntries(*dataset, results, rows);
        mri::saveImageAtomically(toPath(file), mri::renderComparisonFigure(entries));
        emit comparisonSaved(file);
    } catch (const std::exception &problem) {
        emit failed(Task::SaveFigure, sentenceOf(problem));
    } catch (...) {
        emit failed(Task::SaveFigure, tr("The figure could not be saved because of an unexpected error."));
    }
}

void ImageWorker::exportCsv(const DatasetHandle &dataset, const ResultList &results, const QString &file)
{
    try {
        if (!dataset)
            throw mri::EngineError(tr("No dataset is open.").toStdString());
        mri::writeMetricsCsv(*dataset, results, toPath(file));
        emit csvExported(file);
    } catch (const std::exception &problem) {
        emit failed(Task::ExportCsv, sentenceOf(problem));
    } catch (...) {
        emit failed(Task::ExportCsv, tr("The metrics CSV could not be written because of an unexpected error."));
    }
}

void ImageWorker::inspectModel(const QString &file)
{
    try {
        emit modelInspected(file, mri::readModelInfo(toPath(file)));
    } catch (const std::exception &problem) {
        emit failed(Task::InspectModel, sentenceOf(problem));
    } catch (...) {
        emit failed(Task::InspectModel, tr("The model file '%1' could not be read.").arg(file));
    }
}

// Copies the checkpoint byte for byte; the target appears complete or not at all.
void ImageWorker::copyModel(const QString &from, const QString &to)
{
    try {
        std::ifstream input(toPath(from), std::ios::binary);
        if (!input)
            throw mri::EngineError(tr("The model file '%1' cannot be read.").arg(from).toStdString());
        const std::string bytes((std::istreambuf_iterator<char>(input)), std::istreambuf_iterator<char>());
        if (input.bad())
            throw mri::EngineError(tr("The model file '%1' cannot be read.").arg(from).toStdString());
        mri::writeFileAtomically(toPath(to), bytes);
        emit modelCopied(to);
    } catch (const std::exception &problem) {
        emit failed(Task::CopyModel, sentenceOf(problem));
    } catch (...) {
        emit failed(Task::CopyModel, tr("The model could not be saved because of an unexpected error."));
    }
}

} // namespace studio
