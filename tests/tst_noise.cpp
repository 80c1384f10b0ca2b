#include "base/EngineError.h"
#include "quality/Noise.h"
#include "TestDatasets.h"

#include <QtTest>

#include <opencv2/core.hpp>

#include <cmath>
#include <vector>

using namespace mri;

Q_DECLARE_METATYPE(std::string)

class TestNoise final : public QObject
{
    Q_OBJECT

private slots:
    void backgroundFollowsCentralChi_data();
    void backgroundFollowsCentralChi();
    void highSignalKeepsSigma_data();
    void highSignalKeepsSigma();
    void correlationFollowsTheKernel_data();
    void correlationFollowsTheKernel();
    void correlatedChiKeepsTheBackgroundLaw();
    void jpegChangesTheImageRepeatably_data();
    void jpegChangesTheImageRepeatably();
    void plainModelsAreUnchanged();
    void zeroFillKeepsTheNoiseStd_data();
    void zeroFillKeepsTheNoiseStd();
    void zeroFillCorrelationIsTheSinc_data();
    void zeroFillCorrelationIsTheSinc();
    void zeroFillKeepsTheBackgroundLaw_data();
    void zeroFillKeepsTheBackgroundLaw();
    void senseMapIsOneAtTheEdgesAndPeaksInTheCentre_data();
    void senseMapIsOneAtTheEdgesAndPeaksInTheCentre();
    void senseNoiseFollowsTheGMap_data();
    void senseNoiseFollowsTheGMap();
    void newPartsAreRepeatable_data();
    void newPartsAreRepeatable();
    void namesParseBack_data();
    void namesParseBack();
    void badSpecsAreOneSentence_data();
    void badSpecsAreOneSentence();
    void badFieldsAreOneSentence_data();
    void badFieldsAreOneSentence();
};

namespace {

// Mean and E[y^2] of central chi with 2N degrees of freedom, scale sigma.
double chiMean(int coils, double sigma)
{
    return sigma * std::sqrt(2.0) * std::exp(std::lgamma(coils + 0.5) - std::lgamma(coils));
}

double meanOfSquares(const cv::Mat &image)
{
    cv::Mat wide;
    image.convertTo(wide, CV_64F);
    return wide.dot(wide) / static_cast<double>(wide.total());
}

// Normalised autocorrelation of a zero-mean field at horizontal lag d.
double autocorrelation(const cv::Mat &field, int lag)
{
    cv::Mat wide;
    field.convertTo(wide, CV_64F);
    const cv::Mat left = wide.colRange(0, wide.cols - lag);
    const cv::Mat right = wide.colRange(lag, wide.cols);
    const double variance = wide.dot(wide) / static_cast<double>(wide.total());
    return left.dot(right) / static_cast<double>(left.total()) / variance;
}

// The sampled Gaussian kernel's self-convolution at lag d, normalised to 1 at 0.
double kernelSelfConvolution(double pixels, int lag)
{
    const int half = static_cast<int>(std::ceil(4.0 * pixels));
    std::vector<double> weights;
    for (int i = -half; i <= half; ++i)
        weights.push_back(std::exp(-i * i / (2.0 * pixels * pixels)));
    double atLag = 0.0, atZero = 0.0;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        atZero += weights[i] * weights[i];
        if (i + lag < weights.size())
            atLag += weights[i] * weights[i + lag];
    }
    return atLag / atZero;
}

// The complex noise's correlation at lag d after zero-filling a side of `size`
// pixels by `factor`: the mean of cos(2 pi k d / size) over the acquired
// frequencies k = -floor(n/2) .. ceil(n/2) - 1, n = ceil(size / factor); the
// real part of a Dirichlet kernel, about sinc(d / factor).
double zeroFillCorrelation(int size, int factor, int lag)
{
    const int acquired = (size + factor - 1) / factor;
    double sum = 0.0;
    for (int k = -(acquired / 2); k < (acquired + 1) / 2; ++k)
        sum += std::cos(2.0 * M_PI * k * lag / size);
    return sum / acquired;
}

double typeRange(int type)
{
    return CV_MAT_DEPTH(type) == CV_8U ? 255.0 : CV_MAT_DEPTH(type) == CV_16U ? 65535.0 : 1.0;
}

} // namespace

