#include "EngineError.h"
#include "Noise.h"
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
    void namesParseBack_data();
    void namesParseBack();
    void badSpecsAreOneSentence_data();
    void badSpecsAreOneSentence();
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

void TestNoise::namesParseBack_data()
{
    QTest::addColumn<std::string>("text");
    QTest::addColumn<std::string>("canonical");
    QTest::addColumn<int>("model");
    QTest::addColumn<int>("coils");
    QTest::addColumn<double>("pixels");
    QTest::addColumn<int>("quality");
    const int rician = static_cast<int>(NoiseModel::Rician);
    const int gaussian = static_cast<int>(NoiseModel::Gaussian);
    QTest::newRow("rician") << std::string("rician") << std::string("rician") << rician << 1 << 0.0 << 0;
    QTest::newRow("upper case") << std::string("RICIAN") << std::string("rician") << rician << 1 << 0.0 << 0;
    QTest::newRow("gaussian") << std::string("Gaussian") << std::string("gaussian") << gaussian << 1 << 0.0 << 0;
    QTest::newRow("chi:8") << std::string("chi:8") << std::string("chi:8") << rician << 8 << 0.0 << 0;
    QTest::newRow("chi:1 is rician") << std::string("chi:1") << std::string("rician") << rician << 1 << 0.0 << 0;
    QTest::newRow("modifier only") << std::string("correlated:1.0") << std::string("rician+correlated:1") << rician
                                   << 1 << 1.0 << 0;
    QTest::newRow("all three") << std::string("Chi:8+Correlated:1.2+JPEG:75")
                               << std::string("chi:8+correlated:1.2+jpeg:75") << rician << 8 << 1.2 << 75;
    QTest::newRow("any order") << std::string("jpeg:75+gaussian") << std::string("gaussian+jpeg:75") << gaussian
                               << 1 << 0.0 << 75;
    QTest::newRow("largest") << std::string("chi:64+correlated:5+jpeg:100")
                             << std::string("chi:64+correlated:5+jpeg:100") << rician << 64 << 5.0 << 100;
}

void TestNoise::namesParseBack()
{
    QFETCH(std::string, text);
    QFETCH(std::string, canonical);
    QFETCH(int, model);
    QFETCH(int, coils);
    QFETCH(double, pixels);
    QFETCH(int, quality);
    const NoiseSpec spec = parseNoiseSpec(text);
    QCOMPARE(static_cast<int>(spec.model), model);
    QCOMPARE(spec.coils, coils);
    QCOMPARE(spec.correlationPixels, pixels);
    QCOMPARE(spec.jpegQuality, quality);
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

QTEST_APPLESS_MAIN(TestNoise)
#include "tst_noise.moc"
