// GUI tests of training in mri-studio: a tiny training run feeds the live
// chart through queued signals, the redraw is throttled, Stop ends a run
// within a second and keeps the checkpoint usable, a loaded model shows its
// recorded curves, Resume continues it, and closing the window mid-run stops
// the work cleanly. Every test function makes its own dataset (and model), so
// any of them can run alone: ./tst_gui_training resumeContinuesTheCheckpoint.
// The Training tab's buttons are the window's actions, enabled by the session:
// they agree with the menus at every step, and Stop disables itself once
// pressed. The model panel shows the settings the model was trained with.

#include "dataset/Dataset.h"
#include "model/TrainingSettings.h"
#include "training/Trainer.h"
#include "GuiTestSupport.h"
#include "MainWindow.h"
#include "SettingsForm.h"
#include "StudioActions.h"
#include "StudioSession.h"
#include "TestDatasets.h"
#include "TrainingChart.h"
#include "TrainingPanel.h"

#include <qcustomplot.h>

#include <QApplication>
#include <QElapsedTimer>
#include <QAbstractButton>
#include <QAction>
#include <QLabel>
#include <QToolButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <cmath>

using namespace studio;

class TestGuiTraining final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void trainingDrawsLiveCurves();
    void redrawIsThrottled();
    void stopEndsTrainingWithinASecond();
    void loadedModelShowsItsHistory();
    void resumeContinuesTheCheckpoint();
    void closingDuringTrainingStopsCleanly();

private:
    static void buttonsShowTheActions(MainWindow &window);
    static QString settingLine(const char *key, const mri::TrainingOptions &options);
    mri::TrainingOptions tinyOptions(int epochs, int patchesPerImage) const;
    QString newDataset();
    QString trainModel(const QString &dataset, const QString &modelFile, int epochs);

    QTemporaryDir m_dir;
    int m_datasets = 0;
};

void TestGuiTraining::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

// A dataset of its own for every test: no test sees another's checkpoint.
QString TestGuiTraining::newDataset()
{
    const QString folder = m_dir.filePath(QStringLiteral("dataset-%1").arg(++m_datasets));
    mri::test::writeSyntheticDataset(folder, 6, 32, 32);
    return folder;
}

// A tiny checkpoint with `epochs` epochs of history, trained by the engine.
QString TestGuiTraining::trainModel(const QString &dataset, const QString &modelFile, int epochs)
{
    auto options = tinyOptions(epochs, 4);
    options.modelFile = modelFile.toStdString();
    std::atomic_bool cancel{false};
    const auto result = mri::trainModel(mri::openDataset(dataset.toStdString()), options, {}, cancel);
    if (result.epochsCompleted != epochs || !QFileInfo::exists(modelFile))
        return {};
    return modelFile;
}

// Every button of the Training tab shows one of the window's actions and
// agrees with it (the menus and the tool bar show the same QAction objects).
void TestGuiTraining::buttonsShowTheActions(MainWindow &window)
{
    const StudioActions &actions = *window.actions();
    const std::pair<const char *, QAction *> pairs[] = {
        {"startTrainingButton", actions.startTraining()}, {"stopTrainingButton", actions.stop()},
        {"resumeTrainingButton", actions.resumeTraining()}, {"loadModelButton", actions.loadModel()},
        {"saveModelButton", actions.saveModelAs()}};
    for (const auto &[name, action] : pairs) {
        auto *button = window.findChild<QToolButton *>(QString::fromLatin1(name));
        QVERIFY2(button, name);
        QVERIFY2(button->defaultAction() == action, name);
        QVERIFY2(button->isEnabled() == action->isEnabled(), name);
    }
    const auto *session = window.session();
    QCOMPARE(actions.startTraining()->isEnabled(), session->canTrain());
    QCOMPARE(actions.resumeTraining()->isEnabled(), session->canResume());
    QCOMPARE(actions.stop()->isEnabled(), session->canStop());
    QCOMPARE(actions.enhanceAll()->isEnabled(), session->canEnhance());
}

