// GUI tests of training in mri-studio: a tiny training run feeds the live
// chart through queued signals, the redraw is throttled, Stop ends a run
// within a second and keeps the checkpoint usable, Resume continues it, and
// closing the window mid-run stops the work cleanly.

#include "MainWindow.h"
#include "StudioSession.h"
#include "TestDatasets.h"
#include "TrainingChart.h"
#include "TrainingPanel.h"

#include <qcustomplot.h>

#include <QApplication>
#include <QElapsedTimer>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace studio;

namespace {

// MRI_STUDIO_TEST_SHOTS=<folder>: keep pictures of the window for a visual review.
void saveReviewShot(QWidget &window, const QString &name)
{
    const QString folder = qEnvironmentVariable("MRI_STUDIO_TEST_SHOTS");
    if (folder.isEmpty())
        return;
    QDir().mkpath(folder);
    QCoreApplication::processEvents();
    window.grab().save(QDir(folder).filePath(name + QStringLiteral(".png")));
}

} // namespace

class TestGuiTraining final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void trainingDrawsLiveCurves();
    void redrawIsThrottled();
    void stopEndsTrainingWithinASecond();
    void resumeContinuesTheCheckpoint();
    void closingDuringTrainingStopsCleanly();

private:
    mri::TrainingOptions tinyOptions(int epochs, int patchesPerImage) const;
    void openDataset(MainWindow &window);

    QTemporaryDir m_dir;
    QString m_dataset;
};

void TestGuiTraining::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_dataset = m_dir.filePath(QStringLiteral("dataset"));
    mri::test::writeSyntheticDataset(m_dataset, 6, 32, 32);
}

mri::TrainingOptions TestGuiTraining::tinyOptions(int epochs, int patchesPerImage) const
{
    mri::TrainingOptions options;
    options.network.depth = 2;
    options.network.baseChannels = 4;
    options.patchSize = 16;
    options.batchSize = 4;
    options.patchesPerImage = patchesPerImage;
    options.epochs = epochs;
    options.learningRate = 3e-3;
    options.validationFraction = 0.2;
    options.seed = 5;
    // One thread: a tiny network gains nothing from more, and spinning OpenMP
    // threads slow down badly when other processes share the cores.
    options.threads = 1;
    return options;
}

void TestGuiTraining::openDataset(MainWindow &window)
{
    QSignalSpy ready(window.session(), &StudioSession::datasetReady);
    QVERIFY(window.openDataset(m_dataset));
    QVERIFY(ready.wait(10000));
}

void TestGuiTraining::trainingDrawsLiveCurves()
{
    MainWindow window;
    window.setErrorDialogsEnabled(false);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    openDataset(window);
    QVERIFY(!QFileInfo::exists(window.session()->modelFile()));
    window.showTab(QStringLiteral("training"));
    window.trainingPanel()->setOptions(tinyOptions(2, 4));

    QSignalSpy steps(window.session(), &StudioSession::trainingStep);
    QSignalSpy epochs(window.session(), &StudioSession::trainingEpoch);
    QSignalSpy finished(window.session(), &StudioSession::trainingFinished);
    QSignalSpy modelInfo(window.session(), &StudioSession::modelInfoChanged);
    auto *start = window.findChild<QPushButton *>(QStringLiteral("startTrainingButton"));
    QVERIFY(start->isEnabled());
    QTest::mouseClick(start, Qt::LeftButton);
    QVERIFY(window.session()->isBusy());
    QVERIFY(!start->isEnabled());
    QVERIFY(window.findChild<QPushButton *>(QStringLiteral("stopTrainingButton"))->isEnabled());
    QVERIFY(finished.wait(120000));
    QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));

    const auto outcome = finished.first().first().value<TrainingOutcome>();
    QVERIFY(!outcome.cancelled);
    QCOMPARE(outcome.epochsCompleted, 2);
    QVERIFY(steps.count() > 0);
    QCOMPARE(epochs.count(), 2);
    QVERIFY(QFileInfo::exists(outcome.modelFile));

    // The chart, found like a user would see it, holds every point that arrived.
    auto *plot = window.findChild<QCustomPlot *>(QStringLiteral("trainingPlot"));
    QVERIFY(plot);
    QCOMPARE(plot->graphCount(), 4);
    QCOMPARE(plot->graph(0)->dataCount(), steps.count());
    QCOMPARE(plot->graph(1)->dataCount(), steps.count());
    QCOMPARE(plot->graph(2)->dataCount(), 2); // validation loss per epoch
    QCOMPARE(plot->graph(3)->dataCount(), 2); // validation PSNR per epoch
    const auto lastStep = steps.last().first().value<mri::TrainingStep>();
    QCOMPARE(plot->graph(0)->data()->at(plot->graph(0)->dataCount() - 1)->key, double(lastStep.globalStep));

    saveReviewShot(window, QStringLiteral("training"));
    auto *progress = window.findChild<QProgressBar *>(QStringLiteral("trainingProgress"));
    QCOMPARE(progress->value(), progress->maximum());

    // The trained checkpoint became the model for enhancement, with its info.
    QCOMPARE(window.session()->modelFile(), outcome.modelFile);
    QTRY_VERIFY_WITH_TIMEOUT(window.session()->modelInfo().has_value(), 10000);
    QCOMPARE(window.session()->modelInfo()->network.depth, 2);
    QCOMPARE(window.session()->modelInfo()->network.baseChannels, 4);
    QCOMPARE(window.session()->modelInfo()->epochsTrained, 2);
    QVERIFY(window.findChild<QPushButton *>(QStringLiteral("resumeTrainingButton"))->isEnabled());
}