void TestNoise::backgroundFollowsCentralChi_data()
{
    QTest::addColumn<std::string>("spec");
    QTest::addColumn<int>("coils");
    QTest::addColumn<double>("sigma");
    for (const double sigma : {0.05, 0.1}) {
        const QByteArray level = QByteArray::number(sigma);
        QTest::newRow("rician " + level) << std::string("rician") << 1 << sigma;
        QTest::newRow("chi:4 " + level) << std::string("chi:4") << 4 << sigma;
        QTest::newRow("chi:8 " + level) << std::string("chi:8") << 8 << sigma;
    }
}

void TestNoise::backgroundFollowsCentralChi()
{
    QFETCH(std::string, spec);
    QFETCH(int, coils);
    QFETCH(double, sigma);
    const cv::Mat zeros(400, 400, CV_32FC1, cv::Scalar(0));
    const cv::Mat noisy = addNoise(zeros, parseNoiseSpec(spec), sigma, 7);
    const double mean = cv::mean(noisy)[0];
    const double expectedMean = chiMean(coils, sigma);
    QVERIFY2(std::abs(mean / expectedMean - 1.0) < 0.01,
             qPrintable(QString("mean %1, expected %2").arg(mean).arg(expectedMean)));
    const double squares = meanOfSquares(noisy);
    const double expectedSquares = 2.0 * coils * sigma * sigma;
    QVERIFY2(std::abs(squares / expectedSquares - 1.0) < 0.015,
             qPrintable(QString("E[y^2] %1, expected %2").arg(squares).arg(expectedSquares)));
}

void TestNoise::highSignalKeepsSigma_data()
{
    QTest::addColumn<std::string>("spec");
    QTest::newRow("rician") << std::string("rician");
    QTest::newRow("chi:8") << std::string("chi:8");
    QTest::newRow("gaussian") << std::string("gaussian");
    QTest::newRow("rician+zerofill:2") << std::string("rician+zerofill:2");
    QTest::newRow("chi:8+zerofill:4") << std::string("chi:8+zerofill:4");
    QTest::newRow("gaussian+zerofill:3") << std::string("gaussian+zerofill:3");
}

void TestNoise::highSignalKeepsSigma()
{
    // Far above the noise the magnitude's spread is sigma for any number of coils.
    QFETCH(std::string, spec);
    const double sigma = 0.02;
    const cv::Mat bright(400, 400, CV_32FC1, cv::Scalar(1.0));
    cv::Scalar mean, deviation;
    cv::meanStdDev(addNoise(bright, parseNoiseSpec(spec), sigma, 3), mean, deviation);
    QVERIFY2(std::abs(deviation[0] / sigma - 1.0) < 0.02,
             qPrintable(QString("std %1, expected %2").arg(deviation[0]).arg(sigma)));
    QVERIFY2(std::abs(mean[0] - 1.0) < 0.01, qPrintable(QString("mean %1").arg(mean[0])));
}

void TestNoise::correlationFollowsTheKernel_data()
{
    QTest::addColumn<double>("pixels");
    QTest::newRow("independent") << 0.0;
    QTest::newRow("1.0 px") << 1.0;
    QTest::newRow("1.5 px") << 1.5;
}

void TestNoise::correlationFollowsTheKernel()
{
    QFETCH(double, pixels);
    NoiseSpec spec;
    spec.model = NoiseModel::Gaussian;
    spec.correlationPixels = pixels;
    const double sigma = 0.1;
    const cv::Mat zeros(512, 512, CV_32FC1, cv::Scalar(0));
    const cv::Mat noisy = addNoise(zeros, spec, sigma, 21);

    cv::Scalar mean, deviation;
    cv::meanStdDev(noisy, mean, deviation);
    QVERIFY2(std::abs(deviation[0] / sigma - 1.0) < 0.03,
             qPrintable(QString("std %1, expected %2").arg(deviation[0]).arg(sigma)));
    for (int lag = 1; lag <= 3; ++lag) {
        const double measured = autocorrelation(noisy, lag);
        const double expected = pixels > 0.0 ? kernelSelfConvolution(pixels, lag) : 0.0;
        QVERIFY2(std::abs(measured - expected) < 0.03,
                 qPrintable(QString("lag %1: %2, expected %3").arg(lag).arg(measured).arg(expected)));
    }
    // The vertical direction is filtered the same way.
    if (pixels > 0.0) {
        const double vertical = autocorrelation(noisy.t(), 1);
        QVERIFY(std::abs(vertical - kernelSelfConvolution(pixels, 1)) < 0.03);
    }
}

