// mri_scale_icon SOURCE.png SIZE OUT.png: the application icon at a size that
// resources/make_icons.py does not draw (hicolor wants 22 and 24 too). Build
// tool of the package only; QImage needs no QGuiApplication.

#include <QImage>
#include <QString>

#include <cstdio>

int main(int argc, char *argv[])
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: mri_scale_icon SOURCE.png SIZE OUT.png\n");
        return 2;
    }
    const QImage source(QString::fromLocal8Bit(argv[1]));
    bool ok = false;
    const int size = QString::fromLocal8Bit(argv[2]).toInt(&ok);
    if (source.isNull() || !ok || size < 1) {
        std::fprintf(stderr, "mri_scale_icon: cannot read %s or bad size %s\n", argv[1], argv[2]);
        return 1;
    }
    const QImage scaled = source.convertToFormat(QImage::Format_ARGB32_Premultiplied)
                              .scaled(size, size, Qt::KeepAspectRatio, Qt::SmoothTransformation)
                              .convertToFormat(QImage::Format_ARGB32);
    if (!scaled.save(QString::fromLocal8Bit(argv[3]), "PNG")) {
        std::fprintf(stderr, "mri_scale_icon: cannot write %s\n", argv[3]);
        return 1;
    }
    return 0;
}
