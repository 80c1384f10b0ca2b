// GUI tests of enhancement, CSV export and the three-patient comparison in
// mri-studio: results of a selection arrive row by row in the table and the
// view, the metrics CSV holds them, the comparison shows three different
// patients (or says why not), the figure is saved as PNG, a model file
// that is not a model is reported in one sentence, and the self-check of an
// earlier run's metrics CSV shows in the status cell and as the residual map. initTestCase trains the
// tiny model; every test function makes its own dataset (and earlier results
// where it needs them), so any of them can run alone.

#include "dataset/Dataset.h"
#include "enhance/EnhanceJob.h"
#include "io/CsvTable.h"
#include "io/ImageIO.h"
#include "quality/SelfCheck.h"
#include "training/Trainer.h"
#include "ComparisonPage.h"
#include "ContrastPanel.h"
#include "GuiTestSupport.h"
#include "MainWindow.h"
#include "PatientsPage.h"
#include "PatientTableModel.h"
#include "SideBySideView.h"
#include "SliceCanvas.h"
#include "SliceImage.h"
#include "StudioSession.h"
#include "TestDatasets.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QStyle>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <QDirIterator>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <atomic>
#include <filesystem>
#include <iterator>
#include <set>

using namespace studio;

class TestGuiEnhance final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void enhancingASelectionFillsTableViewAndCsv();
    void comparisonNeedsThreePatients();
    void enhanceAllThenCompareThreeDifferentPatients();
    void exportCsvAsWritesTheSameColumns();
    void earlierResultsAreLoadedOnOpen();
    void aFileThatIsNoModelIsOneSentence();
    void closingDuringEnhancementKeepsWhatWasWritten();
    void contrastChoicePreviewsAndReachesTheJob();
    void selfCheckShowsInTheTableAndAsTheResidual_data();
    void selfCheckShowsInTheTableAndAsTheResidual();

private:
    QString newDataset();
    // A fresh dataset whose first rows an "earlier run" enhanced (blurred) and
    // self-checked: the metrics CSV carries the verdicts and noise levels.
    QString newSelfCheckedDataset();
    void enhanceWithEngine(const QString &dataset, const std::vector<std::size_t> &rows);
    void selectRows(MainWindow &window, const QList<int> &rows);

    QTemporaryDir m_dir;
    QString m_model;
    QString m_selfCheckedDataset; // made once, by the first case that needs it
    int m_datasets = 0;
};

void TestGuiEnhance::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const QString trainingSet = newDataset();
    // A tiny model, trained directly with the engine.
    m_model = m_dir.filePath(QStringLiteral("models/tiny.pt"));
    QDir().mkpath(QFileInfo(m_model).absolutePath());
    mri::TrainingOptions options;
    options.modelFile = m_model.toStdString();
    options.network.depth = 2;
    options.network.baseChannels = 4;
    options.patchSize = 16;
    options.batchSize = 4;
    options.patchesPerImage = 2;
    options.epochs = 1;
    options.seed = 3;
    options.threads = 1;
    std::atomic_bool cancel{false};
    const auto result = mri::trainModel(mri::openDataset(trainingSet.toStdString()), options, {}, cancel);
    QCOMPARE(result.epochsCompleted, 1);
}

// Six fresh slices with no results yet: no test sees another's CSV.
QString TestGuiEnhance::newDataset()
{
    const QString folder = m_dir.filePath(QStringLiteral("dataset-%1").arg(++m_datasets));
    mri::test::writeSyntheticDataset(folder, 6, 32, 32);
    return folder;
}

// Earlier results, written by the engine as the command line does.
void TestGuiEnhance::enhanceWithEngine(const QString &dataset, const std::vector<std::size_t> &rows)
{
    mri::EnhanceOptions options;
    options.modelFile = m_model.toStdString();
    options.rowIndices = rows;
    std::atomic_bool cancel{false};
    const auto result = mri::enhanceDataset(mri::openDataset(dataset.toStdString()), options, {}, cancel);
    QCOMPARE(result.succeeded, static_cast<int>(rows.size()));
}

