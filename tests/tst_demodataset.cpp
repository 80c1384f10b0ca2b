#include "base/EngineError.h"
#include "dataset/DemoDataset.h"
#include "io/CsvTable.h"
#include "quality/Noise.h"

#include <QTemporaryDir>
#include <QTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

using namespace mri;
namespace fs = std::filesystem;

class TestDemoDataset : public QObject
{
    Q_OBJECT

private slots:
    void namesNoiseModels();
    void ricianBackgroundFollowsRayleigh();
    void gaussianNoiseHasRequestedSpread();
    void noiseIsRepeatableAndKeepsDepth();
    void buildsDatasetFromColin27();
    void reportsMissingVolume();
};

void TestDemoDataset::namesNoiseModels()
{
    QCOMPARE(noiseModelName(NoiseModel::Gaussian), std::string("gaussian"));
    QCOMPARE(noiseModelName(NoiseModel::Rician), std::string("rician"));
    QCOMPARE(parseNoiseModel("Rician"), std::optional<NoiseModel>(NoiseModel::Rician));
    QCOMPARE(parseNoiseModel("GAUSSIAN"), std::optional<NoiseModel>(NoiseModel::Gaussian));
    QVERIFY(!parseNoiseModel("poisson").has_value());
    QVERIFY(!parseNoiseModel("").has_value());
}

void TestDemoDataset::ricianBackgroundFollowsRayleigh()
{
    // In a zero background Rician noise is Rayleigh distributed: mean sigma*sqrt(pi/2).
    const double sigma = 0.1;
    const cv::Mat zeros(256, 256, CV_32FC1, cv::Scalar(0));
    const cv::Mat noisy = addNoise(zeros, NoiseModel::Rician, sigma, 42);
    double minimum = 0.0;
    cv::minMaxLoc(noisy, &minimum);
    QVERIFY(minimum >= 0.0);
    const double expected = sigma * std::sqrt(M_PI / 2.0);
    QVERIFY2(std::fabs(cv::mean(noisy)[0] - expected) < 0.002,
             qPrintable(QString("mean %1, expected %2").arg(cv::mean(noisy)[0]).arg(expected)));

    // Same on 8-bit, in grey levels (rounding adds no bias to speak of).
    const cv::Mat zeros8(256, 256, CV_8UC1, cv::Scalar(0));
    const cv::Mat noisy8 = addNoise(zeros8, NoiseModel::Rician, 0.08, 43);
    QCOMPARE(noisy8.type(), CV_8UC1);
    const double expected8 = 0.08 * 255.0 * std::sqrt(M_PI / 2.0);
    QVERIFY2(std::fabs(cv::mean(noisy8)[0] - expected8) < 0.5,
             qPrintable(QString("mean %1, expected %2").arg(cv::mean(noisy8)[0]).arg(expected8)));
}

void TestDemoDataset::gaussianNoiseHasRequestedSpread()
{
    const cv::Mat grey(256, 256, CV_32FC1, cv::Scalar(0.5));
    const cv::Mat noisy = addNoise(grey, NoiseModel::Gaussian, 0.05, 5);
    cv::Scalar mean, deviation;
    cv::meanStdDev(noisy, mean, deviation);
    QVERIFY(std::fabs(mean[0] - 0.5) < 0.001);
    QVERIFY(std::fabs(deviation[0] - 0.05) < 0.001);

    // Float input is not clipped: noise around 0 goes negative.
    const cv::Mat zeros(64, 64, CV_32FC1, cv::Scalar(0));
    double minimum = 0.0;
    cv::minMaxLoc(addNoise(zeros, NoiseModel::Gaussian, 0.05, 6), &minimum);
    QVERIFY(minimum < 0.0);
}

void TestDemoDataset::noiseIsRepeatableAndKeepsDepth()
{
    const cv::Mat image(40, 50, CV_16UC1, cv::Scalar(65000));
    const cv::Mat a = addNoise(image, NoiseModel::Rician, 0.05, 11);
    const cv::Mat b = addNoise(image, NoiseModel::Rician, 0.05, 11);
    const cv::Mat c = addNoise(image, NoiseModel::Rician, 0.05, 12);
    QCOMPARE(a.type(), CV_16UC1);
    QCOMPARE(cv::norm(a, b, cv::NORM_INF), 0.0);
    QVERIFY(cv::norm(a, c, cv::NORM_INF) > 0.0);
    double maximum = 0.0;
    cv::minMaxLoc(a, nullptr, &maximum);
    QCOMPARE(maximum, 65535.0); // saturated, not wrapped

    QCOMPARE(cv::norm(addNoise(image, NoiseModel::Gaussian, 0.0, 1), image, cv::NORM_INF), 0.0);
    QVERIFY_THROWS_EXCEPTION(EngineError, addNoise(cv::Mat(4, 4, CV_64FC1), NoiseModel::Gaussian, 0.1, 1));
    QVERIFY_THROWS_EXCEPTION(EngineError, addNoise(image, NoiseModel::Gaussian, -0.1, 1));
}