// "Label: value" of one setting as the model panel lists it (English: no translator).
QString TestGuiTraining::settingLine(const char *key, const mri::TrainingOptions &options)
{
    const auto &setting = mri::trainingSetting(key);
    return QString::fromStdString(setting.label + ": " + mri::formatSettingValue(setting, setting.get(options)));
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

void TestGuiTraining::trainingDrawsLiveCurves()
{
    MainWindow window;
    test::showAndOpen(window, newDataset());
    if (QTest::currentTestFailed())
        return;
    QVERIFY(!QFileInfo::exists(window.session()->modelFile()));
    window.showTab(QStringLiteral("training"));
    window.trainingPanel()->setOptions(tinyOptions(2, 4));

    QSignalSpy steps(window.session(), &StudioSession::trainingStep);
    QSignalSpy epochs(window.session(), &StudioSession::trainingEpoch);
    QSignalSpy finished(window.session(), &StudioSession::trainingFinished);
    QSignalSpy modelInfo(window.session(), &StudioSession::modelInfoChanged);
    auto *start = window.findChild<QAbstractButton *>(QStringLiteral("startTrainingButton"));
    QVERIFY(start->isEnabled());
    buttonsShowTheActions(window);
    QTest::mouseClick(start, Qt::LeftButton);
    QVERIFY(window.session()->isBusy());
    QVERIFY(!start->isEnabled());
    QVERIFY(window.findChild<QAbstractButton *>(QStringLiteral("stopTrainingButton"))->isEnabled());
    buttonsShowTheActions(window);
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

    test::saveReviewShot(window, QStringLiteral("training"));
    auto *progress = window.findChild<QProgressBar *>(QStringLiteral("trainingProgress"));
    QCOMPARE(progress->value(), progress->maximum());

    // The trained checkpoint became the model for enhancement, with its info.
    QCOMPARE(window.session()->modelFile(), outcome.modelFile);
    QTRY_VERIFY_WITH_TIMEOUT(window.session()->modelInfo().has_value(), 10000);
    QCOMPARE(window.session()->modelInfo()->network.depth, 2);
    QCOMPARE(window.session()->modelInfo()->network.baseChannels, 4);
    QCOMPARE(window.session()->modelInfo()->epochsTrained, 2);
    QCOMPARE(window.session()->modelInfo()->history.size(), std::size_t(2));
    QVERIFY(window.findChild<QAbstractButton *>(QStringLiteral("resumeTrainingButton"))->isEnabled());
    buttonsShowTheActions(window);
    // The live curves stay: the checkpoint's history does not replace them.
    QCOMPARE(plot->graph(0)->dataCount(), steps.count());
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
    test::showAndOpen(window, newDataset());
    if (QTest::currentTestFailed())
        return;
    window.trainingPanel()->setOptions(tinyOptions(500, 64));
    QSignalSpy steps(window.session(), &StudioSession::trainingStep);
    QSignalSpy epochs(window.session(), &StudioSession::trainingEpoch);
    QSignalSpy finished(window.session(), &StudioSession::trainingFinished);
    QTest::mouseClick(window.findChild<QAbstractButton *>(QStringLiteral("startTrainingButton")), Qt::LeftButton);
    // Let one epoch complete so there is a checkpoint to keep.
    QTRY_VERIFY_WITH_TIMEOUT(epochs.count() >= 1, 60000);
    QVERIFY(steps.count() > 0);

    auto *stop = window.findChild<QAbstractButton *>(QStringLiteral("stopTrainingButton"));
    QVERIFY(stop->isEnabled());
    QElapsedTimer timer;
    timer.start();
    QTest::mouseClick(stop, Qt::LeftButton);
    // Pressed once: Stop disables itself everywhere until the run has ended.
    if (finished.isEmpty()) {
        QVERIFY(window.session()->isStopping());
        QVERIFY(!stop->isEnabled());
        QVERIFY(!window.actions()->stop()->isEnabled());
        QVERIFY(!window.actions()->startTraining()->isEnabled());
        buttonsShowTheActions(window);
    }
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, 5000);
    const qint64 elapsed = timer.elapsed();
    QVERIFY2(elapsed < 1000, qPrintable(QStringLiteral("Stop took %1 ms").arg(elapsed)));
    const auto outcome = finished.first().first().value<TrainingOutcome>();
    QVERIFY(outcome.cancelled);
    QVERIFY(outcome.epochsCompleted >= 1);
    QVERIFY(!window.session()->isBusy());
    QVERIFY(!window.session()->isStopping());
    QVERIFY(window.actions()->startTraining()->isEnabled());
    buttonsShowTheActions(window);
    // The last complete epoch's checkpoint is usable.
    QTRY_VERIFY_WITH_TIMEOUT(window.session()->modelInfo().has_value(), 10000);
    QCOMPARE(window.session()->modelInfo()->epochsTrained, outcome.epochsCompleted);
}

