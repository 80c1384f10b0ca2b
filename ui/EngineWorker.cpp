#include "EngineWorker.h"

#include "WorkerFailure.h"

#include "base/EngineError.h"
#include "dataset/DemoDataset.h"
#include "dataset/ResultsLocation.h"
#include "io/ScanHeader.h"

#include <QElapsedTimer>

#include <exception>
#include <filesystem>

namespace studio {

namespace {

// Creates the folder a file will be written to; errors surface later as the
// engine's own sentence when it writes the file.
void makeParentFolder(const std::filesystem::path &file)
{
    std::error_code ignored;
    if (file.has_parent_path())
        std::filesystem::create_directories(file.parent_path(), ignored);
}

} // namespace

EngineWorker::EngineWorker(QObject *parent)
    : QObject(parent)
{
}

void EngineWorker::requestCancel()
{
    m_cancel = true;
}

void EngineWorker::clearCancel()
{
    m_cancel = false;
}

void EngineWorker::openDataset(const OpenParams &params)
{
    const auto failure = failureOf(tr("The dataset could not be opened because of an unexpected error."), [&] {
        auto dataset = std::make_shared<const mri::Dataset>(mri::openDataset(toPath(params.folder), toPath(params.csvFile)));
        ResultList results(dataset->rows.size());
        for (std::size_t i = 0; i < results.size(); ++i)
            results[i].rowIndex = i;
        // Where results go is the engine's rule, the same as the command line's; say it when it is not the dataset.
        QString notice = QString::fromStdString(mri::resultsLocationFor(dataset->folder).notice());
        const auto metricsCsv = mri::defaultMetricsCsv(*dataset);
        std::error_code error;
        if (std::filesystem::exists(metricsCsv, error)) {
            try {
                results = mri::readMetricsCsv(*dataset, metricsCsv);
            } catch (const std::exception &problem) {
                notice = tr("Earlier results were not loaded: %1").arg(sentenceOf(problem));
            }
        }
        emit datasetOpened(dataset, results, notice);
        checkImages(*dataset);
        emit datasetReady(m_cancel);
    });
    if (failure)
        emit failed(Job::OpenDataset, *failure);
}

// Reads every image's header (pictures are decoded: that is cheap) so that the
// table shows sizes and marks unreadable rows with the engine's reason before
// training or enhancement trips over them. A volume's voxels are decoded only
// when its row is shown or processed: a 500-file series costs its headers here.
void EngineWorker::checkImages(const mri::Dataset &dataset)
{
    const int total = static_cast<int>(dataset.rows.size());
    ImageCheckList batch;
    QElapsedTimer sinceEmit;
    sinceEmit.start();
    for (int i = 0; i < total; ++i) {
        if (m_cancel)
            break;
        const auto &row = dataset.rows[static_cast<std::size_t>(i)];
        ImageCheck check;
        check.row = i;
        if (row.imagePathText.empty()) {
            check.error = tr("The CSV row has no image_path.");
        } else {
            try {
                // The header read checks what needs no decoding, a truncated file included.
                const mri::ScanHeader header = mri::readScanHeader(row.imagePath, row.seriesUid);
                check.width = header.size[0];
                check.height = header.size[1];
                if (header.format != mri::ScanFormat::Picture) {
                    check.depth = header.size[2];
                    check.format = header.format == mri::ScanFormat::Nifti ? QStringLiteral("NIfTI") : QStringLiteral("DICOM");
                } else {
                    check.bitDepth = header.bitsAllocated;
                }
            } catch (const std::exception &problem) {
                check.error = sentenceOf(problem);
            }
        }
        batch.push_back(check);
        if (batch.size() >= 256 || sinceEmit.elapsed() >= 100 || i + 1 == total) {
            emit imagesChecked(batch);
            emit progress(Job::OpenDataset, i + 1, total, tr("Checking images"));
            batch.clear();
            sinceEmit.restart();
        }
    }
    if (!batch.isEmpty())
        emit imagesChecked(batch);
}

void EngineWorker::buildDemoDataset(const QString &outputDir)
{
    const auto failure = failureOf(tr("The demo dataset could not be built because of an unexpected error."), [&] {
        mri::DemoDatasetOptions options;
        options.outputDir = toPath(outputDir);
        const auto result = mri::buildDemoDataset(options, [this](int done, int total) {
            emit progress(Job::BuildDemo, done, total, tr("Building the demo dataset"));
        });
        emit demoBuilt(toQString(options.outputDir), result.sliceCount);
    });
    if (failure)
        emit failed(Job::BuildDemo, *failure);
}

void EngineWorker::train(const TrainingParams &params)
{
    const auto failure = failureOf(tr("Training stopped because of an unexpected error."), [&] {
        if (!params.dataset)
            throw mri::EngineError(tr("No dataset is open.").toStdString());
        makeParentFolder(params.options.modelFile);
        mri::TrainingCallbacks callbacks;
        callbacks.onStep = [this](const mri::TrainingStep &step) { emit trainingStep(step); };
        callbacks.onEpoch = [this](const mri::EpochSummary &summary) { emit trainingEpoch(summary); };
        callbacks.onMessage = [this](const std::string &message) { emit trainingMessage(QString::fromStdString(message)); };
        const auto result = mri::trainModel(*params.dataset, params.options, callbacks, m_cancel);

        TrainingOutcome outcome;
        outcome.cancelled = result.cancelled;
        outcome.epochsCompleted = result.epochsCompleted;
        outcome.seed = result.seed;
        outcome.device = QString::fromStdString(result.device);
        outcome.trainingImages = result.trainingImages;
        outcome.validationImages = result.validationImages;
        for (const auto &sentence : result.skippedImages)
            outcome.skippedImages.push_back(QString::fromStdString(sentence));
        outcome.modelFile = toQString(params.options.modelFile);
        emit trainingFinished(outcome);
    });
    if (failure)
        emit failed(Job::Training, *failure);
}

void EngineWorker::enhance(const EnhanceParams &params)
{
    const auto failure = failureOf(tr("Enhancement stopped because of an unexpected error."), [&] {
        if (!params.dataset)
            throw mri::EngineError(tr("No dataset is open.").toStdString());
        mri::EnhanceCallbacks callbacks;
        callbacks.onRow = [this](const mri::EnhancedRow &row) { emit rowEnhanced(row); };
        callbacks.onProgress = [this](const mri::EnhanceProgress &progress) { emit enhanceProgress(progress); };
        callbacks.onSliceProgress = [this](const mri::SliceProgress &progress) {
            if (progress.tilesTotal > 1) // a slice of one tile: the per-slice progress says it all
                emit enhanceTileProgress(progress.slice, progress.slices, progress.tilesDone, progress.tilesTotal);
        };
        auto result = mri::enhanceDataset(*params.dataset, params.options, callbacks, m_cancel);

        EnhanceOutcome outcome;
        outcome.rows = std::move(result.rows);
        outcome.succeeded = result.succeeded;
        outcome.failed = result.failed;
        outcome.cancelled = result.cancelled;
        outcome.metricsCsv = toQString(result.metricsCsv);
        emit enhanceFinished(outcome);
    });
    if (failure)
        emit failed(Job::Enhancement, *failure);
}

} // namespace studio
