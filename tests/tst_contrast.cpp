#include "base/EngineError.h"
#include "image/ContrastStep.h"
#include "quality/Noise.h"
#include "quality/TissueContrast.h"

#include <QTest>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <random>

using namespace mri;


// The contrast step (parse, round trip, CLAHE, gamma) and the grey/white
// contrast-to-noise ratio (definition, three-class clustering).
class TestContrast : public QObject
{
    Q_OBJECT

private slots:
    void parsesAndRoundTrips_data();
    void parsesAndRoundTrips();
    void refusesBadText_data();
    void refusesBadText();
    void formsTextComesFromTheTable();
    void noneReturnsTheInput();
    void gammaIsAPowerLaw();
    void claheMatchesOpenCvOnEightBits();
    void claheHasNoBands();
    void claheClipMatters();
    void claheRaisesCnrOnLowContrast();
    void claheKeepsNan();
    void cnrMatchesClosedForm();
    void cnrDefinitionOnKnownValues();
    void clusteringRecoversThreeClasses();
    void blankSliceGivesNan();
    void volumeAndSliceSetAgree();
};

namespace {

// Left half value a, right half value b, plus Gaussian noise of `sigma`.
cv::Mat twoClassImage(int size, float a, float b, double sigma, unsigned seed)
{
    cv::Mat image(size, size, CV_32FC1);
    std::mt19937 generator(seed);
    std::normal_distribution<float> noise(0.0f, static_cast<float>(sigma));
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x)
            image.at<float>(y, x) = (x < size / 2 ? a : b) + noise(generator);
    return image;
}

// Dark background border, then three vertical bands: CSF 0.25, grey 0.5, white 0.8.
cv::Mat threeClassImage(cv::Mat *labels, double sigma)
{
    const int size = 120;
    cv::Mat image(size, size, CV_32FC1, cv::Scalar(0.0f));
    if (labels)
        *labels = cv::Mat(size, size, CV_8UC1, cv::Scalar(0));
    std::mt19937 generator(7);
    std::normal_distribution<float> noise(0.0f, static_cast<float>(sigma));
    for (int y = 10; y < size - 10; ++y) {
        for (int x = 10; x < size - 10; ++x) {
            const int k = x < 40 ? 1 : (x < 75 ? 2 : 3);
            image.at<float>(y, x) = (k == 1 ? 0.25f : k == 2 ? 0.5f : 0.8f) + noise(generator);
            if (labels)
                labels->at<unsigned char>(y, x) = static_cast<unsigned char>(k);
        }
    }
    return image;
}

} // namespace

void TestContrast::parsesAndRoundTrips_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("kind");
    QTest::addColumn<double>("clip");
    QTest::addColumn<int>("tiles");
    QTest::addColumn<double>("gamma");
    QTest::addColumn<QString>("canonical");
    QTest::newRow("none") << "none" << int(ContrastKind::None) << 2.0 << 8 << 1.0 << "none";
    QTest::newRow("NONE spaced") << "  NONE " << int(ContrastKind::None) << 2.0 << 8 << 1.0 << "none";
    QTest::newRow("clahe") << "clahe" << int(ContrastKind::Clahe) << 2.0 << 8 << 1.0 << "clahe:2,8";
    QTest::newRow("clahe clip") << "clahe:3.5" << int(ContrastKind::Clahe) << 3.5 << 8 << 1.0 << "clahe:3.5,8";
    QTest::newRow("clahe both") << "CLAHE:1.25, 16" << int(ContrastKind::Clahe) << 1.25 << 16 << 1.0 << "clahe:1.25,16";
    QTest::newRow("clahe limits") << "clahe:0.1,1" << int(ContrastKind::Clahe) << 0.1 << 1 << 1.0 << "clahe:0.1,1";
    QTest::newRow("clahe upper") << "clahe:40,64" << int(ContrastKind::Clahe) << 40.0 << 64 << 1.0 << "clahe:40,64";
    QTest::newRow("gamma") << "gamma:0.8" << int(ContrastKind::Gamma) << 2.0 << 8 << 0.8 << "gamma:0.8";
    QTest::newRow("gamma 5") << "Gamma:5" << int(ContrastKind::Gamma) << 2.0 << 8 << 5.0 << "gamma:5";
}