void TestNoise::correlatedChiKeepsTheBackgroundLaw()
{
    // Filtering keeps each channel's per-pixel law, so the background stays central chi.
    const double sigma = 0.05;
    const cv::Mat zeros(400, 400, CV_32FC1, cv::Scalar(0));
    const cv::Mat noisy = addNoise(zeros, parseNoiseSpec("chi:4+correlated:1"), sigma, 5);
    QVERIFY(std::abs(meanOfSquares(noisy) / (8.0 * sigma * sigma) - 1.0) < 0.05);
    QVERIFY(autocorrelation(noisy - cv::mean(noisy)[0], 1) > 0.4);
}

void TestNoise::jpegChangesTheImageRepeatably_data()
{
    QTest::addColumn<int>("type");
    QTest::newRow("8-bit") << CV_8UC1;
    QTest::newRow("16-bit") << CV_16UC1;
    QTest::newRow("float") << CV_32FC1;
}

void TestNoise::jpegChangesTheImageRepeatably()
{
    QFETCH(int, type);
    const double range = type == CV_8UC1 ? 255.0 : type == CV_16UC1 ? 65535.0 : 1.0;
    cv::Mat clean;
    test::syntheticSlice(96, 80, 4).convertTo(clean, type, range);
    const cv::Mat plain = addNoise(clean, parseNoiseSpec("rician"), 0.05, 9);
    const cv::Mat a = addNoise(clean, parseNoiseSpec("rician+jpeg:30"), 0.05, 9);
    const cv::Mat b = addNoise(clean, parseNoiseSpec("rician+jpeg:30"), 0.05, 9);
    QCOMPARE(a.type(), type);
    QCOMPARE(cv::norm(a, b, cv::NORM_INF), 0.0);
    const double change = cv::norm(a, plain, cv::NORM_L1) / static_cast<double>(a.total()) / range;
    QVERIFY2(change > 0.005, qPrintable(QString("mean change %1").arg(change)));
    // Compression keeps the picture: far less change than the image's own contrast.
    QVERIFY(change < 0.1);
}

void TestNoise::plainModelsAreUnchanged()
{
    // The spec overload with a plain model is the old generator.
    const cv::Mat clean = test::syntheticSlice(40, 30, 2);
    for (const NoiseModel model : {NoiseModel::Rician, NoiseModel::Gaussian}) {
        NoiseSpec spec;
        spec.model = model;
        QCOMPARE(cv::norm(addNoise(clean, spec, 0.07, 4), addNoise(clean, model, 0.07, 4), cv::NORM_INF), 0.0);
    }
    QVERIFY(cv::norm(addNoise(clean, parseNoiseSpec("chi:2"), 0.07, 4), addNoise(clean, NoiseModel::Rician, 0.07, 4),
                     cv::NORM_INF) > 0.0);
}

void TestNoise::zeroFillKeepsTheNoiseStd_data()
{
    QTest::addColumn<int>("factor");
    QTest::addColumn<int>("type");
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("cols");
    QTest::newRow("F=2 float") << 2 << CV_32FC1 << 512 << 512;
    QTest::newRow("F=2 8-bit") << 2 << CV_8UC1 << 512 << 512;
    QTest::newRow("F=3 16-bit, sides not multiples of 3") << 3 << CV_16UC1 << 481 << 502;
    QTest::newRow("F=4 float, odd sides") << 4 << CV_32FC1 << 511 << 509;
    QTest::newRow("F=2 two channels") << 2 << CV_32FC2 << 384 << 384;
}

void TestNoise::zeroFillKeepsTheNoiseStd()
{
    // The acquisition's scale keeps sigma per pixel, whatever F and the rounding up of the matrix.
    QFETCH(int, factor);
    QFETCH(int, type);
    QFETCH(int, rows);
    QFETCH(int, cols);
    const double range = typeRange(type);
    const double sigma = 0.05;
    const cv::Mat flat(rows, cols, type, cv::Scalar::all(0.5 * range));
    NoiseSpec spec;
    spec.model = NoiseModel::Gaussian;
    spec.zeroFillFactor = factor;
    const cv::Mat noisy = addNoise(flat, spec, sigma, 13);
    QCOMPARE(noisy.type(), type);
    cv::Scalar mean, deviation;
    cv::meanStdDev(noisy, mean, deviation);
    for (int channel = 0; channel < noisy.channels(); ++channel) {
        const double measured = deviation[channel] / range;
        QVERIFY2(std::abs(measured / sigma - 1.0) < 0.03,
                 qPrintable(QString("channel %1: std %2, expected %3").arg(channel).arg(measured).arg(sigma)));
        QVERIFY(std::abs(mean[channel] / range - 0.5) < 0.01);
    }
    // Image channels are independent acquisitions.
    if (noisy.channels() == 2) {
        cv::Mat planes[2];
        cv::split(noisy - cv::Scalar::all(0.5), planes);
        const double across = planes[0].dot(planes[1]) / static_cast<double>(planes[0].total()) / (sigma * sigma);
        QVERIFY2(std::abs(across) < 0.03, qPrintable(QString("channel correlation %1").arg(across)));
    }
}

