// Every output option of every command, pointed at something the user gave
// us (the dataset's table, an input image, a ground truth, the model, a state
// dict and its settings, links to them) is refused before any work and leaves
// it as it was; pointed at a device node it writes into the node and leaves
// it a node; /dev/stdout gets the report on the stream. Through the program,
// as a user runs it (OutputPolicy, AtomicFile).

#include "TestDatasets.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace {

const QStringList kTinyTraining{"--epochs", "1", "--depth", "1", "--base-channels", "4", "--patch", "16", "--batch",
                                "4", "--patches-per-image", "4", "--seed", "3", "--threads", "1", "--quiet"};
const QString kOut = QStringLiteral("@OUT@");

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

Run runTool(const QStringList &arguments)
{
    QProcess process;
    process.start(QStringLiteral(MRI_ENHANCE_EXECUTABLE), arguments);
    if (!process.waitForFinished(300000))
        process.kill();
    process.waitForFinished();
    return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1,
            QString::fromUtf8(process.readAllStandardOutput()), QString::fromUtf8(process.readAllStandardError())};
}

// A file's SHA-256; a folder's: of the names and contents of the files it held.
QByteArray digestOf(const QString &file)
{
    if (QFileInfo(file).isDir()) {
        QCryptographicHash hash(QCryptographicHash::Sha256);
        for (const auto &name : QDir(file).entryList(QDir::Files | QDir::Hidden, QDir::Name))
            hash.addData(name.toUtf8() + digestOf(file + "/" + name));
        return hash.result();
    }
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(&in);
    return hash.result();
}

// The file type as lstat sees it: a link stays a link, a node a node.
mode_t typeOf(const QString &path)
{
    struct stat status{};
    return ::lstat(QFile::encodeName(path).constData(), &status) == 0 ? (status.st_mode & S_IFMT) : 0;
}

} // namespace

