#pragma once

#include "model/TrainingSettings.h"

#include <QString>
#include <QWidget>

#include <string>
#include <vector>

class QGroupBox;
class QToolButton;

namespace studio {

// The engine's training settings as a form, generated from
// mri::trainingSettings(): one editor per setting (object name
// "setting_<key>"), the basic ones in "Training options", the others in a
// collapsible "Advanced" group. Labels, help, ranges and defaults all come
// from the table, so a new setting appears here without a change to ui/.
class SettingsForm final : public QWidget
{
    Q_OBJECT

public:
    explicit SettingsForm(QWidget *parent = nullptr);

    // Every setting read from its editor through setting.set, on top of the
    // options last given to setOptions() (model file, resume). A text that is
    // not a valid value leaves that setting as it was: error() says why.
    mri::TrainingOptions options() const;
    // Every editor written from `options` through setting.get.
    void setOptions(const mri::TrainingOptions &options);
    void restoreDefaults();

    // The engine's sentence for the first editor whose text is not a valid
    // value of its setting; empty when every editor holds a valid value.
    QString error() const;
    // Opens the Advanced group when that field is there, and focuses it.
    void showFirstInvalidField();

    QWidget *editor(const std::string &key) const; // nullptr for an unknown key
    static QString editorName(const mri::SettingDescription &setting);
    QGroupBox *basicGroup() const { return m_basicGroup; }
    QGroupBox *advancedGroup() const { return m_advancedGroup; }
    bool isAdvancedShown() const;
    void setAdvancedShown(bool shown);

    // The label and help of a setting in the user's language.
    static QString label(const mri::SettingDescription &setting);
    static QString help(const mri::SettingDescription &setting);
    // "Label: value" for every setting of the table, in its order.
    static QStringList describe(const mri::TrainingOptions &options);

private:
    struct Field
    {
        const mri::SettingDescription *setting = nullptr;
        QWidget *editor = nullptr;
        QString toolTip;
    };

    QWidget *createEditor(const mri::SettingDescription &setting, QWidget *parent);
    // The editor's value, or the engine's sentence in `error` when its text is not valid.
    mri::SettingValue read(const Field &field, QString *error) const;
    void write(const Field &field, const mri::SettingValue &value);
    void markText(const Field &field);
    const Field *firstInvalidField(QString *error) const;
    static QString toolTipFor(const mri::SettingDescription &setting);

    std::vector<Field> m_fields;
    mri::TrainingOptions m_base;
    QGroupBox *m_basicGroup = nullptr;
    QGroupBox *m_advancedGroup = nullptr;
    QToolButton *m_advancedToggle = nullptr;
};

} // namespace studio