void TestGuiTraining::loadedModelShowsItsHistory()
{
    const QString dataset = newDataset();
    const QString model = trainModel(dataset, QDir(dataset).filePath(QStringLiteral("mri_enhance_model.pt")), 3);
    QVERIFY(!model.isEmpty());
    const QString other = trainModel(dataset, m_dir.filePath(QStringLiteral("other-%1.pt").arg(m_datasets)), 2);
    QVERIFY(!other.isEmpty());

    MainWindow window;
    window.setErrorDialogsEnabled(false);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.showTab(QStringLiteral("training"));
    test::openAndWait(window, dataset);
    if (QTest::currentTestFailed())
        return;
    // The model next to the dataset is in use: one point per trained epoch.
    QCOMPARE(window.session()->modelFile(), model);
    QTRY_VERIFY_WITH_TIMEOUT(window.session()->modelInfo().has_value(), 10000);
    const auto history = window.session()->modelInfo()->history;
    QCOMPARE(history.size(), std::size_t(3));
    auto *plot = window.findChild<QCustomPlot *>(QStringLiteral("trainingPlot"));
    QVERIFY(plot);
    QCOMPARE(plot->graph(0)->dataCount(), 3); // training loss per epoch
    QCOMPARE(plot->graph(2)->dataCount(), 3); // validation loss per epoch
    QCOMPARE(plot->graph(3)->dataCount(), 3); // validation PSNR per epoch
    QCOMPARE(plot->graph(0)->data()->at(2)->key, double(history.back().globalStep));
    // Epoch means are averages already: the smoothed curve goes through them.
    QCOMPARE(plot->graph(1)->dataCount(), 3);
    QCOMPARE(plot->graph(1)->data()->at(2)->value, history.back().trainLoss);
    // The axes fit the history.
    for (const auto &epoch : history) {
        QVERIFY(plot->xAxis->range().contains(double(epoch.globalStep)));
        QVERIFY(plot->yAxis->range().contains(epoch.trainLoss));
        QVERIFY(plot->yAxis->range().contains(epoch.validationLoss));
        QVERIFY(plot->yAxis2->range().contains(epoch.validationPsnr));
    }
    test::saveReviewShot(window, QStringLiteral("training-history"));
    // The settings the model was trained with, every one of the table.
    const auto &settings = window.session()->modelInfo()->settings;
    QCOMPARE(settings.learningRate, 3e-3);
    QCOMPARE(settings.network.baseChannels, 4);
    auto *settingsLabel = window.findChild<QLabel *>(QStringLiteral("modelSettingsLabel"));
    QVERIFY(settingsLabel);
    for (const auto &setting : mri::trainingSettings())
        QVERIFY2(settingsLabel->text().contains(settingLine(setting.key.c_str(), settings)), setting.key.c_str());
    QVERIFY(settingsLabel->text().contains(QStringLiteral("Learning rate: 0.003")));

    // Another model brings its own curves instead.
    window.session()->setModelFile(other);
    QTRY_VERIFY_WITH_TIMEOUT(window.session()->modelInfo().has_value(), 10000);
    QCOMPARE(plot->graph(0)->dataCount(), 2);
    QCOMPARE(plot->graph(3)->dataCount(), 2);
    // A model file not written yet: nothing to show.
    window.session()->setModelFile(m_dir.filePath(QStringLiteral("not-yet.pt")));
    QCOMPARE(plot->graph(0)->dataCount(), 0);
}

