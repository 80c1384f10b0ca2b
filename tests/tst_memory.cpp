// Memory of a whole `mri-enhance enhance` job (read, inference in tiles, noise
// floor, PSNR, SSIM and CNR, write) on real, noisy content: the middle slice
// of Debian's INIA19 macaque template resized with cubic interpolation, 10 %
// Rician noise (benchmarks/RealContentSlice.h). A phantom or uniform noise
// hides what grows with the anatomy (foreground, background, compressibility).
// Each child's own peak resident memory comes from wait4().

#include "RealContentSlice.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <string>

using namespace mri;

class TestMemory final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void enhancementMemoryGrowsBoundedPerPixel();
    void largeRealSliceStaysUnderOneGigabyte();

private:
    QTemporaryDir m_dir;
    std::string m_defaultModel;
};

namespace {

const std::string kProgram = MRI_ENHANCE_EXECUTABLE;

// Peak resident memory (MiB) of enhancing a side x side real-content slice; -1 on failure.
double peakMiBOfEnhancing(const std::filesystem::path &folder, int side, const std::string &model,
                          const std::string &tile = {})
{
    writeOneSliceDataset(folder, realContentSlice(kMacaqueVolume, side));
    std::vector<std::string> command{kProgram, "enhance", "--dataset", folder.string(), "--model", model, "--quiet"};
    if (!tile.empty()) {
        command.push_back("--tile");
        command.push_back(tile);
    }
    const ChildRun run = runMeasured(command);
    qInfo("%dx%d: peak %.0f MiB, %.1f s", side, side, run.peakMiB, run.seconds);
    return run.exitCode == 0 ? run.peakMiB : -1.0;
}

} // namespace

void TestMemory::initTestCase()
{
    if (!std::filesystem::exists(kMacaqueVolume))
        QSKIP("Debian's mricron-data (inia19-t1-brain.nii.gz) is not installed.");
    QVERIFY(m_dir.isValid());
    // A model of the default network: its activations are what a user's tiles
    // cost. One tiny epoch; the weights do not change the memory.
    const std::string demo = m_dir.filePath("demo").toStdString();
    m_defaultModel = m_dir.filePath("default.pt").toStdString();
    QCOMPARE(runMeasured({kProgram, "demo-dataset", "--out", demo, "--slices", "4", "--quiet"}).exitCode, 0);
    QCOMPARE(runMeasured({kProgram, "train", "--dataset", demo, "--model", m_defaultModel, "--quiet", "--set",
                          "epochs=1", "--set", "patches_per_image=2", "--set", "batch_size=2"})
                 .exitCode,
             0);
}

void TestMemory::enhancementMemoryGrowsBoundedPerPixel()
{
    // The small network and tiles of one size at both slice sizes: the
    // difference is then what grows with the slice.
    const std::string model = MRI_TEST_DATA_DIR "/models/model-v1.pt";
    const double small = peakMiBOfEnhancing(m_dir.filePath("small").toStdString(), 1024, model, "256");
    const double large = peakMiBOfEnhancing(m_dir.filePath("large").toStdString(), 2560, model, "256");
    QVERIFY(small > 0 && large > 0);
    const double bytesPerPixel = (large - small) * 1024.0 * 1024.0 / (2560.0 * 2560.0 - 1024.0 * 1024.0);
    qInfo("%.1f bytes per extra pixel", bytesPerPixel);
    // Release 0.1.0 needed about 78 bytes per pixel (whole-image float64
    // SSIM); metrics in bands brought it to about 24 and issue 10 to 15-19 on
    // uniform noise. On this slice: 21, most of it the whole-slice noise
    // measurement that slices under 8.4 megapixels get (float copy, local
    // mean, masks, the background's values and their sorted copy: it grows
    // with the background). Larger slices are measured on a sample; the test
    // below bounds them.
    QVERIFY2(bytesPerPixel < 28.0, qPrintable(QString::number(bytesPerPixel)));
}

void TestMemory::largeRealSliceStaysUnderOneGigabyte()
{
    // The issue 20 measurement: 8000 x 8000 macaque, default network and
    // tiles. It peaked at 1298 MiB: the CNR (issue 13) took a float copy of
    // the slice, its finite values and their copy for a quantile, three masks
    // and another float copy (0.96 GB at this size). With the CNR in rows and
    // activations freed when used: 710-760 MiB, of which the program and
    // libraries are 170, the input 61, the float output 244, one tile's work
    // the rest.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    QSKIP("Under a sanitizer the program's memory is the sanitizer's (shadow, quarantine): no bound to test.");
#endif
    const double peak = peakMiBOfEnhancing(m_dir.filePath("macaque-8000").toStdString(), 8000, m_defaultModel);
    QVERIFY(peak > 0);
    QVERIFY2(peak <= 1000.0, qPrintable(QString::number(peak) + " MiB"));
}

QTEST_GUILESS_MAIN(TestMemory)
#include "tst_memory.moc"
