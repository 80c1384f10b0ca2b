// Running on a cluster: the split of a dataset into parts, `enhance --shard`,
// `merge`, the README's recipes (Slurm array, GNU parallel, Kubernetes Indexed
// Job) run as they are written, and the machine-readable reports (--json) and
// --quiet/--verbose of the command line.

#include "base/EngineError.h"
#include "dataset/Dataset.h"
#include "dataset/ShardPlan.h"
#include "io/CsvTable.h"
#include "TestDatasets.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <map>
#include <set>

using namespace mri;

namespace {

const QString kSourceDir = QStringLiteral(MRI_SOURCE_DIR);
const QStringList kTinyNetwork{"--depth", "2", "--base-channels", "8", "--patch", "32", "--batch", "8",
                               "--patches-per-image", "4", "--lr", "0.003", "--seed", "5", "--threads", "2"};

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

QProcessEnvironment toolEnvironment()
{
    auto environment = QProcessEnvironment::systemEnvironment();
    const QString tools = QFileInfo(QStringLiteral(MRI_ENHANCE_EXECUTABLE)).absolutePath();
    environment.insert("PATH", tools + ":" + environment.value("PATH"));
    return environment;
}

Run runProcess(const QString &program, const QStringList &arguments,
               const QProcessEnvironment &environment = toolEnvironment(), int timeoutMs = 240000)
{
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(program, arguments);
    if (!process.waitForFinished(timeoutMs))
        process.kill();
    process.waitForFinished();
    return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1,
            QString::fromUtf8(process.readAllStandardOutput()), QString::fromUtf8(process.readAllStandardError())};
}

Run runTool(const QStringList &arguments)
{
    return runProcess(QStringLiteral(MRI_ENHANCE_EXECUTABLE), arguments);
}

// Several processes at once, as the tasks of an array job; each gets its own variables.
QList<Run> runAtOnce(const QString &program, const QList<QStringList> &arguments,
                     const QList<QProcessEnvironment> &environments)
{
    QList<QProcess *> processes;
    for (int i = 0; i < arguments.size(); ++i) {
        auto *process = new QProcess;
        process->setProcessEnvironment(environments[i]);
        process->start(program, arguments[i]);
        processes << process;
    }
    QList<Run> runs;
    for (auto *process : processes) {
        if (!process->waitForFinished(300000))
            process->kill();
        process->waitForFinished();
        runs.push_back({process->exitStatus() == QProcess::NormalExit ? process->exitCode() : -1,
                        QString::fromUtf8(process->readAllStandardOutput()),
                        QString::fromUtf8(process->readAllStandardError())});
        delete process;
    }
    return runs;
}

QByteArray readAll(const QString &file)
{
    QFile f(file);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Relative path -> bytes of every file under `folder`.
std::map<QString, QByteArray> filesUnder(const QString &folder)
{
    std::map<QString, QByteArray> files;
    QDirIterator it(folder, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const auto file = it.next();
        files[QDir(folder).relativeFilePath(file)] = readAll(file);
    }
    return files;
}

bool copyTree(const QString &from, const QString &to)
{
    QDirIterator it(from, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const auto file = it.next();
        const auto target = to + "/" + QDir(from).relativeFilePath(file);
        QDir().mkpath(QFileInfo(target).absolutePath());
        if (!QFile::copy(file, target))
            return false;
    }
    return true;
}

QJsonObject readJson(const QString &file)
{
    return QJsonDocument::fromJson(readAll(file)).object();
}

// A dataset of `rows` rows whose patients have 1 to 3 rows each.
Dataset datasetOfPatients(const std::vector<int> &rowsPerPatient)
{
    Dataset dataset;
    dataset.columns = {"patient_id", "image_path"};
    int image = 0;
    for (std::size_t p = 0; p < rowsPerPatient.size(); ++p) {
        for (int r = 0; r < rowsPerPatient[p]; ++r) {
            DatasetRow row;
            row.patientId = "P" + std::to_string(p);
            row.imagePathText = "img" + std::to_string(image++) + ".png";
            row.fields = {row.patientId, row.imagePathText};
            dataset.rows.push_back(row);
        }
    }
    return dataset;
}

} // namespace

