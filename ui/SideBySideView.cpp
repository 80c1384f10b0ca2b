#include "SideBySideView.h"

#include "Formatting.h"
#include "SliceCanvas.h"
#include "SliceImage.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QSignalBlocker>
#include <QSlider>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace studio {

namespace {

constexpr double kMinimumZoom = 0.05;
constexpr double kMaximumZoom = 64.0;
constexpr int kCanvasGap = 4;

QToolButton *makeToolButton(const QString &text, const QString &toolTip, QWidget *parent)
{
    auto *button = new QToolButton(parent);
    button->setText(text);
    button->setToolTip(toolTip);
    button->setAutoRaise(true);
    return button;
}

// A slider of the window controls with its label and the value it shows.
struct WindowSlider
{
    QLabel *label = nullptr;
    QSlider *slider = nullptr;
    QLabel *value = nullptr;
};

WindowSlider makeWindowSlider(const QString &text, const QString &toolTip, const QString &objectName, QWidget *parent)
{
    WindowSlider made;
    made.label = new QLabel(text, parent);
    made.label->setToolTip(toolTip);
    made.slider = new QSlider(Qt::Horizontal, parent);
    made.slider->setObjectName(objectName);
    made.slider->setToolTip(made.label->toolTip());
    made.value = new QLabel(parent);
    made.value->setMinimumWidth(made.value->fontMetrics().horizontalAdvance(QStringLiteral("65535")) + 4);
    made.value->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    made.slider->setMinimumWidth(90);
    return made;
}

} // namespace

SideBySideView::SideBySideView(QWidget *parent)
    : QWidget(parent)
    , m_originalCanvas(new SliceCanvas(this))
    , m_enhancedCanvas(new SliceCanvas(this))
{
    m_originalCanvas->setObjectName(QStringLiteral("originalCanvas"));
    m_enhancedCanvas->setObjectName(QStringLiteral("enhancedCanvas"));

    // Controls: zoom | window/level | difference, residual.
    auto *controls = new QHBoxLayout;
    controls->setContentsMargins(0, 0, 0, 0);
    addZoomControls(controls);
    addWindowControls(controls);
    addPaneToggles(controls);

    m_canvasLayout = new QHBoxLayout;
    m_canvasLayout->setContentsMargins(0, 0, 0, 0);
    m_canvasLayout->setSpacing(kCanvasGap);
    m_canvasLayout->addWidget(m_originalCanvas, 1);
    m_canvasLayout->addWidget(m_enhancedCanvas, 1);

    buildSliceBar();

    m_pixelLabel = new QLabel(this);
    m_pixelLabel->setObjectName(QStringLiteral("pixelLabel"));
    m_pixelLabel->setText(tr("Wheel: zoom · drag: pan · right drag: window/level · double click: fit"));
    m_pixelLabel->setForegroundRole(QPalette::PlaceholderText);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(controls);
    layout->addLayout(m_canvasLayout, 1);
    layout->addWidget(m_sliceBar);
    layout->addWidget(m_pixelLabel);

    for (auto *canvas : {m_originalCanvas, m_enhancedCanvas})
        connectCanvas(canvas);
    showMessage(tr("Open a dataset and select a patient."));
}

void SideBySideView::addZoomControls(QHBoxLayout *controls)
{
    m_fitButton = makeToolButton(tr("Fit"), tr("Fit the slices to the view"), this);
    m_fitButton->setCheckable(true);
    m_fitButton->setChecked(true);
    auto *actualButton = makeToolButton(tr("1:1"), tr("One screen pixel per image pixel"), this);
    auto *zoomInButton = makeToolButton(tr("+"), tr("Zoom in"), this);
    auto *zoomOutButton = makeToolButton(tr("−"), tr("Zoom out"), this);
    connect(m_fitButton, &QToolButton::clicked, this, &SideBySideView::fitToWindow);
    connect(actualButton, &QToolButton::clicked, this, &SideBySideView::actualSize);
    connect(zoomInButton, &QToolButton::clicked, this, &SideBySideView::zoomIn);
    connect(zoomOutButton, &QToolButton::clicked, this, &SideBySideView::zoomOut);
    controls->addWidget(m_fitButton);
    controls->addWidget(actualButton);
    controls->addWidget(zoomOutButton);
    controls->addWidget(zoomInButton);
    controls->addSpacing(16);
}