QString TestGuiEnhance::newSelfCheckedDataset()
{
    const QString folder = newDataset();
    const auto dataset = mri::openDataset(folder.toStdString());
    const struct {
        mri::Verdict verdict;
        double sigma;
        double coils;
    } checks[] = {{mri::Verdict::Ok, 20.0, 1.0}, {mri::Verdict::Check, 18.0, 2.0}, {mri::Verdict::Suspect, 22.0, 1.0},
                  {mri::Verdict::NotChecked, 0.0, 1.0}};
    std::vector<mri::EnhancedRow> rows;
    for (std::size_t i = 0; i < std::size(checks); ++i) {
        mri::EnhancedRow row;
        row.rowIndex = i;
        row.done = true;
        row.enhancedImage = std::filesystem::path(folder.toStdString()) / "enhanced" / ("slice_" + std::to_string(i + 1) + ".png");
        cv::Mat blurred;
        cv::GaussianBlur(mri::loadGrayscaleImage(dataset.rows[i].imagePath), blurred, cv::Size(0, 0), 1.5);
        mri::saveImageAtomically(row.enhancedImage, blurred);
        row.psnr = 25.0;
        row.ssim = 0.8;
        row.format = "picture";
        row.selfCheck.verdict = checks[i].verdict;
        if (checks[i].verdict != mri::Verdict::NotChecked) {
            row.selfCheck.reason = "tissue 31 % darker after enhancement than its input implies";
            row.selfCheck.noiseSigma = checks[i].sigma;
            row.selfCheck.noiseCoils = checks[i].coils;
            row.selfCheck.estimatedGain = 3.1;
            row.selfCheck.residualToNoise = 1.05;
        }
        rows.push_back(row);
    }
    mri::writeMetricsCsv(dataset, rows, mri::defaultMetricsCsv(dataset));
    return folder;
}

void TestGuiEnhance::selectRows(MainWindow &window, const QList<int> &rows)
{
    auto *table = window.findChild<QTableView *>(QStringLiteral("patientTable"));
    auto *proxy = window.patientsPage()->proxy();
    auto *model = window.session()->patientModel();
    table->selectionModel()->clearSelection();
    for (const int row : rows) {
        table->selectionModel()->select(proxy->mapFromSource(model->index(row, 0)),
                                        QItemSelectionModel::Select | QItemSelectionModel::Rows);
    }
}

void TestGuiEnhance::enhancingASelectionFillsTableViewAndCsv()
{
    MainWindow window;
    window.setErrorDialogsEnabled(false);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const QString dataset = newDataset();
    test::openAndWait(window, dataset);
    if (QTest::currentTestFailed())
        return;
    window.session()->setModelFile(m_model);
    QTRY_VERIFY_WITH_TIMEOUT(window.session()->modelInfo().has_value(), 10000);

    QSignalSpy shown(window.patientsPage(), &PatientsPage::slicesShown);
    window.patientsPage()->selectRow(0);
    selectRows(window, {0, 2});
    QCOMPARE(window.patientsPage()->selectedRows(), (RowList{0, 2}));

    QSignalSpy rows(window.session(), &StudioSession::rowEnhanced);
    QSignalSpy finished(window.session(), &StudioSession::enhanceFinished);
    window.enhanceSelected();
    QVERIFY(window.session()->isBusy());
    QVERIFY(finished.wait(60000));
    QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
    QCOMPARE(rows.count(), 2);
    QCOMPARE(rows.at(0).first().toInt(), 0);
    QCOMPARE(rows.at(1).first().toInt(), 2);
    const auto outcome = finished.first().first().value<EnhanceOutcome>();
    QCOMPARE(outcome.succeeded, 2);
    QCOMPARE(outcome.failed, 0);

    // Table.
    auto *model = window.session()->patientModel();
    // The run checked its results itself: the status cell names the verdict.
    const auto verdict = window.session()->results()[0].selfCheck.verdict;
    QVERIFY(verdict != mri::Verdict::NotChecked);
    QCOMPARE(model->index(0, PatientTableModel::StatusColumn).data().toString(),
             QStringLiteral("Enhanced · ") + PatientTableModel::verdictWord(verdict));
    QVERIFY(model->index(0, PatientTableModel::StatusColumn).data(Qt::ToolTipRole).toString().startsWith(QStringLiteral("Self-check: ")));
    QVERIFY(!model->index(0, PatientTableModel::PsnrColumn).data().toString().isEmpty());
    QVERIFY(!model->index(2, PatientTableModel::SsimColumn).data().toString().isEmpty());
    QVERIFY(model->index(1, PatientTableModel::PsnrColumn).data().toString().isEmpty());
    QCOMPARE(model->enhancedCount(), 2);

    // View: the selected patient now shows its enhanced slice and metrics.
    QTRY_VERIFY_WITH_TIMEOUT(window.findChild<SliceCanvas *>(QStringLiteral("enhancedCanvas"))->hasImage(), 10000);
    auto *enhanced = window.findChild<SliceCanvas *>(QStringLiteral("enhancedCanvas"));
    QVERIFY(enhanced->annotations().join(' ').contains(QStringLiteral("PSNR")));
    window.patientsPage()->view()->setDifferenceShown(true);
    QVERIFY(enhanced->hasImage());
    QVERIFY(enhanced->caption().contains(QStringLiteral("Difference")));

    // CSV, written by the engine like the command line does.
    const QString csv = QDir(dataset).filePath(QStringLiteral("brain_tumor_info_metrics.csv"));
    QCOMPARE(outcome.metricsCsv, csv);
    const auto table = mri::readCsvFile(csv.toStdString());
    QVERIFY(table.columnIndex("PSNR") >= 0);
    QVERIFY(table.columnIndex("SSIM") >= 0);
    QVERIFY(table.columnIndex("enhanced_image_path") >= 0);
    QVERIFY(table.columnIndex("age") >= 0); // input columns are kept
    QCOMPARE(table.rows.size(), std::size_t(2));
    QCOMPARE(QString::fromStdString(table.rows[0][table.columnIndex("patient_id")]), QStringLiteral("P-100"));
    QVERIFY(!table.rows[1][table.columnIndex("PSNR")].empty());
}

