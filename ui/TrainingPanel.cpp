#include "TrainingPanel.h"

#include "Formatting.h"
#include "StudioSession.h"
#include "TrainingChart.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QDir>
#include <QDoubleValidator>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QStyle>
#include <QVBoxLayout>

#include <climits>
#include <cmath>

namespace studio {

namespace {

constexpr int kProgressResolution = 1000;

QString objectiveDescription(mri::TrainingObjective objective)
{
    switch (objective) {
    case mri::TrainingObjective::Noise2Void:
        return TrainingPanel::tr("Noise2Void (self-supervised, blind spot)");
    case mri::TrainingObjective::Identity:
        return TrainingPanel::tr("Identity (learns to copy; for comparison)");
    case mri::TrainingObjective::Synthetic:
        return TrainingPanel::tr("Synthetic (extra Rician noise on the input)");
    }
    return {};
}

} // namespace

TrainingPanel::TrainingPanel(StudioSession *session, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_chart(new TrainingChart(this))
{
    // --- options
    m_objectiveCombo = new QComboBox(this);
    m_objectiveCombo->setObjectName(QStringLiteral("objectiveCombo"));
    for (const auto objective : {mri::TrainingObjective::Noise2Void, mri::TrainingObjective::Identity,
                                 mri::TrainingObjective::Synthetic}) {
        m_objectiveCombo->addItem(objectiveDescription(objective), QString::fromStdString(mri::objectiveName(objective)));
    }
    m_epochsSpin = new QSpinBox(this);
    m_epochsSpin->setObjectName(QStringLiteral("epochsSpin"));
    m_epochsSpin->setRange(1, 100000);
    m_learningRateEdit = new QLineEdit(this);
    m_learningRateEdit->setObjectName(QStringLiteral("learningRateEdit"));
    auto *rateValidator = new QDoubleValidator(1e-9, 10.0, 12, m_learningRateEdit);
    rateValidator->setNotation(QDoubleValidator::ScientificNotation);
    m_learningRateEdit->setValidator(rateValidator);
    m_batchSizeSpin = new QSpinBox(this);
    m_batchSizeSpin->setObjectName(QStringLiteral("batchSizeSpin"));
    m_batchSizeSpin->setRange(1, 4096);
    m_patchSizeSpin = new QSpinBox(this);
    m_patchSizeSpin->setObjectName(QStringLiteral("patchSizeSpin"));
    m_patchSizeSpin->setRange(8, 2048);
    m_patchSizeSpin->setSingleStep(16);
    m_patchSizeSpin->setSuffix(tr(" px"));
    m_patchesPerImageSpin = new QSpinBox(this);
    m_patchesPerImageSpin->setObjectName(QStringLiteral("patchesPerImageSpin"));
    m_patchesPerImageSpin->setRange(1, 100000);
    m_validationSpin = new QDoubleSpinBox(this);
    m_validationSpin->setObjectName(QStringLiteral("validationFractionSpin"));
    m_validationSpin->setRange(0.0, 0.9);
    m_validationSpin->setSingleStep(0.05);
    m_validationSpin->setDecimals(2);
    m_seedSpin = new QSpinBox(this);
    m_seedSpin->setObjectName(QStringLiteral("seedSpin"));
    m_seedSpin->setRange(0, INT_MAX);
    m_seedSpin->setSpecialValueText(tr("Random"));
    m_depthSpin = new QSpinBox(this);
    m_depthSpin->setObjectName(QStringLiteral("depthSpin"));
    m_depthSpin->setRange(1, 8);
    m_channelsSpin = new QSpinBox(this);
    m_channelsSpin->setObjectName(QStringLiteral("baseChannelsSpin"));
    m_channelsSpin->setRange(1, 512);

    m_objectiveCombo->setToolTip(tr("What the network learns: Noise2Void needs no clean images"));
    m_epochsSpin->setToolTip(tr("Passes over the training images; Resume continues up to this total"));
    m_learningRateEdit->setToolTip(tr("Step size of the Adam optimiser"));
    m_batchSizeSpin->setToolTip(tr("Patches per training step"));
    m_patchSizeSpin->setToolTip(tr("Side of the square patches cut from the slices"));
    m_patchesPerImageSpin->setToolTip(tr("Patches drawn from every training image per epoch"));
    m_validationSpin->setToolTip(tr("Share of the images held back to measure validation loss and PSNR"));
    m_seedSpin->setToolTip(tr("Same seed, same run; Random picks one and reports it"));
    m_depthSpin->setToolTip(tr("Down-sampling steps of the U-Net"));
    m_channelsSpin->setToolTip(tr("Channels of the first U-Net level, doubled per level"));

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("Objective:"), m_objectiveCombo);
    form->addRow(tr("Epochs:"), m_epochsSpin);
    form->addRow(tr("Learning rate:"), m_learningRateEdit);
    form->addRow(tr("Batch size:"), m_batchSizeSpin);
    form->addRow(tr("Patch size:"), m_patchSizeSpin);
    form->addRow(tr("Patches per image:"), m_patchesPerImageSpin);
    form->addRow(tr("Validation fraction:"), m_validationSpin);
    form->addRow(tr("Seed:"), m_seedSpin);
    form->addRow(tr("U-Net depth:"), m_depthSpin);
    form->addRow(tr("Base channels:"), m_channelsSpin);
    auto *defaultsButton = new QPushButton(tr("Restore Defaults"), this);
    defaultsButton->setObjectName(QStringLiteral("restoreDefaultsButton"));
    connect(defaultsButton, &QPushButton::clicked, this, &TrainingPanel::restoreDefaults);
    form->addRow(QString(), defaultsButton);
    auto *optionsBox = new QGroupBox(tr("Training options"), this);
    optionsBox->setLayout(form);

    // --- run buttons
    m_startButton = new QPushButton(QIcon(QStringLiteral(":/icons/train.png")), tr("Start"), this);
    m_startButton->setObjectName(QStringLiteral("startTrainingButton"));
    m_startButton->setToolTip(tr("Train a new model on the open dataset"));
    m_stopButton = new QPushButton(QIcon(QStringLiteral(":/icons/stop.png")), tr("Stop"), this);
    m_stopButton->setObjectName(QStringLiteral("stopTrainingButton"));
    m_stopButton->setToolTip(tr("Stop training; the checkpoint of the last complete epoch stays usable"));
    m_resumeButton = new QPushButton(style()->standardIcon(QStyle::SP_MediaSeekForward), tr("Resume"), this);
    m_resumeButton->setObjectName(QStringLiteral("resumeTrainingButton"));
    m_resumeButton->setToolTip(tr("Continue training from the model's checkpoint"));
    connect(m_startButton, &QPushButton::clicked, this, &TrainingPanel::startTraining);
    connect(m_stopButton, &QPushButton::clicked, this, &TrainingPanel::stopTraining);
    connect(m_resumeButton, &QPushButton::clicked, this, &TrainingPanel::resumeTraining);
    auto *runButtons = new QHBoxLayout;
    runButtons->addWidget(m_startButton);
    runButtons->addWidget(m_stopButton);
    runButtons->addWidget(m_resumeButton);

    // --- model
    m_modelPathLabel = new QLabel(this);
    m_modelPathLabel->setObjectName(QStringLiteral("modelPathLabel"));
    m_modelPathLabel->setWordWrap(true);
    m_modelPathLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_modelInfoLabel = new QLabel(this);
    m_modelInfoLabel->setObjectName(QStringLiteral("modelInfoLabel"));
    m_modelInfoLabel->setWordWrap(true);
    m_loadModelButton = new QPushButton(tr("Load…"), this);
    m_loadModelButton->setObjectName(QStringLiteral("loadModelButton"));
    m_loadModelButton->setToolTip(tr("Choose the model file used for enhancement"));
    m_saveModelButton = new QPushButton(tr("Save As…"), this);
    m_saveModelButton->setObjectName(QStringLiteral("saveModelButton"));
    m_saveModelButton->setToolTip(tr("Copy the current checkpoint to another file"));
    connect(m_loadModelButton, &QPushButton::clicked, this, &TrainingPanel::chooseModelFile);
    connect(m_saveModelButton, &QPushButton::clicked, this, &TrainingPanel::saveModelAs);
    auto *modelButtons = new QHBoxLayout;
    modelButtons->addWidget(m_loadModelButton);
    modelButtons->addWidget(m_saveModelButton);
    modelButtons->addStretch(1);
    auto *modelLayout = new QVBoxLayout;
    modelLayout->addWidget(m_modelPathLabel);
    modelLayout->addWidget(m_modelInfoLabel);
    modelLayout->addLayout(modelButtons);
    auto *modelBox = new QGroupBox(tr("Model"), this);
    modelBox->setLayout(modelLayout);

    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(optionsBox);
    leftLayout->addLayout(runButtons);
    leftLayout->addWidget(modelBox);
    leftLayout->addStretch(1);
    auto *leftScroll = new QScrollArea(this);
    leftScroll->setWidget(left);
    leftScroll->setWidgetResizable(true);
    leftScroll->setFrameShape(QFrame::NoFrame);
    leftScroll->setMinimumWidth(300);
    leftScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);

