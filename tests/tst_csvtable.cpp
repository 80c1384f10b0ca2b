#include "base/EngineError.h"
#include "io/AtomicFile.h"
#include "io/CsvTable.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <stdexcept>
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

QStringList toQt(const std::vector<std::string> &values)
{
    QStringList list;
    for (const auto &value : values)
        list << QString::fromStdString(value);
    return list;
}

QList<QStringList> toQt(const std::vector<std::vector<std::string>> &rows)
{
    QList<QStringList> list;
    for (const auto &row : rows)
        list << toQt(row);
    return list;
}

std::vector<std::string> toStd(const QStringList &values)
{
    std::vector<std::string> out;
    for (const auto &value : values)
        out.push_back(value.toStdString());
    return out;
}

mri::CsvTable parse(const QByteArray &text, const std::string &sourceName = "x.csv")
{
    return mri::parseCsv(std::string_view(text.constData(), static_cast<std::size_t>(text.size())), sourceName);
}

QString parseError(const QByteArray &text)
{
    try {
        parse(text);
    } catch (const mri::EngineError &error) {
        return QString::fromStdString(error.what());
    }
    return {};
}

// Every entry of the folder, hidden ones included: temporaries start with a dot.
QStringList folderEntries(const QString &folder)
{
    return QDir(folder).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
                                  QDir::Name);
}

QByteArray readAll(const fs::path &file)
{
    QFile in(QString::fromStdString(file.string()));
    if (!in.open(QIODevice::ReadOnly))
        return {};
    return in.readAll();
}

} // namespace

class TestCsvTable : public QObject
{
    Q_OBJECT

private slots:
    void parsesValidText_data();
    void parsesValidText();
    void rejectsInvalidText_data();
    void rejectsInvalidText();
    void longRowErrorIsOneExactSentence();
    void columnIndexIgnoresCaseAndBlanks_data();
    void columnIndexIgnoresCaseAndBlanks();
    void formatsQuotingOnlyWhenNeeded_data();
    void formatsQuotingOnlyWhenNeeded();
    void formatThenParseRoundTrips();
    void readsDoubledByteOrderMark();
    void formatKeepsLeadingByteOrderMark();
    void readsFileWithBomAndCrlf();
    void readFileErrorsNameTheFile();
    void atomicWriteCreatesFoldersAndLeavesNoTemporaries();
    void atomicWriteReplacesExistingFile();
    void failedAtomicWriteKeepsOldFileAndRemovesTemporary();
    void atomicWriterThatCreatesNothingIsAnError();
    void atomicWriteOntoFolderFails();
};

