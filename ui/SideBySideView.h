#pragma once

#include "WorkerTypes.h"

#include <QPointF>
#include <QSizeF>
#include <QWidget>

class QComboBox;
class QHBoxLayout;
class QLabel;
class QSlider;
class QToolButton;

namespace studio {

class SliceCanvas;

// Original and enhanced slice next to each other. Zoom (wheel, fit, 1:1) and
// pan are linked between the two canvases; one window/level applies to both
// and maps 8- or 16-bit values onto the screen's 8 bits. Two exclusive toggles
// replace the enhanced image by the difference |original - enhanced| or by the
// self-check's residual |original - expected(enhanced)| (SelfCheck.h), both
// in one window from 0. A volume row shows
// one slice at a time: a plane switch and a slice slider (also Ctrl+wheel and
// Page Up/Down) ask for another slice of original and enhanced together;
// picture rows hide them. A super-resolved result (a finer grid) is shown
// with its original at the same physical size: the view's units are the
// enhanced image's pixels, the original stretched to them nearest neighbour,
// and the slider steps through the finer slices, the original following to
// its slice nearest in position.
class SideBySideView final : public QWidget
{
    Q_OBJECT

public:
    explicit SideBySideView(QWidget *parent = nullptr);

    void showSlices(const studio::SlicePair &pair, const mri::EnhancedRow &result);
    void showMessage(const QString &message);
    int currentRow() const { return m_pair.row; }

    void zoomIn();
    void zoomOut();
    void fitToWindow();
    void actualSize();
    bool isFit() const { return m_fit; }
    double zoom() const;

    void setDifferenceShown(bool shown);
    bool isDifferenceShown() const { return m_pane == EnhancedPane::Difference; }
    // Turning one of difference and residual on turns the other off.
    void setResidualShown(bool shown);
    bool isResidualShown() const { return m_pane == EnhancedPane::Residual; }

    // Window/level in raw pixel values (0..255 or 0..65535).
    void setWindow(double level, double width);
    void autoWindow();
    double windowLevel() const { return m_level; }
    double windowWidth() const { return m_width; }

    // Volume rows (hidden otherwise): the slice shown and how many the plane has.
    bool isVolumeShown() const { return m_pair.isVolume; }
    int currentSlice() const;
    int sliceCount() const { return m_pair.sliceCount; }
    // Super-resolution: the slider is on the enhanced volume's finer grid and
    // the original shows slice originalSlice() of originalSliceCount().
    bool isSliceOnEnhancedGrid() const { return m_pair.sliceOnEnhancedGrid; }
    int originalSlice() const { return m_pair.isVolume ? m_pair.originalSlice : 0; }
    int originalSliceCount() const { return m_pair.originalSliceCount; }
    int scale() const { return m_pair.scale; } // 1, or the super-resolution factor
    // The slices' common extent in view units (the enhanced image's pixels).
    QSizeF displaySize() const;
    mri::SlicePlane plane() const { return m_pair.plane; }
    // Ask for a slice `delta` away (clamped) or for the middle slice of `plane`.
    void stepSlice(int delta);
    void setPlane(mri::SlicePlane plane);

    SliceCanvas *originalCanvas() const { return m_originalCanvas; }
    SliceCanvas *enhancedCanvas() const { return m_enhancedCanvas; }

signals:
    void differenceShownChanged(bool shown);
    void residualShownChanged(bool shown);
    // slice -1: the middle; counted on the enhanced volume's grid when onEnhancedGrid.
    void sliceRequested(mri::SlicePlane plane, int slice, bool onEnhancedGrid);

protected:
    void resizeEvent(QResizeEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;

private:
    // What the right-hand canvas shows.
    enum class EnhancedPane { Enhanced, Difference, Residual };

    // The constructor's parts: the controls above the canvases, the slice bar under them.
    void addZoomControls(QHBoxLayout *controls);
    void addWindowControls(QHBoxLayout *controls);
    void addPaneToggles(QHBoxLayout *controls);
    void buildSliceBar();
    void connectCanvas(SliceCanvas *canvas);

    void showPane(EnhancedPane pane);
    void zoomBy(double factor, const QPointF &anchor);
    void panBy(const QPointF &delta);
    void applyView();
    void renderImages();
    void updateAnnotations();
    void updateWindowControls();
    void showPixel(const QPointF &viewPoint); // (-1, -1): none
    void updateSliceControls();
    QString valueText(double pixel) const; // a raw pixel value in the row's units
    QString sliceText() const;
    void requestSlice(int slice);

    SliceCanvas *m_originalCanvas = nullptr;
    SliceCanvas *m_enhancedCanvas = nullptr;
    QHBoxLayout *m_canvasLayout = nullptr;
    QSlider *m_levelSlider = nullptr;
    QSlider *m_widthSlider = nullptr;
    QLabel *m_levelValue = nullptr;
    QLabel *m_widthValue = nullptr;
    QLabel *m_pixelLabel = nullptr;
    QToolButton *m_differenceButton = nullptr;
    QToolButton *m_residualButton = nullptr;
    QToolButton *m_fitButton = nullptr;
    QWidget *m_sliceBar = nullptr;
    QComboBox *m_planeCombo = nullptr;
    QSlider *m_sliceSlider = nullptr;
    QLabel *m_sliceLabel = nullptr;

    studio::SlicePair m_pair;
    mri::EnhancedRow m_result;
    bool m_fit = true;
    double m_zoom = 1.0;
    QPointF m_center;
    double m_level = 128.0;
    double m_width = 256.0;
    EnhancedPane m_pane = EnhancedPane::Enhanced;
    bool m_updatingControls = false;
};

} // namespace studio
