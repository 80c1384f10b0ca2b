#include "AppSetup.h"

#include "base/Version.h"

#include <QApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QTranslator>


namespace studio {

void setApplicationMetadata(QApplication &application)
{
    QApplication::setOrganizationName(QStringLiteral("MriEnhanceStudio"));
    QApplication::setApplicationName(QStringLiteral("mri-studio"));
    QApplication::setApplicationDisplayName(QStringLiteral("MRI Enhance Studio"));
    QApplication::setApplicationVersion(QString::fromLatin1(mri::programVersion()));
    // The installed desktop entry (packaging/): lets Wayland shells match windows to it.
    QApplication::setDesktopFileName(QStringLiteral("org.mri_enhance_studio.MriStudio"));
    QIcon icon;
    for (const int size : {16, 32, 48, 64, 128, 256})
        icon.addFile(QStringLiteral(":/icons/app-%1.png").arg(size), QSize(size, size));
    application.setWindowIcon(icon);
}

bool installTranslations(QApplication &application)
{
    auto *qtTranslator = new QTranslator(&application);
    if (qtTranslator->load(QLocale(), QStringLiteral("qtbase"), QStringLiteral("_"),
                           QLibraryInfo::path(QLibraryInfo::TranslationsPath))) {
        QApplication::installTranslator(qtTranslator);
    } else {
        delete qtTranslator;
    }
    auto *translator = new QTranslator(&application);
    if (translator->load(QLocale(), QStringLiteral("mri-studio"), QStringLiteral("_"), QStringLiteral(":/i18n"))) {
        QApplication::installTranslator(translator);
        return true;
    }
    delete translator;
    return false;
}

QIcon studioIcon(const QString &name)
{
    return QIcon(QStringLiteral(":/icons/%1.png").arg(name));
}

} // namespace studio