    // --- progress and log
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("trainingProgress"));
    m_progress->setRange(0, kProgressResolution);
    m_progress->setValue(0);
    m_progress->setTextVisible(true);
    m_progress->setFormat(tr("Not started"));
    m_statusLabel = new QLabel(this);
    m_statusLabel->setObjectName(QStringLiteral("trainingStatusLabel"));
    m_statusLabel->setWordWrap(true);
    m_log = new QPlainTextEdit(this);
    m_log->setObjectName(QStringLiteral("trainingLog"));
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(2000);
    m_log->setPlaceholderText(tr("Epoch summaries and messages of the engine appear here."));

    auto *right = new QSplitter(Qt::Vertical, this);
    auto *chartArea = new QWidget(right);
    auto *chartLayout = new QVBoxLayout(chartArea);
    chartLayout->setContentsMargins(0, 0, 0, 0);
    chartLayout->addWidget(m_chart, 1);
    chartLayout->addWidget(m_progress);
    chartLayout->addWidget(m_statusLabel);
    right->addWidget(chartArea);
    right->addWidget(m_log);
    right->setStretchFactor(0, 4);
    right->setStretchFactor(1, 1);

    auto *layout = new QHBoxLayout(this);
    layout->addWidget(leftScroll, 0);
    layout->addWidget(right, 1);

    restoreDefaults();

    connect(m_session, &StudioSession::jobChanged, this, [this] { updateButtons(); });
    connect(m_session, &StudioSession::datasetOpened, this, [this] { updateButtons(); });
    connect(m_session, &StudioSession::modelChanged, this, [this] {
        updateModelInfo();
        updateButtons();
    });
    connect(m_session, &StudioSession::modelInfoChanged, this, &TrainingPanel::updateModelInfo);
    connect(m_session, &StudioSession::trainingStarted, this, [this](bool resumed) {
        m_stopping = false;
        m_running = true;
        if (!resumed) {
            m_chart->clear();
            m_log->clear();
        }
        m_progress->setValue(0);
        m_progress->setFormat(tr("Preparing patches…"));
        m_statusLabel->setText(resumed ? tr("Resuming from the checkpoint…") : tr("Loading the training images…"));
    });
    connect(m_session, &StudioSession::trainingStep, this, &TrainingPanel::onStep);
    connect(m_session, &StudioSession::trainingEpoch, this, &TrainingPanel::onEpoch);
    connect(m_session, &StudioSession::trainingMessage, this, &TrainingPanel::appendLog);
    connect(m_session, &StudioSession::trainingFinished, this, &TrainingPanel::onFinished);
    connect(m_session, &StudioSession::errorOccurred, this, [this](const QString &message) {
        // A training that ends without trainingFinished() failed: say why here too.
        if (m_running && m_session->currentJob() != Job::Training) {
            m_running = false;
            m_stopping = false;
            m_progress->setFormat(tr("Failed"));
            m_statusLabel->setText(message);
            updateButtons();
        }
    });
    updateModelInfo();
    updateButtons();
}