void TestContrast::parsesAndRoundTrips()
{
    QFETCH(QString, text);
    QFETCH(int, kind);
    QFETCH(double, clip);
    QFETCH(int, tiles);
    QFETCH(double, gamma);
    QFETCH(QString, canonical);
    const auto step = parseContrastStep(text.toStdString());
    QCOMPARE(int(step.kind), kind);
    if (step.kind == ContrastKind::Clahe) {
        QCOMPARE(step.clipLimit, clip);
        QCOMPARE(step.tiles, tiles);
    }
    if (step.kind == ContrastKind::Gamma)
        QCOMPARE(step.gamma, gamma);
    QCOMPARE(QString::fromStdString(contrastStepText(step)), canonical);
    QVERIFY(parseContrastStep(contrastStepText(step)) == step);
}

void TestContrast::refusesBadText_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("empty") << "" << "is not a contrast step";
    QTest::newRow("unknown") << "sharpen" << "is not a contrast step";
    QTest::newRow("none with value") << "none:1" << "gives none a parameter";
    QTest::newRow("clip low") << "clahe:0.05" << "clip 0.05, outside 0.1..40";
    QTest::newRow("clip high") << "clahe:41" << "clip 41, outside 0.1..40";
    QTest::newRow("clip text") << "clahe:abc" << "'abc' where clip should be a number";
    QTest::newRow("clip empty") << "clahe:" << "'' where clip should be a number";
    QTest::newRow("tiles zero") << "clahe:2,0" << "tiles 0, outside 1..64";
    QTest::newRow("tiles fraction") << "clahe:2,2.5" << "tiles 2.5, which should be a whole number";
    QTest::newRow("too many") << "clahe:2,8,1" << "more than two CLAHE parameters";
    QTest::newRow("gamma none") << "gamma" << "needs exactly one gamma value";
    QTest::newRow("gamma high") << "gamma:6" << "gamma 6, outside 0.1..5";
    QTest::newRow("gamma nan") << "gamma:nan" << "'nan' where gamma should be a number";
}

void TestContrast::refusesBadText()
{
    QFETCH(QString, text);
    QFETCH(QString, mentions);
    try {
        parseContrastStep(text.toStdString());
        QFAIL("accepted");
    } catch (const EngineError &error) {
        const QString sentence = QString::fromUtf8(error.what());
        QVERIFY2(sentence.startsWith("The contrast step '" + text + "' "), qPrintable(sentence));
        QVERIFY2(sentence.contains(mentions), qPrintable(sentence));
        QVERIFY2(sentence.contains(QString::fromStdString(contrastFormsText())), qPrintable(sentence));
        QVERIFY(sentence.endsWith(".") && sentence.count('\n') == 0);
    }
}

void TestContrast::formsTextComesFromTheTable()
{
    QCOMPARE(QString::fromStdString(contrastFormsText()),
             QString("none, clahe[:CLIP[,TILES]] (CLIP 0.1..40, default 2; TILES 1..64, default 8) or gamma:G (G 0.1..5)"));
    // The struct's defaults are the table's.
    const ContrastStep step;
    for (const auto &p : contrastParameters()) {
        if (p.name == "clip")
            QCOMPARE(step.clipLimit, p.defaultValue);
        if (p.name == "tiles")
            QCOMPARE(double(step.tiles), p.defaultValue);
    }
}

void TestContrast::noneReturnsTheInput()
{
    const cv::Mat image = twoClassImage(32, 0.3f, 0.6f, 0.01, 1);
    const cv::Mat result = applyContrast(image, ContrastStep{});
    QCOMPARE(result.data, image.data);
}