void TestGuiEnhance::comparisonNeedsThreePatients()
{
    // Two patients have results from an earlier run: the comparison says so.
    const QString dataset = newDataset();
    enhanceWithEngine(dataset, {0, 2});
    if (QTest::currentTestFailed())
        return;
    MainWindow window;
    test::showAndOpen(window, dataset);
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(window.session()->patientModel()->enhancedCount(), 2);
    QSignalSpy shown(window.comparisonPage(), &ComparisonPage::comparisonShown);
    window.showTab(QStringLiteral("compare"));
    QVERIFY(shown.wait(10000));
    QCOMPARE(window.comparisonPage()->patientIds().size(), 2);
    QVERIFY2(window.comparisonPage()->infoText().contains(QStringLiteral("enhanced slice: 2.")),
             qPrintable(window.comparisonPage()->infoText()));
}

void TestGuiEnhance::enhanceAllThenCompareThreeDifferentPatients()
{
    MainWindow window;
    test::showAndOpen(window, newDataset());
    if (QTest::currentTestFailed())
        return;
    window.session()->setModelFile(m_model);
    QSignalSpy rows(window.session(), &StudioSession::rowEnhanced);
    QSignalSpy finished(window.session(), &StudioSession::enhanceFinished);
    window.enhanceAll();
    QVERIFY(finished.wait(60000));
    QCOMPARE(rows.count(), 6);
    QCOMPARE(window.session()->patientModel()->enhancedCount(), 6);

    QSignalSpy shown(window.comparisonPage(), &ComparisonPage::comparisonShown);
    window.showTab(QStringLiteral("compare"));
    QVERIFY(shown.wait(10000));
    QStringList ids = window.comparisonPage()->patientIds();
    QCOMPARE(ids.size(), 3);
    QCOMPARE(QSet<QString>(ids.begin(), ids.end()).size(), 3);
    for (int i = 0; i < 3; ++i) {
        auto *title = window.findChild<QLabel *>(QStringLiteral("comparisonTitle%1").arg(i));
        QVERIFY(title->text().startsWith(ids[i]));
        QVERIFY(title->text().contains(QStringLiteral("PSNR")));
        QVERIFY(title->text().contains(QStringLiteral("SSIM")));
    }

    test::saveReviewShot(window, QStringLiteral("compare"));
    // Reshuffle draws three (again different) patients.
    shown.clear();
    QTest::mouseClick(window.findChild<QPushButton *>(QStringLiteral("reshuffleButton")), Qt::LeftButton);
    QVERIFY(shown.wait(10000));
    ids = window.comparisonPage()->patientIds();
    QCOMPARE(QSet<QString>(ids.begin(), ids.end()).size(), 3);

    // The figure is the engine's, saved as PNG.
    const QString figure = m_dir.filePath(QStringLiteral("figure.png"));
    QSignalSpy saved(window.session(), &StudioSession::comparisonSaved);
    window.comparisonPage()->saveFigureTo(figure);
    QVERIFY(saved.wait(10000));
    const QImage image(figure);
    QVERIFY(!image.isNull());
    QVERIFY(image.height() > image.width() / 2);
}