class TestCluster : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_dataset; // pristine: copied for every run
    QString m_model;
    QString m_single;  // the dataset enhanced by one process, to compare with

    QString freshCopy(const QString &name)
    {
        const auto folder = m_dir.filePath(name);
        QDir(folder).removeRecursively();
        if (!copyTree(m_dataset, folder))
            qFatal("cannot copy the test dataset");
        return folder;
    }

    // The merged CSV and the enhanced files of `folder` equal the single-process run's.
    void compareWithSingleRun(const QString &folder)
    {
        // Equal but for the dataset's folder, which error sentences name.
        const auto merged = readAll(folder + "/brain_tumor_info_metrics.csv").replace(folder.toUtf8(), "DATASET");
        const auto single = readAll(m_single + "/brain_tumor_info_metrics.csv").replace(m_single.toUtf8(), "DATASET");
        QVERIFY(!single.isEmpty());
        const auto mergedLines = merged.split('\n');
        const auto singleLines = single.split('\n');
        QCOMPARE(mergedLines.size(), singleLines.size());
        for (int i = 0; i < singleLines.size(); ++i)
            QCOMPARE(mergedLines[i], singleLines[i]);
        const auto mergedImages = filesUnder(folder + "/enhanced_images");
        const auto singleImages = filesUnder(m_single + "/enhanced_images");
        QCOMPARE(mergedImages.size(), singleImages.size());
        for (const auto &[name, bytes] : singleImages) {
            QVERIFY2(mergedImages.count(name), qPrintable(name));
            QVERIFY2(mergedImages.at(name) == bytes, qPrintable(name + " differs"));
        }
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        // 10 pictures and a NIfTI volume; patients of 1 to 3 rows; a row whose image is missing.
        m_dataset = m_dir.filePath("pristine");
        const auto csvFile = test::writeSyntheticDataset(m_dataset, 10, 48, 40, 3);
        std::vector<std::int16_t> voxels(40 * 36 * 5);
        const auto slice = test::syntheticSlice(40, 36, 9);
        for (int z = 0; z < 5; ++z)
            for (int y = 0; y < 36; ++y)
                for (int x = 0; x < 40; ++x)
                    voxels[(z * 36 + y) * 40 + x] = static_cast<std::int16_t>(slice.at<float>(y, x) * 900 + 30 * z + (x * 7 + y * 13) % 50);
        test::writeTestNifti(m_dataset + "/volume.nii", 40, 36, 5, voxels);
        auto table = readCsvFile(csvFile.toStdString());
        const char *patients[] = {"A", "A", "A", "B", "C", "C", "D", "E", "E", "F"};
        for (std::size_t i = 0; i < table.rows.size(); ++i)
            table.rows[i][0] = patients[i];
        table.rows.push_back({"G", "volume.nii", "", "70"});
        table.rows.push_back({"H", "images/missing.png", "", "71"});
        writeCsvFileAtomically(csvFile.toStdString(), table);

        m_model = m_dir.filePath("model.pt");
        const auto train = runTool(QStringList{"train", "--dataset", m_dataset, "--model", m_model, "--epochs", "1",
                                               "--quiet"}
                                   + kTinyNetwork);
        QVERIFY2(train.exitCode == 0, qPrintable(train.err));

        m_single = freshCopy("single");
        const auto single = runTool({"enhance", "--dataset", m_single, "--model", m_model, "--quiet"});
        QCOMPARE(single.exitCode, 3); // the missing image
    }

    void splitKeepsPatientsWholeAndBalanced_data()
    {
        QTest::addColumn<int>("parts");
        for (const int parts : {1, 2, 3, 4, 7, 30})
            QTest::newRow(qPrintable(QString::number(parts) + " parts")) << parts;
    }

    void splitKeepsPatientsWholeAndBalanced()
    {
        QFETCH(int, parts);
        const std::vector<int> rowsPerPatient{3, 1, 2, 1, 1, 3, 2, 2, 1, 1, 1, 2, 3, 1};
        const auto dataset = datasetOfPatients(rowsPerPatient);
        const auto shards = shardOfRows(dataset, parts);
        QCOMPARE(shards.size(), dataset.rows.size());
        std::map<std::string, std::set<int>> partsOfPatient;
        std::vector<int> load(static_cast<std::size_t>(parts), 0);
        for (std::size_t i = 0; i < shards.size(); ++i) {
            QVERIFY(shards[i] >= 0 && shards[i] < parts);
            partsOfPatient[dataset.rows[i].patientId].insert(shards[i]);
            ++load[static_cast<std::size_t>(shards[i])];
        }
        for (const auto &[patient, inParts] : partsOfPatient)
            QVERIFY2(inParts.size() == 1, patient.c_str());
        // Greedy largest-first: no part exceeds another by more than the largest patient.
        const auto [lightest, heaviest] = std::minmax_element(load.begin(), load.end());
        QVERIFY(*heaviest - *lightest <= *std::max_element(rowsPerPatient.begin(), rowsPerPatient.end()));
        // A pure function: the same again, and the parts' rows cover every row once.
        QCOMPARE(shardOfRows(dataset, parts), shards);
        std::vector<std::size_t> all;
        for (int index = 0; index < parts; ++index) {
            const auto rows = rowsOfShard(dataset, {index, parts});
            all.insert(all.end(), rows.begin(), rows.end());
        }
        std::sort(all.begin(), all.end());
        QCOMPARE(all.size(), dataset.rows.size());
        QVERIFY(std::adjacent_find(all.begin(), all.end()) == all.end());
    }

    void shardSpecification_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("index");   // -1: refused
        QTest::addColumn<int>("count");
        QTest::addColumn<QString>("sentence");
        QTest::newRow("numbers") << "2/3" << 2 << 3 << "";
        QTest::newRow("first") << "0/1" << 0 << 1 << "";
        QTest::newRow("slurm variables") << "TASK/COUNT" << 4 << 10 << "";
        QTest::newRow("kubernetes index") << "INDEX/10" << 7 << 10 << "";
        QTest::newRow("index equals count") << "3/3" << -1 << 0 << "counted from 0 to 2 (with Slurm: --array=0-2)";
        QTest::newRow("no count") << "3" << -1 << 0 << "is not a part such as 2/10";
        QTest::newRow("zero parts") << "0/0" << -1 << 0 << "from 1 to";
        QTest::newRow("negative") << "-1/3" << -1 << 0 << "neither a whole number nor a variable name";
        QTest::newRow("unset variable") << "UNSET/3" << -1 << 0 << "UNSET, which is not set";
        QTest::newRow("not a number") << "WORD/3" << -1 << 0 << "holds 'seven', not a whole number";
    }

    void shardSpecification()
    {
        QFETCH(QString, text);
        QFETCH(int, index);
        QFETCH(int, count);
        QFETCH(QString, sentence);
        const std::map<std::string, std::string> variables{{"TASK", "4"}, {"COUNT", "10"}, {"INDEX", "7"},
                                                           {"WORD", "seven"}};
        const auto lookup = [&](const std::string &name) -> std::optional<std::string> {
            const auto found = variables.find(name);
            return found == variables.end() ? std::nullopt : std::optional<std::string>(found->second);
        };
        if (index >= 0) {
            const auto shard = parseShardSpec(text.toStdString(), lookup);
            QCOMPARE(shard.index, index);
            QCOMPARE(shard.count, count);
        } else {
            try {
                parseShardSpec(text.toStdString(), lookup);
                QFAIL("accepted");
            } catch (const EngineError &error) {
                QVERIFY2(QString(error.what()).contains(sentence), error.what());
            }
        }
    }

    // The README's Slurm recipe, as three tasks of an array at once, then merge.
    void slurmRecipeEqualsSingleRun()
    {
        const auto folder = freshCopy("slurm");
        const QString script = kSourceDir + "/packaging/cluster/enhance.sbatch";
        QList<QStringList> arguments;
        QList<QProcessEnvironment> environments;
        for (int task = 0; task < 3; ++task) {
            auto environment = toolEnvironment();
            environment.insert("SLURM_ARRAY_TASK_ID", QString::number(task));
            environment.insert("SLURM_ARRAY_TASK_COUNT", "3");
            arguments << QStringList{script, folder, m_model};
            environments << environment;
        }
        const auto runs = runAtOnce("bash", arguments, environments);
        for (const auto &run : runs)
            QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        for (int task = 0; task < 3; ++task) {
            QVERIFY(QFile::exists(folder + QString("/brain_tumor_info_metrics.shard-%1-of-3.csv").arg(task)));
            const auto report = readJson(folder + QString("/enhance-report.shard-%1.json").arg(task));
            QCOMPARE(report["shard"].toObject()["index"].toInt(), task);
        }
        const auto merge = runTool({"merge", "--dataset", folder, "--json", folder + "/merge.json"});
        QCOMPARE(merge.exitCode, 3); // the missing image's row failed, as in the single run
        compareWithSingleRun(folder);
        const auto report = readJson(folder + "/merge.json");
        QCOMPARE(report["counts"].toObject()["done"].toInt(), 11);
        QCOMPARE(report["counts"].toObject()["failed"].toInt(), 1);
        QCOMPARE(report["parts"].toArray().size(), 3);
        QCOMPARE(report["errors"].toArray().size(), 1);
        QCOMPARE(report["errors"].toArray()[0].toObject()["patient_id"].toString(), QString("H"));
    }

    // The README's one-machine recipe with GNU parallel.
    void parallelRecipeEqualsSingleRun()
    {
        if (QStandardPaths::findExecutable("parallel").isEmpty())
            QSKIP("GNU parallel is not installed (packaging/install-deps.sh installs it).");
        const auto folder = freshCopy("parallel");
        const auto run = runProcess("bash", {kSourceDir + "/packaging/cluster/enhance-parallel.sh", folder, m_model, "3"});
        QVERIFY2(run.exitCode == 3, qPrintable(run.out + run.err)); // merge: one row failed
        compareWithSingleRun(folder);
    }

    // The command of the README's Kubernetes Indexed Job, as its pods run it.
    void kubernetesRecipeEqualsSingleRun()
    {
        const auto manifest = QString::fromUtf8(readAll(kSourceDir + "/packaging/cluster/enhance-job.yaml"));
        const auto lines = manifest.split('\n');
        const auto args = std::find_if(lines.begin(), lines.end(), [](const QString &l) { return l.trimmed() == "args:"; });
        QVERIFY(args != lines.end() && args + 1 != lines.end());
        const QString command = (args + 1)->trimmed().mid(2); // after "- "
        QVERIFY2(command.startsWith("mri-enhance enhance"), qPrintable(command));
        const auto folder = freshCopy("kubernetes");
        QList<QStringList> arguments;
        QList<QProcessEnvironment> environments;
        for (int index = 0; index < 3; ++index) {
            auto environment = toolEnvironment();
            environment.insert("DATASET", folder);
            environment.insert("MODEL", m_model);
            environment.insert("PARTS", "3");
            environment.insert("JOB_COMPLETION_INDEX", QString::number(index));
            arguments << QStringList{"-c", command};
            environments << environment;
        }
        for (const auto &run : runAtOnce("/bin/sh", arguments, environments))
            QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        QCOMPARE(runTool({"merge", "--dataset", folder, "--quiet"}).exitCode, 3);
        compareWithSingleRun(folder);
    }

    void readmeShowsTheRecipesTheTestsRun()
    {
        const auto readme = QString::fromUtf8(readAll(kSourceDir + "/README.md"));
        for (const auto *name : {"enhance.sbatch", "enhance-parallel.sh", "enhance-job.yaml"}) {
            const auto recipe = QString::fromUtf8(readAll(kSourceDir + "/packaging/cluster/" + name));
            QVERIFY(!recipe.isEmpty());
            QVERIFY2(readme.contains(recipe), qPrintable(QString(name) + " is not in the README as it is"));
        }
    }

    // A task killed part-way (preemption, a crash) is run again: it keeps what it finished.
    void rerunRedoesOnlyUnfinishedRows()
    {
        const auto folder = freshCopy("rerun");
        const QString part = folder + "/brain_tumor_info_metrics.shard-0-of-2.csv";
        QProcess first;
        first.setProcessEnvironment(toolEnvironment());
        first.start(QStringLiteral(MRI_ENHANCE_EXECUTABLE),
                    {"enhance", "--dataset", folder, "--model", m_model, "--shard", "0/2", "--quiet"});
        QVERIFY(first.waitForStarted());
        // Killed (no chance to clean up) once its first row is in its CSV.
        for (int i = 0; i < 6000 && !QFile::exists(part) && first.state() != QProcess::NotRunning; ++i)
            QThread::msleep(5);
        first.kill();
        first.waitForFinished();
        QVERIFY(QFile::exists(part));
        const auto keptRows = readCsvFile(part.toStdString()).rows.size();
        QVERIFY(keptRows >= 1);

        const auto rerun = runTool({"enhance", "--dataset", folder, "--model", m_model, "--shard", "0/2", "--json",
                                    folder + "/rerun.json"});
        QVERIFY2(rerun.exitCode == 0 || rerun.exitCode == 3, qPrintable(rerun.err));
        const auto report = readJson(folder + "/rerun.json");
        const auto counts = report["counts"].toObject();
        const int partRows = counts["requested"].toInt();
        QVERIFY(partRows >= 5);
        // Kept: the rows finished before the kill that succeeded (a failed row is tried again).
        const auto keptTable = readCsvFile(part.toStdString());
        QCOMPARE(counts["skipped"].toInt() + counts["done"].toInt() + counts["failed"].toInt(), partRows);
        QVERIFY(counts["skipped"].toInt() >= 1);
        QVERIFY(counts["skipped"].toInt() <= static_cast<int>(keptRows));
        QCOMPARE(static_cast<int>(keptTable.rows.size()), partRows);

        // The other part, and the merge: as if nothing had happened.
        QVERIFY(runTool({"enhance", "--dataset", folder, "--model", m_model, "--shard", "1/2", "--quiet"}).exitCode <= 3);
        QCOMPARE(runTool({"merge", "--dataset", folder, "--quiet"}).exitCode, 3);
        compareWithSingleRun(folder);
    }

    void mergeRefusesWhatIsNotOneRun()
    {
        const auto folder = freshCopy("refusals");
        const QStringList enhance{"enhance", "--dataset", folder, "--model", m_model, "--quiet", "--shard"};
        QVERIFY(runTool(enhance + QStringList{"0/3"}).exitCode <= 3);
        QVERIFY(runTool(enhance + QStringList{"2/3"}).exitCode <= 3);

        // A part is missing.
        auto merge = runTool({"merge", "--dataset", folder});
        QCOMPARE(merge.exitCode, 1);
        QVERIFY2(merge.err.contains("Part 1 of 3") && merge.err.contains("shard-1-of-3.csv")
                     && merge.err.contains("--allow-missing"),
                 qPrintable(merge.err));
        QVERIFY(!QFile::exists(folder + "/brain_tumor_info_metrics.csv"));

        // Written anyway, the missing rows saying why.
        merge = runTool({"merge", "--dataset", folder, "--allow-missing", "--quiet"});
        QCOMPARE(merge.exitCode, 3);
        const auto table = readCsvFile((folder + "/brain_tumor_info_metrics.csv").toStdString());
        const auto dataset = openDataset(folder.toStdString());
        QCOMPARE(table.rows.size(), dataset.rows.size());
        const auto inPart1 = rowsOfShard(dataset, {1, 3});
        QVERIFY(!inPart1.empty());
        const int error = table.columnIndex("error");
        for (const auto row : inPart1)
            QCOMPARE(QString::fromStdString(table.rows[row][error]), QString("not enhanced: part 1 of 3 is missing"));

        // Parts of two splits.
        QVERIFY(runTool(enhance + QStringList{"1/4"}).exitCode <= 3);
        merge = runTool({"merge", "--dataset", folder});
        QCOMPARE(merge.exitCode, 1);
        QVERIFY2(merge.err.contains("different splits"), qPrintable(merge.err));
        QFile::remove(folder + "/brain_tumor_info_metrics.shard-1-of-4.csv");

        // Parts of two models.
        const auto otherModel = m_dir.filePath("other-model.pt");
        QVERIFY(runTool(QStringList{"train", "--dataset", folder, "--model", otherModel, "--epochs", "1", "--quiet"}
                        + kTinyNetwork + QStringList{"--seed", "6"})
                    .exitCode
                == 0);
        QVERIFY(runTool({"enhance", "--dataset", folder, "--model", otherModel, "--quiet", "--shard", "1/3"}).exitCode <= 3);
        merge = runTool({"merge", "--dataset", folder});
        QCOMPARE(merge.exitCode, 1);
        QVERIFY2(merge.err.contains("disagree") && merge.err.contains("one model"), qPrintable(merge.err));

        // The dataset's table changed since the parts were made.
        QVERIFY(runTool({"enhance", "--dataset", folder, "--model", m_model, "--quiet", "--shard", "1/3"}).exitCode <= 3);
        QCOMPARE(runTool({"merge", "--dataset", folder, "--quiet"}).exitCode, 3);
        auto csv = readCsvFile((folder + "/brain_tumor_info.csv").toStdString());
        csv.rows.erase(csv.rows.begin());
        writeCsvFileAtomically((folder + "/brain_tumor_info.csv").toStdString(), csv);
        merge = runTool({"merge", "--dataset", folder});
        QCOMPARE(merge.exitCode, 1);
        QVERIFY2(merge.err.contains("changed since the parts were made"), qPrintable(merge.err));

        // Nothing to merge.
        const auto empty = freshCopy("nothing");
        merge = runTool({"merge", "--dataset", empty});
        QCOMPARE(merge.exitCode, 1);
        QVERIFY2(merge.err.contains("no parts to merge") || merge.err.contains("There are no parts"), qPrintable(merge.err));
    }

    void reportsDescribeTheRun()
    {
        const auto folder = freshCopy("reports");
        const QString reportFile = folder + "/enhance.json";
        const auto run = runTool({"enhance", "--dataset", folder, "--model", m_model, "--json", reportFile, "--quiet"});
        QCOMPARE(run.exitCode, 3);
        const auto report = readJson(reportFile);
        QCOMPARE(report["program"].toString(), QString("mri-enhance"));
        QVERIFY(!report["version"].toString().isEmpty());
        QCOMPARE(report["command"].toString(), QString("enhance"));
        QCOMPARE(report["exit_status"].toInt(), 3);
        const auto model = report["model"].toObject();
        QCOMPARE(model["sha256"].toString(),
                 QString(QCryptographicHash::hash(readAll(m_model), QCryptographicHash::Sha256).toHex()));
        QCOMPARE(model["settings"].toObject()["base_channels"].toInt(), 8);
        const auto counts = report["counts"].toObject();
        QCOMPARE(counts["requested"].toInt(), 12);
        QCOMPARE(counts["done"].toInt(), 11);
        QCOMPARE(counts["failed"].toInt(), 1);
        QCOMPARE(counts["skipped"].toInt(), 0);
        QCOMPARE(report["rows"].toArray().size(), 12);
        const auto error = report["errors"].toArray()[0].toObject();
        QCOMPARE(error["image_path"].toString(), QString("images/missing.png"));
        QVERIFY(!error["error"].toString().isEmpty());
        QVERIFY(report["machine"].toObject()["threads"].toInt() >= 1);
        QCOMPARE(report["machine"].toObject()["device"].toString(), QString("cpu"));
        QVERIFY(report["timings"].toObject()["enhancing_seconds"].toDouble() > 0.0);
        QVERIFY(report["seconds"].toDouble() > 0.0);

        // --contrast: the step and each row's grey/white CNR are in the report; a bad step is a usage error.
        const QString contrastReport = folder + "/contrast.json";
        const auto contrasted = runTool({"enhance", "--dataset", folder, "--model", m_model, "--json", contrastReport,
                                         "--quiet", "--contrast", "CLAHE:3,4", "--out-dir", folder + "/contrast",
                                         "--csv-out", folder + "/contrast.csv"});
        QCOMPARE(contrasted.exitCode, 3);
        const auto withContrast = readJson(contrastReport);
        QCOMPARE(withContrast["settings"].toObject()["contrast"].toString(), QString("clahe:3,4"));
        QCOMPARE(report["settings"].toObject()["contrast"].toString(), QString("none"));
        int measured = 0;
        for (const auto &value : withContrast["rows"].toArray()) {
            const auto row = value.toObject();
            if (row["status"].toString() != "done")
                continue;
            QCOMPARE(row["contrast"].toString(), QString("clahe:3,4"));
            // A number, or null where the result has no three tissue classes.
            QVERIFY(row.contains("CNR") && (row["CNR"].isNull() || row["CNR"].toDouble() >= 0.0));
            ++measured;
        }
        QCOMPARE(measured, 11);
        const auto badStep = runTool({"enhance", "--dataset", folder, "--model", m_model, "--contrast", "clahe:99"});
        QCOMPARE(badStep.exitCode, 2);
        QVERIFY2(badStep.err.contains("The contrast step 'clahe:99' has clip 99, outside 0.1..40"), qPrintable(badStep.err));
        const auto help = runTool({"enhance", "--help"});
        QVERIFY2(help.out.contains("--contrast") && help.out.contains("CLIP 0.1..40"), qPrintable(help.out));

        // A failing command still reports, with its sentence.
        const QString failed = folder + "/failed.json";
        const auto missing = runTool({"enhance", "--dataset", folder, "--model", folder + "/absent.pt", "--json", failed});
        QCOMPARE(missing.exitCode, 1);
        const auto failedReport = readJson(failed);
        QCOMPARE(failedReport["exit_status"].toInt(), 1);
        QVERIFY(failedReport["error"].toString().contains("absent.pt"));

        // train reports its settings, history and the model's digest.
        const QString trainReport = folder + "/train.json";
        QCOMPARE(runTool(QStringList{"train", "--dataset", folder, "--model", folder + "/m.pt", "--epochs", "1",
                                     "--quiet", "--json", trainReport}
                         + kTinyNetwork)
                     .exitCode,
                 0);
        // benchmark reports its rows, numbers as numbers.
        const QString benchmarkReport = folder + "/benchmark.json";
        QCOMPARE(runTool({"benchmark", "--clean", folder + "/clean", "--methods", "noisy", "--sigma", "0.1",
                          "--out", folder + "/bench/report.md", "--quiet", "--json", benchmarkReport})
                     .exitCode,
                 0);
        const auto benchmark = readJson(benchmarkReport);
        QCOMPARE(benchmark["command"].toString(), QString("benchmark"));
        QVERIFY(!benchmark["results"].toArray().isEmpty());
        QVERIFY(benchmark["results"].toArray()[0].toObject()["PSNR"].isDouble());
        QCOMPARE(benchmark["results"].toArray()[0].toObject()["method"].toString(), QString("noisy"));

        const auto train = readJson(trainReport);
        QCOMPARE(train["settings"].toObject()["depth"].toInt(), 2);
        QCOMPARE(train["history"].toArray().size(), 1);
        QCOMPARE(train["model"].toObject()["sha256"].toString(),
                 QString(QCryptographicHash::hash(readAll(folder + "/m.pt"), QCryptographicHash::Sha256).toHex()));
    }

    void quietAndVerbose()
    {
        const auto folder = freshCopy("verbosity");
        auto run = runTool({"enhance", "--dataset", folder, "--model", m_model, "--patients", "A", "--quiet"});
        QCOMPARE(run.exitCode, 0);
        QVERIFY2(run.out.isEmpty() && run.err.isEmpty(), qPrintable(run.out + run.err));
        run = runTool({"enhance", "--dataset", folder, "--model", m_model, "--patients", "A,H", "--quiet"});
        QCOMPARE(run.exitCode, 3);
        QVERIFY2(run.err.contains("Failed:") && run.err.contains("missing.png"), qPrintable(run.err)); // errors still show
        run = runTool({"enhance", "--dataset", folder, "--model", m_model, "--patients", "A", "--verbose"});
        QCOMPARE(run.exitCode, 0);
        QCOMPARE(run.err.count("PSNR"), 3); // one line per row of patient A
        QVERIFY(run.err.contains("SHA-256"));
        run = runTool({"enhance", "--dataset", folder, "--model", m_model, "--quiet", "--verbose"});
        QCOMPARE(run.exitCode, 2);
        run = runTool({"metrics", "--quiet", folder + "/images/slice_1.png", folder + "/images/slice_1.png"});
        QCOMPARE(run.exitCode, 0);
        QVERIFY(run.out.contains("PSNR=")); // the answer itself is not chatter
    }
};

QTEST_GUILESS_MAIN(TestCluster)
#include "tst_cluster.moc"
