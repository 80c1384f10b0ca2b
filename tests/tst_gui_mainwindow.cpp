// GUI tests of mri-studio's main window: it starts, opens a dataset into the
// patient table, marks unreadable rows, filters and sorts, shows each
// result's self-check in its status cell, shows the selected patient (with
// the difference or the residual map), reports bad input in one sentence,
// renders --screenshot files and ships its German translation. Run offscreen
// with settings in a temporary folder.

#include "dataset/DemoDataset.h"
#include "io/CsvTable.h"
#include "io/ImageIO.h"
#include "model/TrainingOptions.h"
#include "AppSetup.h"
#include "Formatting.h"
#include "GuiTestSupport.h"
#include "MainWindow.h"
#include "PatientsPage.h"
#include "PatientTableModel.h"
#include "RecentDatasets.h"
#include "SideBySideView.h"
#include "SliceCanvas.h"
#include "SliceImage.h"
#include "StartupOptions.h"
#include "StudioLauncher.h"
#include "StudioSession.h"
#include "TestDatasets.h"
#include "TrainingPanel.h"

#include <QApplication>
#include <QLineEdit>
#include <QMimeData>
#include <QSlider>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QStyle>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTranslator>
#include <QtTest>

#include <opencv2/core.hpp>

#include <limits>
#include <memory>

using namespace studio;

namespace {

// A pair of one patient whose original and enhanced slices are uniform (16 x 16, 8-bit).
SlicePair uniformPair(int original, int enhanced)
{
    SlicePair pair;
    pair.token = 1;
    pair.row = 0;
    pair.patientId = QStringLiteral("P-1");
    pair.original = sliceimage::fromMat(cv::Mat(16, 16, CV_8UC1, cv::Scalar(original)));
    pair.enhanced = sliceimage::fromMat(cv::Mat(16, 16, CV_8UC1, cv::Scalar(enhanced)));
    return pair;
}

} // namespace

class TestGuiMainWindow final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void windowStartsWithItsParts();
    void trainingOptionsShowTheEngineDefaults();
    void openingADatasetFillsTheTable();
    void tableFiltersAndSorts();
    void selectingARowShowsThePatient();
    void windowLevelMapsSixteenBitsToEight();
    void linkedZoomAndDifferenceToggle();
    void statusCellShowsTheSelfCheck_data();
    void statusCellShowsTheSelfCheck();
    void residualExcludesTheDifferenceAndSharesItsWindow_data();
    void residualExcludesTheDifferenceAndSharesItsWindow();
    void metricsAreWrittenOneWay();
    void badInputIsOneSentence_data();
    void badInputIsOneSentence();
    void sixteenBitSlicesShowThroughTheWindow();
    void droppingAFolderOpensIt();
    void demoDatasetIsBuiltAndOpened();
    void screenshotOptionWritesAPng();
    void germanTranslationIsEmbedded();
    void selfCheckFindingIsTranslated();

private:
    QString m_dataset;
    QTemporaryDir m_dir;
};

void TestGuiMainWindow::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_dataset = m_dir.filePath(QStringLiteral("dataset"));
    const QString csv = mri::test::writeSyntheticDataset(m_dataset, 5, 40, 36);
    // One more row whose image does not exist: it must be marked, not hide the rest.
    auto table = mri::readCsvFile(csv.toStdString());
    table.rows.push_back({"P-999", "images/missing.png", "clean/missing.png", "70"});
    mri::writeCsvFileAtomically(csv.toStdString(), table);
}

void TestGuiMainWindow::windowStartsWithItsParts()
{
    MainWindow window;
    window.setErrorDialogsEnabled(false);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    for (const char *name : {"mainTabs", "patientTable", "patientFilter", "sideBySideView", "originalCanvas",
                             "enhancedCanvas", "differenceButton", "residualButton", "trainingPlot", "startTrainingButton",
                             "stopTrainingButton", "resumeTrainingButton", "trainingProgress", "reshuffleButton",
                             "saveFigureButton", "jobProgress", "mainToolBar"}) {
        QVERIFY2(window.findChild<QWidget *>(QString::fromLatin1(name)), name);
    }
    auto *tabs = window.findChild<QTabWidget *>(QStringLiteral("mainTabs"));
    QCOMPARE(tabs->count(), 3);
    QVERIFY(window.showTab(QStringLiteral("training")));
    QCOMPARE(tabs->currentIndex(), int(MainWindow::TrainingTab));
    QVERIFY(!window.showTab(QStringLiteral("nonsense")));
    // Nothing to run yet.
    QVERIFY(!window.findChild<QAbstractButton *>(QStringLiteral("startTrainingButton"))->isEnabled());
    QVERIFY(!window.findChild<QAbstractButton *>(QStringLiteral("stopTrainingButton"))->isEnabled());
}