void TestGuiTraining::resumeContinuesTheCheckpoint()
{
    const QString dataset = newDataset();
    const QString model = trainModel(dataset, QDir(dataset).filePath(QStringLiteral("mri_enhance_model.pt")), 2);
    QVERIFY(!model.isEmpty());
    MainWindow window;
    window.setErrorDialogsEnabled(false);
    test::openAndWait(window, dataset);
    if (QTest::currentTestFailed())
        return;
    // The checkpoint next to the dataset is the one to continue.
    QCOMPARE(window.session()->modelFile(), model);
    QTRY_VERIFY_WITH_TIMEOUT(window.session()->modelInfo().has_value(), 10000);
    const int before = window.session()->modelInfo()->epochsTrained;
    QCOMPARE(before, 2);
    auto *plot = window.findChild<QCustomPlot *>(QStringLiteral("trainingPlot"));
    QCOMPARE(plot->graph(0)->dataCount(), before);
    // The panel's network and objective differ from the checkpoint's: the
    // engine continues the checkpoint's own settings.
    auto options = tinyOptions(before + 1, 4);
    options.network.depth = 3;
    options.network.baseChannels = 8;
    options.objective = mri::TrainingObjective::Identity;
    window.trainingPanel()->setOptions(options);
    QSignalSpy steps(window.session(), &StudioSession::trainingStep);
    QSignalSpy epochs(window.session(), &StudioSession::trainingEpoch);
    QSignalSpy finished(window.session(), &StudioSession::trainingFinished);
    auto *resume = window.findChild<QAbstractButton *>(QStringLiteral("resumeTrainingButton"));
    QVERIFY(resume->isEnabled());
    QTest::mouseClick(resume, Qt::LeftButton);
    QVERIFY(finished.wait(120000));
    QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
    QCOMPARE(epochs.count(), 1);
    QCOMPARE(epochs.first().first().value<mri::EpochSummary>().epoch, before + 1);
    // The resumed run continues the curves of the checkpoint.
    QCOMPARE(plot->graph(0)->dataCount(), before + steps.count());
    QTRY_VERIFY_WITH_TIMEOUT(window.session()->modelInfo().has_value(), 10000);
    QCOMPARE(window.session()->modelInfo()->epochsTrained, before + 1);
    QCOMPARE(window.session()->modelInfo()->network.depth, 2);
    QCOMPARE(window.session()->modelInfo()->network.baseChannels, 4);
    QVERIFY(window.session()->modelInfo()->objective == mri::TrainingObjective::Noise2Void);

    // What really ran: the form stays as the user left it, the model panel
    // shows the checkpoint's settings that the resumed run kept.
    const auto shown = window.trainingPanel()->options();
    QCOMPARE(shown.network.depth, 3);
    const auto &ran = window.session()->modelInfo()->settings;
    QCOMPARE(ran.network.depth, 2);
    QCOMPARE(ran.network.baseChannels, 4);
    QVERIFY(ran.objective == mri::TrainingObjective::Noise2Void);
    auto *settingsLabel = window.findChild<QLabel *>(QStringLiteral("modelSettingsLabel"));
    QVERIFY(settingsLabel);
    for (const char *key : {"depth", "base_channels", "objective"}) {
        QVERIFY2(settingsLabel->text().contains(settingLine(key, ran)), key);
        QVERIFY2(!settingsLabel->text().contains(settingLine(key, shown)), key);
    }
    QVERIFY(settingsLabel->toolTip().contains(settingLine("depth", ran)));
    // "Use These Settings" puts them into the form.
    auto *use = window.findChild<QAbstractButton *>(QStringLiteral("useModelSettingsButton"));
    QVERIFY(use && use->isEnabled());
    use->click();
    const auto used = window.trainingPanel()->options();
    for (const auto &setting : mri::trainingSettings())
        QVERIFY2(setting.get(used) == setting.get(ran), setting.key.c_str());
}

void TestGuiTraining::closingDuringTrainingStopsCleanly()
{
    auto *window = new MainWindow;
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->setErrorDialogsEnabled(false);
    window->show();
    QVERIFY(QTest::qWaitForWindowExposed(window));
    test::openAndWait(*window, newDataset());
    if (QTest::currentTestFailed()) {
        delete window;
        return;
    }
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
    return studio::test::runGuiTest<TestGuiTraining>(argc, argv, QStringLiteral("tst_gui_training"));
}

#include "tst_gui_training.moc"