void TestContrast::gammaIsAPowerLaw()
{
    cv::Mat image(1, 5, CV_32FC1);
    const float values[5] = {0.0f, 0.25f, 0.5f, 1.0f, 1.5f};
    for (int i = 0; i < 5; ++i)
        image.at<float>(0, i) = values[i];
    const auto result = applyContrast(image, parseContrastStep("gamma:2"));
    QCOMPARE(result.type(), CV_32FC1);
    QCOMPARE(result.at<float>(0, 0), 0.0f);
    QCOMPARE(result.at<float>(0, 1), 0.0625f);
    QCOMPARE(result.at<float>(0, 2), 0.25f);
    QCOMPARE(result.at<float>(0, 3), 1.0f);
    QCOMPARE(result.at<float>(0, 4), 1.0f); // clamped to [0, 1] first
    const auto half = applyContrast(image, parseContrastStep("gamma:0.5"));
    QVERIFY(std::abs(half.at<float>(0, 1) - 0.5f) < 1e-6f);
}

void TestContrast::claheMatchesOpenCvOnEightBits()
{
    // On an image of 8-bit levels our CLAHE is OpenCV's up to the within-bin
    // interpolation (at most one bin's share of the cumulative histogram).
    cv::Mat eight(200, 168, CV_8UC1);
    cv::randn(eight, 100, 30);
    cv::GaussianBlur(eight, eight, cv::Size(0, 0), 3.0);
    cv::Mat unit;
    eight.convertTo(unit, CV_32F, 1.0 / 256.0, 0.5 / 256.0); // the middle of each 8-bit bin
    for (const double clip : {1.0, 2.0, 4.0}) {
        cv::Mat expected;
        cv::createCLAHE(clip, cv::Size(8, 8))->apply(eight, expected);
        cv::Mat expectedUnit;
        expected.convertTo(expectedUnit, CV_32F, 1.0 / 255.0);
        ContrastStep step;
        step.kind = ContrastKind::Clahe;
        step.clipLimit = clip;
        const cv::Mat ours = applyContrast(unit, step);
        const double meanDifference = cv::mean(cv::abs(ours - expectedUnit))[0];
        QVERIFY2(meanDifference < 0.02, qPrintable(QString("clip %1: %2").arg(clip).arg(meanDifference)));
    }
}

void TestContrast::claheHasNoBands()
{
    // A smooth ramp keeps many more levels than 8 bits would.
    cv::Mat ramp(64, 256, CV_32FC1);
    for (int y = 0; y < ramp.rows; ++y)
        for (int x = 0; x < ramp.cols; ++x)
            ramp.at<float>(y, x) = 0.4f + 0.2f * (x + y / 64.0f) / 256.0f;
    const cv::Mat result = applyContrast(ramp, parseContrastStep("clahe"));
    std::vector<float> values(result.begin<float>(), result.end<float>());
    std::sort(values.begin(), values.end());
    const auto distinct = std::unique(values.begin(), values.end()) - values.begin();
    QVERIFY2(distinct > 2000, qPrintable(QString::number(distinct)));
}

void TestContrast::claheClipMatters()
{
    const cv::Mat image = twoClassImage(128, 0.45f, 0.55f, 0.02, 3);
    cv::Scalar meanLow, stdLow, meanHigh, stdHigh;
    cv::meanStdDev(applyContrast(image, parseContrastStep("clahe:1")), meanLow, stdLow);
    cv::meanStdDev(applyContrast(image, parseContrastStep("clahe:10")), meanHigh, stdHigh);
    QVERIFY2(stdHigh[0] > 1.5 * stdLow[0], qPrintable(QString("%1 %2").arg(stdLow[0]).arg(stdHigh[0])));
}

