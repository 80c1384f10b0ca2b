#pragma once

// Marks a user-visible text of the engine for translation without Qt: lupdate
// knows it as an alias of QT_TRANSLATE_NOOP (ui/CMakeLists.txt), and the GUI
// translates it with QCoreApplication::translate(context, text). The engine
// itself writes the English text (CSV, command line).
#define MRI_TRANSLATE_NOOP(context, text) text
