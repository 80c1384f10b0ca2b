#include "TrainingPanel.h"

#include "Formatting.h"
#include "SettingsForm.h"
#include "StudioActions.h"
#include "StudioSession.h"
#include "TrainingChart.h"

#include <QAction>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace studio {

namespace {

constexpr int kProgressResolution = 1000;

// A button that shows one of the window's actions: its text, icon, tool tip
// and enabled state are the action's.
QToolButton *actionButton(QAction *action, const QString &objectName, QWidget *parent)
{
    auto *button = new QToolButton(parent);
    button->setObjectName(objectName);
    button->setDefaultAction(action);
    button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    button->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    return button;
}

} // namespace

TrainingPanel::TrainingPanel(StudioSession *session, StudioActions *actions, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_form(new SettingsForm(this))
    , m_chart(new TrainingChart(this))
{
    m_form->setObjectName(QStringLiteral("settingsForm"));
    QWidget *settings = buildSettingsColumn(actions);
    QWidget *progress = buildProgressColumn();
    auto *layout = new QHBoxLayout(this);
    layout->addWidget(settings, 0);
    layout->addWidget(progress, 1);
    connectSession();
    updateModelInfo();
}

// Left: the settings form, its defaults, the run buttons and the model box, scrolled.
QWidget *TrainingPanel::buildSettingsColumn(StudioActions *actions)
{
    auto *defaultsButton = new QPushButton(tr("Restore Defaults"), this);
    defaultsButton->setObjectName(QStringLiteral("restoreDefaultsButton"));
    defaultsButton->setToolTip(tr("Show the engine's default for every setting"));
    connect(defaultsButton, &QPushButton::clicked, this, &TrainingPanel::restoreDefaults);
    auto *defaultsRow = new QHBoxLayout;
    defaultsRow->addStretch(1);
    defaultsRow->addWidget(defaultsButton);

    // --- run buttons: the window's actions
    auto *runButtons = new QHBoxLayout;
    runButtons->addWidget(actionButton(actions->startTraining(), QStringLiteral("startTrainingButton"), this));
    runButtons->addWidget(actionButton(actions->stop(), QStringLiteral("stopTrainingButton"), this));
    runButtons->addWidget(actionButton(actions->resumeTraining(), QStringLiteral("resumeTrainingButton"), this));
    connect(actions->startTraining(), &QAction::triggered, this, &TrainingPanel::startTraining);
    connect(actions->resumeTraining(), &QAction::triggered, this, &TrainingPanel::resumeTraining);
    connect(actions->loadModel(), &QAction::triggered, this, &TrainingPanel::chooseModelFile);
    connect(actions->saveModelAs(), &QAction::triggered, this, &TrainingPanel::saveModelAs);

    QGroupBox *modelBox = buildModelBox(actions);

    auto *left = new QWidget(this);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(m_form);
    leftLayout->addLayout(defaultsRow);
    leftLayout->addLayout(runButtons);
    leftLayout->addWidget(modelBox);
    leftLayout->addStretch(1);
    auto *leftScroll = new QScrollArea(this);
    leftScroll->setWidget(left);
    leftScroll->setWidgetResizable(true);
    leftScroll->setFrameShape(QFrame::NoFrame);
    leftScroll->setMinimumWidth(340);
    leftScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    return leftScroll;
}

// The model: its file, what it is, the settings it was trained with, and its buttons.
QGroupBox *TrainingPanel::buildModelBox(StudioActions *actions)
{
    m_modelPathLabel = new QLabel(this);
    m_modelPathLabel->setObjectName(QStringLiteral("modelPathLabel"));
    m_modelPathLabel->setWordWrap(true);
    m_modelPathLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_modelInfoLabel = new QLabel(this);
    m_modelInfoLabel->setObjectName(QStringLiteral("modelInfoLabel"));
    m_modelInfoLabel->setWordWrap(true);
    // What really ran: the settings stored in the model, which after a resume
    // or a load may differ from the form.
    m_modelSettingsLabel = new QLabel(this);
    m_modelSettingsLabel->setObjectName(QStringLiteral("modelSettingsLabel"));
    m_modelSettingsLabel->setWordWrap(true);
    m_modelSettingsLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_modelSettingsLabel->setForegroundRole(QPalette::PlaceholderText);
    auto *useSettingsButton = new QPushButton(tr("Use These Settings"), this);
    useSettingsButton->setObjectName(QStringLiteral("useModelSettingsButton"));
    useSettingsButton->setToolTip(tr("Fill the form with the settings the model was trained with"));
    useSettingsButton->setEnabled(false);
    connect(useSettingsButton, &QPushButton::clicked, this, [this] {
        if (const auto &info = m_session->modelInfo())
            setOptions(info->settings);
    });
    connect(m_session, &StudioSession::modelInfoChanged, useSettingsButton,
            [this, useSettingsButton] { useSettingsButton->setEnabled(m_session->modelInfo().has_value()); });
    auto *modelButtons = new QHBoxLayout;
    modelButtons->addWidget(actionButton(actions->loadModel(), QStringLiteral("loadModelButton"), this));
    modelButtons->addWidget(actionButton(actions->saveModelAs(), QStringLiteral("saveModelButton"), this));
    modelButtons->addWidget(useSettingsButton);
    auto *modelLayout = new QVBoxLayout;
    modelLayout->addWidget(m_modelPathLabel);
    modelLayout->addWidget(m_modelInfoLabel);
    modelLayout->addWidget(m_modelSettingsLabel);
    modelLayout->addLayout(modelButtons);
    auto *modelBox = new QGroupBox(tr("Model"), this);
    modelBox->setLayout(modelLayout);
    return modelBox;
}

// Right: the chart over the progress bar and status, the log under them.
QWidget *TrainingPanel::buildProgressColumn()
{
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
    return right;
}

void TrainingPanel::connectSession()
{
    connect(m_session, &StudioSession::stateChanged, this, [this] {
        if (m_session->isStopping() && m_session->currentJob() == Job::Training)
            m_statusLabel->setText(tr("Stopping after the current step…"));
    });
    connect(m_session, &StudioSession::modelChanged, this, &TrainingPanel::updateModelInfo);
    connect(m_session, &StudioSession::modelInfoChanged, this, &TrainingPanel::updateModelInfo);
    connect(m_session, &StudioSession::trainingStarted, this, [this](bool resumed) {
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
    connect(m_session, &StudioSession::trainingFailed, this, [this](const QString &message) {
        m_running = false;
        m_progress->setFormat(tr("Failed"));
        m_statusLabel->setText(message);
    });
}

mri::TrainingOptions TrainingPanel::options() const
{
    mri::TrainingOptions options = m_form->options();
    options.modelFile.clear();
    options.resume = false;
    return options;
}

void TrainingPanel::setOptions(const mri::TrainingOptions &options)
{
    m_form->setOptions(options);
}

void TrainingPanel::restoreDefaults()
{
    m_form->restoreDefaults();
}

bool TrainingPanel::refuseInvalidOptions()
{
    const QString error = m_form->error();
    if (error.isEmpty())
        return false;
    m_form->showFirstInvalidField();
    m_statusLabel->setText(error);
    emit errorOccurred(error);
    return true;
}

void TrainingPanel::startTraining()
{
    if (!refuseInvalidOptions())
        m_session->startTraining(options());
}

void TrainingPanel::resumeTraining()
{
    if (refuseInvalidOptions())
        return;
    auto resumed = options();
    resumed.resume = true; // the engine continues the checkpoint's own network and objective
    resumed.modelFile = toPath(m_session->modelFile());
    m_session->startTraining(resumed);
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

void TrainingPanel::updateModelInfo()
{
    const QString file = m_session->modelFile();
    const bool training = m_running || m_session->currentJob() == Job::Training;
    // Another model in use: the chart no longer shows its curves.
    if (!training && file != m_chartModel) {
        m_chart->clear();
        m_chartModel = file;
    }
    m_modelSettingsLabel->clear();
    m_modelSettingsLabel->setToolTip({});
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
        const QStringList settings = SettingsForm::describe(info->settings);
        m_modelSettingsLabel->setText(tr("Settings used: %1").arg(settings.join(QStringLiteral(" · "))));
        m_modelSettingsLabel->setToolTip(settings.join(QLatin1Char('\n')));
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
        m_modelInfoLabel->setText(tr("Not trained yet: Start Training writes the model here."));
    }
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
    if (!m_session->isStopping())
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
}

void TrainingPanel::appendLog(const QString &line)
{
    m_log->appendPlainText(line);
}

} // namespace studio