void SideBySideView::addWindowControls(QHBoxLayout *controls)
{
    const WindowSlider level = makeWindowSlider(tr("Level"), tr("Brightness: the raw value shown as mid-grey"),
                                                QStringLiteral("levelSlider"), this);
    const WindowSlider width = makeWindowSlider(
        tr("Width"), tr("Contrast: the range of raw values spread from black to white"), QStringLiteral("widthSlider"),
        this);
    m_levelSlider = level.slider;
    m_levelValue = level.value;
    m_widthSlider = width.slider;
    m_widthValue = width.value;
    auto *autoButton = makeToolButton(tr("Auto"), tr("Window/level from the original's 0.5th to 99.5th percentile"), this);
    autoButton->setAutoRaise(false);
    connect(autoButton, &QToolButton::clicked, this, &SideBySideView::autoWindow);
    connect(m_levelSlider, &QSlider::valueChanged, this, [this](int value) {
        if (!m_updatingControls)
            setWindow(value, m_width);
    });
    connect(m_widthSlider, &QSlider::valueChanged, this, [this](int value) {
        if (!m_updatingControls)
            setWindow(m_level, value);
    });
    controls->addWidget(level.label);
    controls->addWidget(m_levelSlider, 1);
    controls->addWidget(m_levelValue);
    controls->addSpacing(8);
    controls->addWidget(width.label);
    controls->addWidget(m_widthSlider, 1);
    controls->addWidget(m_widthValue);
    controls->addWidget(autoButton);
    controls->addSpacing(16);
}

void SideBySideView::addPaneToggles(QHBoxLayout *controls)
{
    m_differenceButton = makeToolButton(tr("Difference"), tr("Show |original − enhanced| instead of the enhanced slice (D)"), this);
    m_differenceButton->setObjectName(QStringLiteral("differenceButton"));
    m_differenceButton->setCheckable(true);
    m_differenceButton->setAutoRaise(false);
    connect(m_differenceButton, &QToolButton::toggled, this, &SideBySideView::setDifferenceShown);
    controls->addWidget(m_differenceButton);
    m_residualButton = makeToolButton(
        tr("Residual"),
        tr("Show |original − expected(enhanced)| under the self-check's noise model instead of the enhanced slice: "
           "noise only where the signal was kept, anatomy where some was removed (R)"),
        this);
    m_residualButton->setObjectName(QStringLiteral("residualButton"));
    m_residualButton->setCheckable(true);
    m_residualButton->setAutoRaise(false);
    connect(m_residualButton, &QToolButton::toggled, this, &SideBySideView::setResidualShown);
    controls->addWidget(m_residualButton);
}

// Volume rows: plane | slice slider | "slice 91 / 181".
void SideBySideView::buildSliceBar()
{
    m_sliceBar = new QWidget(this);
    m_sliceBar->setObjectName(QStringLiteral("sliceBar"));
    auto *sliceLayout = new QHBoxLayout(m_sliceBar);
    sliceLayout->setContentsMargins(0, 0, 0, 0);
    m_planeCombo = new QComboBox(m_sliceBar);
    m_planeCombo->setObjectName(QStringLiteral("planeCombo"));
    m_planeCombo->setToolTip(tr("The plane the volume is cut in"));
    m_planeCombo->addItem(tr("Axial"), static_cast<int>(mri::SlicePlane::Axial));
    m_planeCombo->addItem(tr("Coronal"), static_cast<int>(mri::SlicePlane::Coronal));
    m_planeCombo->addItem(tr("Sagittal"), static_cast<int>(mri::SlicePlane::Sagittal));
    m_sliceSlider = new QSlider(Qt::Horizontal, m_sliceBar);
    m_sliceSlider->setObjectName(QStringLiteral("sliceSlider"));
    m_sliceSlider->setToolTip(tr("Slice (Ctrl+wheel, Page Up/Page Down)"));
    m_sliceSlider->setPageStep(1);
    m_sliceLabel = new QLabel(m_sliceBar);
    m_sliceLabel->setObjectName(QStringLiteral("sliceLabel"));
    m_sliceLabel->setMinimumWidth(m_sliceLabel->fontMetrics().horizontalAdvance(tr("slice %1 / %2").arg(9999).arg(9999)) + 4);
    sliceLayout->addWidget(m_planeCombo);
    sliceLayout->addWidget(m_sliceSlider, 1);
    sliceLayout->addWidget(m_sliceLabel);
    connect(m_planeCombo, qOverload<int>(&QComboBox::activated), this, [this](int index) {
        setPlane(static_cast<mri::SlicePlane>(m_planeCombo->itemData(index).toInt()));
    });
    connect(m_sliceSlider, &QSlider::valueChanged, this, [this](int value) {
        if (!m_updatingControls)
            requestSlice(value);
    });
    m_sliceBar->hide();
}