class TestOutputSafety : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_dataset;
    QString m_model;
    QString m_stateDict;
    QString m_image;
    QString m_clean;

    QString path(const QString &name) const { return m_dir.filePath(name); }

    // Every output option of every command, as a command line with kOut where
    // the output goes, and the groups of protectedPaths() that the command reads.
    void addOutputOptions()
    {
        QTest::addColumn<QStringList>("command");
        QTest::addColumn<QStringList>("reads");
        const QString enhanceOut = path("out"), csvOut = path("metrics-out.csv");
        const QStringList bench{"benchmark", "--clean", path("clean-only"), "--methods", "noisy", "--sigma", "0.1",
                                "--quiet"};
        struct Option
        {
            const char *name;
            QStringList command;
            QStringList reads;
        };
        const QList<Option> options{
            {"train --model", QStringList{"train", "--dataset", m_dataset, "--model", kOut} + kTinyTraining, {"dataset"}},
            {"train --json",
             QStringList{"train", "--dataset", m_dataset, "--model", path("fresh.pt"), "--json", kOut} + kTinyTraining,
             {"dataset"}},
            {"enhance --csv-out", {"enhance", "--dataset", m_dataset, "--model", m_model, "--out-dir", enhanceOut,
                                   "--csv-out", kOut, "--quiet"}, {"dataset", "model"}},
            {"enhance --json", {"enhance", "--dataset", m_dataset, "--model", m_model, "--out-dir", enhanceOut,
                                "--csv-out", csvOut, "--json", kOut, "--quiet"}, {"dataset", "model"}},
            {"enhance --per-slice-csv", {"enhance", "--dataset", m_dataset, "--model", m_model, "--out-dir", enhanceOut,
                                         "--csv-out", csvOut, "--per-slice-csv", kOut, "--quiet"}, {"dataset", "model"}},
            {"enhance --out-dir", {"enhance", "--dataset", m_dataset, "--model", m_model, "--out-dir", kOut,
                                   "--csv-out", csvOut, "--quiet"}, {"dataset", "model"}},
            {"compare --out", {"compare", "--dataset", m_dataset, "--out", kOut, "--seed", "1", "--quiet"}, {"dataset"}},
            {"merge --csv-out", {"merge", "--dataset", m_dataset, "--csv-out", kOut, "--allow-missing", "--quiet"},
             {"dataset"}},
            {"merge --json", {"merge", "--dataset", m_dataset, "--csv-out", path("merged.csv"), "--allow-missing",
                              "--json", kOut, "--quiet"}, {"dataset"}},
            {"export-model OUT", {"export-model", m_model, kOut, "--quiet"}, {"model"}},
            {"export-model --json", {"export-model", m_model, path("exported.pt"), "--json", kOut, "--quiet"}, {"model"}},
            {"import-model --out", {"import-model", m_stateDict, "--out", kOut, "--quiet"}, {"state dict"}},
            {"import-model --json", {"import-model", m_stateDict, "--out", path("imported.pt"), "--json", kOut,
                                     "--quiet"}, {"state dict"}},
            {"benchmark --out", bench + QStringList{"--out", kOut}, {"benchmark"}},
            {"benchmark --json", bench + QStringList{"--out", path("bench/report.md"), "--json", kOut}, {"benchmark"}},
            {"benchmark --work-dir", bench + QStringList{"--out", path("bench/report.md"), "--work-dir", kOut},
             {"benchmark"}},
            {"demo-dataset --out", {"demo-dataset", "--out", kOut, "--slices", "2", "--quiet"}, {}},
        };
        for (const auto &option : options)
            QTest::newRow(option.name) << option.command << option.reads;
    }

    static QStringList withOutput(QStringList command, const QString &output)
    {
        command.replaceInStrings(kOut, output);
        return command;
    }

    struct Protected
    {
        QString name;
        QString path;
        QString group; // what reads it: "dataset", "model", "state dict", "benchmark"
    };

    // What the user gave us.
    QList<Protected> protectedPaths() const
    {
        return {{"the dataset's table", m_dataset + "/brain_tumor_info.csv", "dataset"},
                {"an input image", m_image, "dataset"},
                {"a ground truth", m_clean, "dataset"},
                {"a hard link to an input image", path("hard-link.png"), "dataset"},
                {"the model", m_model, "model"},
                {"a symbolic link to the model", path("link-to-model.pt"), "model"},
                {"the state dict", m_stateDict, "state dict"},
                {"the state dict's settings", m_stateDict + ".json", "state dict"},
                {"a clean slice of the benchmark", path("clean-only/a.png"), "benchmark"},
                {"the clean slices' folder", path("clean-only"), "benchmark"}};
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_dataset = path("dataset");
        mri::test::writeSyntheticDataset(m_dataset, 4, 40, 32);
        const QStringList images = QDir(m_dataset + "/images").entryList({"*.png"}, QDir::Files, QDir::Name);
        QVERIFY(!images.isEmpty());
        m_image = m_dataset + "/images/" + images.first();
        m_clean = m_dataset + "/clean/" + images.first();
        QDir().mkpath(path("clean-only"));
        for (int i = 0; i < images.size(); ++i) // the benchmark's own clean slices: a.png, b.png, ...
            QVERIFY(QFile::copy(m_dataset + "/clean/" + images[i], path("clean-only/%1.png").arg(QChar('a' + i))));
        m_model = path("model.pt");
        QVERIFY(QFile::copy(QStringLiteral(MRI_TEST_DATA_DIR "/models/model-v1.pt"), m_model));
        m_stateDict = path("state.pt");
        const auto exported = runTool({"export-model", m_model, m_stateDict, "--quiet"});
        QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
        const auto enhanced = runTool({"enhance", "--dataset", m_dataset, "--model", m_model, "--quiet"});
        QVERIFY2(enhanced.exitCode == 0, qPrintable(enhanced.err));
        QVERIFY(QFile::link(m_model, path("link-to-model.pt")));
        QCOMPARE(::link(QFile::encodeName(m_image).constData(), QFile::encodeName(path("hard-link.png")).constData()), 0);
    }

    void outputsNeverReplaceWhatTheUserGave_data() { addOutputOptions(); }

    void outputsNeverReplaceWhatTheUserGave()
    {
        QFETCH(QStringList, command);
        QFETCH(QStringList, reads);
        for (const auto &input : protectedPaths()) {
            if (!reads.contains(input.group))
                continue; // the command does not read it: writing it is the user's choice
            const QByteArray before = digestOf(input.path);
            const mode_t type = typeOf(input.path);
            QVERIFY(!before.isEmpty());
            const auto run = runTool(withOutput(command, input.path));
            const QString context = input.name + ": exit " + QString::number(run.exitCode) + ", " + run.err;
            QVERIFY2(typeOf(input.path) == type, qPrintable("replaced " + context));
            QVERIFY2(digestOf(input.path) == before, qPrintable("changed " + context));
            if (QFileInfo(input.path).isDir())
                continue; // beside a folder, not in it (benchmark --out DIR writes DIR.md): allowed
            // Refused with one sentence, before any work.
            QVERIFY2(run.exitCode == 1 || run.exitCode == 2, qPrintable(context));
            QVERIFY2(run.err.trimmed().count('\n') == 0 && run.err.startsWith("mri-enhance: "), qPrintable(context));
        }
    }

    void refusalsNameWhatWouldBeOverwritten_data()
    {
        QTest::addColumn<QStringList>("command");
        QTest::addColumn<QString>("mustSay");
        QTest::newRow("json onto the dataset's table")
            << QStringList{"enhance", "--dataset", m_dataset, "--model", m_model, "--out-dir", path("o"), "--json",
                           m_dataset + "/brain_tumor_info.csv"}
            << "would overwrite the dataset's table";
        QTest::newRow("state dict onto the model") << QStringList{"export-model", m_model, m_model}
                                                   << "would overwrite the model file it reads";
        QTest::newRow("model onto an input image")
            << QStringList{"train", "--dataset", m_dataset, "--model", m_image} + kTinyTraining << "would overwrite the input image";
        QTest::newRow("two outputs, one file")
            << QStringList{"enhance", "--dataset", m_dataset, "--model", m_model, "--out-dir", path("o"), "--csv-out",
                           path("same.csv"), "--per-slice-csv", path("same.csv")}
            << "is both the metrics CSV and the per-slice CSV";
        QTest::newRow("demo into a dataset") << QStringList{"demo-dataset", "--out", m_dataset}
                                             << "holds a dataset";
    }

    void refusalsNameWhatWouldBeOverwritten()
    {
        QFETCH(QStringList, command);
        QFETCH(QString, mustSay);
        const auto run = runTool(command);
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(mustSay), qPrintable(run.err));
    }

    void deviceNodesStayNodes_data() { addOutputOptions(); }

    void deviceNodesStayNodes()
    {
        QFETCH(QStringList, command);
        QFETCH(QStringList, reads);
        Q_UNUSED(reads);
        // A character device like /dev/null, made here (as root, as CI runs).
        const QString node = path("node.png");
        QFile::remove(node);
        if (::mknod(QFile::encodeName(node).constData(), S_IFCHR | 0666, makedev(1, 3)) != 0)
            QSKIP("mknod needs root");
        const auto run = runTool(withOutput(command, node));
        QVERIFY2(typeOf(node) == S_IFCHR, qPrintable("the node was replaced: " + run.err));
        QVERIFY2(run.exitCode != 134 && run.exitCode != -1, qPrintable(run.err));
    }

    void aReportGoesToStandardOutputAsAStream()
    {
        const mode_t before = typeOf("/dev/stdout");
        const auto run = runTool({"export-model", m_model, path("streamed.pt"), "--json", "/dev/stdout", "--quiet"});
        QCOMPARE(run.exitCode, 0);
        const auto report = QJsonDocument::fromJson(run.out.toUtf8()).object();
        QCOMPARE(report.value("program").toString(), QStringLiteral("mri-enhance"));
        QCOMPARE(report.value("exit_status").toInt(), 0);
        QCOMPARE(typeOf("/dev/stdout"), before);
    }

    void anOutputThroughALinkKeepsTheLink()
    {
        const QString target = path("target-report.json");
        const QString link = path("report-link.json");
        QVERIFY(QFile::link(target, link));
        const auto run = runTool({"export-model", m_model, path("linked.pt"), "--json", link, "--quiet"});
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(typeOf(link), mode_t(S_IFLNK));
        QCOMPARE(typeOf(target), mode_t(S_IFREG));
        QVERIFY(QFile(target).size() > 0);
    }

    void aUsageErrorStillWritesItsReport()
    {
        const QString report = path("usage.json");
        const auto run = runTool({"enhance", "--dataset", m_dataset, "--model", m_model, "--json", report,
                                  "--no-such-option"});
        QCOMPARE(run.exitCode, 2);
        QFile file(report);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const auto json = QJsonDocument::fromJson(file.readAll()).object();
        QCOMPARE(json.value("exit_status").toInt(), 2);
        QVERIFY2(json.value("error").toString().contains("--no-such-option"), qPrintable(json.value("error").toString()));
        QCOMPARE(json.value("command").toString(), QStringLiteral("enhance"));
        // Onto a file that is not a report of ours, a usage error writes nothing.
        const QString table = m_dataset + "/brain_tumor_info.csv";
        const QByteArray before = digestOf(table);
        const auto refused = runTool({"enhance", "--dataset", m_dataset, "--model", m_model, "--json", table,
                                      "--no-such-option"});
        QCOMPARE(refused.exitCode, 2);
        QCOMPARE(digestOf(table), before);
    }
};

QTEST_GUILESS_MAIN(TestOutputSafety)
#include "tst_outputsafety.moc"