void TestGuiMainWindow::trainingOptionsShowTheEngineDefaults()
{
    MainWindow window;
    const mri::TrainingOptions defaults;
    const auto shown = window.trainingPanel()->options();
    QCOMPARE(shown.epochs, defaults.epochs);
    QCOMPARE(shown.learningRate, defaults.learningRate);
    QCOMPARE(shown.batchSize, defaults.batchSize);
    QCOMPARE(shown.patchSize, defaults.patchSize);
    QCOMPARE(shown.patchesPerImage, defaults.patchesPerImage);
    QCOMPARE(shown.validationFraction, defaults.validationFraction);
    QCOMPARE(shown.seed, defaults.seed);
    QVERIFY(shown.objective == defaults.objective);
    QVERIFY(shown.network == defaults.network);
    QCOMPARE(window.findChild<QSpinBox *>(QStringLiteral("setting_epochs"))->value(), defaults.epochs);
}

void TestGuiMainWindow::openingADatasetFillsTheTable()
{
    MainWindow window;
    window.setErrorDialogsEnabled(false);
    window.show();
    QSignalSpy opened(window.session(), &StudioSession::datasetOpened);
    QSignalSpy ready(window.session(), &StudioSession::datasetReady);
    QVERIFY(window.openDataset(m_dataset));
    QVERIFY(ready.wait(10000));
    QCOMPARE(opened.count(), 1);

    auto *model = window.session()->patientModel();
    QCOMPARE(model->rowCount(), 6);
    QCOMPARE(model->index(0, PatientTableModel::PatientColumn).data().toString(), QStringLiteral("P-100"));
    QCOMPARE(model->index(0, PatientTableModel::ImageColumn).data().toString(), QStringLiteral("images/slice_1.png"));
    QCOMPARE(model->index(0, PatientTableModel::SizeColumn).data().toString(), QStringLiteral("40 × 36 · 8-bit"));
    QCOMPARE(model->index(0, PatientTableModel::StatusColumn).data().toString(), QStringLiteral("Not enhanced"));
    QVERIFY(model->index(0, PatientTableModel::PsnrColumn).data().toString().isEmpty());

    const QModelIndex broken = model->index(5, PatientTableModel::StatusColumn);
    QVERIFY(broken.data().toString().startsWith(QStringLiteral("Unreadable: ")));
    QVERIFY(broken.data().toString().contains(QStringLiteral("missing.png")));
    QVERIFY(broken.data(PatientTableModel::ProblemRole).toBool());
    QCOMPARE(model->unreadableCount(), 1);

    // The folder went to the recent list, and the default model sits next to the data.
    QCOMPARE(RecentDatasets().folders().value(0), QFileInfo(m_dataset).absoluteFilePath());
    QCOMPARE(window.session()->modelFile(), QDir(m_dataset).filePath(QStringLiteral("mri_enhance_model.pt")));
    QVERIFY(window.windowTitle().contains(QStringLiteral("dataset")));
}

void TestGuiMainWindow::tableFiltersAndSorts()
{
    MainWindow window;
    window.setErrorDialogsEnabled(false);
    QSignalSpy ready(window.session(), &StudioSession::datasetReady);
    QVERIFY(window.openDataset(m_dataset));
    QVERIFY(ready.wait(10000));

    auto *page = window.patientsPage();
    auto *table = window.findChild<QTableView *>(QStringLiteral("patientTable"));
    auto *filter = window.findChild<QLineEdit *>(QStringLiteral("patientFilter"));
    QVERIFY(table && filter);
    QCOMPARE(table->model()->rowCount(), 6);

    QTest::keyClicks(filter, QStringLiteral("p-102"));
    QCOMPARE(table->model()->rowCount(), 1);
    QCOMPARE(table->model()->index(0, 0).data().toString(), QStringLiteral("P-102"));
    filter->clear();
    QTest::keyClicks(filter, QStringLiteral("unreadable"));
    QCOMPARE(table->model()->rowCount(), 1);
    QCOMPARE(table->model()->index(0, 0).data().toString(), QStringLiteral("P-999"));
    filter->clear();
    QCOMPARE(table->model()->rowCount(), 6);

    table->sortByColumn(PatientTableModel::PatientColumn, Qt::DescendingOrder);
    QCOMPARE(table->model()->index(0, 0).data().toString(), QStringLiteral("P-999"));
    // Selection maps back to dataset rows whatever the order.
    page->selectRow(1);
    QCOMPARE(page->selectedRows(), RowList{1});
    QCOMPARE(page->currentRow(), 1);
}

