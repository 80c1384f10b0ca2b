// Models that travel: `mri-enhance export-model` writes a state dict that
// Python's torch.load reads and python/mri_enhance_network.py runs to the
// engine's result; `import-model` takes weights from Python back. Both ways
// are checked against `mri-enhance enhance` on float NIfTI volumes (no 8- or
// 16-bit rounding), with /usr/bin/python3 and its torch (python3-torch).
#include "io/NiftiFile.h"
#include "io/ScanVolume.h"
#include "io/SlicePlane.h"
#include "TestDatasets.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <vector>

using namespace mri;
namespace fs = std::filesystem;

namespace {

struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

Run runProgram(const QString &program, const QStringList &arguments, const QProcessEnvironment &environment,
               int timeoutMs = 240000)
{
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(program, arguments);
    if (!process.waitForFinished(timeoutMs))
        process.kill();
    return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1,
            QString::fromUtf8(process.readAllStandardOutput()), QString::fromUtf8(process.readAllStandardError())};
}

Run runTool(const QStringList &arguments)
{
    return runProgram(QStringLiteral(MRI_ENHANCE_EXECUTABLE), arguments, QProcessEnvironment::systemEnvironment());
}

const QString kPython = QStringLiteral("/usr/bin/python3");

// The Python side of the test, run with PYTHONPATH at the committed module.
const char *kScript = R"PY(
import collections
import sys
import numpy as np
import torch
import mri_enhance_network as mri

def read_raw(path, shape):
    return np.fromfile(path, dtype=np.float32).reshape(shape)

def enhance(args):
    # enhance STATE_DICT IN.raw NZ ROWS COLS OUT.raw: every slice with its
    # neighbours (clamped at the ends), scaled by the volume's min and max.
    state, raw, nz, rows, cols, out = args[0], args[1], int(args[2]), int(args[3]), int(args[4]), args[5]
    net = mri.load_model(state)
    slices = read_raw(raw, (nz, rows, cols))
    low, high = float(np.nanmin(slices)), float(np.nanmax(slices))
    n = net.settings["neighbour_slices"]
    result = []
    for z in range(nz):
        neighbours = [slices[min(max(z + d, 0), nz - 1)] for d in list(range(-n, 0)) + list(range(1, n + 1))]
        result.append(mri.enhance_slice(net, slices[z], neighbours, (low, high)))
    np.stack(result).astype(np.float32).tofile(out)

def make(args):
    # make STATE_DICT DEPTH BASE NEIGHBOURS SEED SAVE: a network in Python with
    # random weights and batch-norm statistics, saved for import-model as a
    # plain dict (SAVE "dict") or as state_dict()'s OrderedDict ("ordered").
    path, depth, base, neighbours, seed = args[0], int(args[1]), int(args[2]), int(args[3]), int(args[4])
    kind_of_save = args[5]
    torch.manual_seed(seed)
    net = mri.build_network({"depth": depth, "base_channels": base, "neighbour_slices": neighbours})
    net.set_data_statistics(0.3, 0.2)
    with torch.no_grad():
        for name, buffer in net.named_buffers():
            if name.endswith("running_mean"):
                buffer.uniform_(-0.2, 0.2)
            elif name.endswith("running_var"):
                buffer.uniform_(0.5, 1.5)
        for name, parameter in net.named_parameters():
            if name.endswith("norm.weight"):
                parameter.uniform_(0.5, 1.5)
        net.output.weight.mul_(30.0)  # an output that varies over the slice, not a near-constant
    if kind_of_save == "ordered":
        # As most PyTorch code saves: the OrderedDict of state_dict(), settings beside it.
        mri.save_model(net, path, {"rician_correction": False})
        torch.save(net.state_dict(), path)
    else:
        mri.save_model(net, path, {"rician_correction": False})