void TestGuiTraining::redrawIsThrottled()
{
    TrainingChart chart;
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    const int before = chart.replotCount();
    QElapsedTimer timer;
    timer.start();
    for (int i = 1; i <= 2000; ++i) {
        chart.addStep(i, 1.0 / i);
        if (i % 100 == 0)
            QCoreApplication::processEvents();
    }
    QTest::qWait(2 * TrainingChart::kReplotIntervalMs + 20);
    const double seconds = timer.elapsed() / 1000.0;
    const int redraws = chart.replotCount() - before;
    QVERIFY(redraws >= 1);
    // At most one redraw per 40 ms interval (plus the one that was pending).
    QVERIFY2(redraws <= static_cast<int>(std::ceil(seconds * 1000.0 / TrainingChart::kReplotIntervalMs)) + 1,
             qPrintable(QStringLiteral("%1 redraws in %2 s").arg(redraws).arg(seconds)));
    QCOMPARE(chart.trainGraph()->dataCount(), 2000);
}

void TestGuiTraining::stopEndsTrainingWithinASecond()
{
    MainWindow window;
    window.setErrorDialogsEnabled(false);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    openDataset(window);
    window.trainingPanel()->setOptions(tinyOptions(500, 64));
    QSignalSpy steps(window.session(), &StudioSession::trainingStep);
    QSignalSpy epochs(window.session(), &StudioSession::trainingEpoch);
    QSignalSpy finished(window.session(), &StudioSession::trainingFinished);
    QTest::mouseClick(window.findChild<QPushButton *>(QStringLiteral("startTrainingButton")), Qt::LeftButton);
    // Let one epoch complete so there is a checkpoint to keep.
    QTRY_VERIFY_WITH_TIMEOUT(epochs.count() >= 1, 60000);
    QVERIFY(steps.count() > 0);

    QElapsedTimer timer;
    timer.start();
    QTest::mouseClick(window.findChild<QPushButton *>(QStringLiteral("stopTrainingButton")), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, 5000);
    const qint64 elapsed = timer.elapsed();
    QVERIFY2(elapsed < 1000, qPrintable(QStringLiteral("Stop took %1 ms").arg(elapsed)));
    const auto outcome = finished.first().first().value<TrainingOutcome>();
    QVERIFY(outcome.cancelled);
    QVERIFY(outcome.epochsCompleted >= 1);
    QVERIFY(!window.session()->isBusy());
    // The last complete epoch's checkpoint is usable.
    QTRY_VERIFY_WITH_TIMEOUT(window.session()->modelInfo().has_value(), 10000);
    QCOMPARE(window.session()->modelInfo()->epochsTrained, outcome.epochsCompleted);
}

void TestGuiTraining::resumeContinuesTheCheckpoint()
{
    MainWindow window;
    window.setErrorDialogsEnabled(false);
    openDataset(window);
    // The checkpoint of the earlier tests is next to the dataset.
    QVERIFY(QFileInfo::exists(window.session()->modelFile()));
    QTRY_VERIFY_WITH_TIMEOUT(window.session()->modelInfo().has_value(), 10000);
    const int before = window.session()->modelInfo()->epochsTrained;
    auto options = tinyOptions(before + 1, 4);
    window.trainingPanel()->setOptions(options);
    QSignalSpy epochs(window.session(), &StudioSession::trainingEpoch);
    QSignalSpy finished(window.session(), &StudioSession::trainingFinished);
    auto *resume = window.findChild<QPushButton *>(QStringLiteral("resumeTrainingButton"));
    QVERIFY(resume->isEnabled());
    QTest::mouseClick(resume, Qt::LeftButton);
    QVERIFY(finished.wait(120000));
    QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
    QCOMPARE(epochs.count(), 1);
    QCOMPARE(epochs.first().first().value<mri::EpochSummary>().epoch, before + 1);
}

void TestGuiTraining::closingDuringTrainingStopsCleanly()
{
    auto *window = new MainWindow;
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->setErrorDialogsEnabled(false);
    window->show();
    QVERIFY(QTest::qWaitForWindowExposed(window));
    openDataset(*window);
    window->trainingPanel()->setOptions(tinyOptions(500, 64));
    QSignalSpy steps(window->session(), &StudioSession::trainingStep);
    window->trainingPanel()->startTraining();
    QTRY_VERIFY_WITH_TIMEOUT(steps.count() >= 3, 60000);
    QPointer<MainWindow> guard(window);
    QElapsedTimer timer;
    timer.start();
    QVERIFY(window->close());
    QVERIFY(timer.elapsed() < 2000);
    QTRY_VERIFY(guard.isNull()); // deleted, threads joined
}

int main(int argc, char *argv[])
{
    QTemporaryDir home;
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(home.filePath(QStringLiteral("config"))));
    qputenv("XDG_DATA_HOME", QFile::encodeName(home.filePath(QStringLiteral("data"))));
    qputenv("XDG_CACHE_HOME", QFile::encodeName(home.filePath(QStringLiteral("cache"))));
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, home.filePath(QStringLiteral("settings")));
    QApplication application(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("MriEnhanceStudioTest"));
    QApplication::setApplicationName(QStringLiteral("tst_gui_training"));
    TestGuiTraining test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_gui_training.moc"