// Zoom, pan, hover, slice steps and window drags of either canvas act on both.
void SideBySideView::connectCanvas(SliceCanvas *canvas)
{
    connect(canvas, &SliceCanvas::zoomRequested, this, [this](double factor, const QPointF &anchor) {
        if (factor <= 0.0)
            fitToWindow();
        else
            zoomBy(factor, anchor);
    });
    connect(canvas, &SliceCanvas::panRequested, this, &SideBySideView::panBy);
    connect(canvas, &SliceCanvas::resized, this, [this] {
        if (m_fit)
            applyView();
    });
    connect(canvas, &SliceCanvas::hovered, this, [this, canvas](const QPoint &pixel) {
        // The pixel's centre in view units: both canvases may differ in grid.
        const QSizeF scale = canvas->pixelScale();
        showPixel(pixel.x() < 0 ? QPointF(-1.0, -1.0)
                                : QPointF((pixel.x() + 0.5) * scale.width(), (pixel.y() + 0.5) * scale.height()));
    });
    connect(canvas, &SliceCanvas::sliceStepRequested, this, &SideBySideView::stepSlice);
    connect(canvas, &SliceCanvas::windowDragged, this, [this](int dx, int dy) {
        // Radiology convention: horizontal = width (contrast), vertical = level.
        const double step = std::max(1.0, (m_pair.autoHigh - m_pair.autoLow) / 256.0);
        setWindow(m_level - dy * step, std::max(1.0, m_width + dx * step));
    });
}

void SideBySideView::showMessage(const QString &message)
{
    m_pair = SlicePair();
    m_result = mri::EnhancedRow();
    m_originalCanvas->clearImage(message);
    m_originalCanvas->setCaption(QString());
    m_originalCanvas->setAnnotations({});
    m_enhancedCanvas->clearImage(QString());
    m_enhancedCanvas->setCaption(QString());
    m_enhancedCanvas->setAnnotations({});
    updateWindowControls();
    updateSliceControls();
}

void SideBySideView::showSlices(const SlicePair &pair, const mri::EnhancedRow &result)
{
    const auto sizeOf = [](const SlicePair &p) {
        return QSizeF(p.original.width() * p.originalPixelScale.width(), p.original.height() * p.originalPixelScale.height());
    };
    const bool newGeometry = sizeOf(pair) != sizeOf(m_pair);
    // A volume keeps the user's window while scrolling through its slices; another
    // volume starts from its own display window.
    const bool newVolume = pair.isVolume
        && (pair.row != m_pair.row || !m_pair.isVolume || pair.valueOffset != m_pair.valueOffset
            || pair.valueScale != m_pair.valueScale);
    const bool newRange = pair.maximumValue != m_pair.maximumValue || m_pair.original.isNull() || newVolume;
    m_pair = pair;
    m_result = result;
    if (newRange) {
        m_level = (pair.autoLow + pair.autoHigh) / 2.0;
        m_width = std::max(1, pair.autoHigh - pair.autoLow);
    }
    m_originalCanvas->setPixelScale(pair.originalPixelScale);
    m_enhancedCanvas->setPixelScale(QSizeF(1.0, 1.0));
    if (newGeometry) {
        m_fit = true;
        m_center = QPointF(displaySize().width() / 2.0, displaySize().height() / 2.0);
    }
    updateWindowControls();
    updateSliceControls();
    renderImages();
    updateAnnotations();
    applyView();
}

QSizeF SideBySideView::displaySize() const
{
    return {m_pair.original.width() * m_pair.originalPixelScale.width(),
            m_pair.original.height() * m_pair.originalPixelScale.height()};
}