void TestGuiEnhance::exportCsvAsWritesTheSameColumns()
{
    const QString dataset = newDataset();
    enhanceWithEngine(dataset, {0, 1, 2, 3, 4, 5});
    if (QTest::currentTestFailed())
        return;
    MainWindow window;
    window.setErrorDialogsEnabled(false);
    test::openAndWait(window, dataset);
    if (QTest::currentTestFailed())
        return;
    const QString target = m_dir.filePath(QStringLiteral("exports/metrics copy.csv"));
    QDir().mkpath(QFileInfo(target).absolutePath());
    QSignalSpy exported(window.session(), &StudioSession::csvExported);
    window.session()->exportMetricsCsv(target);
    QVERIFY(exported.wait(10000));
    const auto copy = mri::readCsvFile(target.toStdString());
    const auto original = mri::readCsvFile(QDir(dataset).filePath(QStringLiteral("brain_tumor_info_metrics.csv")).toStdString());
    QCOMPARE(copy.header, original.header);
    QCOMPARE(copy.rows.size(), std::size_t(6));
    // The same results; enhanced paths are relative to each CSV's own folder.
    const int enhancedColumn = original.columnIndex("enhanced_image_path");
    QVERIFY(enhancedColumn >= 0);
    for (std::size_t i = 0; i < copy.rows.size(); ++i) {
        for (std::size_t c = 0; c < copy.header.size(); ++c) {
            const auto &copied = copy.rows[i][c];
            const auto &written = original.rows[i][c];
            if (static_cast<int>(c) == enhancedColumn) {
                const QString image = QFileInfo(QDir(dataset).filePath(QString::fromStdString(written))).canonicalFilePath();
                QVERIFY(!image.isEmpty());
                QCOMPARE(QFileInfo(QDir(QFileInfo(target).absolutePath()).filePath(QString::fromStdString(copied)))
                             .canonicalFilePath(),
                         image);
            } else {
                QCOMPARE(QString::fromStdString(copied), QString::fromStdString(written));
            }
        }
    }

    // A place that cannot be written (below a plain file) is one sentence, not a crash.
    QFile blocker(m_dir.filePath(QStringLiteral("plain-file")));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    QSignalSpy errors(window.session(), &StudioSession::errorOccurred);
    window.session()->exportMetricsCsv(m_dir.filePath(QStringLiteral("plain-file/x.csv")));
    QVERIFY(errors.wait(10000));
    QVERIFY(!errors.first().first().toString().isEmpty());
}

void TestGuiEnhance::earlierResultsAreLoadedOnOpen()
{
    const QString dataset = newDataset();
    enhanceWithEngine(dataset, {0, 1, 2, 3, 4, 5});
    if (QTest::currentTestFailed())
        return;
    MainWindow window;
    window.setErrorDialogsEnabled(false);
    test::openAndWait(window, dataset);
    if (QTest::currentTestFailed())
        return;
    auto *model = window.session()->patientModel();
    QCOMPARE(model->enhancedCount(), 6);
    QVERIFY(!model->index(3, PatientTableModel::PsnrColumn).data().toString().isEmpty());
    // Sorting by PSNR uses numbers.
    auto *table = window.findChild<QTableView *>(QStringLiteral("patientTable"));
    table->sortByColumn(PatientTableModel::PsnrColumn, Qt::DescendingOrder);
    const double first = table->model()->index(0, PatientTableModel::PsnrColumn).data(PatientTableModel::SortRole).toDouble();
    const double last = table->model()->index(5, PatientTableModel::PsnrColumn).data(PatientTableModel::SortRole).toDouble();
    QVERIFY(first >= last);
}

void TestGuiEnhance::aFileThatIsNoModelIsOneSentence()
{
    const QString fake = m_dir.filePath(QStringLiteral("not-a-model.pt"));
    QFile file(fake);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("this is not a model");
    file.close();
    MainWindow window;
    window.setErrorDialogsEnabled(false);
    QSignalSpy errors(window.session(), &StudioSession::errorOccurred);
    window.session()->setModelFile(fake);
    QVERIFY(errors.wait(10000));
    QVERIFY(window.lastError().contains(QStringLiteral("not-a-model.pt")));
    QVERIFY(!window.session()->modelInfo().has_value());
}

