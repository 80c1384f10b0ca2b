#include "StudioLauncher.h"

#include "io/AtomicFile.h"
#include "ComparisonPage.h"
#include "MainWindow.h"
#include "PatientsPage.h"
#include "PatientTableModel.h"
#include "RecentDatasets.h"
#include "StudioSession.h"
#include "TrainingChart.h"
#include "TrainingPanel.h"
#include "WorkerTypes.h"

#include <QApplication>
#include <QBuffer>
#include <QByteArray>
#include <QDir>
#include <QFileInfo>
#include <QImage>
#include <QTabWidget>
#include <QTextStream>
#include <QTimer>

#include <cstdio>
#include <exception>
#include <string_view>

namespace studio {

StudioLauncher::StudioLauncher(const StartupOptions &options, MainWindow *window, QObject *parent)
    : QObject(parent)
    , m_options(options)
    , m_window(window)
    , m_timeout(new QTimer(this))
{
    m_timeout->setSingleShot(true);
    m_timeout->setInterval(kScreenshotTimeoutMs);
    connect(m_timeout, &QTimer::timeout, this, [this] {
        // Show what there is rather than nothing.
        takeScreenshot();
    });
}

void StudioLauncher::start()
{
    auto *session = m_window->session();
    const bool screenshot = !m_options.screenshot.isEmpty();
    if (screenshot) {
        m_window->setErrorDialogsEnabled(false);
        m_window->setSettingsPersistent(false);
        connect(session, &StudioSession::datasetReady, this, &StudioLauncher::onDatasetReady);
        connect(session, &StudioSession::datasetFailed, this, [this](const QString &message) { fail(message); });
        m_timeout->start();
    }
    if (!m_options.modelFile.isEmpty())
        session->setModelFile(QFileInfo(m_options.modelFile).absoluteFilePath(), true);
    if (!m_options.tab.isEmpty())
        m_window->showTab(m_options.tab);

    if (!m_options.dataset.isEmpty()) {
        if (!m_window->openDataset(m_options.dataset) && screenshot)
            fail(m_window->lastError());
        return;
    }
    if (screenshot) {
        QTimer::singleShot(200, this, &StudioLauncher::takeScreenshot);
        return;
    }
    const QStringList recent = RecentDatasets().existingFolders();
    if (!recent.isEmpty())
        m_window->openDataset(recent.first());
    else
        m_window->offerDemoDataset();
}

void StudioLauncher::onDatasetReady()
{
    if (m_done)
        return;
    auto *session = m_window->session();
    auto *patients = m_window->patientsPage();
    if (session->patientModel()->rowCount() > 0) {
        m_waitingForSlices = true;
        connect(patients, &PatientsPage::slicesShown, this, [this] {
            m_waitingForSlices = false;
            waitForView();
        });
        connect(session, &StudioSession::errorOccurred, this, [this] {
            m_waitingForSlices = false;
            waitForView();
        });
        if (patients->currentRow() != 0)
            patients->selectRow(0);
        else
            session->requestSlices(0);
    }
    if (m_window->tabs()->currentIndex() == MainWindow::CompareTab) {
        m_waitingForComparison = true;
        connect(m_window->comparisonPage(), &ComparisonPage::comparisonShown, this, [this] {
            m_waitingForComparison = false;
            waitForView();
        });
        connect(session, &StudioSession::errorOccurred, this, [this] {
            m_waitingForComparison = false;
            waitForView();
        });
        m_window->comparisonPage()->refresh();
    }
    waitForView();
}

void StudioLauncher::waitForView()
{
    if (m_done || m_waitingForSlices || m_waitingForComparison)
        return;
    // Let layouts, the table and the chart settle before grabbing.
    QTimer::singleShot(300, this, &StudioLauncher::takeScreenshot);
}

void StudioLauncher::takeScreenshot()
{
    if (m_done || !m_window)
        return;
    m_done = true;
    m_timeout->stop();
    m_window->trainingPanel()->chart()->replotNow();
    const QImage image = m_window->grab().toImage();
    QByteArray bytes;
    QBuffer buffer(&bytes);
    bool written = !image.isNull() && buffer.open(QIODevice::WriteOnly) && image.save(&buffer, "PNG");
    if (written) {
        try {
            mri::writeFileAtomically(toPath(m_options.screenshot),
                                     std::string_view(bytes.constData(), static_cast<std::size_t>(bytes.size())));
        } catch (const std::exception &) {
            written = false;
        }
    }
    if (!written) {
        m_done = false;
        fail(QApplication::translate("studio::StudioLauncher", "The screenshot could not be written to '%1'.")
                 .arg(QDir::toNativeSeparators(m_options.screenshot)));
        return;
    }
    QTextStream(stdout) << QApplication::translate("studio::StudioLauncher", "Screenshot written to %1")
                               .arg(QDir::toNativeSeparators(m_options.screenshot))
                        << Qt::endl;
    emit finished(0);
}

void StudioLauncher::fail(const QString &message)
{
    if (m_done)
        return;
    m_done = true;
    m_timeout->stop();
    QTextStream(stderr) << "mri-studio: " << message << Qt::endl;
    emit finished(1);
}

} // namespace studio
