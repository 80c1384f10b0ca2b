// Memory of a whole `mri-enhance enhance` job grows with the slice by a bounded
// number of bytes per pixel (read, inference in tiles, noise floor, PSNR and
// SSIM, write), measured as the peak resident memory of the process at two
// sizes. Its own executable: getrusage(RUSAGE_CHILDREN) reports the largest
// child this process has waited for, so no other child may come before.

#include "ImageIO.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>

#include <sys/resource.h>

using namespace mri;

class TestMemory final : public QObject
{
    Q_OBJECT

private slots:
    void enhancementMemoryGrowsBoundedPerPixel();
};

namespace {

// Peak resident memory (MiB) of `mri-enhance enhance` on one side x side slice.
double peakMiBOfEnhancing(const QString &folder, int side)
{
    QDir().mkpath(folder + "/images");
    cv::Mat slice(side, side, CV_8UC1);
    cv::randu(slice, 20, 220);
    saveImageAtomically((folder + "/images/slice.png").toStdString(), slice);
    QFile csv(folder + "/brain_tumor_info.csv");
    if (!csv.open(QIODevice::WriteOnly))
        return -1;
    csv.write("patient_id,image_path\nP1,images/slice.png\n");
    csv.close();
    QProcess process;
    process.start(QStringLiteral(MRI_ENHANCE_EXECUTABLE),
                  {"enhance", "--dataset", folder, "--model", QStringLiteral(MRI_TEST_DATA_DIR "/models/model-v1.pt"),
                   // Tiles of one size at both slice sizes: the difference is then what grows with the slice.
                   "--tile", "256"});
    if (!process.waitForFinished(300000) || process.exitCode() != 0)
        return -1;
    rusage usage{};
    getrusage(RUSAGE_CHILDREN, &usage);
    return usage.ru_maxrss / 1024.0; // kilobytes on Linux
}

} // namespace

void TestMemory::enhancementMemoryGrowsBoundedPerPixel()
{
    QTemporaryDir dir;
    // Smaller first: the second reading is the larger child's peak.
    const double small = peakMiBOfEnhancing(dir.filePath("small"), 1024);
    const double large = peakMiBOfEnhancing(dir.filePath("large"), 2560);
    QVERIFY(small > 0 && large > 0);
    const double bytesPerPixel = (large - small) * 1024.0 * 1024.0 / (2560.0 * 2560.0 - 1024.0 * 1024.0);
    qInfo("peak resident memory: %.0f MiB at 1024x1024, %.0f MiB at 2560x2560: %.1f bytes per extra pixel", small,
          large, bytesPerPixel);
    // Release 0.1.0 needed about 78 bytes per pixel (whole-image float64 SSIM);
    // metrics in bands of rows brought it to about 24. Issue 10 converts tiles
    // from the 8-bit slice one at a time and keeps one float output with the
    // floor removed in place; between these two sizes it measures 15-19, most
    // of it the whole-slice noise measurement (float copy, local mean, mask)
    // that slices under 8.4 megapixels still get. Above that the noise is
    // measured on a sample: the whole 16000 x 16000 job peaked at 1.96 GB,
    // about 7 bytes per pixel (README, speed).
    QVERIFY2(bytesPerPixel < 28.0, qPrintable(QString::number(bytesPerPixel)));
}

QTEST_GUILESS_MAIN(TestMemory)
#include "tst_memory.moc"
