#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mri {

// An RFC 4180 table: quoted fields may hold commas, quotes ("") and newlines;
// a UTF-8 BOM, CRLF line ends and blank trailing lines are accepted on input.
struct CsvTable
{
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows; // each row has header.size() fields
    std::vector<int> rowLines;                  // 1-based line in the source where each row starts

    // Case-insensitive, surrounding blanks ignored; -1 when absent.
    int columnIndex(std::string_view name) const;
};

// `sourceName` is used in error sentences (usually the file path).
// Throws EngineError for an empty file, an unterminated quote or a row with
// more fields than the header. Short rows are padded with empty fields.
CsvTable parseCsv(std::string_view text, const std::string &sourceName);
CsvTable readCsvFile(const std::filesystem::path &file);

// Quotes only the fields that need it; lines end with "\n".
std::string formatCsv(const CsvTable &table);
void writeCsvFileAtomically(const std::filesystem::path &file, const CsvTable &table);

} // namespace mri
