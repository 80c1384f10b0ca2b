#include "SettingsForm.h"

#include "base/EngineError.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QFormLayout>
#include <QGroupBox>
#include <QLineEdit>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>

namespace studio {

namespace {

constexpr const char *kTableContext = "mri::TrainingSettings";
// An editor whose text is not a valid value: a red frame (its tool tip says why).
constexpr const char *kInvalidStyle = "QLineEdit { border: 1px solid #c62828; border-radius: 2px; padding: 1px; }";

bool fitsInSpinBox(const mri::SettingDescription &setting)
{
    return setting.type == mri::SettingType::Integer && setting.minimum >= std::numeric_limits<int>::min()
        && setting.maximum <= std::numeric_limits<int>::max();
}

QString settingText(const mri::SettingDescription &setting, const mri::SettingValue &value)
{
    return QString::fromStdString(mri::formatSettingValue(setting, value));
}

// A range bound in the setting's own type, so that it reads as the table says.
mri::SettingValue boundValue(const mri::SettingDescription &setting, double bound)
{
    if (setting.type == mri::SettingType::Integer)
        return static_cast<long long>(bound);
    return bound;
}

// The engine reads numbers with a decimal point; a decimal comma (German
// keyboards) is accepted too when the text has no point.
mri::SettingValue parseText(const mri::SettingDescription &setting, const QString &text)
{
    const QString trimmed = text.trimmed();
    try {
        return mri::parseSettingValue(setting, trimmed.toStdString());
    } catch (const mri::EngineError &) {
        const bool decimalComma = setting.type == mri::SettingType::Real && trimmed.count(QLatin1Char(',')) == 1
            && !trimmed.contains(QLatin1Char('.'));
        if (!decimalComma)
            throw;
        try {
            return mri::parseSettingValue(setting, QString(trimmed).replace(QLatin1Char(','), QLatin1Char('.')).toStdString());
        } catch (const mri::EngineError &) {
        }
        throw; // the sentence about the text as typed
    }
}

} // namespace

SettingsForm::SettingsForm(QWidget *parent)
    : QWidget(parent)
{
    m_basicGroup = new QGroupBox(tr("Training options"), this);
    m_basicGroup->setObjectName(QStringLiteral("trainingOptionsGroup"));
    m_advancedGroup = new QGroupBox(this);
    m_advancedGroup->setObjectName(QStringLiteral("advancedSettingsGroup"));
    auto *basicForm = new QFormLayout(m_basicGroup);
    auto *advancedForm = new QFormLayout(m_advancedGroup);
    for (auto *form : {basicForm, advancedForm})
        form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);

    for (const auto &setting : mri::trainingSettings()) {
        QGroupBox *group = setting.basic ? m_basicGroup : m_advancedGroup;
        QFormLayout *form = setting.basic ? basicForm : advancedForm;
        Field field;
        field.setting = &setting;
        field.editor = createEditor(setting, group);
        field.toolTip = toolTipFor(setting);
        field.editor->setObjectName(editorName(setting));
        field.editor->setToolTip(field.toolTip);
        form->addRow(tr("%1:").arg(label(setting)), field.editor);
        m_fields.push_back(field);
    }

    // Collapsed at first: the basic settings are what most runs change.
    m_advancedToggle = new QToolButton(this);
    m_advancedToggle->setObjectName(QStringLiteral("advancedSettingsToggle"));
    m_advancedToggle->setText(tr("Advanced"));
    m_advancedToggle->setToolTip(tr("Show or hide the settings most runs leave at their defaults"));
    m_advancedToggle->setCheckable(true);
    m_advancedToggle->setAutoRaise(true);
    m_advancedToggle->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_advancedToggle->setArrowType(Qt::RightArrow);
    connect(m_advancedToggle, &QToolButton::toggled, this, [this](bool shown) {
        m_advancedToggle->setArrowType(shown ? Qt::DownArrow : Qt::RightArrow);
        m_advancedGroup->setVisible(shown);
    });
    m_advancedGroup->setVisible(false);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_basicGroup);
    layout->addWidget(m_advancedToggle, 0, Qt::AlignLeft);
    layout->addWidget(m_advancedGroup);

    restoreDefaults();
}

QWidget *SettingsForm::createEditor(const mri::SettingDescription &setting, QWidget *parent)
{
    switch (setting.type) {
    case mri::SettingType::Boolean:
        return new QCheckBox(parent);
    case mri::SettingType::Choice: {
        auto *combo = new QComboBox(parent);
        for (const auto &choice : setting.choices)
            combo->addItem(QString::fromStdString(choice), QString::fromStdString(choice));
        return combo;
    }
    case mri::SettingType::Integer:
        if (fitsInSpinBox(setting)) {
            auto *spin = new QSpinBox(parent);
            spin->setRange(static_cast<int>(setting.minimum), static_cast<int>(setting.maximum));
            return spin;
        }
        break; // a range wider than int: a text field like the numbers
    case mri::SettingType::Real:
        break;
    }
    auto *edit = new QLineEdit(parent);
    // The field is looked up when its text changes: m_fields holds it by then.
    connect(edit, &QLineEdit::textChanged, this, [this, edit] {
        for (const auto &field : m_fields) {
            if (field.editor == edit)
                markText(field);
        }
    });
    return edit;
}