def bad(args):
    # bad KIND PATH: state dicts that import-model must refuse.
    kind, path = args
    net = mri.build_network({"depth": 2, "base_channels": 8, "neighbour_slices": 0})
    state = dict(net.state_dict())
    if kind == "text":
        open(path, "w").write("not a state dict\n")
    elif kind == "tensor":
        torch.save(torch.zeros(3), path)
    elif kind == "missing":
        del state["output.bias"]
        torch.save(state, path)
    elif kind == "extra":
        state["extra.weight"] = torch.zeros(2)
        torch.save(state, path)
    elif kind == "shape":
        state["output.weight"] = torch.zeros(1, 4, 1, 1)
        torch.save(state, path)
    elif kind == "settings":
        mri.save_model(net, path)  # base_channels 8, imported with --base-channels 16
    elif kind == "nan":
        with torch.no_grad():
            state["encoders.0.first.weight"][0, 0, 1, 1] = float("nan")
        torch.save(state, path)
    elif kind == "inf":
        with torch.no_grad():
            state["encoders.1.second_norm.running_var"][2] = float("inf")
        torch.save(state, path)
    elif kind == "foreign":
        # Another network's weights, as most PyTorch code saves them: an OrderedDict.
        foreign = torch.nn.Sequential(collections.OrderedDict(
            [("conv1", torch.nn.Conv2d(1, 4, 3)), ("bn1", torch.nn.BatchNorm2d(4)), ("fc", torch.nn.Linear(4, 2))]))
        torch.save(foreign.state_dict(), path)
    elif kind == "legacy":
        torch.save(state, path, _use_new_zipfile_serialization=False)
    elif kind == "truncated":
        torch.save(state, path)
        data = open(path, "rb").read()
        open(path, "wb").write(data[: len(data) // 2])
    elif kind == "wholenet":
        torch.save(net, path)
    elif kind == "checkpoint":
        torch.save({"epoch": 3, "weights": [1, 2], "optimizer": {"lr": 0.1}}, path)
    elif kind == "badsettings":
        mri.save_model(net, path)
        open(path + ".json", "w").write('{"settings": {"depth": 9}}')

def wrapped(args):
    # wrapped KIND PATH: weights that import-model reads, in the ways other
    # code saves them; PATH.plain gets the same weights as a plain dict.
    kind, path = args
    torch.manual_seed(11)
    net = mri.build_network({"depth": 2, "base_channels": 8, "neighbour_slices": 0})
    with torch.no_grad():
        for name, buffer in net.named_buffers():
            if name.endswith("running_var"):
                buffer.uniform_(0.5, 1.5)
    torch.save(dict(net.state_dict()), path + ".plain")
    if kind == "state_dict":
        torch.save({"epoch": 7, "state_dict": net.state_dict(), "optimizer": {"lr": 0.001}}, path)
    elif kind == "model":
        torch.save({"model": net.state_dict(), "best_psnr": 31.5}, path)
    elif kind == "module":
        torch.save(torch.nn.DataParallel(net).state_dict(), path)
    elif kind == "handmade":
        # An OrderedDict built by hand has no _metadata.
        torch.save(collections.OrderedDict((k, v.clone()) for k, v in net.state_dict().items()), path)

def same(args):
    # same A B: exit 0 when the two plain state dicts hold equal tensors.
    a, b = torch.load(args[0]), torch.load(args[1])
    assert sorted(a) == sorted(b), (sorted(set(a) ^ set(b)))
    for k in a:
        assert torch.equal(a[k].float(), b[k].float()), k

{"enhance": enhance, "make": make, "bad": bad, "wrapped": wrapped, "same": same}[sys.argv[1]](sys.argv[2:])
)PY";

// A float32 volume of smooth "head" slices, values 0..800 plus a little noise.
ScanVolume makeVolume(int nx, int ny, int nz, std::uint64_t seed)
{
    ScanVolume volume;
    volume.size = {nx, ny, nz, 1};
    volume.voxels.resize(static_cast<std::size_t>(nx) * ny * nz);
    cv::RNG rng(seed);
    std::size_t i = 0;
    for (int z = 0; z < nz; ++z) {
        const cv::Mat slice = test::syntheticSlice(nx, ny, seed * 100 + z);
        for (int y = 0; y < ny; ++y)
            for (int x = 0; x < nx; ++x)
                volume.voxels[i++] = static_cast<float>(800.0 * slice.at<float>(y, x) + rng.gaussian(20.0));
    }
    return volume;
}

// The axial slices of a volume as the engine cuts them, one after another.
std::vector<float> axialSlices(const ScanVolume &volume, int &rows, int &columns)
{
    std::vector<float> values;
    const int count = sliceCountOf(volume, SlicePlane::Axial);
    for (int z = 0; z < count; ++z) {
        const cv::Mat slice = extractSlice(volume, SlicePlane::Axial, z);
        rows = slice.rows;
        columns = slice.cols;
        for (int r = 0; r < slice.rows; ++r)
            values.insert(values.end(), slice.ptr<float>(r), slice.ptr<float>(r) + slice.cols);
    }
    return values;
}

} // namespace

