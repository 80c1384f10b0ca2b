#pragma once

#include "enhance/EnhanceSettings.h"
#include "image/ContrastStep.h"

#include <QImage>
#include <QWidget>

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QThread;
class QTimer;

namespace studio {

// The contrast step of an enhancement (EnhanceOptions::contrast): a kind and
// the parameters of that kind, made from the engine's table
// (contrastParameters()), with a live preview on the selected slice: the
// slice as enhanced (the original until the row has a result) with the step
// applied, and the grey/white CNR before and after it (TissueContrast.h, the
// classes of the slice before the step, as in the metrics CSV).
//
// The preview is computed on a thread of the panel's own (CLAHE, the
// clustering and two CNRs: about 2.5 ms for a 256x256 slice, 13 ms for
// 512x512 on a loaded 2-core machine; the note under the preview says how
// long); slices larger than kPreviewSide are previewed scaled down. Requests
// carry a token and the thread skips all but the newest, so dragging a spin
// box never queues up work; a result that is no longer the newest is dropped.
//
// Below the contrast step: one editor (object name "enhance_<key>") for every
// entry of the engine's table of enhance settings marked `gui`
// (mri::enhanceSettings()), its label, help, range and default from the
// table, so a new entry appears here without a change to ui/.
class ContrastPanel final : public QWidget
{
    Q_OBJECT

public:
    static constexpr int kPreviewSide = 512;

    explicit ContrastPanel(QWidget *parent = nullptr);
    ~ContrastPanel() override; // joins the preview thread

    mri::ContrastStep step() const;
    void setStep(const mri::ContrastStep &step);

    // The selected slice, raw (Format_Grayscale8 or Format_Grayscale16),
    // divided by maximumValue to the engine's unit scale. `enhanced` false: no
    // result yet, the original is previewed.
    void setSlice(const QImage &raw, int maximumValue, bool enhanced);
    void clearSlice();

    // The last preview (Format_Grayscale8, the step applied) and what it cost.
    const QImage &previewImage() const { return m_preview; }
    double previewMilliseconds() const { return m_previewMilliseconds; }
    double cnrBefore() const { return m_cnrBefore; }
    double cnrAfter() const { return m_cnrAfter; }

    // Every `gui` entry of the table read from its editor into `options`.
    void applySettings(mri::EnhanceOptions &options) const;
    // The editor of a `gui` entry; nullptr for any other key.
    QWidget *settingEditor(const std::string &key) const;

signals:
    void stepChanged(const mri::ContrastStep &step);
    // An editor of the table's entries changed: `settings` holds them on top of the defaults.
    void settingsChanged(const mri::EnhanceOptions &settings);
    void previewUpdated();

private:
    struct Preview;
    void onControlsChanged();
    void addSettingEditors(QFormLayout *form);
    QWidget *createSettingEditor(const mri::EnhanceSettingDescription &setting);
    void onSettingEdited();
    void requestPreview();
    void showPreview(const Preview &preview);

    QComboBox *m_kind = nullptr;
    std::vector<std::pair<mri::ContrastParameter, QDoubleSpinBox *>> m_parameters;
    std::vector<QWidget *> m_parameterLabels;
    std::vector<std::pair<const mri::EnhanceSettingDescription *, QWidget *>> m_settings;
    QLabel *m_previewLabel = nullptr;
    QLabel *m_note = nullptr;
    QTimer *m_previewTimer = nullptr;
    QThread *m_thread = nullptr;
    QObject *m_worker = nullptr;                  // lives in m_thread
    std::shared_ptr<std::atomic_int> m_latest = std::make_shared<std::atomic_int>(0);
    QImage m_raw;
    int m_maximumValue = 255;
    bool m_enhanced = false;
    QImage m_preview;
    double m_previewMilliseconds = 0.0;
    double m_cnrBefore = 0.0;
    double m_cnrAfter = 0.0;
    bool m_updating = false;
};

} // namespace studio