QString SideBySideView::sliceText() const
{
    QString text = tr("slice %1 / %2").arg(m_sliceSlider->value() + 1).arg(m_pair.sliceCount);
    if (m_pair.sliceOnEnhancedGrid && m_pair.originalSliceCount != m_pair.sliceCount)
        text += tr(" · original %1 / %2").arg(m_pair.originalSlice + 1).arg(m_pair.originalSliceCount);
    return text;
}

int SideBySideView::currentSlice() const
{
    return m_pair.isVolume ? m_sliceSlider->value() : 0;
}

void SideBySideView::requestSlice(int slice)
{
    if (!m_pair.isVolume || m_pair.sliceCount <= 0)
        return;
    slice = std::clamp(slice, 0, m_pair.sliceCount - 1);
    m_sliceLabel->setText(tr("slice %1 / %2").arg(slice + 1).arg(m_pair.sliceCount));
    emit sliceRequested(m_pair.plane, slice, m_pair.sliceOnEnhancedGrid);
}

void SideBySideView::stepSlice(int delta)
{
    if (!m_pair.isVolume || m_pair.sliceCount <= 0)
        return;
    const int next = std::clamp(m_sliceSlider->value() + delta, 0, m_pair.sliceCount - 1);
    if (next != m_sliceSlider->value())
        m_sliceSlider->setValue(next); // valueChanged asks for the slice
}

void SideBySideView::setPlane(mri::SlicePlane plane)
{
    if (!m_pair.isVolume || plane == m_pair.plane)
        return;
    {
        QSignalBlocker blocker(m_planeCombo);
        m_planeCombo->setCurrentIndex(m_planeCombo->findData(static_cast<int>(plane)));
    }
    emit sliceRequested(plane, -1, false);
}

void SideBySideView::updateSliceControls()
{
    m_sliceBar->setVisible(m_pair.isVolume);
    if (!m_pair.isVolume)
        return;
    m_updatingControls = true;
    m_planeCombo->setCurrentIndex(m_planeCombo->findData(static_cast<int>(m_pair.plane)));
    m_sliceSlider->setRange(0, std::max(0, m_pair.sliceCount - 1));
    m_sliceSlider->setValue(m_pair.slice);
    m_sliceLabel->setText(sliceText());
    m_updatingControls = false;
}

QString SideBySideView::valueText(double pixel) const
{
    if (!m_pair.isVolume)
        return QString::number(qRound(pixel));
    const double value = m_pair.valueOffset + m_pair.valueScale * pixel;
    if (m_pair.valueScale == std::round(m_pair.valueScale) && m_pair.valueOffset == std::round(m_pair.valueOffset))
        return QString::number(qRound64(value));
    return QString::number(value, 'g', 5);
}

void SideBySideView::keyPressEvent(QKeyEvent *event)
{
    if (m_pair.isVolume && (event->key() == Qt::Key_PageUp || event->key() == Qt::Key_PageDown)) {
        stepSlice(event->key() == Qt::Key_PageUp ? 1 : -1);
        event->accept();
        return;
    }
    QWidget::keyPressEvent(event);
}

double SideBySideView::zoom() const
{
    // Fit: the zoom at which the slice fits both canvases, so both stay equal.
    if (!m_fit)
        return m_zoom;
    if (m_pair.original.isNull())
        return 1.0;
    double fit = kMaximumZoom;
    const QSizeF size = displaySize();
    for (const auto *canvas : {m_originalCanvas, m_enhancedCanvas}) {
        fit = std::min({fit, static_cast<double>(canvas->width()) / size.width(),
                        static_cast<double>(canvas->height()) / size.height()});
    }
    return std::max(kMinimumZoom, fit);
}

void SideBySideView::zoomBy(double factor, const QPointF &anchor)
{
    if (m_pair.original.isNull())
        return;
    const double current = zoom();
    const QPointF center = m_fit ? QPointF(displaySize().width() / 2.0, displaySize().height() / 2.0) : m_center;
    const double next = std::clamp(current * factor, kMinimumZoom, kMaximumZoom);
    // Keep the image point under the cursor where it is.
    m_center = anchor - (anchor - center) * (current / next);
    m_zoom = next;
    m_fit = false;
    applyView();
}