void TestNoise::zeroFillCorrelationIsTheSinc_data()
{
    QTest::addColumn<int>("factor");
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("cols");
    QTest::newRow("F=2") << 2 << 512 << 512;
    QTest::newRow("F=2 odd sides") << 2 << 501 << 499;
    QTest::newRow("F=3") << 3 << 510 << 510;
    QTest::newRow("F=4") << 4 << 512 << 512;
}

void TestNoise::zeroFillCorrelationIsTheSinc()
{
    // The Gaussian model is the real part of the complex noise: its
    // autocorrelation is the interpolation's, sinc-like, not a blur's.
    QFETCH(int, factor);
    QFETCH(int, rows);
    QFETCH(int, cols);
    NoiseSpec spec;
    spec.model = NoiseModel::Gaussian;
    spec.zeroFillFactor = factor;
    const cv::Mat zeros(rows, cols, CV_32FC1, cv::Scalar(0));
    const cv::Mat noisy = addNoise(zeros, spec, 0.1, 17);
    for (int lag = 1; lag <= 3; ++lag) {
        const double measured = autocorrelation(noisy, lag);
        const double expected = zeroFillCorrelation(cols, factor, lag);
        QVERIFY2(std::abs(measured - expected) < 0.03,
                 qPrintable(QString("lag %1: %2, expected %3").arg(lag).arg(measured).arg(expected)));
        const double vertical = autocorrelation(noisy.t(), lag);
        const double expectedVertical = zeroFillCorrelation(rows, factor, lag);
        QVERIFY2(std::abs(vertical - expectedVertical) < 0.03,
                 qPrintable(QString("vertical lag %1: %2, expected %3").arg(lag).arg(vertical).arg(expectedVertical)));
    }
    // The stated rule of thumb: sinc(1/F), 2/pi = 0.64 for F = 2.
    const double sinc = std::sin(M_PI / factor) / (M_PI / factor);
    QVERIFY2(std::abs(autocorrelation(noisy, 1) - sinc) < 0.03,
             qPrintable(QString("lag 1: %1, sinc(1/F) %2").arg(autocorrelation(noisy, 1)).arg(sinc)));
}

void TestNoise::zeroFillKeepsTheBackgroundLaw_data()
{
    QTest::addColumn<std::string>("spec");
    QTest::addColumn<int>("coils");
    QTest::newRow("rician+zerofill:2") << std::string("rician+zerofill:2") << 1;
    QTest::newRow("rician+zerofill:4") << std::string("rician+zerofill:4") << 1;
    QTest::newRow("chi:8+zerofill:2") << std::string("chi:8+zerofill:2") << 8;
}

void TestNoise::zeroFillKeepsTheBackgroundLaw()
{
    // Each pixel's complex noise is still circular with std sigma per channel,
    // so the background is central chi: sigma * sqrt(pi/2) for Rician.
    QFETCH(std::string, spec);
    QFETCH(int, coils);
    const double sigma = 0.05;
    const cv::Mat zeros(400, 400, CV_32FC1, cv::Scalar(0));
    const cv::Mat noisy = addNoise(zeros, parseNoiseSpec(spec), sigma, 19);
    const double mean = cv::mean(noisy)[0];
    const double expectedMean = chiMean(coils, sigma);
    QVERIFY2(std::abs(mean / expectedMean - 1.0) < 0.03,
             qPrintable(QString("mean %1, expected %2").arg(mean).arg(expectedMean)));
    const double squares = meanOfSquares(noisy);
    const double expectedSquares = 2.0 * coils * sigma * sigma;
    QVERIFY2(std::abs(squares / expectedSquares - 1.0) < 0.03,
             qPrintable(QString("E[y^2] %1, expected %2").arg(squares).arg(expectedSquares)));
    // ... and correlated, unlike independent noise.
    QVERIFY(autocorrelation(noisy - cv::mean(noisy)[0], 1) > 0.3);
}