void TestCsvTable::parsesValidText_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QStringList>("header");
    QTest::addColumn<QList<QStringList>>("rows");
    QTest::addColumn<QList<int>>("lines");

    const QStringList ab{"a", "b"};
    QTest::newRow("lf") << QByteArray("a,b\n1,2\n3,4\n") << ab << QList<QStringList>{{"1", "2"}, {"3", "4"}}
                        << QList<int>{2, 3};
    QTest::newRow("crlf") << QByteArray("a,b\r\n1,2\r\n3,4\r\n") << ab
                          << QList<QStringList>{{"1", "2"}, {"3", "4"}} << QList<int>{2, 3};
    QTest::newRow("lone cr") << QByteArray("a,b\r1,2\r3,4\r") << ab << QList<QStringList>{{"1", "2"}, {"3", "4"}}
                             << QList<int>{2, 3};
    QTest::newRow("no final newline") << QByteArray("a,b\n1,2") << ab << QList<QStringList>{{"1", "2"}}
                                      << QList<int>{2};
    QTest::newRow("bom") << QByteArray("\xEF\xBB\xBF" "a,b\n1,2\n") << ab << QList<QStringList>{{"1", "2"}}
                         << QList<int>{2};
    QTest::newRow("quoted comma") << QByteArray("a,b\n\"x, y\",2\n") << ab << QList<QStringList>{{"x, y", "2"}}
                                  << QList<int>{2};
    QTest::newRow("doubled quotes") << QByteArray("a,b\n\"say \"\"hi\"\"\",\"\"\"\"\n") << ab
                                    << QList<QStringList>{{"say \"hi\"", "\""}} << QList<int>{2};
    QTest::newRow("embedded lf") << QByteArray("a,b\n1,\"line1\nline2\"\n2,z\n") << ab
                                 << QList<QStringList>{{"1", "line1\nline2"}, {"2", "z"}} << QList<int>{2, 4};
    QTest::newRow("embedded crlf") << QByteArray("a,b\r\n1,\"l1\r\nl2\r\nl3\"\r\n2,z\r\n") << ab
                                   << QList<QStringList>{{"1", "l1\r\nl2\r\nl3"}, {"2", "z"}}
                                   << QList<int>{2, 5};
    QTest::newRow("quoted field last without newline") << QByteArray("a,b\n1,\"q\"") << ab
                                                       << QList<QStringList>{{"1", "q"}} << QList<int>{2};
    QTest::newRow("blank trailing lines") << QByteArray("a,b\n1,2\n\n\n\r\n") << ab << QList<QStringList>{{"1", "2"}}
                                          << QList<int>{2};
    QTest::newRow("blank lines inside") << QByteArray("\na,b\n\n1,2\n   \n\n3,4\n") << ab
                                        << QList<QStringList>{{"1", "2"}, {"3", "4"}} << QList<int>{4, 7};
    QTest::newRow("short rows padded") << QByteArray("a,b,c\n1\n1,2\n") << QStringList{"a", "b", "c"}
                                       << QList<QStringList>{{"1", "", ""}, {"1", "2", ""}} << QList<int>{2, 3};
    QTest::newRow("empty fields kept") << QByteArray("a,b\n,\n\"\",x\n") << ab
                                       << QList<QStringList>{{"", ""}, {"", "x"}} << QList<int>{2, 3};
    QTest::newRow("quoted empty single column") << QByteArray("a\n\"\"\nv\n") << QStringList{"a"}
                                                << QList<QStringList>{{""}, {"v"}} << QList<int>{2, 3};
    QTest::newRow("spaces kept") << QByteArray("a,b\n x , y\n") << ab << QList<QStringList>{{" x ", " y"}}
                                 << QList<int>{2};
    QTest::newRow("header only") << QByteArray("a,b\n") << ab << QList<QStringList>{} << QList<int>{};
    QTest::newRow("header only with bom and blank lines") << QByteArray("\xEF\xBB\xBF" "a,b\r\n\r\n") << ab
                                                          << QList<QStringList>{} << QList<int>{};
    QTest::newRow("utf8 content") << QByteArray("name\nJos\xC3\xA9\n") << QStringList{"name"}
                                  << QList<QStringList>{{QString::fromUtf8("Jos\xC3\xA9")}} << QList<int>{2};
}

void TestCsvTable::parsesValidText()
{
    QFETCH(QByteArray, text);
    QFETCH(QStringList, header);
    QFETCH(QList<QStringList>, rows);
    QFETCH(QList<int>, lines);

    const mri::CsvTable table = parse(text);
    QCOMPARE(toQt(table.header), header);
    QCOMPARE(toQt(table.rows), rows);
    QCOMPARE(QList<int>(table.rowLines.begin(), table.rowLines.end()), lines);
}

void TestCsvTable::rejectsInvalidText_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QStringList>("expectedParts");

    QTest::newRow("empty") << QByteArray() << QStringList{"'x.csv'", "empty"};
    QTest::newRow("bom only") << QByteArray("\xEF\xBB\xBF") << QStringList{"'x.csv'", "empty"};
    QTest::newRow("blank lines only") << QByteArray("\n\r\n  \n") << QStringList{"'x.csv'", "empty"};
    QTest::newRow("long row") << QByteArray("a,b\n1,2\n1,2,3\n")
                              << QStringList{"line 3", "'x.csv'", "3 fields", "header has 2"};
    QTest::newRow("long row after embedded newline") << QByteArray("a,b\n1,\"x\ny\"\n1,2,3\n")
                                                     << QStringList{"line 4", "'x.csv'"};
    QTest::newRow("unterminated quote") << QByteArray("a,b\n1,2\n3,\"oops\n4,5\n")
                                        << QStringList{"line 3", "'x.csv'", "quote"};
    QTest::newRow("unterminated quote in header") << QByteArray("\"a,b\n") << QStringList{"line 1", "'x.csv'"};
    QTest::newRow("unterminated after multiline field") << QByteArray("a,b\n1,\"x\r\ny\"\r\n2,\"z\r\n")
                                                        << QStringList{"line 4", "'x.csv'"};
}