QString SettingsForm::editorName(const mri::SettingDescription &setting)
{
    return QStringLiteral("setting_") + QString::fromStdString(setting.key);
}

QString SettingsForm::label(const mri::SettingDescription &setting)
{
    return QCoreApplication::translate(kTableContext, setting.label.c_str());
}

QString SettingsForm::help(const mri::SettingDescription &setting)
{
    return QCoreApplication::translate(kTableContext, setting.help.c_str());
}

QString SettingsForm::toolTipFor(const mri::SettingDescription &setting)
{
    QStringList lines{help(setting)};
    switch (setting.type) {
    case mri::SettingType::Integer:
    case mri::SettingType::Real:
        lines << tr("From %1 to %2.")
                     .arg(settingText(setting, boundValue(setting, setting.minimum)),
                          settingText(setting, boundValue(setting, setting.maximum)));
        break;
    case mri::SettingType::Choice: {
        QStringList choices;
        for (const auto &choice : setting.choices)
            choices << QString::fromStdString(choice);
        lines << tr("One of: %1.").arg(choices.join(QStringLiteral(", ")));
        break;
    }
    case mri::SettingType::Boolean:
        break;
    }
    lines << tr("Default: %1.").arg(settingText(setting, mri::defaultSettingValue(setting)));
    return lines.join(QLatin1Char('\n'));
}

mri::SettingValue SettingsForm::read(const Field &field, QString *error) const
{
    const auto &setting = *field.setting;
    if (auto *check = qobject_cast<QCheckBox *>(field.editor))
        return check->isChecked();
    if (auto *combo = qobject_cast<QComboBox *>(field.editor))
        return combo->currentData().toString().toStdString();
    if (auto *spin = qobject_cast<QSpinBox *>(field.editor))
        return static_cast<long long>(spin->value());
    try {
        return parseText(setting, static_cast<QLineEdit *>(field.editor)->text());
    } catch (const mri::EngineError &e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return setting.get(m_base);
    }
}

void SettingsForm::write(const Field &field, const mri::SettingValue &value)
{
    if (auto *check = qobject_cast<QCheckBox *>(field.editor))
        check->setChecked(std::get<bool>(value));
    else if (auto *combo = qobject_cast<QComboBox *>(field.editor))
        combo->setCurrentIndex(std::max(0, combo->findData(QString::fromStdString(std::get<std::string>(value)))));
    else if (auto *spin = qobject_cast<QSpinBox *>(field.editor))
        spin->setValue(static_cast<int>(std::get<long long>(value)));
    else
        static_cast<QLineEdit *>(field.editor)->setText(settingText(*field.setting, value));
}

void SettingsForm::markText(const Field &field)
{
    QString error;
    read(field, &error);
    field.editor->setStyleSheet(error.isEmpty() ? QString() : QString::fromLatin1(kInvalidStyle));
    field.editor->setToolTip(error.isEmpty() ? field.toolTip : error + QStringLiteral("\n\n") + field.toolTip);
}

mri::TrainingOptions SettingsForm::options() const
{
    mri::TrainingOptions options = m_base;
    for (const auto &field : m_fields)
        field.setting->set(options, read(field, nullptr));
    return options;
}

void SettingsForm::setOptions(const mri::TrainingOptions &options)
{
    m_base = options;
    for (const auto &field : m_fields)
        write(field, field.setting->get(options));
}

void SettingsForm::restoreDefaults()
{
    setOptions(mri::TrainingOptions{});
}

const SettingsForm::Field *SettingsForm::firstInvalidField(QString *error) const
{
    for (const auto &field : m_fields) {
        read(field, error);
        if (!error->isEmpty())
            return &field;
    }
    return nullptr;
}

QString SettingsForm::error() const
{
    QString error;
    firstInvalidField(&error);
    return error;
}

void SettingsForm::showFirstInvalidField()
{
    QString error;
    const Field *field = firstInvalidField(&error);
    if (!field)
        return;
    if (!field->setting->basic)
        setAdvancedShown(true);
    field->editor->setFocus();
}

QWidget *SettingsForm::editor(const std::string &key) const
{
    for (const auto &field : m_fields) {
        if (field.setting->key == key)
            return field.editor;
    }
    return nullptr;
}

bool SettingsForm::isAdvancedShown() const
{
    return m_advancedToggle->isChecked();
}

void SettingsForm::setAdvancedShown(bool shown)
{
    m_advancedToggle->setChecked(shown);
}

QStringList SettingsForm::describe(const mri::TrainingOptions &options)
{
    QStringList lines;
    for (const auto &setting : mri::trainingSettings())
        lines << tr("%1: %2").arg(label(setting), settingText(setting, setting.get(options)));
    return lines;
}

} // namespace studio
