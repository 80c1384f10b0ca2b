#pragma once

#include <QStringList>

namespace studio {

// The most recently opened dataset folders, newest first, kept in QSettings.
class RecentDatasets final
{
public:
    static constexpr int kMaximum = 8;

    RecentDatasets();

    QStringList folders() const { return m_folders; }
    // Existing folders only, newest first.
    QStringList existingFolders() const;
    void add(const QString &folder);
    void clear();

private:
    void save() const;

    QStringList m_folders;
};

} // namespace studio