void TestGuiMainWindow::selectingARowShowsThePatient()
{
    MainWindow window;
    window.setErrorDialogsEnabled(false);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy shown(window.patientsPage(), &PatientsPage::slicesShown);
    QVERIFY(window.openDataset(m_dataset));
    // Opening selects the first patient by itself.
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), 10000);
    auto *original = window.findChild<SliceCanvas *>(QStringLiteral("originalCanvas"));
    auto *enhanced = window.findChild<SliceCanvas *>(QStringLiteral("enhancedCanvas"));
    QVERIFY(original->hasImage());
    QCOMPARE(original->imageSize(), QSize(40, 36));
    QVERIFY(original->caption().contains(QStringLiteral("P-100")));
    // The demo-style dataset has clean slices: the original is scored against them.
    QVERIFY(original->annotations().join(QLatin1Char('\n')).contains(QStringLiteral("PSNR")));
    QVERIFY(!enhanced->hasImage());
    QVERIFY(enhanced->message().contains(QStringLiteral("Not enhanced")));

    // The unreadable row says why instead of showing a picture.
    shown.clear();
    window.patientsPage()->selectRow(5);
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), 10000);
    QVERIFY(!original->hasImage());
    QVERIFY(original->message().contains(QStringLiteral("missing.png")));
}

void TestGuiMainWindow::windowLevelMapsSixteenBitsToEight()
{
    cv::Mat slice(2, 3, CV_16UC1);
    const quint16 values[] = {0, 1000, 2000, 3000, 4000, 65535};
    for (int i = 0; i < 6; ++i)
        slice.at<quint16>(i / 3, i % 3) = values[i];
    const QImage raw = sliceimage::fromMat(slice);
    QCOMPARE(raw.format(), QImage::Format_Grayscale16);
    QCOMPARE(sliceimage::pixelValue(raw, 1, 0), 1000);
    QCOMPARE(sliceimage::maximumValueOf(raw), 65535);

    const QImage shown = sliceimage::applyWindow(raw, 1000.0, 3000.0);
    QCOMPARE(shown.format(), QImage::Format_Grayscale8);
    QCOMPARE(shown.constScanLine(0)[0], uchar(0));     // below the window: black
    QCOMPARE(shown.constScanLine(0)[1], uchar(0));     // window start
    QCOMPARE(shown.constScanLine(0)[2], uchar(128));   // middle
    QCOMPARE(shown.constScanLine(1)[0], uchar(255));   // window end
    QCOMPARE(shown.constScanLine(1)[2], uchar(255));   // above: white

    cv::Mat eight(1, 2, CV_8UC1);
    eight.at<uchar>(0, 0) = 10;
    eight.at<uchar>(0, 1) = 200;
    QCOMPARE(sliceimage::fromMat(eight).format(), QImage::Format_Grayscale8);
    const auto range = sliceimage::robustRange(slice, 0.0, 1.0);
    QVERIFY(range.second > range.first);
}

