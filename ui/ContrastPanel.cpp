#include "ContrastPanel.h"

#include "quality/TissueContrast.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPixmap>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>

namespace studio {

namespace {

QString cnrText(double cnr)
{
    return std::isfinite(cnr) ? QString::number(cnr, 'f', 2) : QStringLiteral("–");
}

} // namespace

struct ContrastPanel::Preview
{
    int token = 0;
    QImage image;
    double milliseconds = 0.0;
    double cnrBefore = 0.0;
    double cnrAfter = 0.0;
    bool enhanced = false;
    mri::ContrastStep step;
};

ContrastPanel::ContrastPanel(QWidget *parent)
    : QWidget(parent)
{
    m_kind = new QComboBox(this);
    m_kind->setObjectName(QStringLiteral("contrastKind"));
    m_kind->addItem(tr("None"), static_cast<int>(mri::ContrastKind::None));
    m_kind->addItem(tr("CLAHE (local histogram equalisation)"), static_cast<int>(mri::ContrastKind::Clahe));
    m_kind->addItem(tr("Gamma"), static_cast<int>(mri::ContrastKind::Gamma));
    m_kind->setToolTip(tr("Contrast step after the network, before the result is written: %1.")
                           .arg(QString::fromStdString(mri::contrastFormsText())));

    auto *form = new QFormLayout;
    form->setContentsMargins(0, 0, 0, 0);
    form->addRow(tr("Contrast after enhancing:"), m_kind);
    for (const auto &parameter : mri::contrastParameters()) {
        auto *spin = new QDoubleSpinBox(this);
        spin->setObjectName(QStringLiteral("contrast_") + QString::fromStdString(parameter.name));
        spin->setRange(parameter.minimum, parameter.maximum);
        spin->setDecimals(parameter.decimals);
        spin->setSingleStep(parameter.decimals == 0 ? 1.0 : std::pow(10.0, 1 - parameter.decimals));
        spin->setValue(parameter.defaultValue);
        spin->setToolTip(QString::fromStdString(parameter.meaning) + tr(" (%1 to %2)")
                                                                      .arg(parameter.minimum)
                                                                      .arg(parameter.maximum));
        auto *label = new QLabel(QString::fromStdString(parameter.label) + QLatin1Char(':'), this);
        form->addRow(label, spin);
        m_parameters.emplace_back(parameter, spin);
        m_parameterLabels.push_back(label);
        connect(spin, &QDoubleSpinBox::valueChanged, this, &ContrastPanel::onControlsChanged);
    }
    connect(m_kind, &QComboBox::currentIndexChanged, this, &ContrastPanel::onControlsChanged);

    m_previewLabel = new QLabel(this);
    m_previewLabel->setObjectName(QStringLiteral("contrastPreview"));
    m_previewLabel->setAlignment(Qt::AlignCenter);
    m_previewLabel->setMinimumSize(160, 160);
    m_note = new QLabel(this);
    m_note->setObjectName(QStringLiteral("contrastPreviewNote"));
    m_note->setWordWrap(true);

    auto *controls = new QVBoxLayout;
    controls->addLayout(form);
    controls->addWidget(m_note);
    controls->addStretch(1);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(controls, 1);
    layout->addWidget(m_previewLabel);

    m_previewTimer = new QTimer(this);
    m_previewTimer->setSingleShot(true);
    m_previewTimer->setInterval(0);
    connect(m_previewTimer, &QTimer::timeout, this, &ContrastPanel::requestPreview);
    m_thread = new QThread(this);
    m_thread->setObjectName(QStringLiteral("contrastPreview"));
    m_worker = new QObject;
    m_worker->moveToThread(m_thread);
    m_thread->start();
    onControlsChanged();
}

ContrastPanel::~ContrastPanel()
{
    m_latest->store(-1); // queued requests are skipped
    m_thread->quit();
    m_thread->wait();
    delete m_worker;
}

mri::ContrastStep ContrastPanel::step() const
{
    mri::ContrastStep step;
    step.kind = static_cast<mri::ContrastKind>(m_kind->currentData().toInt());
    for (const auto &[parameter, spin] : m_parameters) {
        if (parameter.name == "clip")
            step.clipLimit = spin->value();
        else if (parameter.name == "tiles")
            step.tiles = static_cast<int>(std::lround(spin->value()));
        else if (parameter.name == "gamma")
            step.gamma = spin->value();
    }
    return step;
}

void ContrastPanel::setStep(const mri::ContrastStep &step)
{
    m_updating = true;
    m_kind->setCurrentIndex(m_kind->findData(static_cast<int>(step.kind)));
    for (const auto &[parameter, spin] : m_parameters) {
        if (parameter.name == "clip")
            spin->setValue(step.clipLimit);
        else if (parameter.name == "tiles")
            spin->setValue(step.tiles);
        else if (parameter.name == "gamma")
            spin->setValue(step.gamma);
    }
    m_updating = false;
    onControlsChanged();
}

void ContrastPanel::setSlice(const QImage &raw, int maximumValue, bool enhanced)
{
    m_raw = raw;
    m_maximumValue = std::max(1, maximumValue);
    m_enhanced = enhanced;
    m_previewTimer->start();
}

void ContrastPanel::clearSlice()
{
    m_raw = QImage();
    m_previewTimer->start();
}

void ContrastPanel::onControlsChanged()
{
    if (m_updating)
        return;
    const auto kind = static_cast<mri::ContrastKind>(m_kind->currentData().toInt());
    for (std::size_t i = 0; i < m_parameters.size(); ++i) {
        const bool shown = m_parameters[i].first.kind == kind;
        m_parameters[i].second->setVisible(shown);
        m_parameterLabels[i]->setVisible(shown);
    }
    emit stepChanged(step());
    m_previewTimer->start();
}

void ContrastPanel::requestPreview()
{
    if (m_raw.isNull()) {
        m_latest->fetch_add(1); // a preview still in work is dropped
        m_preview = QImage();
        m_previewLabel->clear();
        m_note->setText(tr("Select a patient to preview the contrast step."));
        emit previewUpdated();
        return;
    }
    const int token = m_latest->fetch_add(1) + 1;
    const auto latest = m_latest;
    const QImage raw = m_raw;
    const double maximum = m_maximumValue;
    const bool enhanced = m_enhanced;
    const auto current = step();
    QMetaObject::invokeMethod(
        m_worker,
        [this, latest, token, raw, maximum, enhanced, current] {
            if (latest->load() != token)
                return; // a newer request follows
            QElapsedTimer clock;
            clock.start();
            const bool sixteen = raw.format() == QImage::Format_Grayscale16;
            const QImage gray = sixteen || raw.format() == QImage::Format_Grayscale8
                ? raw
                : raw.convertToFormat(QImage::Format_Grayscale8);
            const cv::Mat view(gray.height(), gray.width(), sixteen ? CV_16UC1 : CV_8UC1,
                               const_cast<uchar *>(gray.constBits()), static_cast<std::size_t>(gray.bytesPerLine()));
            cv::Mat unit;
            view.convertTo(unit, CV_32F, 1.0 / maximum);
            const double scale = static_cast<double>(kPreviewSide) / std::max(unit.cols, unit.rows);
            if (scale < 1.0)
                cv::resize(unit, unit, cv::Size(), scale, scale, cv::INTER_AREA);
            Preview preview;
            preview.token = token;
            preview.enhanced = enhanced;
            preview.step = current;
            const cv::Mat stepped = mri::applyContrast(unit, current);
            const auto masks = mri::classifyTissue(unit);
            preview.cnrBefore = masks.found ? mri::contrastToNoiseRatio(unit, masks.grey, masks.white) : std::nan("");
            preview.cnrAfter = masks.found ? mri::contrastToNoiseRatio(stepped, masks.grey, masks.white) : std::nan("");
            cv::Mat eight;
            stepped.convertTo(eight, CV_8U, 255.0);
            preview.image = QImage(eight.data, eight.cols, eight.rows, static_cast<int>(eight.step),
                                   QImage::Format_Grayscale8)
                                .copy();
            preview.milliseconds = static_cast<double>(clock.nsecsElapsed()) / 1e6;
            // The panel outlives this thread (its destructor joins it); a
            // result posted to a panel being destroyed is discarded with it.
            QMetaObject::invokeMethod(this, [this, preview] { showPreview(preview); }, Qt::QueuedConnection);
        },
        Qt::QueuedConnection);
}

void ContrastPanel::showPreview(const Preview &preview)
{
    if (preview.token != m_latest->load())
        return; // the slice or the step changed since
    m_preview = preview.image;
    m_previewMilliseconds = preview.milliseconds;
    m_cnrBefore = preview.cnrBefore;
    m_cnrAfter = preview.cnrAfter;
    m_previewLabel->setPixmap(QPixmap::fromImage(m_preview).scaled(m_previewLabel->minimumSize() * 1.5,
                                                                   Qt::KeepAspectRatio, Qt::SmoothTransformation));
    m_note->setText(tr("%1 with %2: grey/white CNR %3 → %4 (%5 ms, off the GUI thread).")
                        .arg(preview.enhanced ? tr("Enhanced slice") : tr("Original slice (not enhanced yet)"),
                             QString::fromStdString(mri::contrastStepText(preview.step)), cnrText(m_cnrBefore),
                             cnrText(m_cnrAfter), QString::number(m_previewMilliseconds, 'f', 1)));
    emit previewUpdated();
}

} // namespace studio
