#include "base/EngineError.h"
#include "io/ImageIO.h"
#include "quality/Noise.h"
#include "quality/NoiseFloor.h"
#include "quality/NoiseMap.h"
#include "TestDatasets.h"

#include <QtTest>

#include <opencv2/imgproc.hpp>
#include <opencv2/core.hpp>

#include <chrono>
#include <thread>
#include <cmath>
#include <vector>

using namespace mri;

namespace {

// A complex Gaussian field of unit variance per component, optionally blurred by a
// Gaussian of `kernel` pixels renormalised to keep the variance: its correlation at
// lag d is exp(-d^2 / 4 kernel^2).
cv::Mat gaussianField(cv::Size size, double kernel, cv::RNG &random)
{
    cv::Mat field(size, CV_32FC1);
    random.fill(field, cv::RNG::NORMAL, 0.0, 1.0);
    if (kernel > 0.0) {
        cv::Mat taps = cv::getGaussianKernel(2 * static_cast<int>(std::ceil(4 * kernel)) + 1, kernel, CV_32F);
        taps /= cv::norm(taps);
        cv::sepFilter2D(field, field, CV_32F, taps, taps, cv::Point(-1, -1), 0, cv::BORDER_REFLECT);
    }
    return field;
}

// Sum-of-squares magnitude of `coils` channels: sqrt(sum (A/sqrt(N) + n_re)^2 + n_im^2).
cv::Mat chiNoise(const cv::Mat &clean, double sigma, int coils, double kernel, std::uint64_t seed)
{
    cv::RNG random(seed);
    cv::Mat sumSquares(clean.size(), CV_32FC1, cv::Scalar(0.0));
    const cv::Mat channelSignal = clean / std::sqrt(static_cast<double>(coils));
    for (int c = 0; c < coils; ++c) {
        const cv::Mat real = channelSignal + sigma * gaussianField(clean.size(), kernel, random);
        const cv::Mat imaginary = sigma * gaussianField(clean.size(), kernel, random);
        sumSquares += real.mul(real) + imaginary.mul(imaginary);
    }
    cv::Mat magnitude;
    cv::sqrt(sumSquares, magnitude);
    return magnitude;
}

double standardDeviation(const cv::Mat &image)
{
    cv::Scalar mean, deviation;
    cv::meanStdDev(image, mean, deviation);
    return deviation[0];
}

// A g-factor map as parallel imaging leaves: 1 at the field of view's edges,
// `peak` in its middle.
cv::Mat gFactorBump(cv::Size size, double peak)
{
    cv::Mat g(size, CV_32FC1);
    for (int y = 0; y < size.height; ++y)
        for (int x = 0; x < size.width; ++x) {
            const double across = std::sin(CV_PI * y / (size.height - 1)), down = std::sin(CV_PI * x / (size.width - 1));
            g.at<float>(y, x) = static_cast<float>(1.0 + (peak - 1.0) * across * across * down * down);
        }
    return g;
}

} // namespace

