// GUI tests of the training form, which is generated from the engine's table
// of settings (mri::trainingSettings()): every setting of the table has exactly
// one editor, in the main group when it is basic and in "Advanced" otherwise;
// every value goes through the form and back, by setOptions()/options() and by
// the editor itself; a text that is not a valid value is refused with the
// engine's sentence, and Start refuses it too. Values come from the table
// (inside the range, not the default), so a setting the form forgets, or an
// editor whose range is narrower than the table's, fails here.

#include "base/EngineError.h"
#include "model/TrainingSettings.h"
#include "GuiTestSupport.h"
#include "MainWindow.h"
#include "SettingsForm.h"
#include "StudioActions.h"
#include "StudioSession.h"
#include "TestDatasets.h"
#include "TrainingPanel.h"

#include <QAbstractButton>
#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QToolButton>
#include <QtTest>

#include <algorithm>
#include <vector>

using namespace studio;

namespace {

QString editorName(const mri::SettingDescription &setting)
{
    return QStringLiteral("setting_") + QString::fromStdString(setting.key);
}

QString text(const mri::SettingDescription &setting, const mri::SettingValue &value)
{
    return QString::fromStdString(mri::formatSettingValue(setting, value));
}

bool isValid(const mri::SettingDescription &setting, const mri::SettingValue &value)
{
    try {
        mri::checkSettingValue(setting, value);
        return true;
    } catch (const mri::EngineError &) {
        return false;
    }
}

// Valid values of `setting` other than its default, from its range or choices:
// next to the default, both ends of the range and its middle.
std::vector<mri::SettingValue> otherValues(const mri::SettingDescription &setting)
{
    const auto defaultValue = mri::defaultSettingValue(setting);
    std::vector<mri::SettingValue> candidates;
    switch (setting.type) {
    case mri::SettingType::Integer: {
        const long long value = std::get<long long>(defaultValue);
        const auto low = static_cast<long long>(setting.minimum);
        const auto high = static_cast<long long>(setting.maximum);
        candidates = {value + 1, value - 1, low, high, low + (high - low) / 2};
        break;
    }
    case mri::SettingType::Real: {
        const double value = std::get<double>(defaultValue);
        candidates = {value * 1.5, (value + setting.maximum) / 2, setting.minimum, setting.maximum,
                      (setting.minimum + setting.maximum) / 2};
        break;
    }
    case mri::SettingType::Boolean:
        candidates = {!std::get<bool>(defaultValue)};
        break;
    case mri::SettingType::Choice:
        for (const auto &choice : setting.choices)
            candidates.emplace_back(choice);
        break;
    }
    std::vector<mri::SettingValue> values;
    for (const auto &candidate : candidates) {
        if (candidate != defaultValue && isValid(setting, candidate)
            && std::find(values.begin(), values.end(), candidate) == values.end())
            values.push_back(candidate);
    }
    return values;
}

// Sets `editor` as a user would, to `value`; false when the editor cannot show it.
bool setEditor(QWidget *editor, const mri::SettingDescription &setting, const mri::SettingValue &value)
{
    if (auto *spin = qobject_cast<QSpinBox *>(editor)) {
        spin->setValue(static_cast<int>(std::get<long long>(value)));
        return spin->value() == std::get<long long>(value); // a narrower range clamps
    }
    if (auto *edit = qobject_cast<QLineEdit *>(editor)) {
        edit->clear();
        QTest::keyClicks(edit, text(setting, value));
        return true;
    }
    if (auto *check = qobject_cast<QCheckBox *>(editor)) {
        if (check->isChecked() != std::get<bool>(value))
            check->click();
        return check->isChecked() == std::get<bool>(value);
    }
    if (auto *combo = qobject_cast<QComboBox *>(editor)) {
        const int index = combo->findText(QString::fromStdString(std::get<std::string>(value)));
        combo->setCurrentIndex(index);
        return index >= 0;
    }
    return false;
}

QString engineSentence(const mri::SettingDescription &setting, const QString &text)
{
    try {
        mri::parseSettingValue(setting, text.toStdString());
    } catch (const mri::EngineError &error) {
        return QString::fromStdString(error.what());
    }
    return {};
}

} // namespace