void TestContrast::claheRaisesCnrOnLowContrast()
{
    // Interleaved grey (0.4) and white (0.5) stripes, a CSF band (0.2), under
    // a smooth shading (a bias field, x0.6 to x1.4 across): the shading, not
    // the noise, makes the classes overlap; CLAHE's local equalisation
    // removes it. (On two classes that the noise alone separates, equalising
    // lowers CNR: it stretches each class's peak.)
    const int size = 128;
    cv::Mat clean(size, size, CV_32FC1, cv::Scalar(0.0f));
    for (int y = 8; y < size - 8; ++y)
        for (int x = 8; x < size - 8; ++x)
            clean.at<float>(y, x) = y < 24 ? 0.2f : ((x / 4) % 2 ? 0.5f : 0.4f);
    cv::Mat shaded = clean.clone();
    for (int y = 0; y < size; ++y)
        for (int x = 0; x < size; ++x)
            shaded.at<float>(y, x) *= 0.6f + 0.8f * static_cast<float>(x) / (size - 1);
    cv::Mat noise(clean.size(), CV_32FC1);
    cv::randn(noise, 0.0, 0.005);
    const cv::Mat noisy = shaded + noise;
    const double before = greyWhiteCnr(noisy, clean);
    const double after = greyWhiteCnr(applyContrast(noisy, parseContrastStep("clahe")), clean);
    QVERIFY2(std::isfinite(before) && after > 1.5 * before, qPrintable(QString("%1 -> %2").arg(before).arg(after)));
    // A global gamma cannot undo the shading: the CNR moves little.
    const double gamma = greyWhiteCnr(applyContrast(noisy, parseContrastStep("gamma:0.7")), clean);
    QVERIFY2(std::abs(gamma - before) < 0.3 * before, qPrintable(QString("%1 -> %2").arg(before).arg(gamma)));
}

void TestContrast::claheKeepsNan()
{
    cv::Mat image = twoClassImage(32, 0.3f, 0.6f, 0.01, 1);
    image.at<float>(3, 4) = std::numeric_limits<float>::quiet_NaN();
    const cv::Mat result = applyContrast(image, parseContrastStep("clahe:2,4"));
    QVERIFY(std::isnan(result.at<float>(3, 4)));
    QVERIFY(std::isfinite(result.at<float>(5, 5)));
}

void TestContrast::cnrMatchesClosedForm()
{
    // Two classes, the same Gaussian noise: CNR = |m1 - m2| / sigma.
    const double sigma = 0.05;
    const cv::Mat image = twoClassImage(256, 0.3f, 0.5f, sigma, 11);
    cv::Mat left = cv::Mat::zeros(image.size(), CV_8UC1);
    left(cv::Rect(0, 0, 128, 256)).setTo(255);
    const cv::Mat right = 255 - left;
    const double cnr = contrastToNoiseRatio(image, left, right);
    const double expected = 0.2 / sigma; // 4
    // 32768 pixels per class: the sample std is within ~0.4 % (1 s.e.).
    QVERIFY2(std::abs(cnr - expected) < 0.03 * expected, qPrintable(QString::number(cnr)));
}

void TestContrast::cnrDefinitionOnKnownValues()
{
    // A = {1, 3} (mean 2, var 2), B = {6, 8, 10} (mean 8, var 4): 6 / sqrt(3).
    cv::Mat image = (cv::Mat_<float>(1, 6) << 1, 3, 6, 8, 10, 99);
    const cv::Mat a = (cv::Mat_<unsigned char>(1, 6) << 1, 1, 0, 0, 0, 0);
    const cv::Mat b = (cv::Mat_<unsigned char>(1, 6) << 0, 0, 1, 1, 1, 0);
    QVERIFY(std::abs(contrastToNoiseRatio(image, a, b) - 6.0 / std::sqrt(3.0)) < 1e-9);
    const cv::Mat one = (cv::Mat_<unsigned char>(1, 6) << 0, 0, 0, 0, 0, 1);
    QVERIFY(std::isnan(contrastToNoiseRatio(image, a, one)));
}

