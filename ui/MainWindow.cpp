#include "MainWindow.h"

#include "dataset/DemoDataset.h"
#include "AppSetup.h"
#include "ComparisonPage.h"
#include "Formatting.h"
#include "PatientsPage.h"
#include "PatientTableModel.h"
#include "RecentDatasets.h"
#include "SideBySideView.h"
#include "StudioActions.h"
#include "StudioSession.h"
#include "TrainingPanel.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QSettings>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QItemSelectionModel>
#include <QTabWidget>
#include <QTableView>
#include <QToolBar>
#include <QToolButton>

#include <algorithm>

namespace studio {

namespace {

constexpr int kStatusTimeoutMs = 8000;
constexpr int kProgressResolution = 1000;

QString jobTitle(Job job)
{
    switch (job) {
    case Job::OpenDataset: return MainWindow::tr("Opening dataset");
    case Job::BuildDemo: return MainWindow::tr("Building demo dataset");
    case Job::Training: return MainWindow::tr("Training");
    case Job::Enhancement: return MainWindow::tr("Enhancing");
    case Job::None: break;
    }
    return {};
}

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_session(new StudioSession(this))
    , m_actions(new StudioActions(m_session, this))
{
    setObjectName(QStringLiteral("mainWindow"));
    setAcceptDrops(true);
    setMinimumSize(900, 600);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("mainTabs"));
    m_tabs->setDocumentMode(true);
    m_patientsPage = new PatientsPage(m_session, m_tabs);
    m_patientsPage->setObjectName(QStringLiteral("patientsPage"));
    m_trainingPanel = new TrainingPanel(m_session, m_actions, m_tabs);
    m_trainingPanel->setObjectName(QStringLiteral("trainingPanel"));
    m_comparisonPage = new ComparisonPage(m_session, m_tabs);
    m_comparisonPage->setObjectName(QStringLiteral("comparisonPage"));
    m_tabs->addTab(m_patientsPage, studioIcon(QStringLiteral("open")), tr("Patients"));
    m_tabs->addTab(m_trainingPanel, studioIcon(QStringLiteral("train")), tr("Training"));
    m_tabs->addTab(m_comparisonPage, studioIcon(QStringLiteral("compare")), tr("Compare"));
    setCentralWidget(m_tabs);