class TestModelExchange : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void exportedModelRunsInPython_data();
    void exportedModelRunsInPython();
    void pythonModelImports_data();
    void pythonModelImports();
    void badStateDicts_data();
    void badStateDicts();
    void wrappedStateDictsImport_data();
    void wrappedStateDictsImport();

private:
    Run python(const QStringList &arguments);
    // Max |engine - Python| over the enhanced first volume, in units of its range.
    double engineAgainstPython(const QString &model, const QString &stateDict, const QString &name);
    QString path(const QString &name) const { return m_dir.filePath(name); }

    QTemporaryDir m_dir;
    QString m_dataset;
    QString m_script;
};

Run TestModelExchange::python(const QStringList &arguments)
{
    auto environment = QProcessEnvironment::systemEnvironment();
    environment.insert("PYTHONPATH", QStringLiteral(MRI_PYTHON_DIR));
    environment.insert("OMP_NUM_THREADS", "2");
    return runProgram(kPython, QStringList{m_script} + arguments, environment);
}

void TestModelExchange::initTestCase()
{
    if (!QFile::exists(kPython))
        QSKIP("/usr/bin/python3 is missing; install python3-torch and python3-numpy to run this test.");
    const auto probe = runProgram(kPython, {"-c", "import torch, numpy"}, QProcessEnvironment::systemEnvironment());
    if (probe.exitCode != 0)
        QSKIP("/usr/bin/python3 has no torch or numpy module; install python3-torch and python3-numpy to run this test.");
    QVERIFY(m_dir.isValid());
    m_script = path("exchange.py");
    QFile script(m_script);
    QVERIFY(script.open(QIODevice::WriteOnly));
    script.write(kScript);
    script.close();
    // Two patients, so that training has one to validate on; 38 columns pad to 40.
    m_dataset = path("data");
    QVERIFY(QDir().mkpath(m_dataset));
    writeNiftiVolume(makeVolume(38, 32, 5, 1), fs::path(m_dataset.toStdString()) / "p1.nii", "test", kNiftiFloat32);
    writeNiftiVolume(makeVolume(38, 32, 5, 2), fs::path(m_dataset.toStdString()) / "p2.nii", "test", kNiftiFloat32);
}

double TestModelExchange::engineAgainstPython(const QString &model, const QString &stateDict, const QString &name)
{
    const QString outDir = path(name + "-enhanced");
    const auto enhance = runTool({"enhance", "--dataset", m_dataset, "--model", model, "--out-dir", outDir,
                                  "--csv-out", path(name + "-metrics.csv")});
    if (enhance.exitCode != 0) {
        qWarning("%s", qPrintable(enhance.err));
        return INFINITY;
    }
    const ScanVolume input = readNiftiFile(fs::path(m_dataset.toStdString()) / "p1.nii");
    const ScanVolume output = readNiftiFile(fs::path(outDir.toStdString()) / "p1_enhanced.nii.gz");
    int rows = 0;
    int columns = 0;
    const auto slices = axialSlices(input, rows, columns);
    const auto engine = axialSlices(output, rows, columns);
    const QString raw = path(name + "-in.raw");
    const QString result = path(name + "-python.raw");
    {
        std::ofstream out(raw.toStdString(), std::ios::binary);
        out.write(reinterpret_cast<const char *>(slices.data()), static_cast<std::streamsize>(slices.size() * 4));
    }
    const int count = static_cast<int>(slices.size() / (static_cast<std::size_t>(rows) * columns));
    const auto run = python({"enhance", stateDict, raw, QString::number(count), QString::number(rows),
                             QString::number(columns), result});
    if (run.exitCode != 0) {
        qWarning("%s", qPrintable(run.err));
        return INFINITY;
    }
    std::vector<float> twin(engine.size());
    std::ifstream in(result.toStdString(), std::ios::binary);
    in.read(reinterpret_cast<char *>(twin.data()), static_cast<std::streamsize>(twin.size() * 4));
    if (!in)
        return INFINITY;
    const auto [low, high] = std::minmax_element(slices.begin(), slices.end());
    double worst = 0.0;
    for (std::size_t i = 0; i < engine.size(); ++i)
        worst = std::max(worst, std::abs(double(engine[i]) - double(twin[i])) / (double(*high) - double(*low)));
    return worst;
}

