#pragma once

#include "WorkerTypes.h"

#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace studio {

class StudioSession;
class TrainingChart;

// The training options of the engine (defaults from a default-constructed
// mri::TrainingOptions), Start / Stop / Resume, the live chart, a progress bar
// with ETA, and the model in use (load, save a copy, ModelInfo).
class TrainingPanel final : public QWidget
{
    Q_OBJECT

public:
    explicit TrainingPanel(StudioSession *session, QWidget *parent = nullptr);

    // The options shown, on top of the last ones given to setOptions().
    mri::TrainingOptions options() const;
    void setOptions(const mri::TrainingOptions &options);
    void restoreDefaults();

    TrainingChart *chart() const { return m_chart; }

    void startTraining();
    void resumeTraining();
    void stopTraining();
    void chooseModelFile();
    void saveModelAs();

private:
    void updateButtons();
    void updateModelInfo();
    void onStep(const mri::TrainingStep &step);
    void onEpoch(const mri::EpochSummary &summary);
    void onFinished(const studio::TrainingOutcome &outcome);
    void appendLog(const QString &line);

    StudioSession *m_session = nullptr;
    TrainingChart *m_chart = nullptr;

    QComboBox *m_objectiveCombo = nullptr;
    QSpinBox *m_epochsSpin = nullptr;
    QLineEdit *m_learningRateEdit = nullptr;
    QSpinBox *m_batchSizeSpin = nullptr;
    QSpinBox *m_patchSizeSpin = nullptr;
    QSpinBox *m_patchesPerImageSpin = nullptr;
    QDoubleSpinBox *m_validationSpin = nullptr;
    QSpinBox *m_seedSpin = nullptr;
    QSpinBox *m_depthSpin = nullptr;
    QSpinBox *m_channelsSpin = nullptr;

    QPushButton *m_startButton = nullptr;
    QPushButton *m_stopButton = nullptr;
    QPushButton *m_resumeButton = nullptr;
    QPushButton *m_loadModelButton = nullptr;
    QPushButton *m_saveModelButton = nullptr;
    QLabel *m_modelPathLabel = nullptr;
    QLabel *m_modelInfoLabel = nullptr;

    QProgressBar *m_progress = nullptr;
    QLabel *m_statusLabel = nullptr;
    QPlainTextEdit *m_log = nullptr;
    mri::TrainingOptions m_baseOptions;
    bool m_stopping = false;
    bool m_running = false;
    // The model whose curves the chart shows outside a training run: its
    // recorded history, or the live curves of the run that wrote it.
    QString m_chartModel;
};

} // namespace studio
