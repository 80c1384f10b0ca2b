// The self-check without ground truth (engine/quality/SelfCheck.h): MRIQC's measures
// against their definitions worked out by hand, and the verdict on results
// whose quality is known.
#include "quality/SelfCheck.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <QtTest>

#include <cmath>
#include <functional>
#include <map>
#include <random>

using namespace mri;

namespace {

// A 20 x 20 slice of four classes of 100 voxels (rows 0-4 air, 5-9 CSF, 10-14
// grey, 15-19 white), each alternating mean - d and mean + d along its rows:
// the class's mean and population standard deviation are exactly mean and d.
struct TwoValueClasses
{
    double mean[4] = {2.0, 20.0, 50.0, 80.0}; // air, CSF, grey, white
    double spread[4] = {1.0, 2.0, 4.0, 5.0};

    cv::Mat image() const
    {
        cv::Mat slice(20, 20, CV_32FC1);
        for (int y = 0; y < 20; ++y)
            for (int x = 0; x < 20; ++x)
                slice.at<float>(y, x) = static_cast<float>(mean[y / 5] + ((x + y) % 2 ? spread[y / 5] : -spread[y / 5]));
        return slice;
    }
    static cv::Mat labels()
    {
        cv::Mat label(20, 20, CV_8SC1);
        for (int y = 0; y < 20; ++y)
            label.row(y).setTo(cv::Scalar(y / 5 - 1));
        return label;
    }
};

// A head-like phantom: air, then CSF, grey and white as nested ellipses with a
// gentle texture, 64 x 64 x 6, values up to about 200.
std::vector<cv::Mat> phantom()
{
    std::vector<cv::Mat> slices;
    for (int z = 0; z < 6; ++z) {
        cv::Mat slice(96, 96, CV_32FC1, cv::Scalar(0));
        cv::ellipse(slice, {48, 48}, {38, 32}, 0, 0, 360, cv::Scalar(60), cv::FILLED);
        cv::ellipse(slice, {48, 48}, {32, 26}, 0, 0, 360, cv::Scalar(120), cv::FILLED);
        cv::ellipse(slice, {48, 48}, {20, 15}, 10.0 * z, 0, 360, cv::Scalar(180), cv::FILLED);
        for (int y = 0; y < 96; ++y)
            for (int x = 0; x < 96; ++x)
                if (slice.at<float>(y, x) > 0.0f)
                    slice.at<float>(y, x) += static_cast<float>(8.0 * std::sin(x / 5.0) * std::cos(y / 7.0));
        slices.push_back(slice);
    }
    return slices;
}

// Rician magnitude of `clean` with sigma per component, seeded.
std::vector<cv::Mat> rician(const std::vector<cv::Mat> &clean, double sigma, unsigned seed)
{
    std::mt19937 random(seed);
    std::normal_distribution<double> noise(0.0, sigma);
    std::vector<cv::Mat> noisy;
    for (const auto &slice : clean) {
        cv::Mat out(slice.size(), CV_32FC1);
        for (int y = 0; y < slice.rows; ++y)
            for (int x = 0; x < slice.cols; ++x) {
                const double real = slice.at<float>(y, x) + noise(random);
                const double imaginary = noise(random);
                out.at<float>(y, x) = static_cast<float>(std::hypot(real, imaginary));
            }
        noisy.push_back(out);
    }
    return noisy;
}

} // namespace

class TestSelfCheck : public QObject
{
    Q_OBJECT

private slots:
    void qualityMeasuresFollowMriqc_data();
    void qualityMeasuresFollowMriqc();
    void verdictOnKnownResults_data();
    void verdictOnKnownResults();
    void fieldsRoundTrip();
    void nonFiniteVoxelsAreLeftOut();
    void largeSliceIsCheckedOnBlocks();
};

void TestSelfCheck::qualityMeasuresFollowMriqc_data()
{
    QTest::addColumn<int>("pieces");
    QTest::addColumn<bool>("eightBit");
    QTest::newRow("one slice, float") << 1 << false;
    QTest::newRow("two slices, float") << 2 << false;
    QTest::newRow("one slice, 8-bit") << 1 << true;
}