class TestNoiseFloor final : public QObject
{
    Q_OBJECT

private slots:
    void noiseOfAFewGreyLevelsKeepsOneCoil();
    void pointAndPosteriorTablesAreNeverConfused();
    void estimatesSigmaFromTheBackground_data();
    void estimatesSigmaFromTheBackground();
    void removesTheRicianMeanBias_data();
    void removesTheRicianMeanBias();
    void backgroundBecomesZero();
    void estimatesSigmaAndCoils_data();
    void estimatesSigmaAndCoils();
    void invertsTheChiMean_data();
    void invertsTheChiMean();
    void posteriorInversionSmoothsTheFloor_data();
    void posteriorInversionSmoothsTheFloor();
    void estimatesNoiseCorrelation_data();
    void estimatesNoiseCorrelation();
    void estimatesPredictionError();
    void tooLittleBackgroundFallsBack();
    void refusesBadArguments();
    void mapsLargeSlicesFast();
    void largeSlicesAreMeasuredOnASample();
    void inPlaceRemovalEqualsTheCopy();
    void isThreadSafe();
    void volumeFloorServesSlicesWithoutBackground_data();
    void volumeFloorServesSlicesWithoutBackground();
    void floorFollowsThePrediction_data();
    void floorFollowsThePrediction();
    void noiseMapFollowsParallelImaging_data();
    void noiseMapFollowsParallelImaging();
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

void TestNoiseFloor::estimatesSigmaAndCoils_data()
{
    QTest::addColumn<int>("coils");
    QTest::addColumn<double>("sigma");
    QTest::addColumn<double>("outliers"); // fraction of pixels set to a bright value
    for (const int coils : {1, 4, 8}) {
        for (const double sigma : {0.05, 0.1})
            QTest::addRow("N %d, sigma %.2f", coils, sigma) << coils << sigma << 0.0;
        QTest::addRow("N %d, sigma 0.05, 1 %% outliers", coils) << coils << 0.05 << 0.01;
    }
}

void TestNoiseFloor::estimatesSigmaAndCoils()
{
    QFETCH(int, coils);
    QFETCH(double, sigma);
    QFETCH(double, outliers);
    const cv::Mat clean = test::syntheticSlice(300, 320, 3);
    cv::Mat noisy = chiNoise(clean, sigma, coils, 0.0, 100 + coils);
    cv::RNG random(4);
    for (int i = 0; i < static_cast<int>(outliers * noisy.total()); ++i)
        noisy.at<float>(random.uniform(0, noisy.rows), random.uniform(0, noisy.cols)) = 0.6f;

    const NoiseEstimate estimated = estimateNoise(noisy, 0.0);
    QVERIFY(estimated.coilsEstimated);
    QVERIFY(estimated.backgroundPixels > 10000);
    QVERIFY2(std::abs(estimated.coils - coils) <= 0.5, qPrintable(QStringLiteral("N %1").arg(estimated.coils)));
    QVERIFY2(std::abs(estimated.sigma - sigma) < 0.05 * sigma,
             qPrintable(QStringLiteral("sigma %1").arg(estimated.sigma)));
    QCOMPARE(estimated.blindSpotRadius, 0);

    const NoiseEstimate given = estimateNoise(noisy, coils);
    QVERIFY(!given.coilsEstimated);
    QCOMPARE(given.coils, double(coils));
    QVERIFY2(std::abs(given.sigma - sigma) < 0.05 * sigma, qPrintable(QStringLiteral("sigma %1").arg(given.sigma)));
    // Assuming Rician noise when there are 8 coils misjudges sigma badly: N matters.
    if (coils == 8)
        QVERIFY(estimateNoise(noisy, 1.0).sigma > 2.0 * sigma);
}

void TestNoiseFloor::invertsTheChiMean_data()
{
    QTest::addColumn<int>("coils");
    QTest::addColumn<double>("snr");
    for (const int coils : {1, 4, 8}) {
        for (const double snr : {0.0, 1.0, 2.0, 4.0, 10.0, 50.0})
            QTest::addRow("N %d, A %.0f sigma", coils, snr) << coils << snr;
    }
}

void TestNoiseFloor::invertsTheChiMean()
{
    // The mean of many simulated samples matches the closed form and maps back to A.
    QFETCH(int, coils);
    QFETCH(double, snr);
    const double sigma = 0.1;
    const cv::Mat constant(500, 800, CV_32FC1, cv::Scalar(snr * sigma));
    const cv::Mat noisy = chiNoise(constant, sigma, coils, 0.0, 7 + coils);
    const double mean = cv::mean(noisy)[0];
    const double standardError = standardDeviation(noisy) / std::sqrt(double(noisy.total()));
    const double closedForm = sigma * chiMeanOverSigma(snr, coils);
    QVERIFY2(std::abs(mean - closedForm) < 4.0 * standardError + 1e-5 * closedForm,
             qPrintable(QStringLiteral("simulated %1 closed form %2").arg(mean).arg(closedForm)));

    cv::Mat expected(1, 2, CV_32FC1, cv::Scalar(mean));
    expected.at<float>(0, 1) = static_cast<float>(closedForm);
    const cv::Mat restored = removeNoiseFloor(expected, sigma, coils, 0.0);
    const double fromClosedForm = restored.at<float>(0, 1);
    QVERIFY2(std::abs(fromClosedForm - snr * sigma) < 0.005 * sigma + 1e-4 * snr * sigma,
             qPrintable(QStringLiteral("restored %1").arg(fromClosedForm)));
    const double fromSimulation = restored.at<float>(0, 0);
    const double tolerance = snr == 0.0 ? 0.15 * sigma : 0.03 * sigma + 0.005 * snr * sigma;
    QVERIFY2(std::abs(fromSimulation - snr * sigma) < tolerance,
             qPrintable(QStringLiteral("mean %1 restored %2").arg(mean).arg(fromSimulation)));
}

void TestNoiseFloor::posteriorInversionSmoothsTheFloor_data()
{
    QTest::addColumn<int>("coils");
    QTest::addColumn<double>("tauOverSigma");
    for (const int coils : {1, 4, 8}) {
        QTest::addRow("N %d, tau 0.02 sigma", coils) << coils << 0.02;
        QTest::addRow("N %d, tau 0.05 sigma", coils) << coils << 0.05;
    }
}

void TestNoiseFloor::posteriorInversionSmoothsTheFloor()
{
    // A background prediction at the floor mean with Gaussian errors: the point inversion
    // turns the positive errors into speckle, the posterior mean stays smooth and low.
    QFETCH(int, coils);
    QFETCH(double, tauOverSigma);
    const double sigma = 0.08;
    const double tau = tauOverSigma * sigma;
    cv::Mat prediction(256, 256, CV_32FC1);
    cv::RNG random(5);
    random.fill(prediction, cv::RNG::NORMAL, 0.0, tau);
    prediction += sigma * chiMeanOverSigma(0.0, coils);

    const cv::Mat point = removeNoiseFloor(prediction, sigma, coils, 0.0);
    const cv::Mat posterior = removeNoiseFloor(prediction, sigma, coils, tau);
    const double pointSpread = standardDeviation(point);
    const double posteriorSpread = standardDeviation(posterior);
    const double posteriorMean = cv::mean(posterior)[0];
    qInfo("N %d tau %.2f sigma: std point %.3f posterior %.3f sigma (%.1fx), posterior mean %.3f sigma", coils,
          tauOverSigma, pointSpread / sigma, posteriorSpread / sigma, pointSpread / posteriorSpread,
          posteriorMean / sigma);
    // Half the prior's mass at A = 0 keeps the background at ~0: measured 6-9x
    // less spread and a mean below 0.02 sigma (a flat prior: 2.2x, 0.2-0.4 sigma).
    QVERIFY(posteriorSpread * 5.0 < pointSpread);
    QVERIFY(posteriorMean < 0.05 * sigma);

    // Monotone in the prediction, and equal to the point inversion far above the floor.
    std::vector<float> ramp;
    for (double m = -sigma; m < 60.0 * sigma; m += 0.01 * sigma)
        ramp.push_back(static_cast<float>(m));
    const cv::Mat rampOut = removeNoiseFloor(cv::Mat(ramp, true).reshape(1, 1), sigma, coils, tau);
    for (int i = 1; i < rampOut.cols; ++i)
        QVERIFY2(rampOut.at<float>(0, i) >= rampOut.at<float>(0, i - 1) - 1e-6f, qPrintable(QString::number(i)));
    for (const double snr : {10.0, 20.0, 45.0, 80.0}) {
        const cv::Mat bright(1, 1, CV_32FC1, cv::Scalar(sigma * chiMeanOverSigma(snr, coils)));
        const double pointValue = removeNoiseFloor(bright, sigma, coils, 0.0).at<float>(0, 0);
        const double posteriorValue = removeNoiseFloor(bright, sigma, coils, tau).at<float>(0, 0);
        QVERIFY2(std::abs(posteriorValue - pointValue) < 0.01 * pointValue,
                 qPrintable(QStringLiteral("A %1 sigma: %2 against %3").arg(snr).arg(posteriorValue).arg(pointValue)));
    }
}

void TestNoiseFloor::estimatesNoiseCorrelation_data()
{
    QTest::addColumn<int>("coils");
    QTest::addColumn<double>("kernel");
    QTest::addColumn<int>("blindSpot");
    QTest::newRow("white, N 1") << 1 << 0.0 << 0;
    QTest::newRow("white, N 8") << 8 << 0.0 << 0;
    QTest::newRow("kernel 1.0 px, N 1") << 1 << 1.0 << 2;
    QTest::newRow("kernel 1.0 px, N 4") << 4 << 1.0 << 2;
    QTest::newRow("kernel 2.0 px, N 1") << 1 << 2.0 << 4;
}

void TestNoiseFloor::estimatesNoiseCorrelation()
{
    QFETCH(int, coils);
    QFETCH(double, kernel);
    QFETCH(int, blindSpot);
    const cv::Mat clean = test::syntheticSlice(512, 512, 4);
    const cv::Mat noisy = chiNoise(clean, 0.08, coils, kernel, 21);
    const NoiseEstimate estimate = estimateNoise(noisy, 0.0);
    QCOMPARE(int(estimate.correlation.size()), 6);
    qInfo("rho(1..6) %.3f %.3f %.3f %.3f %.3f %.3f, N %.2f, blind spot %d", estimate.correlation[0],
          estimate.correlation[1], estimate.correlation[2], estimate.correlation[3], estimate.correlation[4],
          estimate.correlation[5], estimate.coils, estimate.blindSpotRadius);
    for (int lag = 1; lag <= 3; ++lag) {
        // The magnitude correlation measured is ~rho^2 with a sampling error of ~0.005 to 0.015:
        // rho is within 0.05, or (near 0, where the square root amplifies) rho^2 within 0.02.
        const double truth = kernel > 0.0 ? std::exp(-lag * lag / (4.0 * kernel * kernel)) : 0.0;
        const double rho = estimate.correlation[lag - 1];
        QVERIFY2(std::abs(rho - truth) < 0.05 || std::abs(rho * rho - truth * truth) < 0.02,
                 qPrintable(QStringLiteral("lag %1: %2 against %3").arg(lag).arg(estimate.correlation[lag - 1]).arg(truth)));
    }
    QCOMPARE(estimate.blindSpotRadius, blindSpot);
    // Correlated noise must not be mistaken for more coils.
    QVERIFY2(std::abs(estimate.coils - coils) <= 0.5, qPrintable(QString::number(estimate.coils)));
}

void TestNoiseFloor::estimatesPredictionError()
{
    const cv::Mat clean = test::syntheticSlice(256, 256, 6);
    const cv::Mat mask = backgroundMask(chiNoise(clean, 0.05, 1, 0.0, 3));
    QVERIFY(!mask.empty());
    cv::Mat prediction(clean.size(), CV_32FC1);
    cv::RNG random(8);
    random.fill(prediction, cv::RNG::NORMAL, 0.06, 0.004);
    prediction.setTo(0.9, ~mask); // tissue outside the mask does not count
    const double error = estimatePredictionError(prediction, mask);
    QVERIFY2(std::abs(error - 0.004) < 0.0004, qPrintable(QString::number(error)));
    QCOMPARE(estimatePredictionError(prediction, cv::Mat()), 0.0);
    QCOMPARE(estimatePredictionError(prediction, cv::Mat::zeros(clean.size(), CV_8UC1)), 0.0);
}

void TestNoiseFloor::tooLittleBackgroundFallsBack()
{
    // Tissue everywhere: the Laplacian estimate, the given N, no correlation.
    const cv::Mat flat(200, 200, CV_32FC1, cv::Scalar(0.6));
    const cv::Mat noisy = chiNoise(flat, 0.05, 1, 0.0, 12);
    QVERIFY(backgroundMask(noisy).empty());
    const NoiseEstimate estimate = estimateNoise(noisy, 4.0);
    QCOMPARE(estimate.backgroundPixels, std::size_t(0));
    QCOMPARE(estimate.coils, 4.0);
    QVERIFY(estimate.correlation.empty());
    QVERIFY2(std::abs(estimate.sigma - 0.05) < 0.1 * 0.05, qPrintable(QString::number(estimate.sigma)));
}

void TestNoiseFloor::refusesBadArguments()
{
    const cv::Mat image(32, 32, CV_32FC1, cv::Scalar(0.1));
    QVERIFY_THROWS_EXCEPTION(EngineError, removeNoiseFloor(image, 0.1, 0.5, 0.0));
    QVERIFY_THROWS_EXCEPTION(EngineError, removeNoiseFloor(image, 0.1, 1.0, -1.0));
    QVERIFY_THROWS_EXCEPTION(EngineError, removeNoiseFloor(cv::Mat(4, 4, CV_8UC1), 0.1, 1.0, 0.0));
    QVERIFY_THROWS_EXCEPTION(EngineError, estimateNoise(image, 0.5));
    QVERIFY_THROWS_EXCEPTION(EngineError, estimateNoise(cv::Mat(), 1.0));
    QCOMPARE(cv::norm(removeNoiseFloor(image, 0.0, 1.0, 0.01), image, cv::NORM_INF), 0.0);
}

void TestNoiseFloor::mapsLargeSlicesFast()
{
    // The posterior mean costs ~400 likelihood evaluations per value: untabulated, a
    // 4096x4096 slice would take tens of seconds; from the table, a fraction of one.
    cv::Mat prediction(4096, 4096, CV_32FC1);
    cv::RNG random(2);
    random.fill(prediction, cv::RNG::UNIFORM, 0.0, 1.0);
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    removeNoiseFloor(prediction(cv::Rect(0, 0, 8, 8)), 0.05, 8.0, 0.0037); // builds the table
    const auto built = Clock::now();
    const cv::Mat restored = removeNoiseFloor(prediction, 0.05, 8.0, 0.0037);
    const auto done = Clock::now();
    const double buildMs = std::chrono::duration<double, std::milli>(built - start).count();
    const double mapMs = std::chrono::duration<double, std::milli>(done - built).count();
    qInfo("table %.0f ms; 4096x4096 mapped in %.0f ms (%.1f ms per megapixel)", buildMs, mapMs,
          mapMs / (prediction.total() / 1e6));
    QCOMPARE(restored.size(), prediction.size());
    QVERIFY(mapMs < 2000.0);
    QVERIFY(buildMs < 2000.0);
}

void TestNoiseFloor::isThreadSafe()
{
    // Several threads building and using tables for new (N, tau) at once get what one thread gets.
    cv::Mat prediction(64, 64, CV_32FC1);
    cv::RNG random(3);
    random.fill(prediction, cv::RNG::UNIFORM, 0.0, 0.5);
    const std::vector<std::pair<double, double>> settings = {{3.0, 0.011}, {5.0, 0.013}, {3.0, 0.0}, {6.5, 0.017},
                                                              {5.0, 0.011}, {3.0, 0.013}, {6.5, 0.0}, {5.0, 0.017}};
    std::vector<cv::Mat> parallel(settings.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < settings.size(); ++i) {
        threads.emplace_back([&, i] {
            parallel[i] = removeNoiseFloor(prediction, 0.05, settings[i].first, settings[i].second);
        });
    }
    for (auto &thread : threads)
        thread.join();
    for (std::size_t i = 0; i < settings.size(); ++i) {
        const cv::Mat sequential = removeNoiseFloor(prediction, 0.05, settings[i].first, settings[i].second);
        QCOMPARE(cv::norm(parallel[i], sequential, cv::NORM_INF), 0.0);
    }
}

// An 8-bit slice whose background (lifted by an offset of 12 grey levels)
// has noise of a grey level or two: its quartiles nearly coincide, which would
// read as dozens of coils; N stays 1.
void TestNoiseFloor::noiseOfAFewGreyLevelsKeepsOneCoil()
{
    const cv::Mat clean = test::syntheticSlice(200, 220, 3);
    const cv::Mat lifted = fromUnitFloat(clean * 0.9 + 12.0 / 255.0, CV_8U);
    const cv::Mat noisy = addNoise(lifted, NoiseModel::Gaussian, 0.004, 2);
    const auto estimate = estimateNoise(toUnitFloat(noisy), 0.0);
    QVERIFY(estimate.backgroundPixels > 0);
    QCOMPARE(estimate.coils, 1.0);
    QVERIFY(!estimate.coilsEstimated);
    // Noise of many grey levels is still measured.
    const cv::Mat strong = addNoise(fromUnitFloat(clean, CV_8U), parseNoiseSpec("chi:4"), 0.08, 2);
    QCOMPARE(estimateNoise(toUnitFloat(strong), 0.0).coils, 4.0);
}

// A posterior whose tau / sigma rounds next to 1 once shared the point
// inversion's cache entry.
void TestNoiseFloor::pointAndPosteriorTablesAreNeverConfused()
{
    const double sigma = 0.1;
    const cv::Mat floorLevel(1, 1, CV_32FC1, cv::Scalar(sigma * chiMeanOverSigma(0.3, 1.0)));
    const double point = removeNoiseFloor(floorLevel, sigma, 1.0, 0.0).at<float>(0, 0);
    const double posterior = removeNoiseFloor(floorLevel, sigma, 1.0, 0.98 * sigma).at<float>(0, 0);
    QVERIFY2(std::abs(point - posterior) > 1e-3, qPrintable(QStringLiteral("%1 %2").arg(point).arg(posterior)));
    QCOMPARE(double(removeNoiseFloor(floorLevel, sigma, 1.0, 0.0).at<float>(0, 0)), point);
}

// Above kNoiseSamplePixels the noise is measured on a grid of blocks: the
// estimate agrees with the truth and with the whole-slice measurement of a
// part below the threshold, for float, 8- and 16-bit slices alike.
void TestNoiseFloor::largeSlicesAreMeasuredOnASample()
{
    cv::Mat clean;
    cv::resize(test::syntheticSlice(300, 320, 3), clean, cv::Size(2900, 2900), 0, 0, cv::INTER_LINEAR);
    QVERIFY(clean.total() > kNoiseSamplePixels);
    const double sigma = 0.04;
    const cv::Mat noisy = chiNoise(clean, sigma, 1, 1.0, 21);
    const NoiseEstimate sampled = estimateNoise(noisy, 0.0);
    const cv::Mat part = noisy(cv::Rect(0, 0, 1000, 1000));
    QVERIFY(part.total() <= kNoiseSamplePixels);
    const NoiseEstimate whole = estimateNoise(part, 0.0);
    QVERIFY(sampled.backgroundPixels > 1000000);
    QVERIFY(whole.backgroundPixels > 200000);
    QVERIFY(sampled.backgroundPixels < kNoiseSamplePixels * 2);
    QCOMPARE(sampled.coils, 1.0);
    QCOMPARE(whole.coils, 1.0);
    QVERIFY2(std::abs(sampled.sigma - sigma) < 0.02 * sigma, qPrintable(QString::number(sampled.sigma)));
    QVERIFY2(std::abs(sampled.sigma - whole.sigma) < 0.01 * sigma,
             qPrintable(QStringLiteral("%1 %2").arg(sampled.sigma).arg(whole.sigma)));
    QCOMPARE(sampled.blindSpotRadius, whole.blindSpotRadius);
    // Where the correlation matters (the blind spot's threshold is 0.3) both agree;
    // the small ones at long lags are mostly estimation noise (rho ~ sqrt of it).
    for (std::size_t lag = 0; lag < sampled.correlation.size(); ++lag)
        QVERIFY2(std::abs(sampled.correlation[lag] - whole.correlation[lag]) < (whole.correlation[lag] > 0.1 ? 0.02 : 0.1),
                 qPrintable(QStringLiteral("lag %1: %2 %3").arg(lag + 1).arg(sampled.correlation[lag]).arg(whole.correlation[lag])));

    // An integer slice is measured as its unit float conversion, without one.
    const cv::Mat levels = fromUnitFloat(noisy, CV_16U);
    const NoiseEstimate fromLevels = measureSliceNoise(levels, 0.0);
    QVERIFY2(std::abs(fromLevels.sigma - sampled.sigma) < 0.01 * sigma, qPrintable(QString::number(fromLevels.sigma)));

    // A slice filled by tissue: the Laplacian fallback on the blocks.
    const cv::Mat bright = chiNoise(cv::Mat(2900, 2900, CV_32FC1, cv::Scalar(0.6)), sigma, 1, 0.0, 5);
    const NoiseEstimate filled = estimateNoise(bright, 1.0);
    QCOMPARE(filled.backgroundPixels, std::size_t(0));
    QVERIFY2(std::abs(filled.sigma - sigma) < 0.05 * sigma, qPrintable(QString::number(filled.sigma)));
}

// The in-place floor removal on an 8-bit input equals the copying one on its
// unit float conversion, bit for bit, below and above the sample threshold.
void TestNoiseFloor::inPlaceRemovalEqualsTheCopy()
{
    for (const int side : {400, 2900}) { // below and above kNoiseSamplePixels
        cv::Mat clean;
        cv::resize(test::syntheticSlice(300, 320, 3), clean, cv::Size(side, side), 0, 0, cv::INTER_LINEAR);
        const cv::Mat levels = fromUnitFloat(chiNoise(clean, 0.05, 1, 0.0, 8), CV_8U);
        cv::Mat prediction(clean.size(), CV_32FC1);
        cv::randn(prediction, 0.02, 0.005);
        prediction += clean;
        const FloorRemoval copied = removeNoiseFloorOf(prediction, toUnitFloat(levels), 1.0, true);
        const FloorRemoval inPlace = removeNoiseFloorInPlace(prediction, levels, 1.0, true);
        QCOMPARE(inPlace.signal.data, prediction.data);
        QCOMPARE(inPlace.noise.sigma, copied.noise.sigma);
        QCOMPARE(inPlace.predictionError, copied.predictionError);
        QVERIFY(copied.predictionError > 0.0);
        QCOMPARE(cv::norm(inPlace.signal, copied.signal, cv::NORM_INF), 0.0);
    }
}

void TestNoiseFloor::volumeFloorServesSlicesWithoutBackground_data()
{
    QTest::addColumn<int>("coils");
    QTest::newRow("rician") << 1;
    QTest::newRow("chi 4") << 4;
}

// A head's first and last slices hold only air (or only tissue): alone they
// have no background to measure, fall back to the Laplacian estimate and keep
// their floor. Pooled over the volume (measureFloor(), poolFloorMeasures(),
// removeMeasuredFloor()), every slice loses it. The "prediction" is the exact
// expected magnitude plus a little error, as a good network's.
void TestNoiseFloor::volumeFloorServesSlicesWithoutBackground()
{
    QFETCH(int, coils);
    const double sigma = 0.05;
    const cv::Size size(96, 96);
    const double floor = sigma * chiMeanOverSigma(0.0, coils);
    std::vector<cv::Mat> noisy, predicted;
    for (int z = 0; z < 8; ++z) {
        cv::Mat clean(size, CV_32FC1, cv::Scalar(0.0));
        if (z == 7)
            clean.setTo(0.6); // all tissue
        else if (z >= 2)
            cv::circle(clean, {48, 48}, 10 + 4 * z, cv::Scalar(0.6), cv::FILLED); // tissue in air
        noisy.push_back(chiNoise(clean, sigma, coils, 0.0, 300 + z));
        cv::Mat expected(size, CV_32FC1);
        for (int y = 0; y < size.height; ++y)
            for (int x = 0; x < size.width; ++x)
                expected.at<float>(y, x) = static_cast<float>(sigma * chiMeanOverSigma(clean.at<float>(y, x) / sigma, coils));
        cv::Mat error(size, CV_32FC1);
        cv::RNG(40 + z).fill(error, cv::RNG::NORMAL, 0.0, 0.02 * sigma);
        predicted.push_back(expected + error);
    }
    std::vector<FloorMeasure> measures;
    for (int z = 0; z < 8; ++z)
        measures.push_back(measureFloor(predicted[z], noisy[z], coils, true));
    qInfo("background pixels found alone: all air %zu, all tissue %zu", measures[0].noise.backgroundPixels,
          measures[7].noise.backgroundPixels);
    QCOMPARE(measures[7].noise.backgroundPixels, std::size_t(0)); // all tissue
    const FloorMeasure pooled = poolFloorMeasures(measures);
    QVERIFY2(std::abs(pooled.noise.sigma / sigma - 1.0) < 0.05, qPrintable(QString::number(pooled.noise.sigma)));
    QVERIFY(pooled.predictionError > 0.0 && pooled.predictionError < 0.1 * sigma);
    for (const int z : {0, 1}) {
        cv::Mat alone = predicted[z].clone();
        removeNoiseFloorInPlace(alone, noisy[z], coils, true);
        cv::Mat together = predicted[z].clone();
        removeMeasuredFloor(together, pooled);
        const double aloneMean = cv::mean(alone)[0] / sigma, togetherMean = cv::mean(together)[0] / sigma;
        QVERIFY2(aloneMean > 0.4, qPrintable(QString::number(aloneMean))); // what the pooling fixes
        qInfo("slice %d (air only): background %.3f sigma alone, %.3f sigma pooled (floor %.3f sigma)", z, aloneMean,
              togetherMean, floor / sigma);
        QVERIFY2(togetherMean < 0.1, qPrintable(QString::number(togetherMean)));
    }
    // Tissue keeps its level in every slice, the all-tissue one too.
    cv::Mat tissue = predicted[7].clone();
    removeMeasuredFloor(tissue, pooled);
    QVERIFY2(std::abs(cv::mean(tissue)[0] / 0.6 - 1.0) < 0.01, qPrintable(QString::number(cv::mean(tissue)[0])));
    // No slice with background of its own: the first measure as it is.
    const std::vector<FloorMeasure> none{measures[7], measures[7]};
    QCOMPARE(poolFloorMeasures(none).noise.sigma, measures[7].noise.sigma);
}

void TestNoiseFloor::floorFollowsThePrediction_data()
{
    QTest::addColumn<double>("offset");     // of the prediction in the air, in floors
    QTest::addColumn<double>("tailSigmas"); // an exponential upper tail added to the error, in sigma
    QTest::addColumn<bool>("uncorrectedRaisesTheFloor");
    QTest::newRow("1 % above") << 0.01 << 0.0 << true;
    QTest::newRow("1 % below") << -0.01 << 0.0 << false;
    QTest::newRow("heavy upper tail") << 0.0 << 0.01 << false;
    QTest::newRow("both") << 0.01 << 0.01 << true;
    QTest::newRow("ghost 20 % above: bounded") << 0.2 << 0.0 << false;
}

// A network's background sits within ~1 % of the floor and its error has a
// heavier upper tail than a Gaussian; near A = 0 the inversion is a square
// root, so either left a raised floor (INIA19 at 5 %: 8.5 % of the background
// above 2 grey levels). The floor is taken where the prediction put it
// (bounded), tau from the error's upper tail.
void TestNoiseFloor::floorFollowsThePrediction()
{
    QFETCH(double, offset);
    QFETCH(double, tailSigmas);
    QFETCH(bool, uncorrectedRaisesTheFloor);
    const double sigma = 0.05;
    const cv::Size size(160, 160);
    cv::Mat clean(size, CV_32FC1, cv::Scalar(0.0));
    cv::circle(clean, {80, 80}, 40, cv::Scalar(0.6), cv::FILLED);
    const cv::Mat noisy = chiNoise(clean, sigma, 1, 0.0, 77);
    const double floor = sigma * chiMeanOverSigma(0.0, 1.0);
    cv::Mat prediction(size, CV_32FC1), gaussian(size, CV_32FC1), uniform(size, CV_32FC1);
    cv::RNG random(5);
    random.fill(gaussian, cv::RNG::NORMAL, 0.0, 0.006 * sigma);
    random.fill(uniform, cv::RNG::UNIFORM, 1e-6, 1.0);
    for (int y = 0; y < size.height; ++y)
        for (int x = 0; x < size.width; ++x) {
            const double tail = -tailSigmas * sigma * std::log(uniform.at<float>(y, x));
            const double signal = clean.at<float>(y, x);
            prediction.at<float>(y, x) = static_cast<float>(sigma * chiMeanOverSigma(signal / sigma, 1.0)
                                                            + (signal == 0.0 ? offset * floor : 0.0)
                                                            + gaussian.at<float>(y, x) + tail);
        }
    const FloorMeasure measure = measureFloor(prediction, noisy, 1.0, true);
    QVERIFY2(std::abs(measure.floorRatio - (1.0 + offset + tailSigmas * sigma * std::log(2.0) / floor)) < 0.01,
             qPrintable(QString::number(measure.floorRatio)));
    const cv::Mat background = clean == 0.0f;
    auto raised = [&](const cv::Mat &signal) { // share of the background above 0.15 sigma (2 of 255 at 5 %)
        cv::Mat above = (signal > 0.15 * sigma) & background;
        return cv::countNonZero(above) / static_cast<double>(cv::countNonZero(background));
    };
    cv::Mat corrected = prediction.clone();
    removeMeasuredFloor(corrected, measure);
    FloorMeasure uncalibrated = measure;
    uncalibrated.floorRatio = 1.0;
    uncalibrated.predictionError = estimatePredictionError(prediction, backgroundMask(noisy));
    cv::Mat before = prediction.clone();
    removeMeasuredFloor(before, uncalibrated);
    qInfo("background above 0.15 sigma: %.4f corrected, %.4f with the measured floor and the MAD's tau",
          raised(corrected), raised(before));
    if (offset <= kFloorCalibrationLimit)
        QVERIFY2(raised(corrected) < 0.01, qPrintable(QString::number(raised(corrected))));
    if (uncorrectedRaisesTheFloor)
        QVERIFY2(raised(before) > 0.005 && raised(before) > 3 * raised(corrected), qPrintable(QString::number(raised(before))));
    // The tissue keeps its level (0.6, 12 sigma) within 0.2 %, the bounded ghost case too.
    const cv::Mat tissue = clean > 0.0f;
    cv::Mat inner;
    cv::erode(tissue, inner, cv::getStructuringElement(cv::MORPH_ELLIPSE, {9, 9}));
    QVERIFY2(std::abs(cv::mean(corrected, inner)[0] / 0.6 - 1.0) < 0.002,
             qPrintable(QString::number(cv::mean(corrected, inner)[0])));
}


void TestNoiseFloor::noiseMapFollowsParallelImaging_data()
{
    QTest::addColumn<double>("peak"); // the g-factor in the middle of the field of view
    QTest::addColumn<int>("coils");
    QTest::newRow("sense, rician") << 1.25 << 1;
    QTest::newRow("sense, chi 4") << 1.4 << 4;
    QTest::newRow("one level") << 1.0 << 1;
}

// Parallel imaging: sigma times a smooth g-factor map, 1 at the edges where the
// background is measured. One sigma leaves a floor in the air and a bias in
// faint tissue where g > 1; NoiseMap finds g from the residual and the floor
// removal follows it. A volume of one level keeps one level.
void TestNoiseFloor::noiseMapFollowsParallelImaging()
{
    QFETCH(double, peak);
    QFETCH(int, coils);
    const double sigma = 0.05;
    const cv::Size size(192, 192); // a field of view as wide as a head scan's
    const cv::Mat g = gFactorBump(size, peak);
    // A head with a hole of air in the middle (where g is highest) and faint tissue (3 sigma) around it.
    cv::Mat clean(size, CV_32FC1, cv::Scalar(0.0));
    cv::ellipse(clean, {96, 96}, {75, 60}, 0, 0, 360, cv::Scalar(0.5), cv::FILLED);
    cv::circle(clean, {96, 96}, 10, cv::Scalar(0.15), cv::FILLED);
    cv::circle(clean, {96, 96}, 5, cv::Scalar(0.0), cv::FILLED);
    const int slices = 12;
    std::vector<cv::Mat> noisy, predicted;
    std::vector<FloorMeasure> measures;
    cv::Mat expected(size, CV_32FC1);
    for (int y = 0; y < size.height; ++y)
        for (int x = 0; x < size.width; ++x) {
            const double local = sigma * g.at<float>(y, x);
            expected.at<float>(y, x) = static_cast<float>(local * chiMeanOverSigma(clean.at<float>(y, x) / local, coils));
        }
    for (int z = 0; z < slices; ++z) {
        // chi noise of level sigma g: the unit-level noise of A / sigma g, scaled by sigma g.
        cv::Mat local = sigma * g;
        noisy.push_back(chiNoise(clean / local, 1.0, coils, 0.0, 900 + z).mul(local));
        cv::Mat error(size, CV_32FC1);
        cv::RNG(60 + z).fill(error, cv::RNG::NORMAL, 0.0, 0.02 * sigma);
        predicted.push_back(expected + error);
        measures.push_back(measureFloor(predicted.back(), noisy.back(), coils, true));
    }
    const FloorMeasure pooled = poolFloorMeasures(measures);
    const NoiseMap map = NoiseMap::estimateVolume(predicted, noisy, pooled);
    if (peak == 1.0) { // one level stays one level
        QVERIFY(map.flat());
        QVERIFY(map.slice(0, size).empty());
        QCOMPARE(map.maximum(), 1.0);
        return;
    }
    QVERIFY(!map.flat());
    const int middle = slices / 2;
    const cv::Mat level = map.slice(middle, size);
    // The map against the truth (as measured: relative to the background's median g).
    const cv::Mat background = backgroundMask(noisy[middle]);
    std::vector<float> gInBackground;
    for (int y = 0; y < size.height; ++y)
        for (int x = 0; x < size.width; ++x)
            if (background.at<unsigned char>(y, x))
                gInBackground.push_back(g.at<float>(y, x));
    std::nth_element(gInBackground.begin(), gInBackground.begin() + gInBackground.size() / 2, gInBackground.end());
    const double reference = gInBackground[gInBackground.size() / 2];
    double worst = 0.0;
    for (int y = 8; y < size.height - 8; ++y)
        for (int x = 8; x < size.width - 8; ++x)
            worst = std::max(worst, std::abs(level.at<float>(y, x) * reference / g.at<float>(y, x) - 1.0));
    qInfo("g-factor peak %.2f, %d coil(s): map %.3f to %.3f, worst error %.3f inside the 8-pixel border", peak, coils,
          map.minimum(), map.maximum(), worst);
    QVERIFY2(worst < 0.04, qPrintable(QString::number(worst)));

    // The floor: the air in the middle and the faint tissue around it, with one sigma and with the map.
    cv::Mat oneLevel = predicted[middle].clone(), mapped = predicted[middle].clone();
    removeMeasuredFloor(oneLevel, pooled);
    removeMeasuredFloor(mapped, pooled, level);
    cv::Mat hole(size, CV_8U, cv::Scalar(0)), faint(size, CV_8U, cv::Scalar(0));
    cv::circle(hole, {96, 96}, 3, cv::Scalar(255), cv::FILLED);
    cv::circle(faint, {96, 96}, 9, cv::Scalar(255), cv::FILLED);
    cv::circle(faint, {96, 96}, 7, cv::Scalar(0), cv::FILLED);
    const double holeOne = cv::mean(oneLevel, hole)[0] / sigma, holeMapped = cv::mean(mapped, hole)[0] / sigma;
    const double faintOne = cv::mean(oneLevel, faint)[0] / 0.15 - 1.0, faintMapped = cv::mean(mapped, faint)[0] / 0.15 - 1.0;
    qInfo("air in the middle: %.3f sigma with one level, %.3f with the map; faint tissue bias %+.2f %% and %+.2f %%",
          holeOne, holeMapped, 100 * faintOne, 100 * faintMapped);
    QVERIFY2(holeMapped < 0.1, qPrintable(QString::number(holeMapped)));
    QVERIFY2(std::abs(faintMapped) < 0.03, qPrintable(QString::number(faintMapped)));
    QVERIFY2(holeOne > 0.3 && std::abs(faintOne) > 2 * std::abs(faintMapped), qPrintable(QString::number(holeOne)));
}

QTEST_APPLESS_MAIN(TestNoiseFloor)
#include "tst_noisefloor.moc"
