#pragma once

#include "WorkerTypes.h"

#include <QWidget>

class QGroupBox;
class QLabel;
class QPlainTextEdit;
class QProgressBar;

namespace studio {

class SettingsForm;
class StudioActions;
class StudioSession;
class TrainingChart;

// The training settings (a form generated from the engine's table), Start /
// Stop / Resume, the live chart, a progress bar with ETA, and the model in use
// (load, save a copy, its ModelInfo and the settings it was trained with). The
// buttons show the window's StudioActions, which the session enables.
class TrainingPanel final : public QWidget
{
    Q_OBJECT

public:
    TrainingPanel(StudioSession *session, StudioActions *actions, QWidget *parent = nullptr);

    // The settings shown (model file and resume cleared); a field whose text is
    // not valid keeps the value last given to setOptions(): see SettingsForm::error().
    mri::TrainingOptions options() const;
    void setOptions(const mri::TrainingOptions &options);
    void restoreDefaults();

    SettingsForm *settingsForm() const { return m_form; }
    TrainingChart *chart() const { return m_chart; }

    // Both refuse, with errorOccurred(), while a field of the form is invalid.
    void startTraining();
    void resumeTraining();
    void chooseModelFile();
    void saveModelAs();

signals:
    void errorOccurred(const QString &message);

private:
    // The constructor's parts.
    QWidget *buildSettingsColumn(StudioActions *actions);
    QGroupBox *buildModelBox(StudioActions *actions);
    QWidget *buildProgressColumn();
    void connectSession();

    bool refuseInvalidOptions();
    void updateModelInfo();
    void onStep(const mri::TrainingStep &step);
    void onEpoch(const mri::EpochSummary &summary);
    void onFinished(const studio::TrainingOutcome &outcome);
    void appendLog(const QString &line);

    StudioSession *m_session = nullptr;
    SettingsForm *m_form = nullptr;
    TrainingChart *m_chart = nullptr;

    QLabel *m_modelPathLabel = nullptr;
    QLabel *m_modelInfoLabel = nullptr;
    QLabel *m_modelSettingsLabel = nullptr;

    QProgressBar *m_progress = nullptr;
    QLabel *m_statusLabel = nullptr;
    QPlainTextEdit *m_log = nullptr;
    // A run started here is shown (live curves) until it ends.
    bool m_running = false;
    // The model whose curves the chart shows outside a training run: its
    // recorded history, or the live curves of the run that wrote it.
    QString m_chartModel;
};

} // namespace studio