// MRIQC's SNR, CNR, CJV and EFC (mriqc.qc.anatomical) on a volume whose class
// means and spreads are known exactly.
void TestSelfCheck::qualityMeasuresFollowMriqc()
{
    QFETCH(int, pieces);
    QFETCH(bool, eightBit);
    const TwoValueClasses classes;
    cv::Mat image = classes.image();
    if (eightBit)
        image.convertTo(image, CV_8U);
    const cv::Mat labels = TwoValueClasses::labels();
    std::vector<cv::Mat> slices, labelSlices;
    const int rows = 20 / pieces;
    for (int piece = 0; piece < pieces; ++piece) {
        slices.push_back(image.rowRange(piece * rows, (piece + 1) * rows).clone());
        labelSlices.push_back(labels.rowRange(piece * rows, (piece + 1) * rows).clone());
    }
    const QualityMeasures measures = qualityMeasures(slices, labelSlices);

    const double n = 100.0;
    const double bessel = std::sqrt(n / (n - 1.0));
    double snr = 0.0;
    for (int k = 1; k <= 3; ++k)
        snr += classes.mean[k] / (classes.spread[k] * bessel);
    snr /= 3.0;
    const double contrast = classes.mean[3] - classes.mean[2];
    const double cnr = contrast / std::sqrt(1.0 + 16.0 + 25.0);
    const double cjv = (5.0 + 4.0) / contrast;
    // Eight values of 50 voxels each: b = sqrt(sum 50 v^2), E = sum 50 (v/b) ln(v/b).
    double energy = 0.0;
    for (int k = 0; k < 4; ++k)
        for (const double sign : {-1.0, 1.0})
            energy += 50.0 * std::pow(classes.mean[k] + sign * classes.spread[k], 2);
    const double b = std::sqrt(energy);
    double entropy = 0.0;
    for (int k = 0; k < 4; ++k)
        for (const double sign : {-1.0, 1.0}) {
            const double v = classes.mean[k] + sign * classes.spread[k];
            entropy += 50.0 * (v / b) * std::log(v / b);
        }
    const double efc = entropy / (std::sqrt(400.0) * std::log(1.0 / std::sqrt(400.0)));

    QVERIFY2(std::abs(measures.snr - snr) < 1e-9 * snr, qPrintable(QString("%1 %2").arg(measures.snr).arg(snr)));
    QVERIFY2(std::abs(measures.cnr - cnr) < 1e-9 * cnr, qPrintable(QString("%1 %2").arg(measures.cnr).arg(cnr)));
    QVERIFY2(std::abs(measures.cjv - cjv) < 1e-9 * cjv, qPrintable(QString("%1 %2").arg(measures.cjv).arg(cjv)));
    QVERIFY2(std::abs(measures.efc - efc) < 1e-9, qPrintable(QString("%1 %2").arg(measures.efc).arg(efc)));
    QVERIFY(measures.efc > 0.0 && measures.efc < 1.0);
}

void TestSelfCheck::verdictOnKnownResults_data()
{
    using Make = std::function<std::vector<cv::Mat>(const std::vector<cv::Mat> &clean, const std::vector<cv::Mat> &noisy)>;
    QTest::addColumn<Make>("make");
    QTest::addColumn<QString>("verdict");
    QTest::addColumn<QString>("reason");
    QTest::newRow("the truth") << Make([](const auto &clean, const auto &) { return clean; }) << "ok" << "looks like";
    QTest::newRow("the input itself") << Make([](const auto &, const auto &noisy) { return noisy; }) << "suspect"
                                      << "little changed";
    QTest::newRow("the truth 30 % darker") << Make([](const auto &clean, const auto &) {
        std::vector<cv::Mat> out;
        for (const auto &slice : clean)
            out.push_back(slice * 0.7);
        return out;
    }) << "suspect" << "% darker";
    QTest::newRow("the truth blurred") << Make([](const auto &clean, const auto &) {
        std::vector<cv::Mat> out;
        for (const auto &slice : clean) {
            cv::Mat blurred;
            cv::GaussianBlur(slice, blurred, cv::Size(0, 0), 3.0);
            out.push_back(blurred);
        }
        return out;
    }) << "suspect" << "an estimated gain of only"; // truly 0.9 dB better than the input (printed), estimated 1.4
}

// Rician noise of 5 % on the phantom; the check of results of known quality.
void TestSelfCheck::verdictOnKnownResults()
{
    using Make = std::function<std::vector<cv::Mat>(const std::vector<cv::Mat> &clean, const std::vector<cv::Mat> &noisy)>;
    QFETCH(Make, make);
    QFETCH(QString, verdict);
    QFETCH(QString, reason);
    const auto clean = phantom();
    const auto noisy = rician(clean, 10.0, 7);
    const auto result = make(clean, noisy);
    const SelfCheck check = checkEnhancement(noisy, result, 1.0);
    double noisyError = 0.0, resultError = 0.0;
    for (std::size_t i = 0; i < clean.size(); ++i) {
        noisyError += std::pow(cv::norm(noisy[i], clean[i]), 2);
        resultError += std::pow(cv::norm(result[i], clean[i]), 2);
    }
    qInfo("true gain %.2f dB", 10.0 * std::log10(noisyError / std::max(resultError, 1e-12)));
    qInfo().noquote() << QString::fromStdString(verdictText(check.verdict) + ": " + check.reason)
                      << "gain" << check.estimatedGain << "residual" << check.residualToNoise << "edges"
                      << check.residualEdgeCorrelation << "bias" << check.tissueBias;
    QCOMPARE(QString::fromStdString(verdictText(check.verdict)), verdict);
    QVERIFY2(QString::fromStdString(check.reason).contains(reason), check.reason.c_str());
    QVERIFY(std::abs(check.noiseSigma - 10.0) < 1.0);
    if (verdict == "ok") {
        QVERIFY(std::abs(check.residualToNoise - 1.0) < 0.1);
        QVERIFY(std::abs(check.tissueBias) < 0.01);
        QVERIFY(check.estimatedGain > 10.0);
        QVERIFY(check.noiseLeft < 0.1);
        QVERIFY(check.result.snr > check.input.snr && check.result.cjv < check.input.cjv);
    }
}