class TestGuiSettings final : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void everySettingHasOneEditor();
    void editorsShowTheTable();
    void advancedIsCollapsedAtFirst();
    void valuesGoThroughSetOptions_data();
    void valuesGoThroughSetOptions();
    void valuesGoThroughTheEditor_data();
    void valuesGoThroughTheEditor();
    void scientificNotationIsRead();
    void invalidTextIsRefused_data();
    void invalidTextIsRefused();
    void restoreDefaultsShowsTheEngineDefaults();
    void startRefusesAnInvalidField();

private:
    QTemporaryDir m_dir;
};

void TestGuiSettings::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(!mri::trainingSettings().empty());
}

void TestGuiSettings::everySettingHasOneEditor()
{
    SettingsForm form;
    int editors = 0;
    for (auto *widget : form.findChildren<QWidget *>()) {
        if (widget->objectName().startsWith(QStringLiteral("setting_")))
            ++editors;
    }
    QCOMPARE(editors, static_cast<int>(mri::trainingSettings().size()));
    for (const auto &setting : mri::trainingSettings()) {
        const auto found = form.findChildren<QWidget *>(editorName(setting));
        QVERIFY2(found.size() == 1, setting.key.c_str());
        QCOMPARE(form.editor(setting.key), found.first());
        QGroupBox *group = setting.basic ? form.basicGroup() : form.advancedGroup();
        QGroupBox *other = setting.basic ? form.advancedGroup() : form.basicGroup();
        QVERIFY2(group->isAncestorOf(found.first()), setting.key.c_str());
        QVERIFY2(!other->isAncestorOf(found.first()), setting.key.c_str());
    }
    QVERIFY(!form.editor("no_such_setting"));
}

void TestGuiSettings::editorsShowTheTable()
{
    SettingsForm form;
    for (const auto &setting : mri::trainingSettings()) {
        QWidget *editor = form.editor(setting.key);
        QVERIFY2(editor, setting.key.c_str());
        // Label and help from the table (no translator installed: English).
        auto *group = setting.basic ? form.basicGroup() : form.advancedGroup();
        auto *layout = qobject_cast<QFormLayout *>(group->layout());
        QVERIFY(layout);
        auto *label = qobject_cast<QLabel *>(layout->labelForField(editor));
        QVERIFY2(label, setting.key.c_str());
        QVERIFY2(label->text().contains(QString::fromStdString(setting.label)), setting.key.c_str());
        QVERIFY2(editor->toolTip().contains(QString::fromStdString(setting.help)), setting.key.c_str());
        // The editor's kind follows the setting's type; a spin box has the table's range.
        switch (setting.type) {
        case mri::SettingType::Integer:
            if (auto *spin = qobject_cast<QSpinBox *>(editor)) {
                QCOMPARE(spin->minimum(), static_cast<int>(setting.minimum));
                QCOMPARE(spin->maximum(), static_cast<int>(setting.maximum));
            } else {
                QVERIFY2(qobject_cast<QLineEdit *>(editor), setting.key.c_str());
                QVERIFY(setting.maximum > std::numeric_limits<int>::max());
            }
            QVERIFY(editor->toolTip().contains(text(setting, static_cast<long long>(setting.maximum))));
            break;
        case mri::SettingType::Real:
            QVERIFY2(qobject_cast<QLineEdit *>(editor), setting.key.c_str());
            QVERIFY(editor->toolTip().contains(text(setting, setting.maximum)));
            break;
        case mri::SettingType::Boolean:
            QVERIFY2(qobject_cast<QCheckBox *>(editor), setting.key.c_str());
            break;
        case mri::SettingType::Choice: {
            auto *combo = qobject_cast<QComboBox *>(editor);
            QVERIFY2(combo, setting.key.c_str());
            QCOMPARE(combo->count(), static_cast<int>(setting.choices.size()));
            break;
        }
        }
        // The default is mentioned, as the engine writes it.
        QVERIFY2(editor->toolTip().contains(text(setting, mri::defaultSettingValue(setting))), setting.key.c_str());
    }
}

