// The Debian package: cpack builds it in this build tree, lintian,
// desktop-file-validate and appstreamcli accept it, and once extracted
// (dpkg -x) its programs run, its man pages, bash completion, desktop entry,
// metainfo and icons lie where Debian expects them, and the completion
// offers what the programs' help lists. Skips when a packaging tool is missing
// (packaging/install-deps.sh installs them).

#include "TestDatasets.h"

#include <QDir>
#include <QFileInfo>
#include <QImage>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

namespace {

const QString kAppId = QStringLiteral("org.mri_enhance_studio.MriStudio");
const QString kVersion = QStringLiteral(MRI_PROJECT_VERSION);

struct Result
{
    int exitCode = -1;
    QString out;
    QString err;
};

Result run(const QString &program, const QStringList &arguments, int timeoutMs = 120000,
           const QString &workingDir = QString(),
           const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment())
{
    QProcess process;
    process.setProcessEnvironment(environment);
    if (!workingDir.isEmpty())
        process.setWorkingDirectory(workingDir);
    process.start(program, arguments);
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        return {-1, QString::fromLocal8Bit(process.readAllStandardOutput()),
                QStringLiteral("timed out: ") + QString::fromLocal8Bit(process.readAllStandardError())};
    }
    return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1,
            QString::fromLocal8Bit(process.readAllStandardOutput()), QString::fromLocal8Bit(process.readAllStandardError())};
}

} // namespace

class TestPackage final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void controlFieldsAreComplete();
    void lintianFindsNoErrors();
    void desktopEntryValidates();
    void metainfoValidates();
    void filesLieAtTheirPaths();
    void iconsHaveTheirSizes();
    void manPagesCoverEverySubcommand();
    void installedCliReportsTheVersion();
    void installedStudioWritesAScreenshot();
    void completionOffersSubcommandsAndChoices();

private:
    QStringList subcommands() const;
    QString complete(const QStringList &words) const;

    QTemporaryDir m_dir;
    QString m_deb;
    QString m_root;
};

void TestPackage::initTestCase()
{
    QStringList missing;
    for (const char *tool : {"dpkg-deb", "dpkg-shlibdeps", "help2man", "lintian", "desktop-file-validate", "appstreamcli", "bash"}) {
        if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty())
            missing << QString::fromLatin1(tool);
    }
    if (!missing.isEmpty())
        QSKIP(qPrintable(QStringLiteral("Packaging tools missing: %1 (packaging/install-deps.sh installs them).")
                             .arg(missing.join(QStringLiteral(", ")))));
    QVERIFY(m_dir.isValid());

    // cpack in the build tree; the package goes to a folder of this run.
    const QString out = m_dir.filePath(QStringLiteral("package"));
    const Result cpack = run(QStringLiteral(MRI_CPACK_COMMAND), {QStringLiteral("-G"), QStringLiteral("DEB"), QStringLiteral("-B"), out},
                             600000, QStringLiteral(MRI_BUILD_DIR));
    QVERIFY2(cpack.exitCode == 0, qPrintable(cpack.out + cpack.err));
    m_deb = QDir(out).filePath(QStringLiteral("mri-enhance-studio_%1_amd64.deb").arg(kVersion));
    QVERIFY2(QFileInfo::exists(m_deb), qPrintable(QStringLiteral("no %1 after: %2").arg(m_deb, cpack.out)));
    qInfo("Package: %s, %lld bytes", qPrintable(m_deb), QFileInfo(m_deb).size());

    m_root = m_dir.filePath(QStringLiteral("root"));
    const Result extract = run(QStringLiteral("dpkg-deb"), {QStringLiteral("-x"), m_deb, m_root});
    QVERIFY2(extract.exitCode == 0, qPrintable(extract.err));
}

void TestPackage::controlFieldsAreComplete()
{
    const Result fields = run(QStringLiteral("dpkg-deb"), {QStringLiteral("-f"), m_deb});
    QCOMPARE(fields.exitCode, 0);
    const auto field = [&](const QString &name) {
        const QRegularExpression line(QStringLiteral("^%1: (.*)$").arg(name), QRegularExpression::MultilineOption);
        return line.match(fields.out).captured(1).trimmed();
    };
    QCOMPARE(field(QStringLiteral("Package")), QStringLiteral("mri-enhance-studio"));
    QCOMPARE(field(QStringLiteral("Version")), kVersion);
    QCOMPARE(field(QStringLiteral("Architecture")), QStringLiteral("amd64"));
    QCOMPARE(field(QStringLiteral("Section")), QStringLiteral("science"));
    QVERIFY(field(QStringLiteral("Maintainer")).contains(QLatin1Char('@')));
    QVERIFY(field(QStringLiteral("Homepage")).startsWith(QStringLiteral("https://")));
    // dpkg-shlibdeps found the libraries the programs link.
    const QString depends = field(QStringLiteral("Depends"));
    for (const QString &library : {QStringLiteral("libc6"), QStringLiteral("libtorch"), QStringLiteral("libqt6widgets6"),
                                   QStringLiteral("libopencv-core"), QStringLiteral("libgdcm"), QStringLiteral("libnifti2")})
        QVERIFY2(depends.contains(library), qPrintable(library + QStringLiteral(" not in Depends: ") + depends));
    // A synopsis and an extended description.
    QVERIFY(fields.out.contains(QRegularExpression(QStringLiteral("^Description: \\S.*\\n \\S"), QRegularExpression::MultilineOption)));
}