void TestGuiMainWindow::linkedZoomAndDifferenceToggle()
{
    SideBySideView view;
    view.resize(800, 400);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    cv::Mat original(64, 64, CV_16UC1, cv::Scalar(1000));
    cv::Mat enhanced(64, 64, CV_16UC1, cv::Scalar(1100));
    SlicePair pair;
    pair.token = 1;
    pair.row = 0;
    pair.patientId = QStringLiteral("P-16");
    pair.original = sliceimage::fromMat(original);
    pair.enhanced = sliceimage::fromMat(enhanced);
    pair.difference = sliceimage::fromMat(cv::Mat(64, 64, CV_16UC1, cv::Scalar(100)));
    pair.maximumValue = 65535;
    pair.autoLow = 900;
    pair.autoHigh = 1200;
    pair.differenceHigh = 100;
    mri::EnhancedRow result;
    result.done = true;
    result.psnr = 30.5;
    result.ssim = 0.9;
    view.showSlices(pair, result);
    QVERIFY(view.isFit());
    QCOMPARE(view.windowLevel(), 1050.0);
    QCOMPARE(view.windowWidth(), 300.0);
    QVERIFY(view.enhancedCanvas()->annotations().join(' ').contains(QStringLiteral("30.50")));

    view.actualSize();
    QVERIFY(!view.isFit());
    QCOMPARE(view.originalCanvas()->effectiveZoom(), 1.0);
    view.zoomIn();
    QCOMPARE(view.originalCanvas()->effectiveZoom(), view.enhancedCanvas()->effectiveZoom());
    QCOMPARE(view.originalCanvas()->effectiveCenter(), view.enhancedCanvas()->effectiveCenter());
    // Wheel on one canvas zooms both.
    const double before = view.enhancedCanvas()->effectiveZoom();
    QWheelEvent wheel(QPointF(100, 100), view.originalCanvas()->mapToGlobal(QPointF(100, 100)), QPoint(), QPoint(0, 120),
                      Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(view.originalCanvas(), &wheel);
    QVERIFY(view.enhancedCanvas()->effectiveZoom() > before);
    QCOMPARE(view.originalCanvas()->effectiveZoom(), view.enhancedCanvas()->effectiveZoom());
    view.fitToWindow();
    QVERIFY(view.isFit());

    view.setWindow(1000.0, 500.0);
    QCOMPARE(view.windowLevel(), 1000.0);
    view.setDifferenceShown(true);
    QVERIFY(view.enhancedCanvas()->caption().contains(QStringLiteral("Difference")));
    view.setDifferenceShown(false);
    QCOMPARE(view.enhancedCanvas()->caption(), QStringLiteral("Enhanced"));
}

void TestGuiMainWindow::statusCellShowsTheSelfCheck_data()
{
    QTest::addColumn<int>("verdict");
    QTest::addColumn<QString>("reason");
    QTest::addColumn<double>("estimatedGain");
    QTest::addColumn<double>("residualToNoise");
    QTest::addColumn<QString>("error");
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("icon"); // a QStyle::StandardPixmap, -1: none
    QTest::addColumn<QString>("toolTip");
    const QString darker = QStringLiteral("tissue 31 % darker after enhancement than its input implies");
    QTest::newRow("not checked") << int(mri::Verdict::NotChecked) << QString() << 0.0 << 0.0 << QString()
                                 << QStringLiteral("Enhanced") << -1 << QString();
    QTest::newRow("ok") << int(mri::Verdict::Ok)
                        << QStringLiteral("the residual looks like the input's noise (1.02 times its level) and the estimated gain is 4.2 dB")
                        << 4.24 << 1.021 << QString() << QStringLiteral("Enhanced · ok") << int(QStyle::SP_DialogApplyButton)
                        << QStringLiteral("Self-check: ok — the residual looks like the input's noise (1.02 times its level) and "
                                          "the estimated gain is 4.2 dB (estimated gain 4.2 dB, residual 1.02 × the noise)");
    QTest::newRow("check") << int(mri::Verdict::Check) << QStringLiteral("an estimated gain of only 1.8 dB over the input")
                           << 1.8 << 1.3 << QString() << QStringLiteral("Enhanced · check") << int(QStyle::SP_MessageBoxWarning)
                           << QStringLiteral("Self-check: check — an estimated gain of only 1.8 dB over the input "
                                             "(estimated gain 1.8 dB, residual 1.30 × the noise)");
    QTest::newRow("suspect") << int(mri::Verdict::Suspect) << darker << 3.1 << 1.05 << QString()
                             << QStringLiteral("Enhanced · suspect") << int(QStyle::SP_MessageBoxCritical)
                             << QStringLiteral("Self-check: suspect — tissue 31 % darker after enhancement than its input "
                                               "implies (estimated gain 3.1 dB, residual 1.05 × the noise)");
    // A figure read back as "nan" shows as a dash.
    QTest::newRow("undefined figures") << int(mri::Verdict::Suspect) << darker << std::numeric_limits<double>::quiet_NaN()
                                       << 1.05 << QString() << QStringLiteral("Enhanced · suspect")
                                       << int(QStyle::SP_MessageBoxCritical)
                                       << (QStringLiteral("Self-check: suspect — ") + darker
                                           + QStringLiteral(" (estimated gain — dB, residual 1.05 × the noise)"));
    // A run with --fail-on removed the result: the failure speaks, not the verdict.
    QTest::newRow("failed by its verdict") << int(mri::Verdict::Suspect) << darker << 3.1 << 1.05
                                           << QStringLiteral("the self-check marked its result suspect")
                                           << QStringLiteral("Failed: the self-check marked its result suspect")
                                           << int(QStyle::SP_MessageBoxWarning)
                                           << QStringLiteral("the self-check marked its result suspect");
}

void TestGuiMainWindow::statusCellShowsTheSelfCheck()
{
    QFETCH(int, verdict);
    QFETCH(QString, reason);
    QFETCH(double, estimatedGain);
    QFETCH(double, residualToNoise);
    QFETCH(QString, error);
    QFETCH(QString, text);
    QFETCH(int, icon);
    QFETCH(QString, toolTip);

    mri::Dataset dataset;
    dataset.columns = {"patient_id", "image_path"};
    dataset.rows.resize(1);
    dataset.rows[0].patientId = "P-1";
    mri::EnhancedRow row;
    row.rowIndex = 0;
    row.done = error.isEmpty();
    row.error = error.toStdString();
    row.psnr = 30.0;
    row.ssim = 0.9;
    row.selfCheck.verdict = static_cast<mri::Verdict>(verdict);
    row.selfCheck.reason = reason.toStdString();
    row.selfCheck.estimatedGain = estimatedGain;
    row.selfCheck.residualToNoise = residualToNoise;
    PatientTableModel model;
    model.setDataset(std::make_shared<const mri::Dataset>(dataset), {row});

    const QModelIndex status = model.index(0, PatientTableModel::StatusColumn);
    QCOMPARE(status.data().toString(), text);
    QCOMPARE(status.data(Qt::ToolTipRole).toString(), toolTip);
    const QVariant decoration = status.data(Qt::DecorationRole);
    if (icon < 0) {
        QVERIFY(!decoration.isValid());
        return;
    }
    const QIcon shown = decoration.value<QIcon>();
    QVERIFY(!shown.isNull());
    const QIcon expected = QApplication::style()->standardIcon(static_cast<QStyle::StandardPixmap>(icon));
    QCOMPARE(shown.pixmap(16, 16).toImage(), expected.pixmap(16, 16).toImage());
}

void TestGuiMainWindow::residualExcludesTheDifferenceAndSharesItsWindow_data()
{
    QTest::addColumn<double>("sigma");
    QTest::addColumn<QString>("caption");
    QTest::newRow("self-checked") << 4.0 << QStringLiteral("Residual |original − expected(enhanced)|");
    QTest::newRow("not checked") << 0.0 << QStringLiteral("Residual = difference |original − enhanced|: no self-check");
}

void TestGuiMainWindow::residualExcludesTheDifferenceAndSharesItsWindow()
{
    QFETCH(double, sigma);
    QFETCH(QString, caption);
    SideBySideView view;
    view.resize(600, 300);
    SlicePair pair = uniformPair(100, 90);
    pair.difference = sliceimage::fromMat(cv::Mat(16, 16, CV_8UC1, cv::Scalar(10)));
    pair.differenceHigh = 20;
    pair.residual = sigma > 0.0 ? sliceimage::fromMat(cv::Mat(16, 16, CV_8UC1, cv::Scalar(4))) : pair.difference;
    pair.residualSigma = sigma;
    pair.maximumValue = 255;
    pair.autoLow = 0;
    pair.autoHigh = 255;
    mri::EnhancedRow result;
    result.done = true;
    view.showSlices(pair, result);

    auto *differenceButton = view.findChild<QAbstractButton *>(QStringLiteral("differenceButton"));
    auto *residualButton = view.findChild<QAbstractButton *>(QStringLiteral("residualButton"));
    QVERIFY(differenceButton && residualButton);
    QSignalSpy differenceChanged(&view, &SideBySideView::differenceShownChanged);
    QSignalSpy residualChanged(&view, &SideBySideView::residualShownChanged);
    view.setDifferenceShown(true);
    const QImage difference = view.enhancedCanvas()->image();
    QCOMPARE(difference, sliceimage::applyWindow(pair.difference, 0.0, pair.differenceHigh));
    const QString differenceWindow = view.enhancedCanvas()->annotations().constLast();

    residualButton->click();
    QVERIFY(view.isResidualShown());
    QVERIFY(!view.isDifferenceShown());
    QVERIFY(!differenceButton->isChecked());
    QCOMPARE(differenceChanged.count(), 2);
    QCOMPARE(differenceChanged.last().first().toBool(), false);
    QCOMPARE(residualChanged.count(), 1);
    QCOMPARE(view.enhancedCanvas()->caption(), caption);
    // The difference's window, from 0 to its robust maximum, and its legend.
    QCOMPARE(view.enhancedCanvas()->image(), sliceimage::applyWindow(pair.residual, 0.0, pair.differenceHigh));
    QCOMPARE(view.enhancedCanvas()->annotations().constLast(), differenceWindow);
    QCOMPARE(view.enhancedCanvas()->image() != difference, sigma > 0.0);

    differenceButton->click();
    QVERIFY(!view.isResidualShown());
    QVERIFY(!residualButton->isChecked());
    QCOMPARE(residualChanged.last().first().toBool(), false);
    view.setDifferenceShown(false);
    QCOMPARE(view.enhancedCanvas()->caption(), QStringLiteral("Enhanced"));
}

void TestGuiMainWindow::metricsAreWrittenOneWay()
{
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    QCOMPARE(formatting::psnr(31.236), QStringLiteral("31.24"));
    QCOMPARE(formatting::psnr(inf), QStringLiteral("∞"));
    QCOMPARE(formatting::psnr(nan), QStringLiteral("—"));
    QCOMPARE(formatting::ssim(0.912345), QStringLiteral("0.9123"));
    QCOMPARE(formatting::ssim(nan), QStringLiteral("—"));

    // A malformed field of a metrics CSV reads as NaN: the table and the view
    // show a dash, never "nan".
    SideBySideView view;
    view.resize(600, 300);
    SlicePair pair = uniformPair(40, 40);
    pair.maximumValue = 255;
    pair.autoLow = 0;
    pair.autoHigh = 255;
    pair.hasReference = true;
    pair.originalReferencePsnr = inf;
    pair.originalReferenceSsim = 1.0;
    pair.enhancedReferencePsnr = nan;
    pair.enhancedReferenceSsim = nan;
    mri::EnhancedRow result;
    result.done = true;
    result.psnr = nan;
    result.ssim = nan;
    view.showSlices(pair, result);
    const QString original = view.originalCanvas()->annotations().join(QLatin1Char('\n'));
    const QString enhanced = view.enhancedCanvas()->annotations().join(QLatin1Char('\n'));
    QVERIFY2(original.contains(QStringLiteral("PSNR ∞ dB")), qPrintable(original));
    QVERIFY2(enhanced.contains(QStringLiteral("PSNR — dB · SSIM — against the original")), qPrintable(enhanced));
    QVERIFY2(!enhanced.contains(QStringLiteral("nan"), Qt::CaseInsensitive), qPrintable(enhanced));

    PatientTableModel model;
    mri::Dataset dataset;
    dataset.columns = {"patient_id", "image_path"};
    dataset.rows.resize(1);
    dataset.rows[0].patientId = "P-1";
    mri::EnhancedRow row = result;
    row.rowIndex = 0;
    model.setDataset(std::make_shared<const mri::Dataset>(dataset), {row});
    QCOMPARE(model.index(0, PatientTableModel::PsnrColumn).data().toString(), QStringLiteral("—"));
    QCOMPARE(model.index(0, PatientTableModel::SsimColumn).data().toString(), QStringLiteral("—"));
}

void TestGuiMainWindow::badInputIsOneSentence_data()
{
    QTest::addColumn<QString>("folder");
    QTest::addColumn<QString>("expected");
    const QString noColumns = m_dir.filePath(QStringLiteral("no-columns"));
    QDir().mkpath(noColumns);
    QFile csv(noColumns + QStringLiteral("/brain_tumor_info.csv"));
    QVERIFY(csv.open(QIODevice::WriteOnly));
    csv.write("id,file\n1,a.png\n");
    csv.close();
    // The engine's own sentence reaches the user unchanged.
    const QString noImagePath = m_dir.filePath(QStringLiteral("no-image-path"));
    QDir().mkpath(noImagePath);
    QFile second(noImagePath + QStringLiteral("/brain_tumor_info.csv"));
    QVERIFY(second.open(QIODevice::WriteOnly));
    second.write("patient_id,scan\nP-1,a.png\n");
    second.close();
    QTest::newRow("missing folder") << m_dir.filePath(QStringLiteral("nowhere")) << QStringLiteral("nowhere");
    QTest::newRow("csv without columns") << noColumns << QStringLiteral("patient_id");
    QTest::newRow("csv without image_path")
        << noImagePath << QStringLiteral("has no image_path column; its columns are: patient_id, scan.");
}

void TestGuiMainWindow::badInputIsOneSentence()
{
    QFETCH(QString, folder);
    QFETCH(QString, expected);
    MainWindow window;
    window.setErrorDialogsEnabled(false);
    QSignalSpy failed(window.session(), &StudioSession::datasetFailed);
    if (window.openDataset(folder))
        QVERIFY(failed.wait(10000));
    QVERIFY(!window.lastError().isEmpty());
    QVERIFY2(window.lastError().contains(expected), qPrintable(window.lastError()));
    QVERIFY(window.lastError().endsWith(QLatin1Char('.')));
    QVERIFY2(!window.lastError().contains(QLatin1Char('\n')), qPrintable(window.lastError()));
    QVERIFY(!window.session()->isBusy());
}

void TestGuiMainWindow::sixteenBitSlicesShowThroughTheWindow()
{
    const QString folder = m_dir.filePath(QStringLiteral("sixteen"));
    cv::Mat slice(48, 64, CV_16UC1, cv::Scalar(200));
    slice(cv::Rect(16, 12, 32, 24)).setTo(cv::Scalar(3800));
    mri::saveImageAtomically((folder + QStringLiteral("/scan_a.png")).toStdString(), slice);
    mri::saveImageAtomically((folder + QStringLiteral("/scan_b.png")).toStdString(), slice);

    MainWindow window;
    window.setErrorDialogsEnabled(false);
    window.show();
    QSignalSpy shown(window.patientsPage(), &PatientsPage::slicesShown);
    QVERIFY(window.openDataset(folder)); // no CSV: the folder is scanned
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty(), 10000);
    auto *model = window.session()->patientModel();
    QCOMPARE(model->rowCount(), 2);
    QCOMPARE(model->index(0, PatientTableModel::PatientColumn).data().toString(), QStringLiteral("scan_a"));
    QTRY_COMPARE_WITH_TIMEOUT(model->index(0, PatientTableModel::SizeColumn).data().toString(), QStringLiteral("64 × 48 · 16-bit"), 10000);
    auto *view = window.patientsPage()->view();
    // The window covers the 16-bit values actually present, not 0..65535.
    QVERIFY(view->windowLevel() > 200.0 && view->windowLevel() < 3800.0);
    QVERIFY(view->windowWidth() <= 3601.0);
    auto *levelSlider = window.findChild<QSlider *>(QStringLiteral("levelSlider"));
    QCOMPARE(levelSlider->maximum(), 65535);
    QVERIFY(window.findChild<SliceCanvas *>(QStringLiteral("originalCanvas"))->hasImage());
}

