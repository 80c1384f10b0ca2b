#pragma once

#include <QString>
#include <QStringList>

namespace studio {

// What `mri-studio [DATASET_DIR] [--model FILE] [--tab NAME] [--screenshot FILE]`
// asked for.
struct StartupOptions
{
    QString dataset;     // folder (or a CSV file inside one)
    QString modelFile;
    QString tab;         // "patients", "training" or "compare"; empty: the last one
    QString screenshot;  // render the window to this PNG and exit
    bool valid = true;
    QString error;       // one sentence when !valid

    // Parses the application's arguments; --help and --version print and exit.
    static StartupOptions parse(const QStringList &arguments);
    static QStringList tabNames();
};

} // namespace studio