void TestModelExchange::exportedModelRunsInPython_data()
{
    QTest::addColumn<int>("neighbours");
    QTest::newRow("single slice") << 0;
    QTest::newRow("2.5-D") << 1;
}

void TestModelExchange::exportedModelRunsInPython()
{
    QFETCH(int, neighbours);
    const QString name = QStringLiteral("trained%1").arg(neighbours);
    const QString model = path(name + ".model");
    const auto train = runTool({"train", "--dataset", m_dataset, "--model", model, "--epochs", "1", "--depth", "2",
                                "--base-channels", "8", "--patch", "32", "--batch", "4", "--patches-per-image", "2",
                                "--seed", "5", "--threads", "2", "--set", "rician_correction=false", "--set",
                                QStringLiteral("neighbour_slices=%1").arg(neighbours)});
    QVERIFY2(train.exitCode == 0, qPrintable(train.err));

    const QString stateDict = path(name + ".pt");
    const auto exported = runTool({"export-model", model, "--format", "pytorch", stateDict});
    QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
    QVERIFY(QFile::exists(stateDict));
    QVERIFY(QFile::exists(stateDict + ".json"));
    QVERIFY(exported.out.contains(stateDict + ".json"));

    const double difference = engineAgainstPython(model, stateDict, name);
    qInfo("exported model, %d neighbour slices: max |engine - Python| = %.3g of the range", neighbours, difference);
    QVERIFY2(difference <= 1e-4, qPrintable(QString::number(difference)));

    // Round trip: the exported state dict imported again enhances the same.
    const QString again = path(name + "-again.model");
    const auto imported = runTool({"import-model", stateDict, "--out", again});
    QVERIFY2(imported.exitCode == 0, qPrintable(imported.err));
    QVERIFY(imported.out.contains(stateDict + ".json"));
    const double roundTrip = engineAgainstPython(again, stateDict, name + "-again");
    QVERIFY2(roundTrip <= 1e-4, qPrintable(QString::number(roundTrip)));
}

void TestModelExchange::pythonModelImports_data()
{
    QTest::addColumn<int>("depth");
    QTest::addColumn<int>("neighbours");
    QTest::addColumn<QString>("save");
    QTest::newRow("single slice, depth 2, OrderedDict") << 2 << 0 << "ordered";
    QTest::newRow("2.5-D, depth 3, dict") << 3 << 1 << "dict";
}

void TestModelExchange::pythonModelImports()
{
    QFETCH(int, depth);
    QFETCH(int, neighbours);
    QFETCH(QString, save);
    const QString name = QStringLiteral("python%1-%2").arg(depth).arg(neighbours);
    const QString stateDict = path(name + ".pt");
    const auto made = python({"make", stateDict, QString::number(depth), "8", QString::number(neighbours), "7", save});
    QVERIFY2(made.exitCode == 0, qPrintable(made.err));
    const QString model = path(name + ".model");
    const auto imported = runTool({"import-model", stateDict, "--out", model});
    QVERIFY2(imported.exitCode == 0, qPrintable(imported.err));
    QVERIFY2(imported.out.contains(QStringLiteral("%1 neighbour slices").arg(neighbours)), qPrintable(imported.out));

    const double difference = engineAgainstPython(model, stateDict, name);
    qInfo("imported model, depth %d, %d neighbour slices: max |engine - Python| = %.3g of the range", depth,
          neighbours, difference);
    QVERIFY2(difference <= 1e-4, qPrintable(QString::number(difference)));
}