void TestGuiMainWindow::droppingAFolderOpensIt()
{
    MainWindow window;
    window.setErrorDialogsEnabled(false);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(m_dataset)});
    QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&window, &enter);
    QVERIFY(enter.isAccepted());
    QSignalSpy ready(window.session(), &StudioSession::datasetReady);
    QDropEvent drop(QPointF(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&window, &drop);
    QVERIFY(ready.wait(10000));
    QCOMPARE(window.session()->patientModel()->rowCount(), 6);

    // A plain file that is no CSV is refused.
    QMimeData other;
    other.setUrls({QUrl::fromLocalFile(m_dataset + QStringLiteral("/images/slice_1.png"))});
    QDragEnterEvent refused(QPoint(50, 50), Qt::CopyAction, &other, Qt::LeftButton, Qt::NoModifier);
    refused.setAccepted(false);
    QApplication::sendEvent(&window, &refused);
    QVERIFY(!refused.isAccepted());
}

void TestGuiMainWindow::demoDatasetIsBuiltAndOpened()
{
    if (!QFileInfo::exists(QString::fromLatin1(mri::kDemoVolumePath)))
        QSKIP("The demo volume (package mricron-data) is not installed.");
    MainWindow window;
    window.setErrorDialogsEnabled(false);
    QSignalSpy built(window.session(), &StudioSession::demoBuilt);
    QSignalSpy ready(window.session(), &StudioSession::datasetReady);
    window.buildDemoDataset();
    QVERIFY(built.wait(60000));
    QTRY_VERIFY_WITH_TIMEOUT(!ready.isEmpty(), 30000);
    QVERIFY(MainWindow::demoFolder().startsWith(QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation)));
    QCOMPARE(window.session()->datasetFolder(), QFileInfo(MainWindow::demoFolder()).absoluteFilePath());
    QCOMPARE(window.session()->patientModel()->rowCount(), 40);
    QCOMPARE(window.session()->patientModel()->unreadableCount(), 0);
}