void TestPackage::lintianFindsNoErrors()
{
    const Result lintian = run(QStringLiteral("lintian"), {QStringLiteral("--fail-on"), QStringLiteral("error"), m_deb}, 600000);
    qInfo("lintian:\n%s%s", qPrintable(lintian.out), qPrintable(lintian.err));
    QVERIFY2(lintian.exitCode == 0, qPrintable(lintian.out + lintian.err));
    QVERIFY2(!lintian.out.contains(QRegularExpression(QStringLiteral("^E: "), QRegularExpression::MultilineOption)),
             qPrintable(lintian.out));
}

void TestPackage::desktopEntryValidates()
{
    const QString entry = m_root + QStringLiteral("/usr/share/applications/%1.desktop").arg(kAppId);
    QVERIFY(QFileInfo::exists(entry));
    const Result validate = run(QStringLiteral("desktop-file-validate"), {entry});
    QVERIFY2(validate.exitCode == 0 && !validate.out.contains(QStringLiteral("error:")), qPrintable(validate.out + validate.err));
}

void TestPackage::metainfoValidates()
{
    const QString metainfo = m_root + QStringLiteral("/usr/share/metainfo/%1.metainfo.xml").arg(kAppId);
    QVERIFY(QFileInfo::exists(metainfo));
    const Result validate = run(QStringLiteral("appstreamcli"), {QStringLiteral("validate"), QStringLiteral("--no-net"), metainfo});
    qInfo("appstreamcli:\n%s", qPrintable(validate.out));
    QVERIFY2(validate.exitCode == 0, qPrintable(validate.out + validate.err));
}

void TestPackage::filesLieAtTheirPaths()
{
    const QStringList files{
        QStringLiteral("/usr/bin/mri-enhance"),
        QStringLiteral("/usr/bin/mri-studio"),
        QStringLiteral("/usr/share/applications/%1.desktop").arg(kAppId),
        QStringLiteral("/usr/share/metainfo/%1.metainfo.xml").arg(kAppId),
        QStringLiteral("/usr/share/icons/hicolor/256x256/apps/%1.png").arg(kAppId),
        QStringLiteral("/usr/share/bash-completion/completions/mri-enhance"),
        QStringLiteral("/usr/share/man/man1/mri-enhance.1.gz"),
        QStringLiteral("/usr/share/man/man1/mri-studio.1.gz"),
        QStringLiteral("/usr/share/doc/mri-enhance-studio/copyright"),
        QStringLiteral("/usr/share/doc/mri-enhance-studio/changelog.gz"),
        QStringLiteral("/usr/share/man/man1/mri-enhance-merge.1.gz"),
        QStringLiteral("/usr/share/mri-enhance-studio/python/mri_enhance_network.py"),
        QStringLiteral("/usr/share/doc/mri-enhance-studio/examples/cluster/enhance.sbatch"),
    };
    for (const QString &file : files)
        QVERIFY2(QFileInfo(m_root + file).isFile(), qPrintable(file + QStringLiteral(" is not in the package")));
    for (const QString &program : {QStringLiteral("mri-enhance"), QStringLiteral("mri-studio")}) {
        const QFileInfo info(m_root + QStringLiteral("/usr/bin/") + program);
        QVERIFY(info.isExecutable());
        const Result file = run(QStringLiteral("file"), {info.filePath()});
        if (file.exitCode == 0)
            QVERIFY2(file.out.contains(QStringLiteral(", stripped")), qPrintable(file.out));
    }
}

void TestPackage::iconsHaveTheirSizes()
{
    for (const int size : {16, 22, 24, 32, 48, 64, 128, 256}) {
        const QString path = m_root + QStringLiteral("/usr/share/icons/hicolor/%1x%1/apps/%2.png").arg(size).arg(kAppId);
        const QImage icon(path);
        QVERIFY2(!icon.isNull(), qPrintable(path));
        QCOMPARE(icon.size(), QSize(size, size));
        QVERIFY(icon.hasAlphaChannel());
    }
}

QStringList TestPackage::subcommands() const
{
    const Result help = run(m_root + QStringLiteral("/usr/bin/mri-enhance"), {QStringLiteral("--help")});
    QStringList names;
    bool listing = false;
    for (const QString &line : help.out.split(QLatin1Char('\n'))) {
        if (line.startsWith(QStringLiteral("Subcommands:"))) {
            listing = true;
        } else if (listing) {
            const auto match = QRegularExpression(QStringLiteral("^  +([a-z][a-z0-9-]*)")).match(line);
            if (!match.hasMatch())
                break;
            names << match.captured(1);
        }
    }
    return names;
}