void TestNoise::senseMapIsOneAtTheEdgesAndPeaksInTheCentre_data()
{
    QTest::addColumn<int>("acceleration");
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("cols");
    QTest::addColumn<double>("peak");
    QTest::addColumn<double>("tolerance");
    QTest::newRow("R=1") << 1 << 65 << 81 << 1.0 << 1e-6;
    QTest::newRow("R=2") << 2 << 65 << 81 << 1.25 << 1e-6;
    QTest::newRow("R=4") << 4 << 101 << 33 << 1.75 << 1e-6;
    QTest::newRow("R=8") << 8 << 65 << 81 << 2.75 << 1e-6;
    // An even side has no centre pixel: the four middle ones are a little below gmax.
    QTest::newRow("R=4 even sides") << 4 << 64 << 64 << 1.75 << 0.01;
}

void TestNoise::senseMapIsOneAtTheEdgesAndPeaksInTheCentre()
{
    QFETCH(int, acceleration);
    QFETCH(int, rows);
    QFETCH(int, cols);
    QFETCH(double, peak);
    QFETCH(double, tolerance);
    QCOMPARE(senseMaxGFactor(acceleration), peak);
    const cv::Mat map = senseGFactorMap(cv::Size(cols, rows), acceleration);
    QCOMPARE(map.type(), CV_32FC1);
    QCOMPARE(map.size(), cv::Size(cols, rows));
    for (const cv::Mat &edge : {map.row(0), map.row(rows - 1), map.col(0), map.col(cols - 1)}) {
        double low = 0.0, high = 0.0;
        cv::minMaxLoc(edge, &low, &high);
        QVERIFY2(std::abs(low - 1.0) < 1e-6 && std::abs(high - 1.0) < 1e-6,
                 qPrintable(QString("edge from %1 to %2").arg(low).arg(high)));
    }
    double low = 0.0, high = 0.0;
    cv::Point highest;
    cv::minMaxLoc(map, &low, &high, nullptr, &highest);
    QVERIFY2(std::abs(low - 1.0) < 1e-6, qPrintable(QString("lowest %1").arg(low)));
    QVERIFY2(high <= peak + 1e-6 && high >= peak - tolerance * (peak - 1.0) - 1e-6,
             qPrintable(QString("highest %1, gmax %2").arg(high).arg(peak)));
    if (acceleration > 1) {
        QVERIFY(std::abs(highest.y - (rows - 1) / 2.0) <= 0.5);
        QVERIFY(std::abs(highest.x - (cols - 1) / 2.0) <= 0.5);
    }
    // Smooth: no jump between neighbours larger than the slope of the window allows.
    cv::Mat step;
    cv::absdiff(map.rowRange(1, rows), map.rowRange(0, rows - 1), step);
    QVERIFY(cv::norm(step, cv::NORM_INF) <= (peak - 1.0) * M_PI / (rows - 1) + 1e-6);
}

void TestNoise::senseNoiseFollowsTheGMap_data()
{
    QTest::addColumn<std::string>("spec");
    QTest::addColumn<bool>("background"); // true: the block means of a zero image; false: the block std of a flat one
    QTest::addColumn<int>("coils");
    QTest::newRow("gaussian+sense:2 std") << std::string("gaussian+sense:2") << false << 1;
    QTest::newRow("gaussian+sense:8 std") << std::string("gaussian+sense:8") << false << 1;
    QTest::newRow("gaussian+zerofill:2+sense:4 std") << std::string("gaussian+zerofill:2+sense:4") << false << 1;
    QTest::newRow("chi:4+sense:4 bright std") << std::string("chi:4+sense:4") << false << 4;
    QTest::newRow("rician+sense:4 background") << std::string("rician+sense:4") << true << 1;
    QTest::newRow("rician+zerofill:2+sense:2 background") << std::string("rician+zerofill:2+sense:2") << true << 1;
    QTest::newRow("chi:8+sense:8 background") << std::string("chi:8+sense:8") << true << 8;
}

