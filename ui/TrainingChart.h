#pragma once

#include <QWidget>

class QCheckBox;
class QCPGraph;
class QCPItemText;
class QCustomPlot;
class QTimer;

namespace studio {

// Live training curves: train loss per step (raw and smoothed), validation
// loss per epoch and validation PSNR per epoch on a second axis. Points are
// stored as they arrive; the plot is redrawn by a single-shot timer, so at
// most about 25 redraws per second happen however fast points come.
class TrainingChart final : public QWidget
{
    Q_OBJECT

public:
    static constexpr int kReplotIntervalMs = 40;

    explicit TrainingChart(QWidget *parent = nullptr);

    void clear();
    void addStep(double globalStep, double loss);
    // A recorded epoch's mean training loss (a loaded model's history): it is
    // an average already, so the smoothed curve passes through it unchanged.
    void addEpochTrainLoss(double globalStep, double meanLoss);
    void addEpoch(double globalStep, double validationLoss, double validationPsnr);
    void replotNow();
    bool isEmpty() const;

    QCustomPlot *plot() const { return m_plot; }
    QCPGraph *trainGraph() const { return m_trainGraph; }
    QCPGraph *smoothedGraph() const { return m_smoothedGraph; }
    QCPGraph *validationGraph() const { return m_validationGraph; }
    QCPGraph *psnrGraph() const { return m_psnrGraph; }
    int replotCount() const { return m_replots; }

private:
    void scheduleReplot();
    void setLogarithmic(bool logarithmic);

    QCustomPlot *m_plot = nullptr;
    QCPGraph *m_trainGraph = nullptr;
    QCPGraph *m_smoothedGraph = nullptr;
    QCPGraph *m_validationGraph = nullptr;
    QCPGraph *m_psnrGraph = nullptr;
    QCPItemText *m_placeholder = nullptr;
    QCheckBox *m_logCheck = nullptr;
    QTimer *m_replotTimer = nullptr;
    double m_smoothed = 0.0;
    bool m_hasSmoothed = false;
    int m_replots = 0;
};

} // namespace studio