void SideBySideView::panBy(const QPointF &delta)
{
    if (m_pair.original.isNull())
        return;
    if (m_fit) {
        m_zoom = zoom();
        m_center = QPointF(displaySize().width() / 2.0, displaySize().height() / 2.0);
        m_fit = false;
    }
    m_center += delta;
    applyView();
}

void SideBySideView::zoomIn()
{
    zoomBy(1.25, m_fit ? QPointF(displaySize().width() / 2.0, displaySize().height() / 2.0) : m_center);
}

void SideBySideView::zoomOut()
{
    zoomBy(0.8, m_fit ? QPointF(displaySize().width() / 2.0, displaySize().height() / 2.0) : m_center);
}

void SideBySideView::fitToWindow()
{
    m_fit = true;
    m_center = QPointF(displaySize().width() / 2.0, displaySize().height() / 2.0);
    applyView();
}

void SideBySideView::actualSize()
{
    if (m_pair.original.isNull())
        return;
    if (m_fit)
        m_center = QPointF(displaySize().width() / 2.0, displaySize().height() / 2.0);
    m_zoom = 1.0;
    m_fit = false;
    applyView();
}

void SideBySideView::applyView()
{
    // The canvases always get an explicit zoom: in fit mode the common one.
    const double zoomNow = zoom();
    const QPointF center = m_fit ? QPointF(displaySize().width() / 2.0, displaySize().height() / 2.0) : m_center;
    m_originalCanvas->setView(zoomNow, center);
    m_enhancedCanvas->setView(zoomNow, center);
    QSignalBlocker blocker(m_fitButton);
    m_fitButton->setChecked(m_fit);
}

void SideBySideView::setDifferenceShown(bool shown)
{
    if (shown)
        showPane(EnhancedPane::Difference);
    else if (isDifferenceShown())
        showPane(EnhancedPane::Enhanced);
}

void SideBySideView::setResidualShown(bool shown)
{
    if (shown)
        showPane(EnhancedPane::Residual);
    else if (isResidualShown())
        showPane(EnhancedPane::Enhanced);
}

void SideBySideView::showPane(EnhancedPane pane)
{
    if (m_pane == pane)
        return;
    const bool differenceBefore = isDifferenceShown();
    const bool residualBefore = isResidualShown();
    m_pane = pane;
    {
        QSignalBlocker differenceBlocker(m_differenceButton);
        QSignalBlocker residualBlocker(m_residualButton);
        m_differenceButton->setChecked(isDifferenceShown());
        m_residualButton->setChecked(isResidualShown());
    }
    renderImages();
    updateAnnotations();
    if (differenceBefore != isDifferenceShown())
        emit differenceShownChanged(isDifferenceShown());
    if (residualBefore != isResidualShown())
        emit residualShownChanged(isResidualShown());
}

void SideBySideView::setWindow(double level, double width)
{
    const double maximum = m_pair.maximumValue;
    m_level = std::clamp(level, 0.0, maximum);
    m_width = std::clamp(width, 1.0, maximum + 1.0);
    updateWindowControls();
    renderImages();
}

void SideBySideView::autoWindow()
{
    setWindow((m_pair.autoLow + m_pair.autoHigh) / 2.0, std::max(1, m_pair.autoHigh - m_pair.autoLow));
}

void SideBySideView::updateWindowControls()
{
    m_updatingControls = true;
    const int maximum = m_pair.maximumValue;
    m_levelSlider->setRange(0, maximum);
    m_widthSlider->setRange(1, maximum + 1);
    m_levelSlider->setValue(qRound(m_level));
    m_widthSlider->setValue(qRound(m_width));
    m_levelValue->setText(valueText(m_level));
    // A width is a difference: the scale's magnitude, no offset.
    m_widthValue->setText(m_pair.isVolume ? QString::number(std::abs(m_pair.valueScale) * m_width, 'g', 5)
                                          : QString::number(qRound(m_width)));
    const bool enabled = !m_pair.original.isNull();
    m_levelSlider->setEnabled(enabled);
    m_widthSlider->setEnabled(enabled);
    m_updatingControls = false;
}

