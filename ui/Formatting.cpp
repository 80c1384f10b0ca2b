#include "Formatting.h"

#include <QCoreApplication>

#include <cmath>

namespace studio::formatting {

QString duration(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0.0)
        return QStringLiteral("—");
    const long long total = std::llround(seconds);
    const long long hours = total / 3600;
    const long long minutes = (total % 3600) / 60;
    const long long rest = total % 60;
    if (hours > 0)
        return QCoreApplication::translate("studio::Formatting", "%1 h %2 min").arg(hours).arg(minutes, 2, 10, QLatin1Char('0'));
    if (minutes > 0)
        return QCoreApplication::translate("studio::Formatting", "%1 min %2 s").arg(minutes).arg(rest, 2, 10, QLatin1Char('0'));
    return QCoreApplication::translate("studio::Formatting", "%1 s").arg(rest);
}

QString psnr(double value)
{
    if (std::isnan(value))
        return QStringLiteral("—");
    if (std::isinf(value))
        return value > 0.0 ? QStringLiteral("∞") : QStringLiteral("−∞");
    return QString::number(value, 'f', 2);
}

QString ssim(double value)
{
    return std::isfinite(value) ? QString::number(value, 'f', 4) : QStringLiteral("—");
}

} // namespace studio::formatting