void TestModelExchange::badStateDicts_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QStringList>("options");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("not a state dict") << "text" << QStringList() << "not a PyTorch state dict";
    QTest::newRow("a tensor") << "tensor" << QStringList() << "not a state dict";
    QTest::newRow("missing key") << "missing" << QStringList{"--base-channels", "8"} << "'output.bias'";
    QTest::newRow("extra key") << "extra" << QStringList{"--base-channels", "8"} << "'extra.weight'";
    QTest::newRow("wrong shape") << "shape" << QStringList{"--base-channels", "8"} << "'output.weight'";
    QTest::newRow("settings against weights") << "settings" << QStringList{"--base-channels", "16"} << "base_channels 16";
    QTest::newRow("NaN weight") << "nan" << QStringList{"--base-channels", "8"}
                                << "holds a weight that is not a finite number (encoders.0.first.weight); it cannot be used.";
    QTest::newRow("Inf buffer") << "inf" << QStringList{"--base-channels", "8"}
                                << "not a finite number (encoders.1.second_norm.running_var)";
    QTest::newRow("another network") << "foreign" << QStringList{"--base-channels", "8"}
                                     << "lacks 'encoders.0.first.weight', 'encoders.0.first.bias', "
                                        "'encoders.0.second.weight' and ";
    QTest::newRow("legacy format") << "legacy" << QStringList() << "is in PyTorch's legacy file format";
    QTest::newRow("cut short") << "truncated" << QStringList() << "is cut short";
    QTest::newRow("whole network") << "wholenet" << QStringList()
                                   << "holds a pickled object of class mri_enhance_network.";
    QTest::newRow("checkpoint without weights") << "checkpoint" << QStringList()
                                                << "holds a dict of 'epoch', 'weights' and 'optimizer', not a state dict";
    QTest::newRow("settings file out of range") << "badsettings" << QStringList() << "'depth'";
    QTest::newRow("missing file") << "" << QStringList() << "does not exist";
}

void TestModelExchange::badStateDicts()
{
    QFETCH(QString, kind);
    QFETCH(QStringList, options);
    QFETCH(QString, mentions);
    const QString file = path("bad-" + (kind.isEmpty() ? QStringLiteral("none") : kind) + ".pt");
    if (!kind.isEmpty()) {
        const auto made = python({"bad", kind, file});
        QVERIFY2(made.exitCode == 0, qPrintable(made.err));
    }
    const QString model = path("bad-" + kind + ".model");
    const auto run = runTool(QStringList{"import-model", file, "--out", model} + options);
    QCOMPARE(run.exitCode, 1);
    const QString message = run.err.trimmed();
    QVERIFY2(!message.contains('\n'), qPrintable(message)); // one sentence
    QVERIFY2(message.contains(file), qPrintable(message));
    QVERIFY2(message.contains(mentions), qPrintable(message));
    QVERIFY(!QFile::exists(model));
}

void TestModelExchange::wrappedStateDictsImport_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("says");
    QTest::newRow("{'state_dict': ...}") << "state_dict"
                                         << "read the state dict under 'state_dict' of its dict of 'epoch', "
                                            "'state_dict' and 'optimizer'";
    QTest::newRow("{'model': ...}") << "model" << "read the state dict under 'model' of its dict of 'model' and "
                                                  "'best_psnr'";
    QTest::newRow("DataParallel") << "module" << "removed the prefix 'module.' (nn.DataParallel) from its keys";
    QTest::newRow("OrderedDict made by hand") << "handmade" << "";
}

void TestModelExchange::wrappedStateDictsImport()
{
    QFETCH(QString, kind);
    QFETCH(QString, says);
    const QString file = path("wrapped-" + kind + ".pt");
    const auto made = python({"wrapped", kind, file});
    QVERIFY2(made.exitCode == 0, qPrintable(made.err));
    const QString model = path("wrapped-" + kind + ".model");
    const auto imported = runTool({"import-model", file, "--out", model, "--base-channels", "8"});
    QVERIFY2(imported.exitCode == 0, qPrintable(imported.err));
    QVERIFY2(imported.out.contains(says), qPrintable(imported.out));
    if (says.isEmpty())
        QVERIFY2(!imported.out.contains("read the state dict") && !imported.out.contains("prefix"),
                 qPrintable(imported.out));
    // The weights are the file's: exported again they equal the plain dict Python saved.
    const QString exported = path("wrapped-" + kind + "-exported.pt");
    const auto exportRun = runTool({"export-model", model, exported});
    QVERIFY2(exportRun.exitCode == 0, qPrintable(exportRun.err));
    const auto compared = python({"same", exported, file + ".plain"});
    QVERIFY2(compared.exitCode == 0, qPrintable(compared.err));
}

QTEST_GUILESS_MAIN(TestModelExchange)
#include "tst_modelexchange.moc"