void TestNoise::senseNoiseFollowsTheGMap()
{
    // Measured in 128 x 128 blocks, the local noise is sigma * g: the std
    // sigma * sqrt(mean g^2) on a bright flat image, the central chi mean
    // times mean g in the background.
    QFETCH(std::string, spec);
    QFETCH(bool, background);
    QFETCH(int, coils);
    const NoiseSpec noise = parseNoiseSpec(spec);
    const double sigma = 0.02;
    const int side = 1024, block = 128;
    const cv::Mat clean(side, side, CV_32FC1, cv::Scalar(background ? 0.0 : 1.0));
    const cv::Mat noisy = addNoise(clean, noise, sigma, 23);
    cv::Mat g;
    senseGFactorMap(clean.size(), noise.senseAcceleration).convertTo(g, CV_64F);
    double worst = 0.0, lowest = 1e9, highest = 0.0;
    for (int r = 0; r < side; r += block) {
        for (int c = 0; c < side; c += block) {
            const cv::Rect area(c, r, block, block);
            cv::Scalar mean, deviation;
            cv::meanStdDev(noisy(area), mean, deviation);
            const double measured = background ? mean[0] : deviation[0];
            const double expected = background ? chiMean(coils, sigma) * cv::mean(g(area))[0]
                                               : sigma * std::sqrt(meanOfSquares(g(area)));
            worst = std::max(worst, std::abs(measured / expected - 1.0));
            lowest = std::min(lowest, measured);
            highest = std::max(highest, measured);
        }
    }
    QVERIFY2(worst < 0.05, qPrintable(QString("worst block off by %1").arg(worst)));
    // The map really varies the level: the centre blocks are noisier than the corners.
    const double spread = std::sqrt(meanOfSquares(g(cv::Rect(side / 2 - block, side / 2 - block, block, block))))
        / std::sqrt(meanOfSquares(g(cv::Rect(0, 0, block, block))));
    QVERIFY2(highest / lowest > 1.0 + 0.5 * (spread - 1.0),
             qPrintable(QString("blocks from %1 to %2").arg(lowest).arg(highest)));
}

void TestNoise::newPartsAreRepeatable_data()
{
    QTest::addColumn<std::string>("spec");
    QTest::addColumn<std::string>("without"); // the same spec without the new parts
    QTest::addColumn<int>("type");
    QTest::newRow("chi:4+zerofill:3+jpeg:60 8-bit") << std::string("chi:4+zerofill:3+jpeg:60")
                                                    << std::string("chi:4+jpeg:60") << CV_8UC1;
    QTest::newRow("rician+sense:4 16-bit") << std::string("rician+sense:4") << std::string("rician") << CV_16UC1;
    QTest::newRow("gaussian+zerofill:2+sense:2 float") << std::string("gaussian+zerofill:2+sense:2")
                                                       << std::string("gaussian") << CV_32FC1;
    QTest::newRow("chi:2+correlated:1+sense:8+jpeg:90 float") << std::string("chi:2+correlated:1+sense:8+jpeg:90")
                                                              << std::string("chi:2+correlated:1+jpeg:90") << CV_32FC1;
}

void TestNoise::newPartsAreRepeatable()
{
    QFETCH(std::string, spec);
    QFETCH(std::string, without);
    QFETCH(int, type);
    const double range = typeRange(type);
    cv::Mat clean;
    test::syntheticSlice(97, 83, 6).convertTo(clean, type, range);
    const NoiseSpec noise = parseNoiseSpec(spec);
    const cv::Mat a = addNoise(clean, noise, 0.05, 31);
    const cv::Mat b = addNoise(clean, noise, 0.05, 31);
    QCOMPARE(a.type(), type);
    QCOMPARE(a.size(), clean.size());
    QCOMPARE(cv::norm(a, b, cv::NORM_INF), 0.0);
    QVERIFY(cv::norm(a, addNoise(clean, noise, 0.05, 32), cv::NORM_INF) > 0.0);
    QVERIFY(cv::norm(a, addNoise(clean, parseNoiseSpec(without), 0.05, 31), cv::NORM_INF) > 0.0);
    // Still noise around the picture, not a different picture.
    const double change = cv::norm(a, clean, cv::NORM_L1) / static_cast<double>(a.total()) / range;
    QVERIFY2(change > 0.01 && change < 0.2, qPrintable(QString("mean change %1").arg(change)));
}

