#include "SliceCanvas.h"

#include <QFontMetrics>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QVector>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace studio {

namespace {

const QColor kBackground(0x12, 0x14, 0x17);
const QColor kOverlayBox(0, 0, 0, 150);
const QColor kOverlayText(0xf0, 0xf0, 0xf0);
const QColor kCaptionText(0xff, 0xd5, 0x4f);

} // namespace

SliceCanvas::SliceCanvas(QWidget *parent)
    : QWidget(parent)
{
    setMouseTracking(true);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setFocusPolicy(Qt::ClickFocus);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void SliceCanvas::setImage(const QImage &display)
{
    m_image = display;
    m_message.clear();
    update();
}

void SliceCanvas::clearImage(const QString &message)
{
    m_image = QImage();
    m_message = message;
    update();
}

void SliceCanvas::setCaption(const QString &caption)
{
    m_caption = caption;
    update();
}

void SliceCanvas::setAnnotations(const QStringList &lines)
{
    m_annotations = lines;
    update();
}

void SliceCanvas::setView(double zoom, const QPointF &center)
{
    m_zoom = zoom;
    m_center = center;
    update();
}

void SliceCanvas::setPixelScale(const QSizeF &scale)
{
    m_pixelScale = scale.width() > 0.0 && scale.height() > 0.0 ? scale : QSizeF(1.0, 1.0);
    update();
}

double SliceCanvas::effectiveZoom() const
{
    return m_zoom;
}

QPointF SliceCanvas::effectiveCenter() const
{
    return m_image.isNull() ? QPointF() : m_center;
}

QPointF SliceCanvas::widgetToView(const QPointF &point) const
{
    const double zoom = effectiveZoom();
    const QPointF widgetCenter(width() / 2.0, height() / 2.0);
    return effectiveCenter() + (point - widgetCenter) / zoom;
}

QPointF SliceCanvas::widgetToImage(const QPointF &point) const
{
    const QPointF view = widgetToView(point);
    return {view.x() / m_pixelScale.width(), view.y() / m_pixelScale.height()};
}

QRectF SliceCanvas::imageRect() const
{
    if (m_image.isNull())
        return {};
    const double zoom = effectiveZoom();
    const QPointF widgetCenter(width() / 2.0, height() / 2.0);
    return {widgetCenter - effectiveCenter() * zoom,
            QSizeF(m_image.width() * m_pixelScale.width() * zoom, m_image.height() * m_pixelScale.height() * zoom)};
}

QSize SliceCanvas::sizeHint() const
{
    return {420, 420};
}

QSize SliceCanvas::minimumSizeHint() const
{
    return {160, 160};
}

void SliceCanvas::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), kBackground);

    if (m_image.isNull()) {
        painter.setPen(QColor(0xb0, 0xb0, 0xb0));
        const QRect box = rect().adjusted(24, 24, -24, -24);
        painter.drawText(box, Qt::AlignCenter | Qt::TextWordWrap, m_message);
    } else {
        const double zoom = effectiveZoom();
        const QRectF target = imageRect();
        // Smooth when shrinking or mildly enlarging; crisp pixels when inspecting.
        // A stretched (coarser) image keeps its blocks unless it is shrunk.
        const bool stretched = m_pixelScale != QSizeF(1.0, 1.0);
        const double shown = zoom * std::max(m_pixelScale.width(), m_pixelScale.height());
        painter.setRenderHint(QPainter::SmoothPixmapTransform, stretched ? shown < 1.0 : zoom < 3.0);
        painter.drawImage(target, m_image);
    }

    QStringList top;
    if (!m_caption.isEmpty())
        top << m_caption;
    top << m_annotations;
    if (!top.isEmpty())
        paintOverlay(painter, top, true);
    if (!m_image.isNull()) {
        const QString zoomText = tr("%1%").arg(qRound(effectiveZoom() * 100.0));
        paintOverlay(painter, {zoomText}, false);
    }
}