    createActions();
    createMenus();
    createToolBar();
    createStatusBar();
    connectSession();
    restoreSettings();
    updateViewActions();
    updateTitle();
    updateModelLabel();
}

MainWindow::~MainWindow()
{
    m_session->shutdown();
}

void MainWindow::createActions()
{
    // The commands that depend on the session are m_actions's; the Training
    // tab connects its own (start, resume, load, save) and Stop cancels there.
    connect(m_actions->open(), &QAction::triggered, this, &MainWindow::chooseDataset);
    connect(m_actions->buildDemo(), &QAction::triggered, this, &MainWindow::buildDemoDataset);
    connect(m_actions->exportMetrics(), &QAction::triggered, this, &MainWindow::exportMetricsCsv);
    connect(m_actions->exportMetricsAs(), &QAction::triggered, this, &MainWindow::exportMetricsCsvAs);
    connect(m_actions->saveFigure(), &QAction::triggered, m_comparisonPage, &ComparisonPage::saveFigure);
    for (auto *action : {m_actions->startTraining(), m_actions->resumeTraining()})
        connect(action, &QAction::triggered, this, [this] { m_tabs->setCurrentIndex(TrainingTab); });
    connect(m_actions->enhanceSelected(), &QAction::triggered, this, &MainWindow::enhanceSelected);
    connect(m_actions->enhanceAll(), &QAction::triggered, this, &MainWindow::enhanceAll);
    connect(m_actions->compare(), &QAction::triggered, this, [this] { m_tabs->setCurrentIndex(CompareTab); });
    connect(m_actions->reshuffle(), &QAction::triggered, this, [this] {
        m_tabs->setCurrentIndex(CompareTab);
        m_comparisonPage->reshuffle();
    });

    m_quitAction = new QAction(tr("&Quit"), this);
    m_quitAction->setShortcut(QKeySequence::Quit);
    m_quitAction->setMenuRole(QAction::QuitRole);
    connect(m_quitAction, &QAction::triggered, this, &QWidget::close);

    auto *view = m_patientsPage->view();
    m_zoomInAction = new QAction(tr("Zoom &In"), this);
    m_zoomInAction->setShortcut(QKeySequence::ZoomIn);
    connect(m_zoomInAction, &QAction::triggered, view, &SideBySideView::zoomIn);
    m_zoomOutAction = new QAction(tr("Zoom &Out"), this);
    m_zoomOutAction->setShortcut(QKeySequence::ZoomOut);
    connect(m_zoomOutAction, &QAction::triggered, view, &SideBySideView::zoomOut);
    m_fitAction = new QAction(tr("&Fit to Window"), this);
    m_fitAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    connect(m_fitAction, &QAction::triggered, view, &SideBySideView::fitToWindow);
    m_actualSizeAction = new QAction(tr("&Actual Pixels"), this);
    m_actualSizeAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_1));
    connect(m_actualSizeAction, &QAction::triggered, view, &SideBySideView::actualSize);
    m_differenceAction = new QAction(tr("Show &Difference"), this);
    m_differenceAction->setCheckable(true);
    m_differenceAction->setShortcut(QKeySequence(Qt::Key_D));
    connect(m_differenceAction, &QAction::toggled, view, &SideBySideView::setDifferenceShown);
    connect(view, &SideBySideView::differenceShownChanged, m_differenceAction, &QAction::setChecked);
    m_residualAction = new QAction(tr("Show &Residual"), this);
    m_residualAction->setCheckable(true);
    m_residualAction->setShortcut(QKeySequence(Qt::Key_R));
    connect(m_residualAction, &QAction::toggled, view, &SideBySideView::setResidualShown);
    connect(view, &SideBySideView::residualShownChanged, m_residualAction, &QAction::setChecked);

    m_aboutAction = new QAction(tr("&About MRI Enhance Studio"), this);
    m_aboutAction->setMenuRole(QAction::AboutRole);
    connect(m_aboutAction, &QAction::triggered, this, &MainWindow::showAbout);
}

