// mri-studio: the desktop application. Everything lives in the mri_ui library;
// main() only sets up the application and hands over to it.

#include "nn/ThreadPolicy.h"
#include "AppSetup.h"
#include "MainWindow.h"
#include "StartupOptions.h"
#include "StudioLauncher.h"

#include <QApplication>
#include <QTextStream>

int main(int argc, char *argv[])
{
    mri::adoptPassiveThreadWaiting(argv); // may re-execute the program, so first
    QApplication application(argc, argv);
    studio::setApplicationMetadata(application);
    studio::installTranslations(application);

    const auto options = studio::StartupOptions::parse(QApplication::arguments());
    if (!options.valid) {
        QTextStream(stderr) << "mri-studio: " << options.error << Qt::endl;
        return 2;
    }

    studio::MainWindow window;
    studio::StudioLauncher launcher(options, &window);
    QObject::connect(
        &launcher, &studio::StudioLauncher::finished, &application,
        [&window](int exitCode) {
            window.close();
            QCoreApplication::exit(exitCode);
        },
        Qt::QueuedConnection);
    window.show();
    launcher.start();
    return QApplication::exec();
}
