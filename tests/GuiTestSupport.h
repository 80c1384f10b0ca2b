#pragma once

#include <QApplication>
#include <QString>
#include <QTemporaryDir>
#include <QtTest>

class QWidget;

namespace studio {
class MainWindow;
}

namespace studio::test {

// Opens `dataset` in `window` and waits until it is loaded (QVERIFY inside:
// callers check QTest::currentTestFailed()).
void openAndWait(MainWindow &window, const QString &dataset);

// Shows the window without error dialogs, waits until it is exposed, opens `dataset`.
void showAndOpen(MainWindow &window, const QString &dataset);

// MRI_STUDIO_TEST_SHOTS=<folder>: keep pictures of the window for a visual review.
void saveReviewShot(QWidget &window, const QString &name);

// Offscreen (also when the binary is run directly, not through CTest), with
// settings and application data in `home`, never the user's.
void isolateGuiTest(const QTemporaryDir &home);

// The main() of a GUI test.
template<typename Test>
int runGuiTest(int argc, char *argv[], const QString &name)
{
    QTemporaryDir home;
    isolateGuiTest(home);
    QApplication application(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("MriEnhanceStudioTest"));
    QApplication::setApplicationName(name);
    Test test;
    return QTest::qExec(&test, argc, argv);
}

} // namespace studio::test
