#include "GuiTestSupport.h"

#include "MainWindow.h"
#include "StudioSession.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QSettings>
#include <QSignalSpy>
#include <QWidget>

namespace studio::test {

void saveReviewShot(QWidget &window, const QString &name)
{
    const QString folder = qEnvironmentVariable("MRI_STUDIO_TEST_SHOTS");
    if (folder.isEmpty())
        return;
    QDir().mkpath(folder);
    QCoreApplication::processEvents();
    window.grab().save(QDir(folder).filePath(name + QStringLiteral(".png")));
}

void openAndWait(MainWindow &window, const QString &dataset)
{
    QSignalSpy ready(window.session(), &StudioSession::datasetReady);
    QVERIFY(window.openDataset(dataset));
    QVERIFY(ready.wait(10000));
}

void showAndOpen(MainWindow &window, const QString &dataset)
{
    window.setErrorDialogsEnabled(false);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    openAndWait(window, dataset);
}

void isolateGuiTest(const QTemporaryDir &home)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(home.filePath(QStringLiteral("config"))));
    qputenv("XDG_DATA_HOME", QFile::encodeName(home.filePath(QStringLiteral("data"))));
    qputenv("XDG_CACHE_HOME", QFile::encodeName(home.filePath(QStringLiteral("cache"))));
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, home.filePath(QStringLiteral("settings")));
}

} // namespace studio::test