void MainWindow::createMenus()
{
    auto *file = menuBar()->addMenu(tr("&File"));
    file->addAction(m_actions->open());
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    m_recentMenu->setObjectName(QStringLiteral("recentMenu"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::rebuildRecentMenu);
    rebuildRecentMenu();
    file->addAction(m_actions->buildDemo());
    file->addSeparator();
    file->addAction(m_actions->exportMetrics());
    file->addAction(m_actions->exportMetricsAs());
    file->addAction(m_actions->saveFigure());
    file->addSeparator();
    file->addAction(m_quitAction);

    auto *run = menuBar()->addMenu(tr("&Run"));
    run->addAction(m_actions->startTraining());
    run->addAction(m_actions->resumeTraining());
    run->addAction(m_actions->stop());
    run->addSeparator();
    run->addAction(m_actions->enhanceSelected());
    run->addAction(m_actions->enhanceAll());
    run->addSeparator();
    run->addAction(m_actions->compare());
    run->addAction(m_actions->reshuffle());

    auto *model = menuBar()->addMenu(tr("&Model"));
    model->addAction(m_actions->loadModel());
    model->addAction(m_actions->saveModelAs());

    auto *view = menuBar()->addMenu(tr("&View"));
    const QStringList tabTitles{tr("&Patients"), tr("&Training"), tr("&Compare")};
    for (int i = 0; i < tabTitles.size(); ++i) {
        auto *action = view->addAction(tabTitles[i]);
        action->setShortcut(QKeySequence(Qt::ALT | static_cast<Qt::Key>(Qt::Key_1 + i)));
        connect(action, &QAction::triggered, this, [this, i] { m_tabs->setCurrentIndex(i); });
    }
    view->addSeparator();
    view->addAction(m_zoomInAction);
    view->addAction(m_zoomOutAction);
    view->addAction(m_fitAction);
    view->addAction(m_actualSizeAction);
    view->addAction(m_differenceAction);
    view->addAction(m_residualAction);

    auto *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(m_aboutAction);
}

void MainWindow::createToolBar()
{
    auto *bar = addToolBar(tr("Main"));
    bar->setObjectName(QStringLiteral("mainToolBar"));
    bar->setMovable(false);
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->setIconSize(QSize(22, 22));
    bar->addAction(m_actions->open());
    bar->addSeparator();
    bar->addAction(m_actions->startTraining());
    bar->addAction(m_actions->stop());
    bar->addAction(m_actions->enhanceSelected());
    bar->addSeparator();
    bar->addAction(m_actions->compare());
    bar->addAction(m_actions->exportMetrics());
}

void MainWindow::createStatusBar()
{
    m_jobLabel = new QLabel(this);
    m_jobLabel->setObjectName(QStringLiteral("jobLabel"));
    m_jobProgress = new QProgressBar(this);
    m_jobProgress->setObjectName(QStringLiteral("jobProgress"));
    m_jobProgress->setMaximumWidth(220);
    m_jobProgress->setTextVisible(false);
    m_cancelButton = new QToolButton(this);
    m_cancelButton->setObjectName(QStringLiteral("cancelJobButton"));
    m_cancelButton->setText(tr("Cancel"));
    m_cancelButton->setToolTip(tr("Stop the running task; finished work is kept"));
    connect(m_cancelButton, &QToolButton::clicked, m_actions->stop(), &QAction::trigger);
    connect(m_actions->stop(), &QAction::enabledChanged, m_cancelButton, &QWidget::setEnabled);
    m_modelLabel = new QLabel(this);
    m_modelLabel->setObjectName(QStringLiteral("modelStatusLabel"));
    statusBar()->addPermanentWidget(m_jobLabel);
    statusBar()->addPermanentWidget(m_jobProgress);
    statusBar()->addPermanentWidget(m_cancelButton);
    statusBar()->addPermanentWidget(m_modelLabel);
    m_jobLabel->hide();
    m_jobProgress->hide();
    m_cancelButton->hide();
    statusBar()->showMessage(tr("Ready"));
}

void MainWindow::connectSession()
{
    connect(m_session, &StudioSession::jobChanged, this, &MainWindow::onJobChanged);
    connect(m_session, &StudioSession::jobProgress, this, [this](Job job, int done, int total, const QString &text) {
        m_jobLabel->setText(tr("%1 %2/%3").arg(text).arg(done).arg(total));
        m_jobProgress->setRange(0, std::max(1, total));
        m_jobProgress->setValue(done);
        Q_UNUSED(job);
    });
    connect(m_session, &StudioSession::datasetOpened, this, [this](const QString &folder) {
        if (m_persistent)
            RecentDatasets().add(folder);
        updateTitle();
        statusBar()->showMessage(tr("Opened %1 (rows: %2).").arg(QDir::toNativeSeparators(folder)).arg(m_session->patientModel()->rowCount()),
                                 kStatusTimeoutMs);
        if (m_tabs->currentIndex() == TrainingTab)
            return;
        m_tabs->setCurrentIndex(m_tabs->currentIndex() == CompareTab ? CompareTab : PatientsTab);
    });
    connect(m_session, &StudioSession::datasetReady, this, [this] {
        const int unreadable = m_session->patientModel()->unreadableCount();
        if (unreadable > 0)
            statusBar()->showMessage(tr("Unreadable images: %1. Their rows are marked in the table.").arg(unreadable), kStatusTimeoutMs);
    });
    connect(m_session, &StudioSession::datasetFailed, this, [this](const QString &) { updateTitle(); });
    connect(m_session, &StudioSession::trainingStep, this, [this](const mri::TrainingStep &step) {
        m_jobProgress->setRange(0, kProgressResolution);
        m_jobProgress->setValue(static_cast<int>(std::clamp(step.fraction, 0.0, 1.0) * kProgressResolution));
        m_jobLabel->setText(tr("Training: epoch %1/%2 · %3 left").arg(step.epoch).arg(step.epochs).arg(formatting::duration(step.etaSeconds)));
    });
    connect(m_session, &StudioSession::trainingFinished, this, [this](const TrainingOutcome &outcome) {
        statusBar()->showMessage(outcome.cancelled ? tr("Training stopped; complete epochs: %1.").arg(outcome.epochsCompleted)
                                                   : tr("Training finished; epochs trained: %1.").arg(outcome.epochsCompleted),
                                 kStatusTimeoutMs);
    });
    connect(m_session, &StudioSession::enhanceProgress, this, [this](const mri::EnhanceProgress &progress) {
        m_jobProgress->setRange(0, std::max(1, progress.total));
        m_jobProgress->setValue(progress.done);
        QString text = tr("Enhancing %1/%2").arg(progress.done).arg(progress.total);
        if (progress.failed > 0)
            text += tr(" · %1 failed").arg(progress.failed);
        text += tr(" · %1 left").arg(formatting::duration(progress.etaSeconds));
        m_jobLabel->setText(text);
    });
    // A large slice runs in many tiles: the bar follows them within the slice.
    connect(m_session, &StudioSession::enhanceTileProgress, this, [this](int slice, int slices, int done, int total) {
        m_jobProgress->setRange(0, std::max(1, total));
        m_jobProgress->setValue(done);
        m_jobLabel->setText(tr("Enhancing slice %1/%2 · tile %3 of %4").arg(slice).arg(slices).arg(done).arg(total));
    });
    connect(m_session, &StudioSession::enhanceFinished, this, [this](const EnhanceOutcome &outcome) {
        QString text = outcome.cancelled ? tr("Enhancement cancelled: %1 enhanced, %2 failed.")
                                         : tr("Enhancement finished: %1 enhanced, %2 failed.");
        text = text.arg(outcome.succeeded).arg(outcome.failed);
        if (!outcome.metricsCsv.isEmpty())
            text += QLatin1Char(' ') + tr("Metrics written to %1.").arg(QDir::toNativeSeparators(outcome.metricsCsv));
        statusBar()->showMessage(text, kStatusTimeoutMs);
    });
    connect(m_session, &StudioSession::csvExported, this, [this](const QString &file) {
        statusBar()->showMessage(tr("Metrics written to %1.").arg(QDir::toNativeSeparators(file)), kStatusTimeoutMs);
    });
    connect(m_session, &StudioSession::comparisonSaved, this, [this](const QString &file) {
        statusBar()->showMessage(tr("Figure saved to %1.").arg(QDir::toNativeSeparators(file)), kStatusTimeoutMs);
    });
    connect(m_session, &StudioSession::modelSaved, this, [this](const QString &file) {
        statusBar()->showMessage(tr("Model saved to %1.").arg(QDir::toNativeSeparators(file)), kStatusTimeoutMs);
    });
    connect(m_session, &StudioSession::modelChanged, this, &MainWindow::updateModelLabel);
    connect(m_session, &StudioSession::modelInfoChanged, this, &MainWindow::updateModelLabel);
    connect(m_session, &StudioSession::statusMessage, this, [this](const QString &message) {
        statusBar()->showMessage(message, kStatusTimeoutMs);
    });
    connect(m_session, &StudioSession::errorOccurred, this, &MainWindow::showError);
    connect(m_trainingPanel, &TrainingPanel::errorOccurred, this, &MainWindow::showError);
    connect(m_patientsPage->table()->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            [this] { m_actions->setPatientsSelected(m_patientsPage->table()->selectionModel()->hasSelection()); });
    connect(m_comparisonPage, &ComparisonPage::comparisonShown, this,
            [this] { m_actions->setComparisonShown(!m_comparisonPage->patientIds().isEmpty()); });
    connect(m_actions->open(), &QAction::enabledChanged, m_recentMenu, &QMenu::setEnabled);
    connect(m_tabs, &QTabWidget::currentChanged, this, &MainWindow::updateViewActions);
}

bool MainWindow::openDataset(const QString &path)
{
    const QFileInfo info(path);
    if (!info.exists()) {
        showError(tr("The dataset folder '%1' does not exist.").arg(QDir::toNativeSeparators(path)));
        return false;
    }
    // A CSV file stands for its folder with that table.
    if (info.isFile())
        return m_session->openDataset(info.absolutePath(), info.absoluteFilePath());
    return m_session->openDataset(info.absoluteFilePath());
}

bool MainWindow::showTab(const QString &name)
{
    const QStringList names{QStringLiteral("patients"), QStringLiteral("training"), QStringLiteral("compare")};
    const int index = names.indexOf(name.toLower());
    if (index < 0)
        return false;
    m_tabs->setCurrentIndex(index);
    return true;
}

void MainWindow::chooseDataset()
{
    const QStringList recent = RecentDatasets().existingFolders();
    const QString start = recent.isEmpty() ? QDir::homePath() : recent.first();
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Open Dataset Folder"), start);
    if (!folder.isEmpty())
        openDataset(folder);
}

void MainWindow::rebuildRecentMenu()
{
    m_recentMenu->clear();
    const QStringList folders = RecentDatasets().existingFolders();
    for (int i = 0; i < folders.size(); ++i) {
        const QString &folder = folders[i];
        auto *action = m_recentMenu->addAction(tr("&%1 %2").arg(i + 1).arg(QDir::toNativeSeparators(folder)));
        connect(action, &QAction::triggered, this, [this, folder] { openDataset(folder); });
    }
    if (folders.isEmpty()) {
        m_recentMenu->addAction(tr("No recent datasets"))->setEnabled(false);
        return;
    }
    m_recentMenu->addSeparator();
    connect(m_recentMenu->addAction(tr("&Clear List")), &QAction::triggered, this, [] { RecentDatasets().clear(); });
}

void MainWindow::enhanceSelected()
{
    const RowList rows = m_patientsPage->selectedRows();
    if (rows.empty()) {
        showError(tr("Select one or more patients in the table first."));
        return;
    }
    m_session->enhance(rows);
}

void MainWindow::enhanceAll()
{
    m_session->enhance({});
}

void MainWindow::exportMetricsCsv()
{
    if (m_session->dataset())
        m_session->exportMetricsCsv(m_session->metricsCsvFile());
}

void MainWindow::exportMetricsCsvAs()
{
    if (!m_session->dataset())
        return;
    QString file = QFileDialog::getSaveFileName(this, tr("Export Metrics CSV"), m_session->metricsCsvFile(), tr("CSV files (*.csv)"));
    if (file.isEmpty())
        return;
    if (QFileInfo(file).suffix().isEmpty())
        file += QStringLiteral(".csv");
    m_session->exportMetricsCsv(file);
}

QString MainWindow::demoFolder()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation)).filePath(QStringLiteral("demo"));
}

