// The GUI's editors of the table of enhance settings (ui/ContrastPanel.cpp):
// one per entry marked `gui`, none for the others, each starting at the
// table's default and setting its field through the table. Loops over the
// whole table, so an entry added later is covered without editing this file.

#include "enhance/EnhanceSettings.h"
#include "ContrastPanel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QtTest>

using namespace mri;
using studio::ContrastPanel;

Q_DECLARE_METATYPE(mri::EnhanceOptions)

class TestGuiEnhanceSettings final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { qRegisterMetaType<mri::EnhanceOptions>(); }
    void editorsFollowTheTable();
    void anEditorSetsItsField();
};

void TestGuiEnhanceSettings::editorsFollowTheTable()
{
    ContrastPanel panel;
    EnhanceOptions options;
    options.tileSize = 123; // not an entry the panel shows: left alone
    panel.applySettings(options);
    for (const auto &setting : enhanceSettings()) {
        QWidget *editor = panel.settingEditor(setting.key);
        QCOMPARE(editor != nullptr, setting.gui);
        if (!editor)
            continue;
        QCOMPARE(editor->objectName(), QStringLiteral("enhance_") + QString::fromStdString(setting.key));
        QVERIFY2(editor->toolTip().contains(QString::fromStdString(describeSettingRange(setting))), setting.key.c_str());
        QVERIFY2(setting.get(options) == defaultSettingValue(setting), setting.key.c_str());
    }
    if (!enhanceSetting("tile").gui)
        QCOMPARE(options.tileSize, 123);
}

// Each editor moved to another valid value: settingsChanged carries it in its field.
void TestGuiEnhanceSettings::anEditorSetsItsField()
{
    ContrastPanel panel;
    QSignalSpy changed(&panel, &ContrastPanel::settingsChanged);
    for (const auto &setting : enhanceSettings()) {
        QWidget *editor = panel.settingEditor(setting.key);
        if (!editor)
            continue;
        changed.clear();
        if (auto *box = qobject_cast<QCheckBox *>(editor))
            box->setChecked(!box->isChecked());
        else if (auto *spin = qobject_cast<QSpinBox *>(editor))
            spin->setValue(spin->maximum());
        else if (auto *real = qobject_cast<QDoubleSpinBox *>(editor))
            real->setValue(real->maximum());
        else if (auto *combo = qobject_cast<QComboBox *>(editor))
            combo->setCurrentIndex((combo->currentIndex() + 1) % combo->count());
        else if (auto *edit = qobject_cast<QLineEdit *>(editor)) {
            edit->setText(QStringLiteral("gamma:0.8")); // the one form-read entry, the contrast step
            emit edit->editingFinished();
        }
        QCOMPARE(changed.count(), 1);
        const auto settings = changed.takeFirst().at(0).value<EnhanceOptions>();
        QVERIFY2(!(setting.get(settings) == defaultSettingValue(setting)), setting.key.c_str());
        EnhanceOptions applied;
        panel.applySettings(applied);
        QVERIFY2(setting.get(applied) == setting.get(settings), setting.key.c_str());
    }
}

QTEST_MAIN(TestGuiEnhanceSettings)
#include "tst_gui_enhancesettings.moc"
