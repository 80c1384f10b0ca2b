#pragma once

#include "StartupOptions.h"

#include <QObject>
#include <QPointer>

class QTimer;

namespace studio {

class MainWindow;

// Puts the window into the state the command line asked for: opens the
// dataset (or the most recent one, or offers the demo), chooses the model and
// the tab, and in --screenshot mode waits until the dataset is loaded and the
// first patient shown, renders the window to a PNG and asks to quit.
class StudioLauncher final : public QObject
{
    Q_OBJECT

public:
    static constexpr int kScreenshotTimeoutMs = 120000;

    StudioLauncher(const StartupOptions &options, MainWindow *window, QObject *parent = nullptr);

    void start();

signals:
    void finished(int exitCode); // screenshot mode only

private:
    void onDatasetReady();
    void waitForView();
    void takeScreenshot();
    void fail(const QString &message);

    StartupOptions m_options;
    QPointer<MainWindow> m_window;
    QTimer *m_timeout = nullptr;
    bool m_done = false;
    bool m_waitingForSlices = false;
    bool m_waitingForComparison = false;
};

} // namespace studio