void TestGuiMainWindow::screenshotOptionWritesAPng()
{
    const QString shot = m_dir.filePath(QStringLiteral("shot.png"));
    const auto options = StartupOptions::parse({QStringLiteral("mri-studio"), m_dataset, QStringLiteral("--screenshot"),
                                                shot, QStringLiteral("--tab"), QStringLiteral("patients")});
    QVERIFY(options.valid);
    QCOMPARE(options.dataset, m_dataset);
    MainWindow window;
    StudioLauncher launcher(options, &window);
    QSignalSpy finished(&launcher, &StudioLauncher::finished);
    window.show();
    launcher.start();
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.first().first().toInt(), 0);
    const QImage image(shot);
    QVERIFY(!image.isNull());
    QVERIFY(image.width() >= 900);
    QCOMPARE(window.patientsPage()->currentRow(), 0);

    QVERIFY(!StartupOptions::parse({QStringLiteral("mri-studio"), QStringLiteral("--tab"), QStringLiteral("x")}).valid);
    const auto withModel = StartupOptions::parse({QStringLiteral("mri-studio"), QStringLiteral("--model"), QStringLiteral("m.pt")});
    QVERIFY(withModel.valid);
    QCOMPARE(withModel.modelFile, QStringLiteral("m.pt"));
}

