#include "base/EngineError.h"
#include "dataset/Dataset.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace QTest {
template <>
inline char *toString(const fs::path &path)
{
    return qstrdup(path.c_str());
}
} // namespace QTest

namespace {

fs::path pathOf(const QTemporaryDir &dir)
{
    return fs::path(dir.path().toStdString());
}

[[nodiscard]] bool writeText(const fs::path &file, const QByteArray &text)
{
    QDir().mkpath(QString::fromStdString(file.parent_path().string()));
    QFile out(QString::fromStdString(file.string()));
    return out.open(QIODevice::WriteOnly) && out.write(text) == text.size();
}

[[nodiscard]] bool writeImage(const fs::path &file)
{
    QDir().mkpath(QString::fromStdString(file.parent_path().string()));
    return cv::imwrite(file.string(), cv::Mat(4, 4, CV_8UC1, cv::Scalar(7)));
}

QStringList toQt(const std::vector<std::string> &values)
{
    QStringList list;
    for (const auto &value : values)
        list << QString::fromStdString(value);
    return list;
}

QString openError(const fs::path &folder, const fs::path &csv = {})
{
    try {
        mri::openDataset(folder, csv);
    } catch (const mri::EngineError &error) {
        return QString::fromStdString(error.what());
    }
    return {};
}

QString quoted(const fs::path &path)
{
    return "'" + QString::fromStdString(path.string()) + "'";
}

} // namespace

class TestDataset : public QObject
{
    Q_OBJECT

private slots:
    void readsCsvWithRelativeAndAbsolutePaths();
    void stripsBlanksButKeepsRawFields();
    void headerLookupIgnoresCase();
    void rejectsCsvWithoutRequiredColumn_data();
    void rejectsCsvWithoutRequiredColumn();
    void rejectsCsvWithoutRows();
    void keepsRowsWithEmptyValues();
    void scansFolderWithoutCsv();
    void prefersDefaultCsvOverScanning();
    void rejectsFolderWithoutCsvOrImages();
    void opensCustomCsv_data();
    void opensCustomCsv();
    void missingCustomCsvNamesIt();
    void rejectsMissingOrNonFolder();
    void normalisesFolderPath();
    void describesRows();
    void recognisesImageExtensions_data();
    void recognisesImageExtensions();
};

void TestDataset::readsCsvWithRelativeAndAbsolutePaths()
{
    QTemporaryDir dir;
    QTemporaryDir elsewhere;
    QVERIFY(dir.isValid() && elsewhere.isValid());
    const fs::path root = pathOf(dir);
    const fs::path absoluteImage = pathOf(elsewhere) / "b.png";
    const QByteArray csv = QByteArray("patient_id,image_path,age,diagnosis\n"
                                      "P1,images/a.png,40,glioma\n")
        + "P2," + QByteArray::fromStdString(absoluteImage.string()) + ",51,\"meningioma, grade I\"\n"
        + "P3,./images/../other/c.png,62,none\n";
    QVERIFY(writeText(root / "brain_tumor_info.csv", csv));

    const mri::Dataset dataset = mri::openDataset(root);
    QCOMPARE(dataset.folder, root);
    QCOMPARE(dataset.csvFile, root / "brain_tumor_info.csv");
    QCOMPARE(toQt(dataset.columns), (QStringList{"patient_id", "image_path", "age", "diagnosis"}));
    QCOMPARE(dataset.rows.size(), std::size_t(3));

    const mri::DatasetRow &first = dataset.rows[0];
    QCOMPARE(first.patientId, std::string("P1"));
    QCOMPARE(first.imagePathText, std::string("images/a.png"));
    QCOMPARE(first.imagePath, root / "images" / "a.png");
    QCOMPARE(toQt(first.fields), (QStringList{"P1", "images/a.png", "40", "glioma"}));
    QCOMPARE(first.sourceLine, 2);

    const mri::DatasetRow &second = dataset.rows[1];
    QCOMPARE(second.imagePath, absoluteImage);
    QCOMPARE(toQt(second.fields).at(3), QString("meningioma, grade I"));
    QCOMPARE(second.sourceLine, 3);

    // Resolved lexically: the image need not exist yet.
    QCOMPARE(dataset.rows[2].imagePath, root / "other" / "c.png");
    QVERIFY(!fs::exists(dataset.rows[2].imagePath));
}

void TestDataset::stripsBlanksButKeepsRawFields()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path root = pathOf(dir);
    QVERIFY(writeText(root / "brain_tumor_info.csv", "patient_id,image_path\r\n  P-7\t, images/p7.png \r\n"));

    const mri::Dataset dataset = mri::openDataset(root);
    QCOMPARE(dataset.rows.size(), std::size_t(1));
    QCOMPARE(dataset.rows[0].patientId, std::string("P-7"));
    QCOMPARE(dataset.rows[0].imagePathText, std::string("images/p7.png"));
    QCOMPARE(dataset.rows[0].imagePath, root / "images" / "p7.png");
    QCOMPARE(toQt(dataset.rows[0].fields), (QStringList{"  P-7\t", " images/p7.png "}));
}