void TestDemoDataset::buildsDatasetFromColin27()
{
    if (!fs::exists(kDemoVolumePath))
        QSKIP("Debian's mricron-data (ch2better.nii.gz) is not installed.");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());

    DemoDatasetOptions options;
    options.outputDir = fs::path(dir.path().toStdString()) / "demo";
    options.sliceCount = 4;
    options.sigma = 0.08;
    options.noise = parseNoiseSpec("rician");
    options.seed = 3;
    std::vector<std::pair<int, int>> progress;
    const DemoDatasetResult result
        = buildDemoDataset(options, [&progress](int done, int total) { progress.emplace_back(done, total); });

    QCOMPARE(result.sliceCount, 4);
    QCOMPARE(result.csvFile, options.outputDir / "brain_tumor_info.csv");
    QVERIFY(!progress.empty());
    QCOMPARE(progress.back(), std::make_pair(4, 4));

    const CsvTable table = readCsvFile(result.csvFile);
    const std::vector<std::string> columns{"patient_id", "image_path", "clean_image_path",
                                           "slice_index", "noise", "noise_sigma"};
    QCOMPARE(table.header, columns);
    QCOMPARE(table.rows.size(), std::size_t(4));

    int previousSlice = -1;
    for (std::size_t i = 0; i < table.rows.size(); ++i) {
        const auto &row = table.rows[i];
        QCOMPARE(row[0], "DEMO-00" + std::to_string(i + 1));
        const int slice = std::stoi(row[3]);
        QVERIFY(slice > previousSlice && slice < 316);
        previousSlice = slice;
        QCOMPARE(row[4], std::string("rician"));
        QCOMPARE(std::stod(row[5]), 0.08);
        QVERIFY(fs::path(row[1]).is_relative() && fs::path(row[2]).is_relative());

        const cv::Mat noisy = cv::imread((options.outputDir / row[1]).string(), cv::IMREAD_UNCHANGED);
        const cv::Mat clean = cv::imread((options.outputDir / row[2]).string(), cv::IMREAD_UNCHANGED);
        QVERIFY2(!noisy.empty() && !clean.empty(), row[1].c_str());
        QCOMPARE(clean.cols, 301);
        QCOMPARE(clean.rows, 370);
        QCOMPARE(clean.type(), CV_8UC1);
        QCOMPARE(noisy.size(), clean.size());
        QCOMPARE(noisy.type(), CV_8UC1);
        QVERIFY(cv::norm(noisy, clean, cv::NORM_L1) > 0.0);

        // Slices from the middle of the brain: plenty of tissue, black outside.
        QVERIFY(cv::countNonZero(clean > 40) > clean.total() / 5);
        QCOMPARE(clean.at<std::uint8_t>(0, 0), std::uint8_t(0));

        // Well above the noise floor Rician noise is close to Gaussian with the
        // requested spread; avoid 255, where it is clipped.
        cv::Mat difference;
        cv::subtract(noisy, clean, difference, cv::noArray(), CV_64F);
        const cv::Mat bright = (clean >= 100) & (clean <= 200);
        QVERIFY(cv::countNonZero(bright) > 5000);
        cv::Scalar mean, deviation;
        cv::meanStdDev(difference, mean, deviation, bright);
        const double expected = 0.08 * 255.0;
        QVERIFY2(std::fabs(deviation[0] - expected) < 0.1 * expected,
                 qPrintable(QString("noise std %1, expected %2").arg(deviation[0]).arg(expected)));
    }

    std::ifstream readme(options.outputDir / "README.txt");
    QVERIFY(readme.good());
    std::stringstream text;
    text << readme.rdbuf();
    QVERIFY(text.str().find("Colin27") != std::string::npos);
    QVERIFY(text.str().find("clean/") != std::string::npos);
}

void TestDemoDataset::reportsMissingVolume()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    DemoDatasetOptions options;
    options.volumeFile = fs::path(dir.path().toStdString()) / "missing-volume.nii.gz";
    options.outputDir = fs::path(dir.path().toStdString()) / "out";
    try {
        buildDemoDataset(options);
        QFAIL("buildDemoDataset did not throw");
    } catch (const EngineError &error) {
        QVERIFY2(std::string(error.what()).find("missing-volume.nii.gz") != std::string::npos, error.what());
    }
    QVERIFY(!fs::exists(options.outputDir / "brain_tumor_info.csv"));
}

QTEST_APPLESS_MAIN(TestDemoDataset)
#include "tst_demodataset.moc"