void TestGuiMainWindow::germanTranslationIsEmbedded()
{
    QTranslator translator;
    QVERIFY(translator.load(QLocale(QLocale::German, QLocale::Germany), QStringLiteral("mri-studio"), QStringLiteral("_"),
                            QStringLiteral(":/i18n")));
    QVERIFY(!translator.isEmpty());
    const QString open = translator.translate("studio::StudioActions", "&Open Dataset…");
    QVERIFY(!open.isEmpty());
    QVERIFY(open != QStringLiteral("&Open Dataset…"));
    QVERIFY(!translator.translate("studio::TrainingPanel", "Restore Defaults").isEmpty());
    QVERIFY(!translator.translate("studio::StudioActions", "Start &Training").isEmpty());
    // The engine's table of training settings is extracted and translated too.
    const QString rate = translator.translate("mri::TrainingSettings", "Learning rate");
    QVERIFY(!rate.isEmpty());
    QVERIFY(rate != QStringLiteral("Learning rate"));
}

// The engine writes the finding's English sentence into the CSV; the table
// says it in the user's language, numbers in the user's locale.
void TestGuiMainWindow::selfCheckFindingIsTranslated()
{
    mri::SelfCheck check;
    check.estimatedGain = 3.14;
    check.residualToNoise = 1.05;
    check.tissueBias = -0.312;
    check.verdict = mri::verdictOf(check);
    check.reason = mri::findingSentence(check);
    QCOMPARE(check.verdict, mri::Verdict::Suspect);
    QCOMPARE(QString::fromStdString(check.reason),
             QStringLiteral("tissue 31 % darker after enhancement than its input implies"));

    QTranslator translator;
    QVERIFY(translator.load(QLocale(QLocale::German, QLocale::Germany), QStringLiteral("mri-studio"), QStringLiteral("_"),
                            QStringLiteral(":/i18n")));
    QVERIFY(QCoreApplication::installTranslator(&translator));
    const QLocale previous;
    QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
    const QString german = PatientTableModel::findingText(check);
    check.tissueBias = 0.0;
    check.estimatedGain = 12.34;
    check.reason = mri::findingSentence(check);
    const QString ok = PatientTableModel::findingText(check);
    // A sentence that other thresholds wrote (another version's CSV) is kept as written.
    check.reason = "an estimated gain of only 1.8 dB over the input";
    const QString foreign = PatientTableModel::findingText(check);
    QLocale::setDefault(previous);
    QCoreApplication::removeTranslator(&translator);

    QCOMPARE(german, QStringLiteral("Gewebe nach der Verbesserung 31 % dunkler, als die Eingabe erwarten lässt"));
    QCOMPARE(ok, QStringLiteral("das Residuum sieht aus wie das Rauschen der Eingabe (1,05-fache Stärke), "
                                "geschätzter Gewinn 12,3 dB"));
    QCOMPARE(foreign, QStringLiteral("an estimated gain of only 1.8 dB over the input"));
}

int main(int argc, char *argv[])
{
    return studio::test::runGuiTest<TestGuiMainWindow>(argc, argv, QStringLiteral("tst_gui_mainwindow"));
}

#include "tst_gui_mainwindow.moc"