void TestDataset::headerLookupIgnoresCase()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path root = pathOf(dir);
    QVERIFY(writeText(root / "brain_tumor_info.csv", "Slice, Patient_ID ,IMAGE_PATH\n4,P9,x.png\n"));

    const mri::Dataset dataset = mri::openDataset(root);
    QCOMPARE(toQt(dataset.columns), (QStringList{"Slice", " Patient_ID ", "IMAGE_PATH"}));
    QCOMPARE(dataset.rows[0].patientId, std::string("P9"));
    QCOMPARE(dataset.rows[0].imagePath, root / "x.png");
    QCOMPARE(dataset.columnIndex("patient_id"), 1);
    QCOMPARE(dataset.columnIndex("Image_Path"), 2);
    QCOMPARE(dataset.columnIndex(" slice "), 0);
    QCOMPARE(dataset.columnIndex("psnr"), -1);
}

void TestDataset::rejectsCsvWithoutRequiredColumn_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("sentence");

    QTest::newRow("no patient_id") << QByteArray("id,image_path\n1,a.png\n")
                                   << "%1 has no patient_id column; its columns are: id, image_path.";
    QTest::newRow("no image_path") << QByteArray("patient_id,path,age\n1,a.png,3\n")
                                   << "%1 has no image_path column; its columns are: patient_id, path, age.";
}

void TestDataset::rejectsCsvWithoutRequiredColumn()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, sentence);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path csv = pathOf(dir) / "brain_tumor_info.csv";
    QVERIFY(writeText(csv, text));
    QCOMPARE(openError(pathOf(dir)), sentence.arg(quoted(csv)));
}

void TestDataset::rejectsCsvWithoutRows()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path csv = pathOf(dir) / "brain_tumor_info.csv";
    QVERIFY(writeText(csv, "patient_id,image_path\n\n"));
    const QString message = openError(pathOf(dir));
    QVERIFY2(message.contains(quoted(csv)), qPrintable(message));
    QVERIFY2(message.contains("no data rows"), qPrintable(message));
}

void TestDataset::keepsRowsWithEmptyValues()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path root = pathOf(dir);
    QVERIFY(writeText(root / "brain_tumor_info.csv", "patient_id,image_path\nP1,\n,b.png\nP3\n"));

    const mri::Dataset dataset = mri::openDataset(root);
    QCOMPARE(dataset.rows.size(), std::size_t(3));
    QVERIFY(dataset.rows[0].imagePath.empty());
    QCOMPARE(dataset.rows[1].patientId, std::string());
    QCOMPARE(dataset.rows[1].imagePath, root / "b.png");
    QVERIFY(dataset.rows[2].imagePath.empty());
    QCOMPARE(dataset.rows[2].sourceLine, 4);
}

void TestDataset::scansFolderWithoutCsv()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path root = pathOf(dir);
    for (const char *name : {"b.png", "a.JPG", "c.tiff", "d.bmp", "e.jpeg", "f.TIF", ".hidden.png", "sub/g.png"})
        QVERIFY(writeImage(root / name));
    QVERIFY(writeText(root / "notes.txt", "not an image"));
    QVERIFY(writeText(root / "other.csv", "patient_id,image_path\nX,y.png\n"));
    QVERIFY(QDir(dir.path()).mkpath("folder.png"));

    const mri::Dataset dataset = mri::openDataset(root);
    QVERIFY(dataset.csvFile.empty());
    QCOMPARE(toQt(dataset.columns), (QStringList{"patient_id", "image_path"}));

    QStringList names;
    QStringList patients;
    for (const mri::DatasetRow &row : dataset.rows) {
        names << QString::fromStdString(row.imagePathText);
        patients << QString::fromStdString(row.patientId);
        QCOMPARE(row.imagePath, root / row.imagePathText);
        QCOMPARE(toQt(row.fields), (QStringList{QString::fromStdString(row.patientId), names.last()}));
        QCOMPARE(row.sourceLine, 0);
    }
    QCOMPARE(names, (QStringList{"a.JPG", "b.png", "c.tiff", "d.bmp", "e.jpeg", "f.TIF"}));
    QCOMPARE(patients, (QStringList{"a", "b", "c", "d", "e", "f"}));
}

void TestDataset::prefersDefaultCsvOverScanning()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path root = pathOf(dir);
    QVERIFY(writeImage(root / "scan-me.png"));
    QVERIFY(writeText(root / "brain_tumor_info.csv", "patient_id,image_path\nFromCsv,x.png\n"));

    const mri::Dataset dataset = mri::openDataset(root);
    QCOMPARE(dataset.csvFile, root / "brain_tumor_info.csv");
    QCOMPARE(dataset.rows.size(), std::size_t(1));
    QCOMPARE(dataset.rows[0].patientId, std::string("FromCsv"));
}