void TestNoise::namesParseBack_data()
{
    QTest::addColumn<std::string>("text");
    QTest::addColumn<std::string>("canonical");
    QTest::addColumn<int>("model");
    QTest::addColumn<int>("coils");
    QTest::addColumn<double>("pixels");
    QTest::addColumn<int>("quality");
    QTest::addColumn<int>("zerofill");
    QTest::addColumn<int>("sense");
    const int rician = static_cast<int>(NoiseModel::Rician);
    const int gaussian = static_cast<int>(NoiseModel::Gaussian);
    QTest::newRow("rician") << std::string("rician") << std::string("rician") << rician << 1 << 0.0 << 0 << 1 << 1;
    QTest::newRow("upper case") << std::string("RICIAN") << std::string("rician") << rician << 1 << 0.0 << 0 << 1 << 1;
    QTest::newRow("gaussian") << std::string("Gaussian") << std::string("gaussian") << gaussian << 1 << 0.0 << 0 << 1 << 1;
    QTest::newRow("chi:8") << std::string("chi:8") << std::string("chi:8") << rician << 8 << 0.0 << 0 << 1 << 1;
    QTest::newRow("chi:1 is rician") << std::string("chi:1") << std::string("rician") << rician << 1 << 0.0 << 0 << 1 << 1;
    QTest::newRow("modifier only") << std::string("correlated:1.0") << std::string("rician+correlated:1") << rician
                                   << 1 << 1.0 << 0 << 1 << 1;
    QTest::newRow("all three") << std::string("Chi:8+Correlated:1.2+JPEG:75")
                               << std::string("chi:8+correlated:1.2+jpeg:75") << rician << 8 << 1.2 << 75 << 1 << 1;
    QTest::newRow("any order") << std::string("jpeg:75+gaussian") << std::string("gaussian+jpeg:75") << gaussian
                               << 1 << 0.0 << 75 << 1 << 1;
    QTest::newRow("largest") << std::string("chi:64+correlated:5+jpeg:100")
                             << std::string("chi:64+correlated:5+jpeg:100") << rician << 64 << 5.0 << 100 << 1 << 1;
    QTest::newRow("zerofill") << std::string("chi:8+zerofill:2") << std::string("chi:8+zerofill:2") << rician << 8
                              << 0.0 << 0 << 2 << 1;
    QTest::newRow("sense") << std::string("Rician+SENSE:2") << std::string("rician+sense:2") << rician << 1 << 0.0
                           << 0 << 1 << 2;
    QTest::newRow("sense:1 is none") << std::string("rician+sense:1") << std::string("rician") << rician << 1 << 0.0
                                     << 0 << 1 << 1;
    QTest::newRow("new parts with jpeg") << std::string("JPEG:75+sense:4+zerofill:3+chi:8")
                                         << std::string("chi:8+zerofill:3+sense:4+jpeg:75") << rician << 8 << 0.0 << 75
                                         << 3 << 4;
    QTest::newRow("correlated and sense") << std::string("sense:8+correlated:1.5+gaussian")
                                          << std::string("gaussian+correlated:1.5+sense:8") << gaussian << 1 << 1.5
                                          << 0 << 1 << 8;
    QTest::newRow("zerofill:4 alone") << std::string("zerofill:4") << std::string("rician+zerofill:4") << rician << 1
                                      << 0.0 << 0 << 4 << 1;
}

void TestNoise::namesParseBack()
{
    QFETCH(std::string, text);
    QFETCH(std::string, canonical);
    QFETCH(int, model);
    QFETCH(int, coils);
    QFETCH(double, pixels);
    QFETCH(int, quality);
    QFETCH(int, zerofill);
    QFETCH(int, sense);
    const NoiseSpec spec = parseNoiseSpec(text);
    QCOMPARE(static_cast<int>(spec.model), model);
    QCOMPARE(spec.coils, coils);
    QCOMPARE(spec.correlationPixels, pixels);
    QCOMPARE(spec.jpegQuality, quality);
    QCOMPARE(spec.zeroFillFactor, zerofill);
    QCOMPARE(spec.senseAcceleration, sense);
    QCOMPARE(noiseSpecName(spec), canonical);
    QVERIFY(parseNoiseSpec(noiseSpecName(spec)) == spec);
}

