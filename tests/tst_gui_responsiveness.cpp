// The GUI thread stays responsive while mri-studio trains and enhances: a
// 10 ms timer on the GUI thread records how late each of its ticks comes
// during a short training run and during the enhancement of a data set. The
// goal is no stall over kMaxStallMs; on a quiet machine the longest is 10-25 ms.
// On a shared 2-core machine the scheduler alone can hold the thread back
// longer (the idle window's figures, printed first, show how much), so the
// test requires the 99th percentile within kMaxStallMs and the longest stall
// within kMaxOutlierMs, which still catches any real blocking work (a slice
// decoded or a model read on the GUI thread). MRI_STALL_TRACE=1 prints each
// stall over kMaxStallMs and when training steps and epochs arrived.

#include "dataset/Dataset.h"
#include "training/Trainer.h"
#include "GuiTestSupport.h"
#include "MainWindow.h"
#include "StudioSession.h"
#include "TestDatasets.h"
#include "TrainingPanel.h"

#include <QAbstractButton>
#include <QApplication>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <algorithm>
#include <atomic>
#include <vector>

using namespace studio;

namespace {

constexpr int kTickMs = 10;
constexpr double kMaxStallMs = 50.0;
constexpr double kMaxOutlierMs = 200.0;

// Records the lateness of a kTickMs timer on the thread it lives on: the
// actual interval between two ticks less kTickMs.
class StallProbe
{
public:
    StallProbe()
    {
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(kTickMs);
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            const qint64 now = m_clock.nsecsElapsed();
            if (m_last >= 0) {
                m_lateness.push_back((now - m_last) / 1e6 - kTickMs);
                if (m_lateness.back() > kMaxStallMs && qEnvironmentVariableIsSet("MRI_STALL_TRACE"))
                    qInfo("stall of %.1f ms ending at %.0f ms", m_lateness.back(), now / 1e6);
            }
            m_last = now;
        });
    }
    void start()
    {
        m_lateness.clear();
        m_last = -1;
        m_clock.start();
        m_timer.start();
    }
    void stop() { m_timer.stop(); }
    int ticks() const { return static_cast<int>(m_lateness.size()); }
    double longestMs() const { return m_lateness.empty() ? 0.0 : *std::max_element(m_lateness.begin(), m_lateness.end()); }
    double percentileMs(double p) const
    {
        if (m_lateness.empty())
            return 0.0;
        auto sorted = m_lateness;
        std::sort(sorted.begin(), sorted.end());
        return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(p * sorted.size()))];
    }
    QString summary() const
    {
        return QStringLiteral("%1 ticks, longest stall %2 ms, 99th percentile %3 ms")
            .arg(ticks())
            .arg(longestMs(), 0, 'f', 1)
            .arg(percentileMs(0.99), 0, 'f', 1);
    }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = -1;
    std::vector<double> m_lateness;
};

} // namespace

class TestGuiResponsiveness final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void idleBaseline();
    void trainingKeepsTheGuiResponsive();
    void enhancementKeepsTheGuiResponsive();

private:
    QString newDataset(int count, int size);
    static mri::TrainingOptions smallOptions();

    QTemporaryDir m_dir;
    int m_datasets = 0;
};

void TestGuiResponsiveness::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

QString TestGuiResponsiveness::newDataset(int count, int size)
{
    const QString folder = m_dir.filePath(QStringLiteral("dataset-%1").arg(++m_datasets));
    mri::test::writeSyntheticDataset(folder, count, size, size);
    return folder;
}

// Small but not trivial: steps of tens of milliseconds, every core (threads 0, as a user gets).
mri::TrainingOptions TestGuiResponsiveness::smallOptions()
{
    mri::TrainingOptions options;
    options.network.depth = 2;
    options.network.baseChannels = 8;
    options.patchSize = 32;
    options.batchSize = 8;
    options.patchesPerImage = 24;
    options.epochs = 2;
    options.learningRate = 3e-3;
    options.validationFraction = 0.2;
    options.seed = 7;
    options.threads = 0;
    return options;
}