void TestContrast::clusteringRecoversThreeClasses()
{
    cv::Mat labels;
    const cv::Mat image = threeClassImage(&labels, 0.03);
    const auto masks = classifyTissue(image);
    QVERIFY(masks.found);
    int wrong = 0;
    int foreground = 0;
    for (int y = 0; y < image.rows; ++y) {
        for (int x = 0; x < image.cols; ++x) {
            const int truth = labels.at<unsigned char>(y, x);
            const int found = masks.csf.at<unsigned char>(y, x) ? 1 : masks.grey.at<unsigned char>(y, x) ? 2
                : masks.white.at<unsigned char>(y, x) ? 3 : 0;
            foreground += truth != 0;
            wrong += found != truth;
        }
    }
    QVERIFY2(wrong < foreground / 1000, qPrintable(QString::number(wrong)));
    QVERIFY(std::abs(masks.centres[0] - 0.25) < 0.01 && std::abs(masks.centres[1] - 0.5) < 0.01
            && std::abs(masks.centres[2] - 0.8) < 0.01);
    // Deterministic: the same masks again; and 16-bit input gives the same classes.
    const auto again = classifyTissue(image);
    QCOMPARE(cv::countNonZero(again.grey != masks.grey), 0);
    cv::Mat sixteen;
    cv::max(image, 0.0, sixteen);
    sixteen.convertTo(sixteen, CV_16U, 65535.0);
    QCOMPARE(cv::countNonZero(classifyTissue(sixteen).white != masks.white), 0);
    // The grey/white CNR on the noisy image: 0.3 / 0.03 = 10.
    const double cnr = greyWhiteCnr(image, threeClassImage(nullptr, 0.0));
    QVERIFY2(std::abs(cnr - 10.0) < 0.5, qPrintable(QString::number(cnr)));
}

void TestContrast::blankSliceGivesNan()
{
    const cv::Mat blank = cv::Mat::zeros(64, 64, CV_32FC1);
    QVERIFY(!classifyTissue(blank).found);
    QVERIFY(std::isnan(greyWhiteCnr(blank, blank)));
    const cv::Mat flat(64, 64, CV_32FC1, cv::Scalar(0.5f));
    QVERIFY(!classifyTissue(flat).found);
    QVERIFY(std::isnan(greyWhiteCnr(flat, flat)));
    // Two levels only: no three classes either.
    cv::Mat twoLevels = twoClassImage(64, 0.3f, 0.6f, 0.0, 1);
    QVERIFY(std::isnan(greyWhiteCnr(twoLevels, twoLevels)));
}

void TestContrast::volumeAndSliceSetAgree()
{
    const cv::Mat clean = threeClassImage(nullptr, 0.0);
    const cv::Mat noisy = threeClassImage(nullptr, 0.05);
    const double single = greyWhiteCnr(noisy, clean);
    const double set = greyWhiteCnr(std::vector<cv::Mat>{noisy, noisy}, std::vector<cv::Mat>{clean, clean});
    // The sample variances divide by n - 1: twice the pixels, a hair apart.
    QVERIFY2(std::abs(single - set) < 1e-3 * single, qPrintable(QString("%1 %2").arg(single).arg(set)));
    ScanVolume volume;
    volume.size = {clean.cols, clean.rows, 2, 1};
    volume.voxels.assign(clean.begin<float>(), clean.end<float>());
    volume.voxels.insert(volume.voxels.end(), clean.begin<float>(), clean.end<float>());
    ScanVolume noisyVolume = volume;
    noisyVolume.voxels.assign(noisy.begin<float>(), noisy.end<float>());
    noisyVolume.voxels.insert(noisyVolume.voxels.end(), noisy.begin<float>(), noisy.end<float>());
    const double fromVolume = greyWhiteCnr(noisyVolume, volume);
    QVERIFY2(std::abs(fromVolume - set) < 1e-9 * set, qPrintable(QString("%1 %2").arg(single).arg(fromVolume)));
    // Subsampled: close to the full value.
    const cv::Mat sample = sampleVoxels(noisyVolume, 5000);
    QVERIFY(sample.cols <= 5000 && sample.cols > 2500);
}

QTEST_APPLESS_MAIN(TestContrast)
#include "tst_contrast.moc"