mri::TrainingOptions TrainingPanel::options() const
{
    // Settings without a control (threads, N2V mask, synthetic noise...) keep
    // the values last given to setOptions(), the engine's defaults at first.
    mri::TrainingOptions options = m_baseOptions;
    options.modelFile.clear();
    options.resume = false;
    options.objective = mri::parseObjective(m_objectiveCombo->currentData().toString().toStdString()).value_or(options.objective);
    options.epochs = m_epochsSpin->value();
    bool ok = false;
    const double rate = locale().toDouble(m_learningRateEdit->text(), &ok);
    if (ok && rate > 0.0)
        options.learningRate = rate;
    options.batchSize = m_batchSizeSpin->value();
    options.patchSize = m_patchSizeSpin->value();
    options.patchesPerImage = m_patchesPerImageSpin->value();
    options.validationFraction = m_validationSpin->value();
    options.seed = static_cast<std::uint64_t>(m_seedSpin->value());
    options.network.depth = m_depthSpin->value();
    options.network.baseChannels = m_channelsSpin->value();
    return options;
}

void TrainingPanel::setOptions(const mri::TrainingOptions &options)
{
    m_baseOptions = options;
    const int objective = m_objectiveCombo->findData(QString::fromStdString(mri::objectiveName(options.objective)));
    m_objectiveCombo->setCurrentIndex(std::max(0, objective));
    m_epochsSpin->setValue(options.epochs);
    m_learningRateEdit->setText(locale().toString(options.learningRate, 'g', 6));
    m_batchSizeSpin->setValue(options.batchSize);
    m_patchSizeSpin->setValue(options.patchSize);
    m_patchesPerImageSpin->setValue(options.patchesPerImage);
    m_validationSpin->setValue(options.validationFraction);
    m_seedSpin->setValue(static_cast<int>(std::min<std::uint64_t>(options.seed, INT_MAX)));
    m_depthSpin->setValue(options.network.depth);
    m_channelsSpin->setValue(options.network.baseChannels);
}