void SideBySideView::renderImages()
{
    const double low = m_level - m_width / 2.0;
    const double high = m_level + m_width / 2.0;
    if (!m_pair.original.isNull())
        m_originalCanvas->setImage(sliceimage::applyWindow(m_pair.original, low, high));
    else if (m_pair.row >= 0)
        m_originalCanvas->clearImage(m_pair.originalError);

    const QImage &comparison = isResidualShown() ? m_pair.residual : m_pair.difference;
    if (m_pane != EnhancedPane::Enhanced && !comparison.isNull()) {
        // The residual shares the difference's window: the two compare at a glance.
        m_enhancedCanvas->setImage(sliceimage::applyWindow(comparison, 0.0, m_pair.differenceHigh));
    } else if (!m_pair.enhanced.isNull()) {
        m_enhancedCanvas->setImage(sliceimage::applyWindow(m_pair.enhanced, low, high));
    } else if (m_pair.row >= 0) {
        QString message;
        if (!m_pair.enhancedError.isEmpty())
            message = m_pair.enhancedError;
        else if (!m_result.error.empty())
            message = tr("Enhancement failed: %1").arg(QString::fromStdString(m_result.error));
        else if (!m_pair.originalError.isEmpty())
            message = tr("Nothing to enhance: the original cannot be read.");
        else
            message = tr("Not enhanced yet.\nChoose Run ▸ Enhance Selected (Ctrl+E).");
        m_enhancedCanvas->clearImage(message);
    }
}

void SideBySideView::updateAnnotations()
{
    const bool finer = m_pair.scale > 1;
    QStringList original;
    if (!m_pair.original.isNull() && m_pair.isVolume) {
        original << tr("%1 × %2 · %3 slice %4 / %5")
                        .arg(m_pair.original.width())
                        .arg(m_pair.original.height())
                        .arg(QString::fromLatin1(mri::slicePlaneName(m_pair.plane)))
                        .arg(m_pair.originalSlice + 1)
                        .arg(m_pair.originalSliceCount);
    } else if (!m_pair.original.isNull()) {
        original << tr("%1 × %2 · %3-bit")
                        .arg(m_pair.original.width())
                        .arg(m_pair.original.height())
                        .arg(m_pair.maximumValue > 255 ? 16 : 8);
    }
    if (finer && !m_pair.original.isNull()) {
        original << (m_pair.isVolume ? tr("Shown at its physical size (nearest neighbour)")
                                     : tr("Shown ×%1, nearest neighbour, at the enhanced size").arg(m_pair.scale));
    }
    if (m_pair.hasReference) {
        original << tr("PSNR %1 dB · SSIM %2 against the clean slice")
                        .arg(formatting::psnr(m_pair.originalReferencePsnr), formatting::ssim(m_pair.originalReferenceSsim));
    } else if (m_result.done) {
        original << tr("Reference of the PSNR and SSIM");
    }
    m_originalCanvas->setCaption(m_pair.row >= 0 ? tr("Original · %1").arg(m_pair.patientId) : QString());
    m_originalCanvas->setAnnotations(original);

    QStringList enhanced;
    QString caption;
    const bool residual = isResidualShown() && !m_pair.residual.isNull();
    if ((isDifferenceShown() && !m_pair.difference.isNull()) || residual) {
        if (!residual) {
            caption = tr("Difference |original − enhanced|");
        } else if (m_pair.residualSigma > 0.0) {
            caption = tr("Residual |original − expected(enhanced)|");
            enhanced << tr("Noise only where the signal was kept");
            enhanced << tr("Noise model of the self-check: σ %1, %2 coil(s)")
                            .arg(QString::number(m_pair.residualSigma, 'g', 4), QString::number(m_pair.residualCoils, 'g', 3));
        } else {
            caption = tr("Residual = difference |original − enhanced|: no self-check");
            enhanced << tr("No noise level was measured for this result, so the residual is the plain difference");
        }
        enhanced << tr("Black 0 · white %1 and above")
                        .arg(m_pair.isVolume ? QString::number(std::abs(m_pair.valueScale) * m_pair.differenceHigh, 'g', 5)
                                             : QString::number(m_pair.differenceHigh));
        if (finer)
            enhanced << tr("Against the original stretched ×%1 (nearest neighbour)").arg(m_pair.scale);
    } else if (!m_pair.enhanced.isNull()) {
        caption = finer ? tr("Enhanced %1").arg(m_pair.scaleNote) : tr("Enhanced");
        if (finer && m_pair.isVolume) {
            enhanced << tr("%1 × %2 · %3 slice %4 / %5")
                            .arg(m_pair.enhanced.width())
                            .arg(m_pair.enhanced.height())
                            .arg(QString::fromLatin1(mri::slicePlaneName(m_pair.plane)))
                            .arg(m_pair.slice + 1)
                            .arg(m_pair.sliceCount);
        } else if (finer) {
            enhanced << tr("%1 × %2").arg(m_pair.enhanced.width()).arg(m_pair.enhanced.height());
        }
        if (m_result.done) {
            enhanced << (finer ? tr("PSNR %1 dB · SSIM %2 against the original, on its grid (down-sampled ×%3)")
                                     .arg(formatting::psnr(m_result.psnr), formatting::ssim(m_result.ssim))
                                     .arg(m_pair.scale)
                               : tr("PSNR %1 dB · SSIM %2 against the original")
                                     .arg(formatting::psnr(m_result.psnr), formatting::ssim(m_result.ssim)));
        }
        if (m_pair.hasReference && !finer) {
            enhanced << tr("PSNR %1 dB · SSIM %2 against the clean slice")
                            .arg(formatting::psnr(m_pair.enhancedReferencePsnr), formatting::ssim(m_pair.enhancedReferenceSsim));
        }
    } else if (m_pair.row >= 0) {
        caption = tr("Enhanced");
    }
    m_enhancedCanvas->setCaption(caption);
    m_enhancedCanvas->setAnnotations(enhanced);
}