void SliceCanvas::paintOverlay(QPainter &painter, const QStringList &lines, bool top)
{
    painter.save();
    QFont captionFont = font();
    captionFont.setBold(true);
    const int margin = 8;
    const int padding = 6;
    const int maximumText = std::max(40, width() - 2 * margin - 2 * padding);
    // Lines wrap at word boundaries when the canvas is narrow.
    QVector<QRect> bounds;
    int boxWidth = 0;
    int boxHeight = 0;
    for (int i = 0; i < lines.size(); ++i) {
        const bool isCaption = top && i == 0 && !m_caption.isEmpty();
        const QFontMetrics metrics(isCaption ? captionFont : font());
        const QRect bound = metrics.boundingRect(QRect(0, 0, maximumText, 10000), Qt::TextWordWrap, lines[i]);
        bounds.push_back(bound);
        boxWidth = std::max(boxWidth, bound.width());
        boxHeight += bound.height();
    }
    boxWidth += 2 * padding + 2;
    boxHeight += 2 * padding;
    const QRect box = top ? QRect(margin, margin, boxWidth, boxHeight)
                          : QRect(width() - margin - boxWidth, height() - margin - boxHeight, boxWidth, boxHeight);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(Qt::NoPen);
    painter.setBrush(kOverlayBox);
    painter.drawRoundedRect(box, 4, 4);
    int y = box.top() + padding;
    for (int i = 0; i < lines.size(); ++i) {
        const bool isCaption = top && i == 0 && !m_caption.isEmpty();
        painter.setFont(isCaption ? captionFont : font());
        painter.setPen(isCaption ? kCaptionText : kOverlayText);
        const QRect line(box.left() + padding, y, box.width() - 2 * padding, bounds[i].height());
        painter.drawText(line, Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap, lines[i]);
        y += bounds[i].height();
    }
    painter.restore();
}

void SliceCanvas::wheelEvent(QWheelEvent *event)
{
    if (m_image.isNull() || event->angleDelta().y() == 0) {
        event->ignore();
        return;
    }
    const double steps = event->angleDelta().y() / 120.0;
    if (event->modifiers() & Qt::ControlModifier) {
        // One slice per notch; a touchpad's small deltas still move by one.
        const int slices = static_cast<int>(steps);
        emit sliceStepRequested(slices != 0 ? slices : (steps > 0 ? 1 : -1));
        event->accept();
        return;
    }
    emit zoomRequested(std::pow(1.25, steps), widgetToView(event->position()));
    event->accept();
}

void SliceCanvas::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton || event->button() == Qt::RightButton || event->button() == Qt::MiddleButton) {
        m_dragButton = event->button();
        m_lastMouse = event->position();
        setCursor(m_dragButton == Qt::RightButton ? Qt::SizeAllCursor : Qt::ClosedHandCursor);
        event->accept();
        return;
    }
    QWidget::mousePressEvent(event);
}

void SliceCanvas::mouseMoveEvent(QMouseEvent *event)
{
    const QPointF position = event->position();
    if (m_dragButton != Qt::NoButton) {
        const QPointF delta = position - m_lastMouse;
        m_lastMouse = position;
        if (m_dragButton == Qt::RightButton)
            emit windowDragged(qRound(delta.x()), qRound(delta.y()));
        else if (!m_image.isNull())
            emit panRequested(-delta / effectiveZoom());
    }
    if (!m_image.isNull()) {
        const QPointF pixel = widgetToImage(position);
        const QPoint rounded(static_cast<int>(std::floor(pixel.x())), static_cast<int>(std::floor(pixel.y())));
        emit hovered(QRect(QPoint(0, 0), m_image.size()).contains(rounded) ? rounded : QPoint(-1, -1));
    }
    event->accept();
}

void SliceCanvas::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() == m_dragButton) {
        m_dragButton = Qt::NoButton;
        unsetCursor();
    }
    event->accept();
}

void SliceCanvas::mouseDoubleClickEvent(QMouseEvent *event)
{
    // Double click: back to "fit" (the owner treats a factor of 0 as fit).
    if (event->button() == Qt::LeftButton)
        emit zoomRequested(0.0, QPointF());
    event->accept();
}

void SliceCanvas::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    emit resized();
}

void SliceCanvas::leaveEvent(QEvent *event)
{
    emit hovered(QPoint(-1, -1));
    QWidget::leaveEvent(event);
}

} // namespace studio
