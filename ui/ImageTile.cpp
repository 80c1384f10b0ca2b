#include "ImageTile.h"

#include <QPainter>

namespace studio {

ImageTile::ImageTile(QWidget *parent)
    : QWidget(parent)
{
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setMinimumSize(96, 96);
}

void ImageTile::setImage(const QImage &image)
{
    m_image = image;
    updateGeometry();
    update();
}

void ImageTile::setCaption(const QString &caption)
{
    m_caption = caption;
    update();
}

QSize ImageTile::sizeHint() const
{
    return {260, 260};
}

int ImageTile::heightForWidth(int width) const
{
    if (m_image.isNull() || m_image.width() == 0)
        return width;
    return width * m_image.height() / m_image.width();
}

void ImageTile::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), QColor(0x12, 0x14, 0x17));
    if (!m_image.isNull()) {
        QSizeF size = m_image.size();
        size.scale(QSizeF(this->size()), Qt::KeepAspectRatio);
        const QRectF target(QPointF((width() - size.width()) / 2.0, (height() - size.height()) / 2.0), size);
        painter.setRenderHint(QPainter::SmoothPixmapTransform);
        painter.drawImage(target, m_image);
    }
    if (!m_caption.isEmpty()) {
        const QFontMetrics metrics(font());
        const QRect box(6, 6, metrics.horizontalAdvance(m_caption) + 12, metrics.height() + 6);
        painter.setRenderHint(QPainter::Antialiasing);
        painter.setPen(Qt::NoPen);
        painter.setBrush(QColor(0, 0, 0, 150));
        painter.drawRoundedRect(box, 4, 4);
        painter.setPen(QColor(0xf0, 0xf0, 0xf0));
        painter.drawText(box, Qt::AlignCenter, m_caption);
    }
}

} // namespace studio