void TestPackage::manPagesCoverEverySubcommand()
{
    const QStringList names = subcommands();
    QVERIFY(names.contains(QStringLiteral("train")));
    QStringList pages{QStringLiteral("mri-enhance"), QStringLiteral("mri-studio")};
    for (const QString &name : names)
        pages << QStringLiteral("mri-enhance-") + name;
    for (const QString &page : pages) {
        const QString path = m_root + QStringLiteral("/usr/share/man/man1/%1.1.gz").arg(page);
        QVERIFY2(QFileInfo::exists(path), qPrintable(path));
        const Result text = run(QStringLiteral("gzip"), {QStringLiteral("-dc"), path});
        QCOMPARE(text.exitCode, 0);
        QVERIFY2(text.out.contains(QStringLiteral(".SH NAME")) && text.out.contains(QStringLiteral(".SH SYNOPSIS")),
                 qPrintable(page));
    }
    const Result train = run(QStringLiteral("gzip"), {QStringLiteral("-dc"), m_root + QStringLiteral("/usr/share/man/man1/mri-enhance-train.1.gz")});
    QVERIFY(train.out.contains(QStringLiteral("\\-\\-epochs")));
}

void TestPackage::installedCliReportsTheVersion()
{
    const Result version = run(m_root + QStringLiteral("/usr/bin/mri-enhance"), {QStringLiteral("--version")});
    QCOMPARE(version.exitCode, 0);
    QCOMPARE(version.out.trimmed(), QStringLiteral("mri-enhance ") + kVersion);
}

void TestPackage::installedStudioWritesAScreenshot()
{
    const QString dataset = m_dir.filePath(QStringLiteral("dataset"));
    mri::test::writeSyntheticDataset(dataset, 3, 64, 64);
    const QString shot = m_dir.filePath(QStringLiteral("shot.png"));
    auto environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    environment.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("config")));
    environment.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("data")));
    const Result studio = run(m_root + QStringLiteral("/usr/bin/mri-studio"), {dataset, QStringLiteral("--screenshot"), shot}, 120000,
                              QString(), environment);
    QVERIFY2(studio.exitCode == 0, qPrintable(studio.err));
    const QImage image(shot);
    QVERIFY2(!image.isNull(), qPrintable(shot));
    QVERIFY(image.width() > 100 && image.height() > 100);
}

// COMPREPLY of the installed completion for the words (the last one is completed).
QString TestPackage::complete(const QStringList &words) const
{
    QStringList quoted;
    for (QString word : words)
        quoted << QLatin1Char('\'') + word.replace(QLatin1Char('\''), QStringLiteral("'\\''")) + QLatin1Char('\'');
    const QString script = QStringLiteral("source '%1/usr/share/bash-completion/completions/mri-enhance'\n"
                                          "COMP_WORDS=(%2); COMP_CWORD=%3\n"
                                          "_mri_enhance; printf '%s\\n' \"${COMPREPLY[@]}\"\n")
                               .arg(m_root, quoted.join(QLatin1Char(' ')))
                               .arg(words.size() - 1);
    const Result bash = run(QStringLiteral("bash"), {QStringLiteral("--norc"), QStringLiteral("-c"), script});
    return bash.out;
}

void TestPackage::completionOffersSubcommandsAndChoices()
{
    const QString program = m_root + QStringLiteral("/usr/bin/mri-enhance");
    const auto lines = [](const QString &text) { return text.split(QLatin1Char('\n'), Qt::SkipEmptyParts); };
    QCOMPARE(lines(complete({program, QStringLiteral("tr")})), QStringList{QStringLiteral("train")});
    // Every subcommand of the help, none more.
    QCOMPARE(lines(complete({program, QString()})), subcommands());
    const QStringList planes{QStringLiteral("axial"), QStringLiteral("coronal"), QStringLiteral("sagittal")};
    QCOMPARE(lines(complete({program, QStringLiteral("train"), QStringLiteral("--plane"), QString()})), planes);
    QCOMPARE(lines(complete({program, QStringLiteral("enhance"), QStringLiteral("--plane"), QStringLiteral("c")})),
             QStringList{QStringLiteral("coronal")});
    // --plane=VALUE, which bash splits at "=".
    QCOMPARE(lines(complete({program, QStringLiteral("train"), QStringLiteral("--plane"), QStringLiteral("="), QString()})), planes);
    QVERIFY(lines(complete({program, QStringLiteral("train"), QStringLiteral("--ep")})).contains(QStringLiteral("--epochs")));
    QVERIFY(lines(complete({program, QStringLiteral("train"), QStringLiteral("--set"), QStringLiteral("blur")}))
                .contains(QStringLiteral("blur_pool=")));
}

QTEST_GUILESS_MAIN(TestPackage)
#include "tst_package.moc"
