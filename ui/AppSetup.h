#pragma once

#include <QIcon>
#include <QString>

class QApplication;

namespace studio {

// Application name, organisation, version and icon (for QSettings and
// QStandardPaths too).
void setApplicationMetadata(QApplication &application);

// Loads the German (or other) translation of the studio embedded under
// :/i18n for the system locale, plus Qt's own qtbase translation when
// installed. Returns whether the studio translation was found.
bool installTranslations(QApplication &application);

QIcon studioIcon(const QString &name); // ":/icons/<name>.png"

} // namespace studio
