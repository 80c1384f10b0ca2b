#include "ImageIO.h"
#include "Noise.h"
#include "NoiseFloor.h"
#include "TestDatasets.h"

#include <QtTest>

#include <opencv2/imgproc.hpp>

#include <cmath>

using namespace mri;

class TestNoiseFloor final : public QObject
{
    Q_OBJECT

private slots:
    void estimatesSigmaFromTheBackground_data();
    void estimatesSigmaFromTheBackground();
    void removesTheRicianMeanBias_data();
    void removesTheRicianMeanBias();
    void backgroundBecomesZero();
};

void TestNoiseFloor::estimatesSigmaFromTheBackground_data()
{
    QTest::addColumn<double>("sigma");
    QTest::addColumn<int>("size");
    QTest::newRow("5 %, 301x370") << 0.05 << 300;
    QTest::newRow("10 %, 301x370") << 0.10 << 300;
    QTest::newRow("2 %, 128") << 0.02 << 128;
    QTest::newRow("20 %, 200") << 0.20 << 200;
}

void TestNoiseFloor::estimatesSigmaFromTheBackground()
{
    QFETCH(double, sigma);
    QFETCH(int, size);
    const cv::Mat clean = test::syntheticSlice(size, size + 20, 3);
    const cv::Mat noisy = addNoise(clean, NoiseModel::Rician, sigma, 11);
    const double estimate = estimateRicianSigma(noisy);
    QVERIFY2(std::abs(estimate - sigma) < 0.1 * sigma, qPrintable(QStringLiteral("estimate %1").arg(estimate)));
}

void TestNoiseFloor::removesTheRicianMeanBias_data()
{
    QTest::addColumn<double>("signal");
    QTest::newRow("no signal") << 0.0;
    QTest::newRow("A = sigma") << 0.1;
    QTest::newRow("A = 3 sigma") << 0.3;
    QTest::newRow("A = 8 sigma") << 0.8;
}

void TestNoiseFloor::removesTheRicianMeanBias()
{
    // The mean of many Rician samples of a constant signal maps back to it.
    QFETCH(double, signal);
    const double sigma = 0.1;
    const cv::Mat constant(200, 200, CV_32FC1, cv::Scalar(signal));
    const cv::Mat noisy = addNoise(constant, NoiseModel::Rician, sigma, 5);
    const double mean = cv::mean(noisy)[0];
    if (signal < 0.5 * sigma)
        QVERIFY(mean > signal + 0.5 * sigma); // the floor that smoothing keeps
    const cv::Mat expected(1, 1, CV_32FC1, cv::Scalar(mean));
    const double restored = removeRicianBias(expected, sigma).at<float>(0, 0);
    QVERIFY2(std::abs(restored - signal) < 0.02, qPrintable(QStringLiteral("mean %1 restored %2").arg(mean).arg(restored)));
}

void TestNoiseFloor::backgroundBecomesZero()
{
    const cv::Mat zero(64, 64, CV_32FC1, cv::Scalar(0.0));
    const cv::Mat noisy = addNoise(zero, NoiseModel::Rician, 0.1, 9);
    cv::Mat smoothed;
    cv::blur(noisy, smoothed, cv::Size(15, 15));
    const cv::Mat restored = removeRicianBias(smoothed, 0.1);
    QVERIFY(cv::mean(smoothed)[0] > 0.1);
    QVERIFY(cv::mean(restored)[0] < 0.03); // residual: the inverse is steep at the floor
}

QTEST_APPLESS_MAIN(TestNoiseFloor)
#include "tst_noisefloor.moc"
