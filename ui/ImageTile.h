#pragma once

#include <QImage>
#include <QWidget>

namespace studio {

// A read-only picture scaled to fit (aspect ratio kept) with a small caption
// in its corner; used by the three-patient comparison.
class ImageTile final : public QWidget
{
    Q_OBJECT

public:
    explicit ImageTile(QWidget *parent = nullptr);

    void setImage(const QImage &image);
    void setCaption(const QString &caption);
    const QImage &image() const { return m_image; }
    QString caption() const { return m_caption; }

    QSize sizeHint() const override;
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    QImage m_image;
    QString m_caption;
};

} // namespace studio