// What selfCheckFields() writes, setSelfCheckField() reads back.
void TestSelfCheck::fieldsRoundTrip()
{
    const auto clean = phantom();
    const SelfCheck check = checkEnhancement(rician(clean, 10.0, 3), clean, 0.0);
    QCOMPARE(check.verdict, Verdict::Ok);
    SelfCheck read;
    const auto fields = selfCheckFields(check);
    QCOMPARE(fields.size(), selfCheckColumns().size());
    for (const auto &[column, text] : fields)
        QVERIFY2(setSelfCheckField(read, column, text), column.c_str());
    QCOMPARE(selfCheckFields(read), fields);
    // A check read back is judged as it was written (the GUI translates its finding).
    QCOMPARE(verdictOf(read), check.verdict);
    QCOMPARE(findingOf(read), Finding::LooksLikeNoise);
    QCOMPARE(findingSentence(read), check.reason);
    QVERIFY(!setSelfCheckField(read, "PSNR", "1"));
    QVERIFY(selfCheckFields(SelfCheck{})[2].second.empty()); // not checked: empty numbers
}

// NaN outside a field of view (and an Inf) neither switch the check off
// nor hide what it finds: the truth stays ok, a blurred truth suspect.
void TestSelfCheck::nonFiniteVoxelsAreLeftOut()
{
    const auto clean = phantom();
    auto noisy = rician(clean, 10.0, 5);
    const auto withHoles = [](std::vector<cv::Mat> slices) {
        for (auto &slice : slices) {
            slice = slice.clone();
            slice(cv::Rect(0, 0, 8, 8)).setTo(std::numeric_limits<float>::quiet_NaN());
        }
        return slices;
    };
    noisy = withHoles(noisy);
    auto truth = withHoles(clean);
    truth[2].at<float>(48, 48) = std::numeric_limits<float>::infinity();
    const SelfCheck good = checkEnhancement(noisy, truth, 1.0);
    QCOMPARE(good.verdict, Verdict::Ok);
    QVERIFY(std::abs(good.noiseSigma - 10.0) < 1.0);
    QVERIFY(std::isfinite(good.residualEdgeCorrelation) && std::isfinite(good.estimatedGain));
    std::vector<cv::Mat> blurred;
    for (const auto &slice : clean) {
        cv::Mat out;
        cv::GaussianBlur(slice, out, cv::Size(0, 0), 3.0);
        blurred.push_back(out);
    }
    const SelfCheck bad = checkEnhancement(noisy, withHoles(blurred), 1.0);
    QCOMPARE(bad.verdict, Verdict::Suspect);
    QVERIFY2(bad.residualEdgeCorrelation > 0.5, qPrintable(QString::number(bad.residualEdgeCorrelation)));
}

// A slice of more than 2^20 pixels is checked on blocks: the same verdicts.
void TestSelfCheck::largeSliceIsCheckedOnBlocks()
{
    cv::Mat clean(1100, 1100, CV_32FC1, cv::Scalar(0));
    cv::ellipse(clean, {550, 550}, {440, 380}, 0, 0, 360, cv::Scalar(60), cv::FILLED);
    cv::ellipse(clean, {550, 550}, {360, 300}, 0, 0, 360, cv::Scalar(120), cv::FILLED);
    cv::ellipse(clean, {550, 550}, {220, 170}, 0, 0, 360, cv::Scalar(180), cv::FILLED);
    const auto noisy = rician({clean}, 10.0, 11);
    const SelfCheck good = checkEnhancement(noisy, {clean}, 1.0);
    QCOMPARE(good.verdict, Verdict::Ok);
    QVERIFY(std::abs(good.noiseSigma - 10.0) < 1.0);
    const SelfCheck same = checkEnhancement(noisy, noisy, 1.0);
    QVERIFY2(same.verdict != Verdict::Ok && same.reason.find("little changed") != std::string::npos, same.reason.c_str());
}

QTEST_GUILESS_MAIN(TestSelfCheck)
#include "tst_selfcheck.moc"