void TestGuiSettings::advancedIsCollapsedAtFirst()
{
    SettingsForm form;
    form.show();
    QVERIFY(QTest::qWaitForWindowExposed(&form));
    QVERIFY(form.basicGroup()->isVisible());
    QVERIFY(!form.isAdvancedShown());
    QVERIFY(!form.advancedGroup()->isVisible());
    auto *toggle = form.findChild<QToolButton *>(QStringLiteral("advancedSettingsToggle"));
    QVERIFY(toggle);
    QTest::mouseClick(toggle, Qt::LeftButton);
    QVERIFY(form.isAdvancedShown());
    QVERIFY(form.advancedGroup()->isVisible());
    test::saveReviewShot(form, QStringLiteral("settings-advanced"));
    QTest::mouseClick(toggle, Qt::LeftButton);
    QVERIFY(!form.advancedGroup()->isVisible());
}

void TestGuiSettings::valuesGoThroughSetOptions_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    for (const auto &setting : mri::trainingSettings()) {
        const auto values = otherValues(setting);
        // Every setting can take a value other than its default.
        QVERIFY2(!values.empty(), setting.key.c_str());
        for (const auto &value : values) {
            const QString shown = text(setting, value);
            QTest::addRow("%s=%s", setting.key.c_str(), qPrintable(shown)) << QString::fromStdString(setting.key) << shown;
        }
    }
}

void TestGuiSettings::valuesGoThroughSetOptions()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    const auto &setting = mri::trainingSetting(key.toStdString());
    const auto expected = mri::parseSettingValue(setting, value.toStdString());
    mri::TrainingOptions options;
    setting.set(options, expected);

    SettingsForm form;
    form.setOptions(options);
    QCOMPARE(form.error(), QString());
    const auto shown = form.options();
    QVERIFY(setting.get(shown) == expected);
    // Nothing else moved.
    for (const auto &other : mri::trainingSettings())
        QVERIFY2(other.get(shown) == other.get(options), other.key.c_str());
}

void TestGuiSettings::valuesGoThroughTheEditor_data()
{
    valuesGoThroughSetOptions_data();
}

void TestGuiSettings::valuesGoThroughTheEditor()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    const auto &setting = mri::trainingSetting(key.toStdString());
    const auto expected = mri::parseSettingValue(setting, value.toStdString());

    SettingsForm form;
    auto *editor = form.findChild<QWidget *>(editorName(setting));
    QVERIFY(editor);
    QVERIFY2(setEditor(editor, setting, expected), qPrintable(value));
    QCOMPARE(form.error(), QString());
    const auto shown = form.options();
    QVERIFY(setting.get(shown) == expected);
    for (const auto &other : mri::trainingSettings()) {
        if (other.key != setting.key)
            QVERIFY2(other.get(shown) == mri::defaultSettingValue(other), other.key.c_str());
    }
}

void TestGuiSettings::scientificNotationIsRead()
{
    SettingsForm form;
    int checked = 0;
    for (const auto &setting : mri::trainingSettings()) {
        if (setting.type != mri::SettingType::Real)
            continue;
        auto *edit = qobject_cast<QLineEdit *>(form.editor(setting.key));
        QVERIFY(edit);
        for (const double value : {setting.minimum, setting.maximum, (setting.minimum + setting.maximum) / 3}) {
            const QString scientific = QString::number(value, 'e', 3);
            edit->clear();
            QTest::keyClicks(edit, scientific);
            QVERIFY2(form.error().isEmpty(), qPrintable(form.error()));
            QVERIFY2(setting.get(form.options()) == mri::parseSettingValue(setting, scientific.toStdString()),
                     qPrintable(scientific));
            ++checked;
        }
    }
    QVERIFY(checked > 0);
}

void TestGuiSettings::invalidTextIsRefused_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("typed");
    SettingsForm form;
    for (const auto &setting : mri::trainingSettings()) {
        if (!qobject_cast<QLineEdit *>(form.editor(setting.key)))
            continue;
        QStringList texts{QStringLiteral("not a number"), QString()};
        if (setting.type == mri::SettingType::Integer) {
            texts << QString::number(static_cast<long long>(setting.maximum)) + QStringLiteral("0")
                  << QString::number(static_cast<long long>(setting.minimum) - 1);
        } else {
            texts << text(setting, setting.maximum * 2 + 1) << text(setting, setting.minimum - 1);
        }
        for (const auto &typed : texts)
            QTest::addRow("%s='%s'", setting.key.c_str(), qPrintable(typed)) << QString::fromStdString(setting.key) << typed;
    }
}