void TrainingPanel::restoreDefaults()
{
    setOptions(mri::TrainingOptions{});
}

void TrainingPanel::startTraining()
{
    m_session->startTraining(options());
}

void TrainingPanel::resumeTraining()
{
    auto resumed = options();
    resumed.resume = true; // the engine continues the checkpoint's own network and objective
    resumed.modelFile = toPath(m_session->modelFile());
    m_session->startTraining(resumed);
}

void TrainingPanel::stopTraining()
{
    if (m_session->currentJob() != Job::Training)
        return;
    m_stopping = true;
    m_session->cancelJob();
    m_statusLabel->setText(tr("Stopping after the current step…"));
    m_stopButton->setEnabled(false);
}

void TrainingPanel::chooseModelFile()
{
    const QString start = m_session->modelFile().isEmpty() ? m_session->datasetFolder() : m_session->modelFile();
    const QString file = QFileDialog::getOpenFileName(this, tr("Load Model"), start, tr("Models (*.pt);;All files (*)"));
    if (!file.isEmpty())
        m_session->setModelFile(file, true);
}

void TrainingPanel::saveModelAs()
{
    QString file = QFileDialog::getSaveFileName(this, tr("Save Model As"), m_session->modelFile(), tr("Models (*.pt)"));
    if (file.isEmpty())
        return;
    if (QFileInfo(file).suffix().isEmpty())
        file += QStringLiteral(".pt");
    m_session->saveModelAs(file);
}

void TrainingPanel::updateButtons()
{
    const bool haveDataset = static_cast<bool>(m_session->dataset());
    const bool idle = !m_session->isBusy();
    const bool training = m_session->currentJob() == Job::Training;
    const bool haveModel = !m_session->modelFile().isEmpty() && QFileInfo::exists(m_session->modelFile());
    m_startButton->setEnabled(haveDataset && idle);
    m_resumeButton->setEnabled(haveDataset && idle && haveModel);
    m_stopButton->setEnabled(training && !m_stopping);
    m_saveModelButton->setEnabled(haveModel);
    m_loadModelButton->setEnabled(!training);
}