void MainWindow::buildDemoDataset()
{
    if (!QFileInfo::exists(QString::fromLatin1(mri::kDemoVolumePath))) {
        showError(tr("The demo dataset needs the MRI volume %1, which is missing: install the package mricron-data.")
                      .arg(QString::fromLatin1(mri::kDemoVolumePath)));
        return;
    }
    QDir().mkpath(demoFolder());
    if (m_session->buildDemoDataset(demoFolder()))
        statusBar()->showMessage(tr("Building the demo dataset in %1…").arg(QDir::toNativeSeparators(demoFolder())));
}

void MainWindow::offerDemoDataset()
{
    if (QFileInfo::exists(QDir(demoFolder()).filePath(QString::fromLatin1(mri::kDefaultCsvName)))) {
        openDataset(demoFolder());
        return;
    }
    if (!QFileInfo::exists(QString::fromLatin1(mri::kDemoVolumePath))) {
        statusBar()->showMessage(tr("Open a dataset folder to begin (File ▸ Open Dataset). The demo dataset needs the package mricron-data, which is not installed."));
        return;
    }
    auto *box = new QMessageBox(QMessageBox::Question, tr("No Dataset Open"),
                                tr("No dataset is open yet. Build a demo dataset of 40 noisy brain slices from the MNI template and open it?"),
                                QMessageBox::Yes | QMessageBox::No, this);
    box->setInformativeText(tr("It is written to %1 and takes a few seconds.").arg(QDir::toNativeSeparators(demoFolder())));
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this](int result) {
        if (result == QMessageBox::Yes)
            buildDemoDataset();
    });
    box->open();
}

