#include "ContrastPanel.h"

#include "quality/TissueContrast.h"

#include "base/EngineError.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPixmap>
#include <QSpinBox>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <climits>
#include <cmath>

namespace studio {

namespace {

QString cnrText(double cnr)
{
    return std::isfinite(cnr) ? QString::number(cnr, 'f', 2) : QStringLiteral("–");
}

// The table's texts in the user's language (lupdate reads them from EnhanceSettings.cpp).
QString tableText(const std::string &text)
{
    return QCoreApplication::translate("mri::EnhanceSettings", text.c_str());
}

// A spin box's bounds: one below the range stands for "not set", shown by its name.
int lowestOf(const mri::EnhanceSettingDescription &setting)
{
    return static_cast<int>(std::max<double>(setting.minimum, INT_MIN + 1)) - (setting.unsetName.empty() ? 0 : 1);
}

// The value an editor holds; a text that is not a valid value reads as the default.
mri::SettingValue editorValue(const mri::EnhanceSettingDescription &setting, const QWidget *editor)
{
    if (const auto *box = qobject_cast<const QCheckBox *>(editor))
        return box->isChecked();
    if (const auto *spin = qobject_cast<const QSpinBox *>(editor)) {
        if (!setting.unsetName.empty() && spin->value() == spin->minimum())
            return setting.unsetValue;
        return static_cast<long long>(spin->value());
    }
    if (const auto *spin = qobject_cast<const QDoubleSpinBox *>(editor)) {
        if (!setting.unsetName.empty() && spin->value() == spin->minimum())
            return setting.unsetValue;
        return spin->value();
    }
    const QString text = qobject_cast<const QComboBox *>(editor) ? qobject_cast<const QComboBox *>(editor)->currentText()
                                                                  : qobject_cast<const QLineEdit *>(editor)->text();
    try {
        return mri::parseSettingValue(setting, text.toStdString());
    } catch (const mri::EngineError &) {
        return mri::defaultSettingValue(setting);
    }
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
    addSettingEditors(form);

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

void ContrastPanel::addSettingEditors(QFormLayout *form)
{
    for (const auto &setting : mri::enhanceSettings()) {
        if (!setting.gui)
            continue;
        QWidget *editor = createSettingEditor(setting);
        editor->setObjectName(QStringLiteral("enhance_") + QString::fromStdString(setting.key));
        editor->setToolTip(tableText(setting.help) + QStringLiteral(" (%1; default %2)")
                                                         .arg(QString::fromStdString(mri::describeSettingRange(setting)),
                                                              QString::fromStdString(mri::formatSettingValue(
                                                                  setting, mri::defaultSettingValue(setting)))));
        form->addRow(tableText(setting.label) + QLatin1Char(':'), editor);
        m_settings.emplace_back(&setting, editor);
    }
}

QWidget *ContrastPanel::createSettingEditor(const mri::EnhanceSettingDescription &setting)
{
    const auto value = mri::defaultSettingValue(setting);
    const bool unset = mri::isUnsetValue(setting, value);
    switch (setting.type) {
    case mri::SettingType::Boolean: {
        auto *box = new QCheckBox(this);
        box->setChecked(std::get<bool>(value));
        connect(box, &QCheckBox::toggled, this, &ContrastPanel::onSettingEdited);
        return box;
    }
    case mri::SettingType::Integer: {
        auto *spin = new QSpinBox(this);
        spin->setRange(lowestOf(setting), static_cast<int>(std::min<double>(setting.maximum, INT_MAX)));
        spin->setSpecialValueText(QString::fromStdString(setting.unsetName));
        spin->setValue(unset ? spin->minimum() : static_cast<int>(std::get<long long>(value)));
        connect(spin, &QSpinBox::valueChanged, this, &ContrastPanel::onSettingEdited);
        return spin;
    }
    case mri::SettingType::Real: {
        auto *spin = new QDoubleSpinBox(this);
        spin->setDecimals(4);
        spin->setRange(setting.minimum - (setting.unsetName.empty() ? 0.0 : 1.0), setting.maximum);
        spin->setSpecialValueText(QString::fromStdString(setting.unsetName));
        spin->setValue(unset ? spin->minimum() : std::get<double>(value));
        connect(spin, &QDoubleSpinBox::valueChanged, this, &ContrastPanel::onSettingEdited);
        return spin;
    }
    case mri::SettingType::Choice:
        break;
    }
    const auto text = QString::fromStdString(mri::formatSettingValue(setting, value));
    if (setting.readForm) { // more forms than names: typed
        auto *edit = new QLineEdit(text, this);
        connect(edit, &QLineEdit::editingFinished, this, &ContrastPanel::onSettingEdited);
        return edit;
    }
    auto *combo = new QComboBox(this);
    for (const auto &choice : setting.choices)
        combo->addItem(QString::fromStdString(choice));
    if (!setting.unsetName.empty())
        combo->addItem(QString::fromStdString(setting.unsetName));
    combo->setCurrentText(text);
    connect(combo, &QComboBox::currentIndexChanged, this, &ContrastPanel::onSettingEdited);
    return combo;
}

void ContrastPanel::applySettings(mri::EnhanceOptions &options) const
{
    for (const auto &[setting, editor] : m_settings)
        setting->set(options, editorValue(*setting, editor));
}

QWidget *ContrastPanel::settingEditor(const std::string &key) const
{
    for (const auto &[setting, editor] : m_settings) {
        if (setting->key == key)
            return editor;
    }
    return nullptr;
}

void ContrastPanel::onSettingEdited()
{
    mri::EnhanceOptions settings;
    applySettings(settings);
    emit settingsChanged(settings);
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
