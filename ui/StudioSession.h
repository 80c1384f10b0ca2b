#pragma once

#include "WorkerTypes.h"

#include <QObject>
#include <QString>

#include <optional>

class QThread;

namespace studio {

class EngineWorker;
class ImageWorker;
class PatientTableModel;

// The state of one studio window (dataset, results, model) and the two worker
// threads that do all engine work: the engine thread runs one long job at a
// time (open, demo, training, enhancement), the image thread short tasks that
// must stay available meanwhile (slices, comparison, CSV, model files). Lives
// in the GUI thread and never blocks it, except in shutdown(), which cancels
// the running job and joins both threads.
class StudioSession final : public QObject
{
    Q_OBJECT

public:
    static constexpr const char *kDefaultModelName = "mri_enhance_model.pt";

    explicit StudioSession(QObject *parent = nullptr);
    ~StudioSession() override;

    // Cancels the running job, then quits and waits for both threads. Idempotent.
    void shutdown();

    // --- state
    const studio::DatasetHandle &dataset() const;
    const studio::ResultList &results() const;
    PatientTableModel *patientModel() const { return m_model; }
    studio::Job currentJob() const { return m_job; }
    bool isBusy() const { return m_job != Job::None; }
    // Stop was pressed and the running job has not ended yet.
    bool isStopping() const { return m_stopping; }

    // What the user may do now: the one answer for menus, tool bar and panels
    // (StudioActions enables its actions from these). stateChanged() says when
    // any of them may have changed.
    bool hasModel() const; // the model file exists
    bool canOpen() const;
    bool canTrain() const;
    bool canResume() const;
    bool canEnhance() const;
    bool canStop() const;
    bool canExport() const;
    bool canLoadModel() const;
    bool canSaveModel() const;
    QString datasetFolder() const;

    // Model used for enhancement (and resumed by "Resume"). Setting it reads
    // its ModelInfo on the image thread; modelChanged() follows.
    QString modelFile() const { return m_modelFile; }
    void setModelFile(const QString &file, bool chosenByUser = true);
    const std::optional<mri::ModelInfo> &modelInfo() const { return m_modelInfo; }
    // Where the studio writes for a dataset (model, enhanced slices, metrics
    // CSV): the engine's rule (ResultsLocation.h), shared with the command line.
    static QString resultsFolderFor(const QString &datasetFolder);
    QString resultsFolder() const;
    QString defaultModelFile() const;
    QString metricsCsvFile() const;
    QString referencePathOf(int row) const;

    // --- jobs (engine thread). Each returns false, with errorOccurred(), when
    // it cannot start (another job runs, no dataset, ...).
    bool openDataset(const QString &folder, const QString &csvFile = {});
    bool buildDemoDataset(const QString &outputDir);
    bool startTraining(mri::TrainingOptions options);
    bool enhance(const studio::RowList &rows); // empty: every row
    // The contrast step every later enhance() applies (EnhanceOptions::contrast).
    const mri::ContrastStep &contrastStep() const { return m_contrastStep; }
    void setContrastStep(const mri::ContrastStep &step) { m_contrastStep = step; }
    // The table's enhance settings every later enhance() starts from
    // (ContrastPanel's editors; defaults until set). Its paths, selection and
    // contrast step are not used: enhance() sets those.
    const mri::EnhanceOptions &enhanceSettings() const { return m_enhanceSettings; }
    void setEnhanceSettings(const mri::EnhanceOptions &settings) { m_enhanceSettings = settings; }
    void cancelJob();

    // --- tasks (image thread)
    // Volume rows: the slice last shown (or, before any, the middle axial
    // one); `slice` -1 shows the middle of `plane`. The slice asked for is
    // remembered for the row (shownSlices()) and used by the comparison.
    void requestSlices(int row);
    // onEnhancedGrid: `slice` counts on a super-resolved volume's finer grid.
    void requestSlices(int row, mri::SlicePlane plane, int slice, bool onEnhancedGrid = false);
    const studio::ShownSliceMap &shownSlices() const { return m_shownSlices; }
    void requestComparison(quint64 seed);
    void saveComparisonFigure(const QString &file, const studio::RowList &rows);
    void exportMetricsCsv(const QString &file);
    void saveModelAs(const QString &file);

signals:
    void stateChanged();                              // job, stopping, dataset or model changed
    void jobChanged(studio::Job job);                 // Job::None when idle again
    void jobProgress(studio::Job job, int done, int total, const QString &text);
    void datasetOpened(const QString &folder);        // table filled, images still being checked
    void datasetReady(const QString &folder);         // every image checked (or cancelled)
    void datasetFailed(const QString &message);
    void demoBuilt(const QString &folder);

    void trainingStarted(bool resumed);
    void trainingStep(const mri::TrainingStep &step);
    void trainingEpoch(const mri::EpochSummary &summary);
    void trainingMessage(const QString &message);
    void trainingFinished(const studio::TrainingOutcome &outcome);
    void trainingFailed(const QString &message);      // ended without trainingFinished()

    void rowEnhanced(int row);
    void enhanceProgress(const mri::EnhanceProgress &progress);
    void enhanceTileProgress(int slice, int slices, int tilesDone, int tilesTotal);
    void enhanceFinished(const studio::EnhanceOutcome &outcome);

    void slicesLoaded(const studio::SlicePair &pair);
    void comparisonLoaded(const studio::ComparisonSet &set);
    void comparisonSaved(const QString &file);
    void csvExported(const QString &file);
    void modelSaved(const QString &file);
    void modelChanged(const QString &file);           // modelInfo() may still be empty
    void modelInfoChanged();

    void errorOccurred(const QString &message);
    void statusMessage(const QString &message);

private:
    mri::ContrastStep m_contrastStep;
    mri::EnhanceOptions m_enhanceSettings;

    void connectEngineWorker();
    void connectImageWorker();
    bool beginJob(studio::Job job);
    void endJob(studio::Job job);
    void onJobFailed(studio::Job job, const QString &message);
    void onTaskFailed(studio::Task task, const QString &message);

    QThread *m_engineThread = nullptr;
    QThread *m_imageThread = nullptr;
    EngineWorker *m_engineWorker = nullptr;
    ImageWorker *m_imageWorker = nullptr;
    PatientTableModel *m_model = nullptr;

    studio::Job m_job = Job::None;
    bool m_stopping = false;
    QString m_modelFile;
    bool m_modelChosenByUser = false;
    std::optional<mri::ModelInfo> m_modelInfo;
    int m_sliceToken = 0;
    studio::ShownSliceMap m_shownSlices;
    int m_comparisonToken = 0;
    bool m_shutDown = false;
};

} // namespace studio