void MainWindow::updateViewActions()
{
    const bool patients = m_tabs->currentIndex() == PatientsTab;
    for (auto *action : {m_zoomInAction, m_zoomOutAction, m_fitAction, m_actualSizeAction, m_differenceAction,
                          m_residualAction})
        action->setEnabled(patients);
}

void MainWindow::updateTitle()
{
    const QString folder = m_session->datasetFolder();
    setWindowTitle(folder.isEmpty() ? tr("MRI Enhance Studio")
                                    : tr("%1 — MRI Enhance Studio").arg(QDir::toNativeSeparators(folder)));
}

void MainWindow::updateModelLabel()
{
    const QString file = m_session->modelFile();
    if (file.isEmpty() || !QFileInfo::exists(file)) {
        m_modelLabel->setText(tr("No model yet"));
        m_modelLabel->setToolTip(file.isEmpty() ? QString() : tr("Training writes %1").arg(QDir::toNativeSeparators(file)));
        return;
    }
    const auto &info = m_session->modelInfo();
    m_modelLabel->setText(info ? tr("Model: %1 (%2, epochs: %3)")
                                     .arg(QFileInfo(file).fileName(), QString::fromStdString(mri::objectiveName(info->objective)))
                                     .arg(info->epochsTrained)
                               : tr("Model: %1").arg(QFileInfo(file).fileName()));
    m_modelLabel->setToolTip(QDir::toNativeSeparators(file));
}

