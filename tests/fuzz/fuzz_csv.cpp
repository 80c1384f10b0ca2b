// Fuzz target: the CSV reader (mri::parseCsv). Every input either parses or is
// refused with an EngineError; a table that parses survives formatCsv and
// parseCsv unchanged (the metrics CSV is written and read back that way).

#include "FuzzSupport.h"

#include "base/EngineError.h"
#include "io/CsvTable.h"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    mri::CsvTable table;
    try {
        table = mri::parseCsv(text, "fuzz.csv");
    } catch (const mri::EngineError &) {
        return 0;
    }
    FUZZ_CHECK(table.rows.size() == table.rowLines.size());
    for (std::size_t i = 0; i < table.rows.size(); ++i) {
        FUZZ_CHECK(table.rows[i].size() == table.header.size());
        FUZZ_CHECK(table.rowLines[i] >= 2 && (i == 0 || table.rowLines[i] > table.rowLines[i - 1]));
    }
    for (std::size_t i = 0; i < table.header.size(); ++i) {
        const int found = table.columnIndex(table.header[i]);
        FUZZ_CHECK(found >= 0 && found <= static_cast<int>(i));
    }

    const mri::CsvTable again = mri::parseCsv(mri::formatCsv(table), "fuzz-again.csv");
    FUZZ_CHECK(again.header == table.header);
    FUZZ_CHECK(again.rows == table.rows);
    return 0;
}
