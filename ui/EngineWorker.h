#pragma once

#include "WorkerTypes.h"

#include <QObject>
#include <QString>

#include <atomic>

namespace studio {

// The long engine jobs: opening (and checking) a dataset, building the demo
// dataset, training and enhancing. Lives in its own QThread; a job is started
// by queuing one of the job functions into that thread (StudioSession does)
// and blocks it until done. Every job ends with exactly one of its success
// signals or failed(). Progress, results and errors leave as queued signals of
// plain values; requestCancel() may be called from any thread and is checked
// by the engine every step.
class EngineWorker final : public QObject
{
    Q_OBJECT

public:
    explicit EngineWorker(QObject *parent = nullptr);

    void requestCancel();
    void clearCancel();

    void openDataset(const studio::OpenParams &params);
    void buildDemoDataset(const QString &outputDir);
    void train(const studio::TrainingParams &params);
    void enhance(const studio::EnhanceParams &params);

signals:
    void progress(studio::Job job, int done, int total, const QString &text);

    void datasetOpened(const studio::DatasetHandle &dataset, const studio::ResultList &results,
                       const QString &notice);
    void imagesChecked(const studio::ImageCheckList &checks);
    void datasetReady(bool cancelled);

    void demoBuilt(const QString &folder, int sliceCount);

    void trainingStep(const mri::TrainingStep &step);
    void trainingEpoch(const mri::EpochSummary &summary);
    void trainingMessage(const QString &message);
    void trainingFinished(const studio::TrainingOutcome &outcome);

    void rowEnhanced(const mri::EnhancedRow &row);
    void enhanceProgress(const mri::EnhanceProgress &progress);
    // Within the slice being enhanced (1-based slice of slices): tiles done of their total.
    void enhanceTileProgress(int slice, int slices, int tilesDone, int tilesTotal);
    void enhanceFinished(const studio::EnhanceOutcome &outcome);

    void failed(studio::Job job, const QString &message);

private:
    void checkImages(const mri::Dataset &dataset);

    std::atomic_bool m_cancel{false};
};

} // namespace studio
