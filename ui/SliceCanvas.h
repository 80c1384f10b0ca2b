#pragma once

#include <QImage>
#include <QPoint>
#include <QPointF>
#include <QRectF>
#include <QSizeF>
#include <QStringList>
#include <QWidget>

namespace studio {

// Paints one slice with a zoom and a centre given from outside (so that two
// canvases stay linked), plus a caption and annotation lines. Mouse input is
// turned into requests: wheel = zoom about the cursor, left drag = pan, right
// drag = window/level, Ctrl+wheel = next/previous slice of a volume; the
// owner decides and calls setView().
class SliceCanvas final : public QWidget
{
    Q_OBJECT

public:
    explicit SliceCanvas(QWidget *parent = nullptr);

    void setImage(const QImage &display);      // already windowed, any format
    void clearImage(const QString &message);    // placeholder sentence instead of an image
    void setCaption(const QString &caption);
    void setAnnotations(const QStringList &lines);
    // zoom: screen pixels per view unit; center: the point (in view units)
    // shown in the middle of the canvas. The owner computes the fit zoom itself.
    void setView(double zoom, const QPointF &center);
    // View units per image pixel along x and y: 1 normally; an image on a
    // coarser grid than its neighbour's (super-resolution) is stretched to its
    // physical size and then painted nearest neighbour, its pixels visible.
    void setPixelScale(const QSizeF &scale);
    QSizeF pixelScale() const { return m_pixelScale; }

    bool hasImage() const { return !m_image.isNull(); }
    QSize imageSize() const { return m_image.size(); }
    const QImage &image() const { return m_image; } // as displayed (windowed)
    QString caption() const { return m_caption; }
    QString message() const { return m_message; }
    QStringList annotations() const { return m_annotations; }
    double effectiveZoom() const;
    QPointF effectiveCenter() const;
    QPointF widgetToView(const QPointF &point) const;
    QPointF widgetToImage(const QPointF &point) const; // image pixels
    QRectF imageRect() const; // where the image is painted, in widget coordinates

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

signals:
    void zoomRequested(double factor, const QPointF &imageAnchor);
    void panRequested(const QPointF &imageDelta);
    void windowDragged(int dx, int dy);
    void sliceStepRequested(int steps); // Ctrl+wheel: +1 forward (wheel up), -1 back
    void hovered(const QPoint &imagePixel); // (-1, -1) when the cursor leaves the image
    void resized();

protected:
    void paintEvent(QPaintEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void leaveEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void paintOverlay(QPainter &painter, const QStringList &lines, bool top);

    QImage m_image;
    QString m_message;
    QString m_caption;
    QStringList m_annotations;
    double m_zoom = 1.0;
    QPointF m_center;
    QSizeF m_pixelScale{1.0, 1.0};
    Qt::MouseButton m_dragButton = Qt::NoButton;
    QPointF m_lastMouse;
};

} // namespace studio