void TestDataset::rejectsFolderWithoutCsvOrImages()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(writeText(pathOf(dir) / "readme.txt", "nothing here"));
    const QString message = openError(pathOf(dir));
    QVERIFY2(message.contains(quoted(pathOf(dir))), qPrintable(message));
    QVERIFY2(message.contains("brain_tumor_info.csv"), qPrintable(message));
}

void TestDataset::opensCustomCsv_data()
{
    QTest::addColumn<bool>("absolute");
    QTest::newRow("relative to the folder") << false;
    QTest::newRow("absolute") << true;
}

void TestDataset::opensCustomCsv()
{
    QFETCH(bool, absolute);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path root = pathOf(dir);
    QVERIFY(writeText(root / "brain_tumor_info.csv", "patient_id,image_path\nDefault,d.png\n"));
    const fs::path custom = root / "lists" / "Train Set.csv";
    QVERIFY(writeText(custom, "patient_id,image_path\nCustom,../images/c.png\n"));

    const fs::path argument = absolute ? custom : fs::path("lists") / "Train Set.csv";
    const mri::Dataset dataset = mri::openDataset(root, argument);
    QCOMPARE(dataset.csvFile, custom);
    QCOMPARE(dataset.rows.size(), std::size_t(1));
    QCOMPARE(dataset.rows[0].patientId, std::string("Custom"));
    // Image paths are relative to the CSV's own folder, not the dataset folder.
    QCOMPARE(dataset.rows[0].imagePath, root / "images" / "c.png");
}

void TestDataset::missingCustomCsvNamesIt()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(writeImage(pathOf(dir) / "a.png"));
    const QString message = openError(pathOf(dir), "nope.csv");
    QVERIFY2(message.contains(quoted(pathOf(dir) / "nope.csv")), qPrintable(message));
    QVERIFY2(message.contains("does not exist"), qPrintable(message));
}

void TestDataset::rejectsMissingOrNonFolder()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path missing = pathOf(dir) / "no-such-folder";
    QCOMPARE(openError(missing), "The dataset folder " + quoted(missing) + " does not exist.");

    const fs::path file = pathOf(dir) / "file.png";
    QVERIFY(writeImage(file));
    const QString message = openError(file);
    QVERIFY2(message.contains(quoted(file)), qPrintable(message));
    QVERIFY2(message.contains("not a folder"), qPrintable(message));
}

void TestDataset::normalisesFolderPath()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path root = pathOf(dir);
    QVERIFY(writeImage(root / "a.png"));
    QVERIFY(QDir(dir.path()).mkpath("sub"));

    const mri::Dataset dataset = mri::openDataset(root.string() + "/sub/../");
    QCOMPARE(dataset.folder, root);
    QCOMPARE(dataset.rows.at(0).imagePath, root / "a.png");
}

void TestDataset::describesRows()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path root = pathOf(dir);
    const fs::path csv = root / "brain_tumor_info.csv";
    QVERIFY(writeText(csv, "patient_id,image_path\nP-001,a.png\n\nP-003,\"b\nc.png\"\n,d.png\n"));

    const mri::Dataset dataset = mri::openDataset(root);
    QCOMPARE(QString::fromStdString(dataset.describeRow(0)), "row 2 (patient P-001) of " + quoted(csv));
    QCOMPARE(QString::fromStdString(dataset.describeRow(1)), "row 4 (patient P-003) of " + quoted(csv));
    QCOMPARE(QString::fromStdString(dataset.describeRow(2)), "row 6 (no patient_id) of " + quoted(csv));

    QTemporaryDir scanned;
    QVERIFY(scanned.isValid());
    QVERIFY(writeImage(pathOf(scanned) / "slice_07.png"));
    const mri::Dataset folderDataset = mri::openDataset(pathOf(scanned));
    QCOMPARE(QString::fromStdString(folderDataset.describeRow(0)),
             "image 'slice_07.png' (patient slice_07) in " + quoted(pathOf(scanned)));
}

void TestDataset::recognisesImageExtensions_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("supported");

    for (const char *name : {"a.png", "a.PNG", "a.jpg", "a.Jpeg", "a.bmp", "a.tif", "a.TIFF", "dir/x.y.png"})
        QTest::newRow(name) << name << true;
    for (const char *name : {"a.gif", "a.nii.gz", "a.csv", "png", "a.png.txt", "a."})
        QTest::newRow(name) << name << false;
}

void TestDataset::recognisesImageExtensions()
{
    QFETCH(QString, name);
    QFETCH(bool, supported);
    QCOMPARE(mri::isSupportedImageFile(name.toStdString()), supported);
}

QTEST_APPLESS_MAIN(TestDataset)
#include "tst_dataset.moc"
