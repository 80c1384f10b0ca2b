#include "RecentDatasets.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>

namespace studio {

namespace {

const char *const kKey = "recentDatasets";

QString normalised(const QString &folder)
{
    return QDir::cleanPath(QFileInfo(folder).absoluteFilePath());
}

} // namespace

RecentDatasets::RecentDatasets()
{
    QSettings settings;
    m_folders = settings.value(QLatin1String(kKey)).toStringList();
}

QStringList RecentDatasets::existingFolders() const
{
    QStringList existing;
    for (const auto &folder : m_folders) {
        if (QFileInfo(folder).isDir())
            existing << folder;
    }
    return existing;
}

void RecentDatasets::add(const QString &folder)
{
    const QString path = normalised(folder);
    m_folders.removeAll(path);
    m_folders.prepend(path);
    while (m_folders.size() > kMaximum)
        m_folders.removeLast();
    save();
}

void RecentDatasets::clear()
{
    m_folders.clear();
    save();
}

void RecentDatasets::save() const
{
    QSettings settings;
    settings.setValue(QLatin1String(kKey), m_folders);
}

} // namespace studio