void SideBySideView::showPixel(const QPointF &viewPoint)
{
    if (viewPoint.x() < 0 || m_pair.original.isNull()) {
        m_pixelLabel->setText(m_pair.isVolume
                                  ? tr("Wheel: zoom · Ctrl+wheel, Page Up/Down: slice · drag: pan · right drag: window/level · double click: fit")
                                  : tr("Wheel: zoom · drag: pan · right drag: window/level · double click: fit"));
        return;
    }
    // Each image's pixel under the same point: they differ on a finer grid.
    const QSizeF scale = m_pair.originalPixelScale;
    const QPoint originalPixel(static_cast<int>(std::floor(viewPoint.x() / scale.width())),
                               static_cast<int>(std::floor(viewPoint.y() / scale.height())));
    const QPoint fine(static_cast<int>(std::floor(viewPoint.x())), static_cast<int>(std::floor(viewPoint.y())));
    QString text;
    if (m_pair.scale > 1) {
        text = tr("original x %1, y %2: %3")
                   .arg(originalPixel.x())
                   .arg(originalPixel.y())
                   .arg(valueText(sliceimage::pixelValue(m_pair.original, originalPixel.x(), originalPixel.y())));
        if (!m_pair.enhanced.isNull())
            text += tr(" · enhanced x %1, y %2: %3").arg(fine.x()).arg(fine.y()).arg(valueText(sliceimage::pixelValue(m_pair.enhanced, fine.x(), fine.y())));
    } else {
        text = tr("x %1, y %2 · original %3").arg(fine.x()).arg(fine.y()).arg(valueText(sliceimage::pixelValue(m_pair.original, fine.x(), fine.y())));
        if (!m_pair.enhanced.isNull())
            text += tr(" · enhanced %1").arg(valueText(sliceimage::pixelValue(m_pair.enhanced, fine.x(), fine.y())));
    }
    if (!m_pair.difference.isNull()) {
        const int difference = sliceimage::pixelValue(m_pair.difference, fine.x(), fine.y());
        text += tr(" · difference %1")
                    .arg(m_pair.isVolume ? QString::number(std::abs(m_pair.valueScale) * difference, 'g', 5)
                                         : QString::number(difference));
    }
    if (isResidualShown() && !m_pair.residual.isNull()) {
        const int residual = sliceimage::pixelValue(m_pair.residual, fine.x(), fine.y());
        text += tr(" · residual %1")
                    .arg(m_pair.isVolume ? QString::number(std::abs(m_pair.valueScale) * residual, 'g', 5)
                                         : QString::number(residual));
    }
    m_pixelLabel->setText(text);
}

void SideBySideView::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    // The gap takes an odd pixel, so that both canvases are equally wide and
    // their images line up to the pixel.
    m_canvasLayout->setSpacing(kCanvasGap + (width() - kCanvasGap) % 2);
    applyView();
}

} // namespace studio