void TestCsvTable::rejectsInvalidText()
{
    QFETCH(QByteArray, text);
    QFETCH(QStringList, expectedParts);

    const QString message = parseError(text);
    QVERIFY2(!message.isEmpty(), "parseCsv accepted invalid text");
    for (const QString &part : expectedParts)
        QVERIFY2(message.contains(part), qPrintable(message + " lacks " + part));
    QVERIFY2(message.endsWith('.'), qPrintable(message));
}

void TestCsvTable::longRowErrorIsOneExactSentence()
{
    const QByteArray text("a,b,c\n1,2,3\n\n\n\n\n4,5,6,7,8\n");
    QCOMPARE(parseError(text), QString("Row at line 7 of 'x.csv' has 5 fields but the header has 3."));
}

void TestCsvTable::columnIndexIgnoresCaseAndBlanks_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("index");

    QTest::newRow("exact") << "Patient_ID" << 0;
    QTest::newRow("lower") << "patient_id" << 0;
    QTest::newRow("upper") << "PATIENT_ID" << 0;
    QTest::newRow("header has blanks") << "image_path" << 1;
    QTest::newRow("query has blanks") << "  Image_Path\t" << 1;
    QTest::newRow("third") << "age" << 2;
    QTest::newRow("absent") << "missing" << -1;
    QTest::newRow("prefix is not a match") << "patient" << -1;
    QTest::newRow("empty") << "" << -1;
}

void TestCsvTable::columnIndexIgnoresCaseAndBlanks()
{
    QFETCH(QString, name);
    QFETCH(int, index);

    mri::CsvTable table;
    table.header = {"Patient_ID", " image_path ", "AGE"};
    QCOMPARE(table.columnIndex(name.toStdString()), index);
}

void TestCsvTable::formatsQuotingOnlyWhenNeeded_data()
{
    QTest::addColumn<QString>("field");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("plain") << "plain" << QByteArray("plain");
    QTest::newRow("inner space") << "a b" << QByteArray("a b");
    QTest::newRow("empty") << "" << QByteArray("");
    QTest::newRow("comma") << "a,b" << QByteArray("\"a,b\"");
    QTest::newRow("quote") << "say \"hi\"" << QByteArray("\"say \"\"hi\"\"\"");
    QTest::newRow("lf") << "a\nb" << QByteArray("\"a\nb\"");
    QTest::newRow("cr") << "a\rb" << QByteArray("\"a\rb\"");
    QTest::newRow("leading space") << " a" << QByteArray("\" a\"");
    QTest::newRow("trailing space") << "a " << QByteArray("\"a \"");
}

void TestCsvTable::formatsQuotingOnlyWhenNeeded()
{
    QFETCH(QString, field);
    QFETCH(QByteArray, expected);

    mri::CsvTable table;
    table.header = {"h", "k"};
    table.rows = {{field.toStdString(), "z"}};
    const std::string text = mri::formatCsv(table);
    QCOMPARE(QByteArray::fromStdString(text), QByteArray("h,k\n") + expected + ",z\n");
}