// The machine's own noise: the same probe with nothing running.
void TestGuiResponsiveness::idleBaseline()
{
    MainWindow window;
    test::showAndOpen(window, newDataset(6, 64));
    if (QTest::currentTestFailed())
        return;
    StallProbe probe;
    probe.start();
    QTest::qWait(1000);
    probe.stop();
    qInfo("idle: %s", qPrintable(probe.summary()));
}

void TestGuiResponsiveness::trainingKeepsTheGuiResponsive()
{
    MainWindow window;
    test::showAndOpen(window, newDataset(6, 128));
    if (QTest::currentTestFailed())
        return;
    window.showTab(QStringLiteral("training"));
    window.trainingPanel()->setOptions(smallOptions());
    QSignalSpy steps(window.session(), &StudioSession::trainingStep);
    QSignalSpy finished(window.session(), &StudioSession::trainingFinished);
    StallProbe probe;
    probe.start();
    if (qEnvironmentVariableIsSet("MRI_STALL_TRACE")) {
        QElapsedTimer clock;
        clock.start();
        connect(window.session(), &StudioSession::trainingEpoch, this, [clock] { qInfo("epoch at %lld ms", clock.elapsed()); });
        connect(window.session(), &StudioSession::trainingStep, this, [clock] { qInfo("step at %lld ms", clock.elapsed()); });
        connect(window.session(), &StudioSession::trainingFinished, this, [clock] { qInfo("finished at %lld ms", clock.elapsed()); });
    }
    QTest::mouseClick(window.findChild<QAbstractButton *>(QStringLiteral("startTrainingButton")), Qt::LeftButton);
    QVERIFY(finished.wait(120000));
    QTest::qWait(100); // the last redraw and the model's loading
    probe.stop();
    QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
    QVERIFY(steps.count() > 10);
    qInfo("training (%lld steps): %s", static_cast<long long>(steps.count()), qPrintable(probe.summary()));
    QVERIFY2(probe.percentileMs(0.99) <= kMaxStallMs, qPrintable(probe.summary()));
    QVERIFY2(probe.longestMs() <= kMaxOutlierMs, qPrintable(probe.summary()));
}

void TestGuiResponsiveness::enhancementKeepsTheGuiResponsive()
{
    // A tiny model, trained directly with the engine.
    const QString model = m_dir.filePath(QStringLiteral("model.pt"));
    auto options = smallOptions();
    options.modelFile = model.toStdString();
    options.epochs = 1;
    options.patchesPerImage = 2;
    options.threads = 1;
    std::atomic_bool cancel{false};
    QCOMPARE(mri::trainModel(mri::openDataset(newDataset(4, 64).toStdString()), options, {}, cancel).epochsCompleted, 1);

    MainWindow window;
    test::showAndOpen(window, newDataset(12, 384));
    if (QTest::currentTestFailed())
        return;
    window.session()->setModelFile(model);
    QTRY_VERIFY_WITH_TIMEOUT(window.session()->modelInfo().has_value(), 10000);
    window.showTab(QStringLiteral("patients"));
    QSignalSpy rows(window.session(), &StudioSession::rowEnhanced);
    QSignalSpy finished(window.session(), &StudioSession::enhanceFinished);
    StallProbe probe;
    probe.start();
    window.enhanceAll();
    QVERIFY(finished.wait(120000));
    QTest::qWait(300); // the enhanced slice's loading and display
    probe.stop();
    QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
    QCOMPARE(rows.count(), 12);
    qInfo("enhancement (12 slices of 384 x 384): %s", qPrintable(probe.summary()));
    QVERIFY2(probe.percentileMs(0.99) <= kMaxStallMs, qPrintable(probe.summary()));
    QVERIFY2(probe.longestMs() <= kMaxOutlierMs, qPrintable(probe.summary()));
}

int main(int argc, char *argv[])
{
    return studio::test::runGuiTest<TestGuiResponsiveness>(argc, argv, QStringLiteral("tst_gui_responsiveness"));
}

#include "tst_gui_responsiveness.moc"