void TestGuiSettings::invalidTextIsRefused()
{
    QFETCH(QString, key);
    QFETCH(QString, typed);
    const auto &setting = mri::trainingSetting(key.toStdString());
    const QString sentence = engineSentence(setting, typed);
    QVERIFY2(!sentence.isEmpty(), "the engine accepts this text");

    SettingsForm form;
    auto *edit = qobject_cast<QLineEdit *>(form.editor(setting.key));
    QVERIFY(edit);
    edit->clear();
    QTest::keyClicks(edit, typed);
    QCOMPARE(form.error(), sentence);
    QVERIFY(edit->toolTip().startsWith(sentence));
    QVERIFY(!edit->styleSheet().isEmpty()); // red frame
    // The value stays what it was; nothing out of range reaches the options.
    QVERIFY(setting.get(form.options()) == mri::defaultSettingValue(setting));

    // A valid text clears the mark.
    edit->clear();
    QTest::keyClicks(edit, text(setting, mri::defaultSettingValue(setting)));
    QCOMPARE(form.error(), QString());
    QVERIFY(edit->styleSheet().isEmpty());
    QVERIFY(!edit->toolTip().startsWith(sentence));
}

void TestGuiSettings::restoreDefaultsShowsTheEngineDefaults()
{
    MainWindow window;
    auto *panel = window.trainingPanel();
    mri::TrainingOptions changed;
    for (const auto &setting : mri::trainingSettings())
        setting.set(changed, otherValues(setting).front());
    panel->setOptions(changed);
    for (const auto &setting : mri::trainingSettings())
        QVERIFY2(setting.get(panel->options()) != mri::defaultSettingValue(setting), setting.key.c_str());

    auto *restore = window.findChild<QAbstractButton *>(QStringLiteral("restoreDefaultsButton"));
    QVERIFY(restore);
    QTest::mouseClick(restore, Qt::LeftButton);
    const auto shown = panel->options();
    for (const auto &setting : mri::trainingSettings())
        QVERIFY2(setting.get(shown) == mri::defaultSettingValue(setting), setting.key.c_str());
}

void TestGuiSettings::startRefusesAnInvalidField()
{
    MainWindow window;
    test::showAndOpen(window, [this] {
        const QString folder = m_dir.filePath(QStringLiteral("dataset"));
        mri::test::writeSyntheticDataset(folder, 6, 32, 32);
        return folder;
    }());
    if (QTest::currentTestFailed())
        return;
    window.showTab(QStringLiteral("training"));
    auto *form = window.trainingPanel()->settingsForm();
    auto *start = window.findChild<QAbstractButton *>(QStringLiteral("startTrainingButton"));
    QVERIFY(start->isEnabled());

    // An advanced real-valued setting out of range: Start refuses with the
    // engine's sentence and opens the Advanced group to show the field.
    const auto advanced = std::find_if(mri::trainingSettings().begin(), mri::trainingSettings().end(), [](const auto &s) {
        return !s.basic && s.type == mri::SettingType::Real;
    });
    QVERIFY(advanced != mri::trainingSettings().end());
    const QString typed = text(*advanced, advanced->maximum * 2 + 1);
    auto *edit = qobject_cast<QLineEdit *>(form->editor(advanced->key));
    QVERIFY(edit);
    edit->setText(typed);
    QVERIFY(!form->isAdvancedShown());
    QTest::mouseClick(start, Qt::LeftButton);
    QVERIFY(!window.session()->isBusy());
    QCOMPARE(window.lastError(), engineSentence(*advanced, typed));
    QVERIFY(form->isAdvancedShown());

    // A basic one, with Start Training from the menu (the same action).
    edit->setText(text(*advanced, mri::defaultSettingValue(*advanced)));
    const auto &rate = mri::trainingSetting("learning_rate");
    form->editor(rate.key)->setProperty("text", QStringLiteral("5"));
    window.actions()->startTraining()->trigger();
    QVERIFY(!window.session()->isBusy());
    QCOMPARE(window.lastError(), engineSentence(rate, QStringLiteral("5")));
}

int main(int argc, char *argv[])
{
    return studio::test::runGuiTest<TestGuiSettings>(argc, argv, QStringLiteral("tst_gui_settings"));
}

#include "tst_gui_settings.moc"