void TestCsvTable::formatThenParseRoundTrips()
{
    mri::CsvTable table;
    table.header = {"patient_id", "note, with comma", " spaced "};
    table.rows = {{"P-001", "line1\nline2", "\"quoted\""},
                  {"", "", ""},
                  {"P,2", "crlf\r\ninside", " lead and trail "},
                  {"\xEF\xBB\xBF" "bom-like", "\t", "x"}};
    const std::string text = mri::formatCsv(table);
    QVERIFY(text.size() >= 1 && text.back() == '\n');
    const mri::CsvTable parsed = mri::parseCsv(text, "round trip");
    QCOMPARE(toQt(parsed.header), toQt(table.header));
    QCOMPARE(toQt(parsed.rows), toQt(table.rows));

    // One column: an empty value must not become a skipped blank line.
    mri::CsvTable single;
    single.header = {"only"};
    single.rows = {{""}, {"v"}, {""}};
    const mri::CsvTable parsedSingle = mri::parseCsv(mri::formatCsv(single), "single");
    QCOMPARE(toQt(parsedSingle.rows), toQt(single.rows));
}

// Found by fuzz_csv. Compared as bytes: QString::fromUtf8 would drop a BOM.
// A file saved twice by BOM-adding tools kept the second BOM in its first
// column's name, so that column was not found.
void TestCsvTable::readsDoubledByteOrderMark()
{
    const mri::CsvTable table = parse(QByteArray("\xEF\xBB\xBF\xEF\xBB\xBF" "patient_id,image_path\nP1,a.png\n"));
    QVERIFY2(table.header == (std::vector<std::string>{"patient_id", "image_path"}), table.header[0].c_str());
    QCOMPARE(table.columnIndex("patient_id"), 0);
}

// A first header field that starts with a BOM was written bare and read back
// without it (the reader took it for the file's BOM).
void TestCsvTable::formatKeepsLeadingByteOrderMark()
{
    mri::CsvTable table;
    table.header = {"\xEF\xBB\xBF" "patient_id", "image_path"};
    table.rows = {{"\xEF\xBB\xBF" "P1", "a.png"}};
    const mri::CsvTable parsed = mri::parseCsv(mri::formatCsv(table), "bom header");
    QVERIFY(parsed.header == table.header);
    QVERIFY(parsed.rows == table.rows);
}

void TestCsvTable::readsFileWithBomAndCrlf()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath("data.csv");
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("\xEF\xBB\xBF" "Patient_ID,Image_Path\r\nP1,\"a\r\nb.png\"\r\nP2,c.png\r\n\r\n");
    file.close();

    const mri::CsvTable table = mri::readCsvFile(path.toStdString());
    QCOMPARE(toQt(table.header), (QStringList{"Patient_ID", "Image_Path"}));
    QCOMPARE(toQt(table.rows), (QList<QStringList>{{"P1", "a\r\nb.png"}, {"P2", "c.png"}}));
    QCOMPARE(QList<int>(table.rowLines.begin(), table.rowLines.end()), (QList<int>{2, 4}));
}

void TestCsvTable::readFileErrorsNameTheFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());

    const std::string missing = dir.filePath("missing.csv").toStdString();
    QVERIFY_THROWS_EXCEPTION(mri::EngineError, mri::readCsvFile(missing));
    try {
        mri::readCsvFile(missing);
    } catch (const mri::EngineError &error) {
        const QString message = error.what();
        QVERIFY2(message.contains(QString::fromStdString("'" + missing + "'")), qPrintable(message));
        QVERIFY2(message.contains("does not exist"), qPrintable(message));
    }

    try {
        mri::readCsvFile(dir.path().toStdString());
        QFAIL("reading a folder succeeded");
    } catch (const mri::EngineError &error) {
        QVERIFY2(QString(error.what()).contains("folder"), error.what());
    }

    const QString longRow = dir.filePath("long.csv");
    QFile file(longRow);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("a\n1,2\n");
    file.close();
    try {
        mri::readCsvFile(longRow.toStdString());
        QFAIL("a long row was accepted");
    } catch (const mri::EngineError &error) {
        QCOMPARE(QString(error.what()),
                 QString("Row at line 2 of '%1' has 2 fields but the header has 1.").arg(longRow));
    }

    const QString empty = dir.filePath("empty.csv");
    QFile emptyFile(empty);
    QVERIFY(emptyFile.open(QIODevice::WriteOnly));
    emptyFile.close();
    try {
        mri::readCsvFile(empty.toStdString());
        QFAIL("an empty file was accepted");
    } catch (const mri::EngineError &error) {
        QVERIFY2(QString(error.what()).contains("'" + empty + "'"), error.what());
    }
}

