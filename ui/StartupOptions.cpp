#include "StartupOptions.h"

#include <QCommandLineParser>
#include <QCoreApplication>

namespace studio {

QStringList StartupOptions::tabNames()
{
    return {QStringLiteral("patients"), QStringLiteral("training"), QStringLiteral("compare")};
}

StartupOptions StartupOptions::parse(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QCoreApplication::translate(
        "studio::StartupOptions", "Browse an MRI dataset, train a denoising U-Net, enhance slices and compare them."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("dataset"),
                                 QCoreApplication::translate("studio::StartupOptions",
                                                             "Dataset folder to open (with brain_tumor_info.csv or images)."),
                                 QStringLiteral("[DATASET_DIR]"));
    const QCommandLineOption modelOption(QStringLiteral("model"),
                                         QCoreApplication::translate("studio::StartupOptions", "Model file used for enhancement."),
                                         QStringLiteral("FILE"));
    const QCommandLineOption tabOption(QStringLiteral("tab"),
                                       QCoreApplication::translate("studio::StartupOptions",
                                                                   "Tab to show: patients, training or compare."),
                                       QStringLiteral("NAME"));
    const QCommandLineOption screenshotOption(
        QStringLiteral("screenshot"),
        QCoreApplication::translate("studio::StartupOptions",
                                    "Render the window to this PNG file once the dataset is loaded, then exit."),
        QStringLiteral("FILE"));
    parser.addOption(modelOption);
    parser.addOption(tabOption);
    parser.addOption(screenshotOption);
    parser.process(arguments);

    StartupOptions options;
    const QStringList positional = parser.positionalArguments();
    if (positional.size() > 1) {
        options.valid = false;
        options.error = QCoreApplication::translate("studio::StartupOptions", "Give at most one dataset folder.");
    }
    if (!positional.isEmpty())
        options.dataset = positional.first();
    options.modelFile = parser.value(modelOption);
    options.tab = parser.value(tabOption).toLower();
    options.screenshot = parser.value(screenshotOption);
    if (!options.tab.isEmpty() && !tabNames().contains(options.tab)) {
        options.valid = false;
        options.error = QCoreApplication::translate("studio::StartupOptions", "Unknown tab '%1': use patients, training or compare.")
                            .arg(options.tab);
    }
    return options;
}

} // namespace studio