void TrainingPanel::updateModelInfo()
{
    const QString file = m_session->modelFile();
    const bool training = m_running || m_session->currentJob() == Job::Training;
    // Another model in use: the chart no longer shows its curves.
    if (!training && file != m_chartModel) {
        m_chart->clear();
        m_chartModel = file;
    }
    if (file.isEmpty()) {
        m_modelPathLabel->setText(tr("No model chosen."));
        m_modelInfoLabel->clear();
        return;
    }
    m_modelPathLabel->setText(QDir::toNativeSeparators(file));
    m_modelPathLabel->setToolTip(QDir::toNativeSeparators(file));
    if (const auto &info = m_session->modelInfo()) {
        m_modelInfoLabel->setText(tr("U-Net, depth %1, %2 base channels · objective %3 · epochs trained: %4")
                                      .arg(info->network.depth)
                                      .arg(info->network.baseChannels)
                                      .arg(QString::fromStdString(mri::objectiveName(info->objective)))
                                      .arg(info->epochsTrained));
        // A model trained earlier brings its curves: one point per epoch.
        if (!training && m_chart->isEmpty() && !info->history.empty()) {
            for (const auto &epoch : info->history) {
                m_chart->addEpochTrainLoss(static_cast<double>(epoch.globalStep), epoch.trainLoss);
                m_chart->addEpoch(static_cast<double>(epoch.globalStep), epoch.validationLoss, epoch.validationPsnr);
            }
            m_chart->replotNow(); // fit the axes to the history now, not on the next timer tick
        }
    } else if (QFileInfo::exists(file)) {
        m_modelInfoLabel->setText(tr("Reading the model…"));
    } else {
        m_modelInfoLabel->setText(tr("Not trained yet: Start writes the model here."));
    }
    updateButtons();
}

void TrainingPanel::onStep(const mri::TrainingStep &step)
{
    m_chart->addStep(static_cast<double>(step.globalStep), step.loss);
    m_progress->setValue(static_cast<int>(std::clamp(step.fraction, 0.0, 1.0) * kProgressResolution));
    m_progress->setFormat(tr("Epoch %1/%2 · step %3/%4 · %5 left")
                              .arg(step.epoch)
                              .arg(step.epochs)
                              .arg(step.step)
                              .arg(step.stepsPerEpoch)
                              .arg(formatting::duration(step.etaSeconds)));
    if (!m_stopping)
        m_statusLabel->setText(tr("Training loss %1 · elapsed %2").arg(step.loss, 0, 'g', 4).arg(formatting::duration(step.elapsedSeconds)));
}

void TrainingPanel::onEpoch(const mri::EpochSummary &summary)
{
    m_chart->addEpoch(static_cast<double>(summary.globalStep), summary.validationLoss, summary.validationPsnr);
    QString line = tr("Epoch %1/%2: training loss %3").arg(summary.epoch).arg(summary.epochs).arg(summary.trainLoss, 0, 'g', 5);
    if (std::isfinite(summary.validationLoss))
        line += tr(", validation loss %1").arg(summary.validationLoss, 0, 'g', 5);
    if (std::isfinite(summary.validationPsnr))
        line += tr(", validation PSNR %1 dB").arg(summary.validationPsnr, 0, 'f', 2);
    line += tr(" (%1)").arg(formatting::duration(summary.elapsedSeconds));
    appendLog(line);
}

void TrainingPanel::onFinished(const TrainingOutcome &outcome)
{
    m_stopping = false;
    m_running = false;
    m_chartModel = outcome.modelFile; // the live curves are this checkpoint's
    m_chart->replotNow();
    if (outcome.cancelled) {
        m_progress->setFormat(tr("Stopped"));
        m_statusLabel->setText(outcome.epochsCompleted > 0
                                   ? tr("Stopped. The checkpoint of the last complete epoch is kept in %1.")
                                         .arg(QDir::toNativeSeparators(outcome.modelFile))
                                   : tr("Stopped before the first epoch was complete; no checkpoint was written."));
    } else {
        m_progress->setValue(kProgressResolution);
        m_progress->setFormat(tr("Finished"));
        m_statusLabel->setText(tr("Finished. Epochs: %1, training images: %2, validation images: %3 (%4, seed %5). Model: %6")
                                   .arg(outcome.epochsCompleted)
                                   .arg(outcome.trainingImages)
                                   .arg(outcome.validationImages)
                                   .arg(outcome.device)
                                   .arg(outcome.seed)
                                   .arg(QDir::toNativeSeparators(outcome.modelFile)));
    }
    for (const auto &skipped : outcome.skippedImages)
        appendLog(tr("Skipped: %1").arg(skipped));
    updateButtons();
}

void TrainingPanel::appendLog(const QString &line)
{
    m_log->appendPlainText(line);
}

} // namespace studio