void TestGuiEnhance::closingDuringEnhancementKeepsWhatWasWritten()
{
    auto *window = new MainWindow;
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->setErrorDialogsEnabled(false);
    window->show();
    QVERIFY(QTest::qWaitForWindowExposed(window));
    // A dataset without earlier results: the CSV can only hold this run's rows.
    const QString dataset = newDataset();
    const QString csv = QDir(dataset).filePath(QStringLiteral("brain_tumor_info_metrics.csv"));
    test::openAndWait(*window, dataset);
    if (QTest::currentTestFailed()) {
        delete window;
        return;
    }
    QVERIFY(!QFileInfo::exists(csv));
    window->session()->setModelFile(m_model);
    QSignalSpy rows(window->session(), &StudioSession::rowEnhanced);
    window->enhanceAll();
    QTRY_VERIFY_WITH_TIMEOUT(!rows.isEmpty(), 30000);
    QPointer<MainWindow> guard(window);
    QVERIFY(window->close());
    QTRY_VERIFY(guard.isNull());
    // Rows finished while the window closed were still reported before it went.
    std::set<std::string> reported;
    const auto datasetRows = mri::openDataset(dataset.toStdString()).rows;
    for (const auto &arguments : rows)
        reported.insert(datasetRows.at(static_cast<std::size_t>(arguments.first().toInt())).patientId);
    QVERIFY(!reported.empty());

    // Whatever was enhanced is in a complete, readable CSV: exactly the rows
    // reported done, each with its metrics and enhanced image.
    QVERIFY(QFileInfo::exists(csv));
    const auto table = mri::readCsvFile(csv.toStdString());
    const int patientColumn = table.columnIndex("patient_id");
    const int psnrColumn = table.columnIndex("PSNR");
    const int enhancedColumn = table.columnIndex("enhanced_image_path");
    QVERIFY(patientColumn >= 0 && psnrColumn >= 0 && enhancedColumn >= 0);
    std::set<std::string> listed;
    for (const auto &fields : table.rows) {
        listed.insert(fields[patientColumn]);
        QVERIFY(!fields[psnrColumn].empty());
        QVERIFY(QFileInfo::exists(QDir(dataset).filePath(QString::fromStdString(fields[enhancedColumn]))));
    }
    QCOMPARE(table.rows.size(), listed.size());
    QVERIFY(listed == reported);
    QStringList written;
    QDirIterator outputs(QDir(dataset).filePath(QStringLiteral("enhanced_images")),
                         QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (outputs.hasNext())
        written.push_back(outputs.next());
    QCOMPARE(written.size(), static_cast<int>(reported.size()));

    // No half-written file is left behind.
    QDirIterator files(dataset, QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (files.hasNext()) {
        const QString file = files.next();
        QVERIFY2(!QFileInfo(file).fileName().contains(QStringLiteral(".tmp-")), qPrintable(file));
    }
}

// The contrast choice under the view: changing it recomputes the preview of
// the shown slice, and "Enhance" passes it to the job (the CSV says which).
void TestGuiEnhance::contrastChoicePreviewsAndReachesTheJob()
{
    const QString dataset = newDataset();
    enhanceWithEngine(dataset, {0});
    if (QTest::currentTestFailed())
        return;
    MainWindow window;
    test::showAndOpen(window, dataset);
    if (QTest::currentTestFailed())
        return;
    window.session()->setModelFile(m_model);
    QTRY_VERIFY_WITH_TIMEOUT(window.session()->modelInfo().has_value(), 10000);
    auto *panel = window.findChild<ContrastPanel *>(QStringLiteral("contrastPanel"));
    QVERIFY(panel);
    auto *kind = panel->findChild<QComboBox *>(QStringLiteral("contrastKind"));
    auto *clip = panel->findChild<QDoubleSpinBox *>(QStringLiteral("contrast_clip"));
    auto *tiles = panel->findChild<QDoubleSpinBox *>(QStringLiteral("contrast_tiles"));
    auto *gamma = panel->findChild<QDoubleSpinBox *>(QStringLiteral("contrast_gamma"));
    QVERIFY(kind && clip && tiles && gamma);
    // The widgets come from the engine's table.
    QCOMPARE(clip->minimum(), 0.1);
    QCOMPARE(clip->maximum(), 40.0);
    QCOMPARE(clip->value(), 2.0);
    QCOMPARE(tiles->maximum(), 64.0);

    // Row 0 has a result: its enhanced slice is previewed, first without a step.
    QSignalSpy previews(panel, &ContrastPanel::previewUpdated);
    window.patientsPage()->selectRow(0);
    QTRY_VERIFY_WITH_TIMEOUT(!panel->previewImage().isNull(), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(panel->findChild<QLabel *>(QStringLiteral("contrastPreviewNote"))->text().startsWith("Enhanced slice"), 10000);
    const QImage plain = panel->previewImage();
    QVERIFY(clip->isHidden() && gamma->isHidden());

    previews.clear();
    kind->setCurrentIndex(kind->findData(static_cast<int>(mri::ContrastKind::Clahe)));
    QVERIFY(!clip->isHidden() && !tiles->isHidden() && gamma->isHidden());
    clip->setValue(4.0);
    tiles->setValue(4);
    QTRY_VERIFY(previews.count() >= 1);
    QTRY_VERIFY(panel->previewImage() != plain);
    const QImage clahe = panel->previewImage();
    qInfo("contrast preview of a %dx%d slice: %.2f ms", clahe.width(), clahe.height(), panel->previewMilliseconds());
    QVERIFY(panel->previewMilliseconds() < 1000.0);
    QCOMPARE(mri::contrastStepText(window.session()->contrastStep()), std::string("clahe:4,4"));
    test::saveReviewShot(window, QStringLiteral("contrast-preview"));

    kind->setCurrentIndex(kind->findData(static_cast<int>(mri::ContrastKind::Gamma)));
    gamma->setValue(0.5);
    QTRY_VERIFY(panel->previewImage() != clahe);
    kind->setCurrentIndex(kind->findData(static_cast<int>(mri::ContrastKind::Clahe)));
    QCOMPARE(mri::contrastStepText(panel->step()), std::string("clahe:4,4"));

    // Enhance: the job gets the step; the CSV names it and measures the CNR.
    selectRows(window, {1});
    QSignalSpy finished(window.session(), &StudioSession::enhanceFinished);
    window.enhanceSelected();
    QVERIFY(finished.wait(60000));
    QVERIFY2(window.lastError().isEmpty(), qPrintable(window.lastError()));
    const auto table = mri::readCsvFile(QDir(dataset).filePath(QStringLiteral("brain_tumor_info_metrics.csv")).toStdString());
    const int contrast = table.columnIndex("contrast");
    QVERIFY(contrast >= 0 && table.columnIndex("CNR") == table.columnIndex("SSIM") + 1);
    QCOMPARE(table.rows.size(), std::size_t(2));
    QCOMPARE(table.rows[0][static_cast<std::size_t>(contrast)], std::string("none")); // the earlier run
    QCOMPARE(table.rows[1][static_cast<std::size_t>(contrast)], std::string("clahe:4,4"));
}


void TestGuiEnhance::selfCheckShowsInTheTableAndAsTheResidual_data()
{
    QTest::addColumn<int>("row");
    QTest::addColumn<QString>("status");
    QTest::addColumn<int>("icon"); // a QStyle::StandardPixmap, -1: none
    QTest::addColumn<QString>("caption");
    const QString residual = QStringLiteral("Residual |original − expected(enhanced)|");
    QTest::newRow("ok") << 0 << QStringLiteral("Enhanced · ok") << int(QStyle::SP_DialogApplyButton) << residual;
    QTest::newRow("check, two coils") << 1 << QStringLiteral("Enhanced · check") << int(QStyle::SP_MessageBoxWarning) << residual;
    QTest::newRow("suspect") << 2 << QStringLiteral("Enhanced · suspect") << int(QStyle::SP_MessageBoxCritical) << residual;
    QTest::newRow("not checked") << 3 << QStringLiteral("Enhanced") << -1
                                 << QStringLiteral("Residual = difference |original − enhanced|: no self-check");
}

// The verdicts read back from the metrics CSV reach the status cell; the
// residual map is |input - expected(result)| under the row's noise level, in
// the difference's units and window.
void TestGuiEnhance::selfCheckShowsInTheTableAndAsTheResidual()
{
    QFETCH(int, row);
    QFETCH(QString, status);
    QFETCH(int, icon);
    QFETCH(QString, caption);
    if (m_selfCheckedDataset.isEmpty())
        m_selfCheckedDataset = newSelfCheckedDataset();
    MainWindow window;
    window.setErrorDialogsEnabled(false);
    window.resize(1000, 700);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    test::openAndWait(window, m_selfCheckedDataset);
    if (QTest::currentTestFailed())
        return;

    auto *model = window.session()->patientModel();
    const QModelIndex cell = model->index(row, PatientTableModel::StatusColumn);
    QCOMPARE(cell.data().toString(), status);
    const QIcon shown = cell.data(Qt::DecorationRole).value<QIcon>();
    if (icon < 0) {
        QVERIFY(shown.isNull());
        QVERIFY(cell.data(Qt::ToolTipRole).toString().isEmpty());
    } else {
        const QIcon expected = QApplication::style()->standardIcon(static_cast<QStyle::StandardPixmap>(icon));
        QCOMPARE(shown.pixmap(16, 16).toImage(), expected.pixmap(16, 16).toImage());
        QCOMPARE(cell.data(Qt::ToolTipRole).toString(),
                 QStringLiteral("Self-check: %1 — tissue 31 % darker after enhancement than its input implies "
                                "(estimated gain 3.1 dB, residual 1.05 × the noise)")
                     .arg(PatientTableModel::verdictWord(window.session()->results()[row].selfCheck.verdict)));
    }

    QSignalSpy slicesShown(window.patientsPage(), &PatientsPage::slicesShown);
    window.patientsPage()->selectRow(row);
    auto *view = window.patientsPage()->view();
    QTRY_VERIFY_WITH_TIMEOUT(view->currentRow() == row && view->enhancedCanvas()->hasImage(), 10000);
    view->setDifferenceShown(true);
    const QImage difference = view->enhancedCanvas()->image();
    const QString differenceWindow = view->enhancedCanvas()->annotations().constLast();

    // The menu's action (R) turns the residual on and the difference off.
    QAction *residualAction = nullptr;
    for (auto *action : window.findChildren<QAction *>())
        residualAction = action->text() == QStringLiteral("Show &Residual") ? action : residualAction;
    QVERIFY(residualAction);
    QCOMPARE(residualAction->shortcut(), QKeySequence(Qt::Key_R));
    residualAction->trigger();
    QVERIFY(view->isResidualShown());
    QVERIFY(!view->isDifferenceShown());
    QCOMPARE(view->enhancedCanvas()->caption(), caption);
    QCOMPARE(view->enhancedCanvas()->annotations().constLast(), differenceWindow);

    // What the worker should have computed, from the files and the CSV's noise level.
    const auto &result = window.session()->results()[static_cast<std::size_t>(row)];
    const cv::Mat original = mri::loadGrayscaleImage(window.session()->dataset()->rows[static_cast<std::size_t>(row)].imagePath);
    const cv::Mat enhanced = mri::loadGrayscaleImage(result.enhancedImage);
    cv::Mat absoluteDifference;
    cv::absdiff(original, enhanced, absoluteDifference);
    const int differenceHigh = std::max(1, sliceimage::robustRange(absoluteDifference, 0.0, 0.995).second);
    cv::Mat expected = absoluteDifference;
    if (result.selfCheck.verdict != mri::Verdict::NotChecked) {
        QVERIFY(result.selfCheck.noiseSigma > 0.0);
        const cv::Mat residual = cv::abs(mri::residualOf(original, enhanced, result.selfCheck.noiseSigma, result.selfCheck.noiseCoils));
        residual.convertTo(expected, CV_8U);
    }
    QCOMPARE(view->enhancedCanvas()->image(),
             sliceimage::applyWindow(sliceimage::fromMat(expected), 0.0, differenceHigh));
    QCOMPARE(view->enhancedCanvas()->image() != difference, result.selfCheck.verdict != mri::Verdict::NotChecked);

    // It stays on for the next patient, whose own residual it shows.
    slicesShown.clear();
    window.patientsPage()->selectRow(row == 0 ? 1 : 0);
    QTRY_VERIFY_WITH_TIMEOUT(!slicesShown.isEmpty(), 10000);
    QVERIFY(view->isResidualShown());
    QVERIFY(view->enhancedCanvas()->caption().startsWith(QStringLiteral("Residual")));
    test::saveReviewShot(window, QStringLiteral("residual-%1").arg(row));
}

int main(int argc, char *argv[])
{
    return studio::test::runGuiTest<TestGuiEnhance>(argc, argv, QStringLiteral("tst_gui_enhance"));
}

#include "tst_gui_enhance.moc"