void MainWindow::onJobChanged(Job job)
{
    const bool running = job != Job::None;
    m_jobLabel->setVisible(running);
    m_jobProgress->setVisible(running);
    m_cancelButton->setVisible(running && job != Job::BuildDemo);
    if (running) {
        m_jobLabel->setText(jobTitle(job));
        m_jobProgress->setRange(0, 0); // busy until the first progress report
    }
}

void MainWindow::showError(const QString &message)
{
    m_lastError = message;
    statusBar()->showMessage(message, 2 * kStatusTimeoutMs);
    if (!m_errorDialogs)
        return;
    // Window-modal but not blocking: the GUI thread keeps running.
    auto *box = new QMessageBox(QMessageBox::Warning, tr("MRI Enhance Studio"), message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About MRI Enhance Studio"),
                       tr("<h3>MRI Enhance Studio %1</h3>"
                          "<p>Self-supervised denoising of MRI slices with a U-Net (Noise2Void), "
                          "with PSNR and SSIM computed as scikit-image does.</p>"
                          "<p>Research software: not for diagnostic use.</p>")
                           .arg(QApplication::applicationVersion()));
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    // Closing during training or enhancement stops the work cleanly: the
    // engine sees the cancel flag, finishes the step, keeps what it wrote.
    if (m_session->isBusy())
        statusBar()->showMessage(tr("Stopping…"));
    saveSettings();
    m_session->shutdown();
    event->accept();
}

QString MainWindow::droppedDataset(const QMimeData *mime)
{
    if (!mime || !mime->hasUrls() || mime->urls().isEmpty())
        return {};
    const QUrl url = mime->urls().first();
    if (!url.isLocalFile())
        return {};
    const QFileInfo info(url.toLocalFile());
    if (info.isDir() || (info.isFile() && info.suffix().compare(QLatin1String("csv"), Qt::CaseInsensitive) == 0))
        return info.absoluteFilePath();
    return {};
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (!m_session->isBusy() && !droppedDataset(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QString path = droppedDataset(event->mimeData());
    if (path.isEmpty())
        return;
    event->acceptProposedAction();
    openDataset(path);
}

void MainWindow::setSettingsPersistent(bool persistent)
{
    m_persistent = persistent;
    if (!persistent) {
        resize(1360, 860);
        m_patientsPage->resetLayout();
        m_tabs->setCurrentIndex(PatientsTab);
    }
}

void MainWindow::restoreSettings()
{
    QSettings settings;
    if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray()))
        resize(1360, 860);
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    m_patientsPage->splitter()->restoreState(settings.value(QStringLiteral("window/patientsSplitter")).toByteArray());
    m_tabs->setCurrentIndex(settings.value(QStringLiteral("window/tab"), 0).toInt());
}

void MainWindow::saveSettings() const
{
    if (!m_persistent)
        return;
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("window/patientsSplitter"), m_patientsPage->splitter()->saveState());
    settings.setValue(QStringLiteral("window/tab"), m_tabs->currentIndex());
}

} // namespace studio