void TestNoise::badSpecsAreOneSentence_data()
{
    QTest::addColumn<std::string>("text");
    QTest::addColumn<QString>("named");
    QTest::newRow("unknown part") << std::string("rician+poisson") << QString("\"poisson\"");
    QTest::newRow("chi:0") << std::string("chi:0") << QString("\"chi:0\"");
    QTest::newRow("chi:65") << std::string("chi:65") << QString("\"chi:65\"");
    QTest::newRow("chi:2.5") << std::string("chi:2.5") << QString("\"chi:2.5\"");
    QTest::newRow("chi without coils") << std::string("chi") << QString("\"chi\"");
    QTest::newRow("two base models") << std::string("rician+gaussian") << QString("more than one");
    QTest::newRow("chi and rician") << std::string("chi:4+rician") << QString("more than one");
    QTest::newRow("correlated:9") << std::string("correlated:9") << QString("\"correlated:9\"");
    QTest::newRow("correlated:0") << std::string("correlated:0") << QString("\"correlated:0\"");
    QTest::newRow("correlated twice") << std::string("correlated:1+correlated:2") << QString("correlated more than");
    QTest::newRow("jpeg:101") << std::string("jpeg:101") << QString("\"jpeg:101\"");
    QTest::newRow("jpeg:0") << std::string("jpeg:0") << QString("\"jpeg:0\"");
    QTest::newRow("rician with a value") << std::string("rician:2") << QString("\"rician:2\"");
    QTest::newRow("empty") << std::string("") << QString("empty");
    QTest::newRow("empty part") << std::string("rician+") << QString("empty part");
    QTest::newRow("zerofill:1") << std::string("rician+zerofill:1") << QString("\"zerofill:1\"");
    QTest::newRow("zerofill:5") << std::string("zerofill:5") << QString("\"zerofill:5\"");
    QTest::newRow("zerofill:2.5") << std::string("zerofill:2.5") << QString("\"zerofill:2.5\"");
    QTest::newRow("zerofill without a factor") << std::string("chi:4+zerofill") << QString("\"zerofill\"");
    QTest::newRow("zerofill twice") << std::string("zerofill:2+zerofill:3") << QString("zerofill more than");
    QTest::newRow("sense:0") << std::string("sense:0") << QString("\"sense:0\"");
    QTest::newRow("sense:9") << std::string("gaussian+sense:9") << QString("\"sense:9\"");
    QTest::newRow("sense:2.5") << std::string("sense:2.5") << QString("\"sense:2.5\"");
    QTest::newRow("sense without a value") << std::string("sense") << QString("\"sense\"");
    QTest::newRow("sense twice") << std::string("sense:2+sense:2") << QString("sense more than");
    QTest::newRow("correlated and zerofill") << std::string("correlated:1+zerofill:2")
                                             << QString("correlated:K and zerofill:F");
    QTest::newRow("zerofill and correlated") << std::string("chi:8+zerofill:2+jpeg:75+correlated:1.2")
                                             << QString("two ways of correlating");
    QTest::newRow("unknown part names the new ones") << std::string("grappa:2") << QString("+zerofill:F, +sense:R");
}

void TestNoise::badSpecsAreOneSentence()
{
    QFETCH(std::string, text);
    QFETCH(QString, named);
    try {
        parseNoiseSpec(text);
        QFAIL("no error");
    } catch (const EngineError &error) {
        const QString message = QString::fromStdString(error.what());
        QVERIFY2(message.contains(named, Qt::CaseInsensitive), qPrintable(message));
        QVERIFY2(message.endsWith('.') && !message.contains('\n'), qPrintable(message));
        QVERIFY2(message.count(QRegularExpression("[.!?] [A-Z]")) == 0, qPrintable(message));
    }
}

void TestNoise::badFieldsAreOneSentence_data()
{
    // Specs built in code (the synthetic objective's settings) are checked too.
    QTest::addColumn<int>("zerofill");
    QTest::addColumn<int>("sense");
    QTest::addColumn<double>("pixels");
    QTest::addColumn<QString>("named");
    QTest::newRow("zerofill 5") << 5 << 1 << 0.0 << QString("not 5");
    QTest::newRow("zerofill 0") << 0 << 1 << 0.0 << QString("not 0");
    QTest::newRow("sense 9") << 1 << 9 << 0.0 << QString("not 9");
    QTest::newRow("sense 0") << 1 << 0 << 0.0 << QString("not 0");
    QTest::newRow("zerofill and correlated") << 2 << 1 << 1.0 << QString("both correlate");
}

void TestNoise::badFieldsAreOneSentence()
{
    QFETCH(int, zerofill);
    QFETCH(int, sense);
    QFETCH(double, pixels);
    QFETCH(QString, named);
    NoiseSpec spec;
    spec.zeroFillFactor = zerofill;
    spec.senseAcceleration = sense;
    spec.correlationPixels = pixels;
    const cv::Mat clean(8, 8, CV_32FC1, cv::Scalar(0.5));
    try {
        addNoise(clean, spec, 0.05, 1);
        QFAIL("no error");
    } catch (const EngineError &error) {
        const QString message = QString::fromStdString(error.what());
        QVERIFY2(message.contains(named), qPrintable(message));
        QVERIFY2(message.endsWith('.') && !message.contains('\n'), qPrintable(message));
        QVERIFY2(message.count(QRegularExpression("[.!?] [A-Z]")) == 0, qPrintable(message));
    }
    if (sense < 1 || sense > 8)
        QVERIFY_THROWS_EXCEPTION(EngineError, senseGFactorMap(cv::Size(8, 8), sense));
}

QTEST_APPLESS_MAIN(TestNoise)
#include "tst_noise.moc"