void TestCsvTable::atomicWriteCreatesFoldersAndLeavesNoTemporaries()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path target = fs::path(dir.path().toStdString()) / "new" / "deeper" / "out.csv";

    mri::CsvTable table;
    table.header = {"a", "b"};
    table.rows = {{"1", "x,y"}};
    mri::writeCsvFileAtomically(target, table);

    QCOMPARE(readAll(target), QByteArray("a,b\n1,\"x,y\"\n"));
    QCOMPARE(folderEntries(QString::fromStdString(target.parent_path().string())), QStringList{"out.csv"});
    const mri::CsvTable back = mri::readCsvFile(target);
    QCOMPARE(toQt(back.rows), toQt(table.rows));
}

void TestCsvTable::atomicWriteReplacesExistingFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path target = fs::path(dir.path().toStdString()) / "data.csv";

    mri::writeFileAtomically(target, std::string_view("old contents that are longer\n"));
    mri::CsvTable table;
    table.header = {"h"};
    table.rows = {{"new"}};
    mri::writeCsvFileAtomically(target, table);

    QCOMPARE(readAll(target), QByteArray("h\nnew\n"));
    QCOMPARE(folderEntries(dir.path()), QStringList{"data.csv"});
}

void TestCsvTable::failedAtomicWriteKeepsOldFileAndRemovesTemporary()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path target = fs::path(dir.path().toStdString()) / "image.png";
    mri::writeFileAtomically(target, std::string_view("original"));

    fs::path seenTemporary;
    try {
        mri::writeFileAtomically(target, [&](const fs::path &temporary) {
            seenTemporary = temporary;
            QFile partial(QString::fromStdString(temporary.string()));
            QVERIFY(partial.open(QIODevice::WriteOnly));
            partial.write("half");
            partial.close();
            throw std::runtime_error("encoder exploded");
        });
        QFAIL("a throwing writer was not reported");
    } catch (const mri::EngineError &error) {
        const QString message = error.what();
        QVERIFY2(message.startsWith(QString::fromStdString("Cannot write '" + target.string() + "': ")),
                 qPrintable(message));
        QVERIFY2(message.contains("encoder exploded"), qPrintable(message));
    }
    // Same folder (so rename is atomic), hidden, and it keeps the extension for OpenCV.
    QCOMPARE(seenTemporary.parent_path(), target.parent_path());
    QVERIFY(seenTemporary.filename().string().rfind(".image", 0) == 0);
    QCOMPARE(seenTemporary.extension().string(), std::string(".png"));
    QCOMPARE(readAll(target), QByteArray("original"));
    QCOMPARE(folderEntries(dir.path()), QStringList{"image.png"});
}

void TestCsvTable::atomicWriterThatCreatesNothingIsAnError()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path target = fs::path(dir.path().toStdString()) / "model.pt";
    QVERIFY_THROWS_EXCEPTION(mri::EngineError, mri::writeFileAtomically(target, [](const fs::path &) {}));
    QVERIFY(!fs::exists(target));
    QVERIFY(folderEntries(dir.path()).isEmpty());
}

void TestCsvTable::atomicWriteOntoFolderFails()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(QDir(dir.path()).mkpath("occupied/child"));
    const fs::path target = fs::path(dir.path().toStdString()) / "occupied";
    try {
        mri::writeFileAtomically(target, std::string_view("x"));
        QFAIL("writing over a folder succeeded");
    } catch (const mri::EngineError &error) {
        QVERIFY2(QString(error.what()).startsWith(QString::fromStdString("Cannot write '" + target.string() + "': ")),
                 error.what());
    }
    QCOMPARE(folderEntries(dir.path()), QStringList{"occupied"});
}

QTEST_APPLESS_MAIN(TestCsvTable)
#include "tst_csvtable.moc"
