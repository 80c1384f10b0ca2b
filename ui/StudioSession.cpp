#include "StudioSession.h"

#include "dataset/ResultsLocation.h"
#include "EngineWorker.h"
#include "ImageWorker.h"
#include "PatientTableModel.h"

#include <QDir>
#include <QFileInfo>
#include <QThread>

#include <algorithm>

namespace studio {

StudioSession::StudioSession(QObject *parent)
    : QObject(parent)
    , m_engineThread(new QThread(this))
    , m_imageThread(new QThread(this))
    , m_engineWorker(new EngineWorker)
    , m_imageWorker(new ImageWorker)
    , m_model(new PatientTableModel(this))
{
    registerWorkerTypes();
    m_engineThread->setObjectName(QStringLiteral("mri-engine"));
    m_imageThread->setObjectName(QStringLiteral("mri-images"));
    m_engineWorker->moveToThread(m_engineThread);
    m_imageWorker->moveToThread(m_imageThread);
    connect(m_engineThread, &QThread::finished, m_engineWorker, &QObject::deleteLater);
    connect(m_imageThread, &QThread::finished, m_imageWorker, &QObject::deleteLater);
    connectEngineWorker();
    connectImageWorker();
    m_engineThread->start();
    m_imageThread->start();
}

// Engine thread -> GUI thread (queued: the receiver lives here).
void StudioSession::connectEngineWorker()
{
    connect(m_engineWorker, &EngineWorker::progress, this, &StudioSession::jobProgress);
    connect(m_engineWorker, &EngineWorker::datasetOpened, this,
            [this](const DatasetHandle &dataset, const ResultList &results, const QString &notice) {
                // Slices and comparisons still in flight belong to the previous dataset.
                ++m_sliceToken;
                ++m_comparisonToken;
                m_shownSlices.clear();
                m_model->setDataset(dataset, results);
                if (!m_modelChosenByUser)
                    setModelFile(defaultModelFile(), false);
                emit datasetOpened(datasetFolder());
                emit stateChanged();
                if (!notice.isEmpty())
                    emit statusMessage(notice);
            });
    connect(m_engineWorker, &EngineWorker::imagesChecked, m_model, &PatientTableModel::applyChecks);
    connect(m_engineWorker, &EngineWorker::datasetReady, this, [this](bool) {
        endJob(Job::OpenDataset);
        emit datasetReady(datasetFolder());
    });
    connect(m_engineWorker, &EngineWorker::demoBuilt, this, [this](const QString &folder, int) {
        endJob(Job::BuildDemo);
        emit demoBuilt(folder);
        openDataset(folder);
    });
    connect(m_engineWorker, &EngineWorker::trainingStep, this, &StudioSession::trainingStep);
    connect(m_engineWorker, &EngineWorker::trainingEpoch, this, &StudioSession::trainingEpoch);
    connect(m_engineWorker, &EngineWorker::trainingMessage, this, &StudioSession::trainingMessage);
    connect(m_engineWorker, &EngineWorker::trainingFinished, this, [this](const TrainingOutcome &outcome) {
        endJob(Job::Training);
        if (QFileInfo::exists(outcome.modelFile))
            setModelFile(outcome.modelFile, m_modelChosenByUser);
        emit trainingFinished(outcome);
    });
    connect(m_engineWorker, &EngineWorker::rowEnhanced, this, [this](const mri::EnhancedRow &row) {
        m_model->setResult(row);
        emit rowEnhanced(static_cast<int>(row.rowIndex));
    });
    connect(m_engineWorker, &EngineWorker::enhanceProgress, this, &StudioSession::enhanceProgress);
    connect(m_engineWorker, &EngineWorker::enhanceTileProgress, this, &StudioSession::enhanceTileProgress);
    connect(m_engineWorker, &EngineWorker::enhanceFinished, this, [this](const EnhanceOutcome &outcome) {
        m_model->setResults(outcome.rows);
        endJob(Job::Enhancement);
        emit enhanceFinished(outcome);
    });
    connect(m_engineWorker, &EngineWorker::failed, this, &StudioSession::onJobFailed);
}

// Image thread -> GUI thread.
void StudioSession::connectImageWorker()
{
    connect(m_imageWorker, &ImageWorker::slicesLoaded, this, [this](const SlicePair &pair) {
        if (pair.token != m_sliceToken)
            return;
        if (pair.isVolume && pair.row >= 0)
            // On the original's grid: the comparison figure counts slices there.
            m_shownSlices[static_cast<std::size_t>(pair.row)] = mri::ShownSlice{pair.plane, pair.originalSlice};
        emit slicesLoaded(pair);
    });
    connect(m_imageWorker, &ImageWorker::comparisonLoaded, this, [this](const ComparisonSet &set) {
        if (set.token == m_comparisonToken)
            emit comparisonLoaded(set);
    });
    connect(m_imageWorker, &ImageWorker::comparisonSaved, this, &StudioSession::comparisonSaved);
    connect(m_imageWorker, &ImageWorker::csvExported, this, &StudioSession::csvExported);
    connect(m_imageWorker, &ImageWorker::modelCopied, this, &StudioSession::modelSaved);
    connect(m_imageWorker, &ImageWorker::modelInspected, this, [this](const QString &file, const mri::ModelInfo &info) {
        if (file != m_modelFile)
            return;
        m_modelInfo = info;
        emit modelInfoChanged();
    });
    connect(m_imageWorker, &ImageWorker::failed, this, &StudioSession::onTaskFailed);
}

StudioSession::~StudioSession()
{
    shutdown();
}

void StudioSession::shutdown()
{
    if (m_shutDown)
        return;
    m_shutDown = true;
    // The cancel flag is atomic: set it directly, the engine polls it every step.
    m_engineWorker->requestCancel();
    m_engineThread->quit();
    m_imageThread->quit();
    m_engineThread->wait();
    m_imageThread->wait();
    // Both workers were deleted when their thread finished.
    m_engineWorker = nullptr;
    m_imageWorker = nullptr;
    m_job = Job::None;
}

const DatasetHandle &StudioSession::dataset() const
{
    return m_model->dataset();
}

const ResultList &StudioSession::results() const
{
    return m_model->results();
}

QString StudioSession::datasetFolder() const
{
    return dataset() ? toQString(dataset()->folder) : QString();
}

void StudioSession::setModelFile(const QString &file, bool chosenByUser)
{
    m_modelFile = file;
    m_modelChosenByUser = chosenByUser;
    m_modelInfo.reset();
    emit modelChanged(file);
    emit modelInfoChanged();
    emit stateChanged();
    if (!m_shutDown && !file.isEmpty() && QFileInfo::exists(file)) {
        QMetaObject::invokeMethod(
            m_imageWorker, [worker = m_imageWorker, file] { worker->inspectModel(file); }, Qt::QueuedConnection);
    }
}

QString StudioSession::resultsFolderFor(const QString &datasetFolder)
{
    return toQString(mri::resultsLocationFor(toPath(datasetFolder)).folder);
}

QString StudioSession::resultsFolder() const
{
    return dataset() ? resultsFolderFor(datasetFolder()) : QString();
}

QString StudioSession::defaultModelFile() const
{
    if (!dataset())
        return toQString(mri::userDataFolder() / kDefaultModelName);
    return QDir(resultsFolder()).filePath(QString::fromLatin1(kDefaultModelName));
}

QString StudioSession::metricsCsvFile() const
{
    return dataset() ? toQString(mri::defaultMetricsCsv(*dataset())) : QString();
}

QString StudioSession::referencePathOf(int row) const
{
    if (!dataset() || row < 0 || row >= static_cast<int>(dataset()->rows.size()))
        return {};
    const auto clean = mri::cleanImagePathOf(*dataset(), static_cast<std::size_t>(row));
    return clean.empty() ? QString() : toQString(clean);
}

bool StudioSession::beginJob(Job job)
{
    if (m_shutDown)
        return false;
    if (m_job != Job::None) {
        emit errorOccurred(tr("Another task is still running; wait for it to finish or cancel it first."));
        return false;
    }
    m_job = job;
    // Cleared here, in the GUI thread, before the job is queued: a Cancel
    // pressed from now on is never lost.
    m_engineWorker->clearCancel();
    m_stopping = false;
    emit jobChanged(job);
    emit stateChanged();
    return true;
}

void StudioSession::endJob(Job job)
{
    if (m_job != job)
        return;
    m_job = Job::None;
    m_stopping = false;
    emit jobChanged(Job::None);
    emit stateChanged();
}

bool StudioSession::hasModel() const
{
    return !m_modelFile.isEmpty() && QFileInfo::exists(m_modelFile);
}

bool StudioSession::canOpen() const
{
    return !m_shutDown && !isBusy();
}

bool StudioSession::canTrain() const
{
    return canOpen() && dataset();
}

bool StudioSession::canResume() const
{
    return canTrain() && hasModel();
}

bool StudioSession::canEnhance() const
{
    return canTrain() && hasModel();
}

bool StudioSession::canStop() const
{
    // Building the demo is short and has no clean point to stop at.
    return !m_stopping && (m_job == Job::Training || m_job == Job::Enhancement || m_job == Job::OpenDataset);
}

bool StudioSession::canExport() const
{
    return dataset() && m_job != Job::Enhancement; // enhancement rewrites the metrics
}

bool StudioSession::canLoadModel() const
{
    return m_job != Job::Training; // training writes the model in use
}

bool StudioSession::canSaveModel() const
{
    return hasModel();
}

void StudioSession::onJobFailed(Job job, const QString &message)
{
    endJob(job);
    if (job == Job::OpenDataset)
        emit datasetFailed(message);
    if (job == Job::Training)
        emit trainingFailed(message);
    emit errorOccurred(message);
}

void StudioSession::onTaskFailed(Task task, const QString &message)
{
    if (task == Task::InspectModel)
        m_modelInfo.reset();
    emit errorOccurred(message);
}

bool StudioSession::openDataset(const QString &folder, const QString &csvFile)
{
    if (folder.isEmpty() || !beginJob(Job::OpenDataset))
        return false;
    OpenParams params{folder, csvFile};
    QMetaObject::invokeMethod(
        m_engineWorker, [worker = m_engineWorker, params] { worker->openDataset(params); }, Qt::QueuedConnection);
    return true;
}

bool StudioSession::buildDemoDataset(const QString &outputDir)
{
    if (!beginJob(Job::BuildDemo))
        return false;
    QMetaObject::invokeMethod(
        m_engineWorker, [worker = m_engineWorker, outputDir] { worker->buildDemoDataset(outputDir); },
        Qt::QueuedConnection);
    return true;
}

bool StudioSession::startTraining(mri::TrainingOptions options)
{
    if (!dataset()) {
        emit errorOccurred(tr("Open a dataset before training."));
        return false;
    }
    if (options.modelFile.empty()) {
        const QString file = options.resume && !m_modelFile.isEmpty() ? m_modelFile : defaultModelFile();
        options.modelFile = toPath(file);
    }
    if (options.resume && !QFileInfo::exists(toQString(options.modelFile))) {
        emit errorOccurred(tr("There is no checkpoint to resume at '%1'.").arg(toQString(options.modelFile)));
        return false;
    }
    if (!beginJob(Job::Training))
        return false;
    TrainingParams params{dataset(), options};
    QMetaObject::invokeMethod(
        m_engineWorker, [worker = m_engineWorker, params] { worker->train(params); }, Qt::QueuedConnection);
    emit trainingStarted(options.resume);
    return true;
}

bool StudioSession::enhance(const RowList &rows)
{
    if (!dataset()) {
        emit errorOccurred(tr("Open a dataset before enhancing."));
        return false;
    }
    if (m_modelFile.isEmpty() || !QFileInfo::exists(m_modelFile)) {
        emit errorOccurred(tr("There is no model to enhance with yet: train one or load a model file."));
        return false;
    }
    if (!beginJob(Job::Enhancement))
        return false;
    EnhanceParams params;
    params.dataset = dataset();
    params.options = m_enhanceSettings;
    params.options.modelFile = toPath(m_modelFile);
    params.options.rowIndices = rows;
    params.options.contrast = m_contrastStep;
    // Output folder and metrics CSV: the engine's defaults, the same as the command line's.
    params.options.writeCsv = true;
    QMetaObject::invokeMethod(
        m_engineWorker, [worker = m_engineWorker, params] { worker->enhance(params); }, Qt::QueuedConnection);
    return true;
}

void StudioSession::cancelJob()
{
    if (!m_engineWorker || m_job == Job::None)
        return;
    m_engineWorker->requestCancel();
    if (!m_stopping) {
        m_stopping = true; // Stop is pressed once: it disables itself until the job ends
        emit stateChanged();
    }
}

void StudioSession::requestSlices(int row)
{
    const auto shown = m_shownSlices.find(static_cast<std::size_t>(std::max(0, row)));
    if (shown != m_shownSlices.end())
        requestSlices(row, shown->second.plane, shown->second.slice);
    else
        requestSlices(row, mri::SlicePlane::Axial, -1);
}

void StudioSession::requestSlices(int row, mri::SlicePlane plane, int slice, bool onEnhancedGrid)
{
    if (m_shutDown || !dataset() || row < 0 || row >= static_cast<int>(dataset()->rows.size()))
        return;
    const auto &source = dataset()->rows[static_cast<std::size_t>(row)];
    const auto &result = results()[static_cast<std::size_t>(row)];
    SliceRequest request;
    request.token = ++m_sliceToken;
    request.row = row;
    request.patientId = QString::fromStdString(source.patientId);
    request.originalPath = source.imagePathText.empty() ? QString() : toQString(source.imagePath);
    request.enhancedPath = result.done ? toQString(result.enhancedImage) : QString();
    request.referencePath = referencePathOf(row);
    request.seriesUid = QString::fromStdString(source.seriesUid);
    request.plane = plane;
    request.slice = slice;
    request.sliceOnEnhancedGrid = onEnhancedGrid;
    if (result.done && result.selfCheck.verdict != mri::Verdict::NotChecked) {
        request.noiseSigma = result.selfCheck.noiseSigma;
        request.noiseCoils = result.selfCheck.noiseCoils;
    }
    m_imageWorker->setLatestSliceToken(request.token);
    QMetaObject::invokeMethod(
        m_imageWorker, [worker = m_imageWorker, request] { worker->loadSlices(request); }, Qt::QueuedConnection);
}

void StudioSession::requestComparison(quint64 seed)
{
    if (m_shutDown || !dataset())
        return;
    const int token = ++m_comparisonToken;
    QMetaObject::invokeMethod(
        m_imageWorker,
        [worker = m_imageWorker, token, dataset = dataset(), results = results(), seed, shown = m_shownSlices] {
            worker->loadComparison(token, dataset, results, seed, shown);
        },
        Qt::QueuedConnection);
}

void StudioSession::saveComparisonFigure(const QString &file, const RowList &rows)
{
    if (m_shutDown || !dataset())
        return;
    QMetaObject::invokeMethod(
        m_imageWorker,
        [worker = m_imageWorker, dataset = dataset(), results = results(), rows, file, shown = m_shownSlices] {
            worker->saveComparisonFigure(dataset, results, rows, file, shown);
        },
        Qt::QueuedConnection);
}

void StudioSession::exportMetricsCsv(const QString &file)
{
    if (m_shutDown)
        return;
    if (!dataset()) {
        emit errorOccurred(tr("Open a dataset before exporting metrics."));
        return;
    }
    QMetaObject::invokeMethod(
        m_imageWorker,
        [worker = m_imageWorker, dataset = dataset(), results = results(), file] {
            worker->exportCsv(dataset, results, file);
        },
        Qt::QueuedConnection);
}

void StudioSession::saveModelAs(const QString &file)
{
    if (m_shutDown)
        return;
    if (m_modelFile.isEmpty() || !QFileInfo::exists(m_modelFile)) {
        emit errorOccurred(tr("There is no trained model to save yet."));
        return;
    }
    QMetaObject::invokeMethod(
        m_imageWorker, [worker = m_imageWorker, from = m_modelFile, file] { worker->copyModel(from, file); },
        Qt::QueuedConnection);
}

} // namespace studio
