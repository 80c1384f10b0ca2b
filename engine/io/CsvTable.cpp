#include "io/CsvTable.h"

#include "base/EngineError.h"
#include "io/AtomicFile.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

namespace fs = std::filesystem;

namespace mri {

namespace {

std::string_view trimmed(std::string_view text)
{
    const auto isBlank = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!text.empty() && isBlank(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && isBlank(text.back()))
        text.remove_suffix(1);
    return text;
}

bool equalsIgnoringCase(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    }
    return true;
}

std::string quotedName(const std::string &sourceName)
{
    return "'" + sourceName + "'";
}

std::string systemReason()
{
    std::string reason = std::strerror(errno);
    if (!reason.empty())
        reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
    return reason;
}

constexpr std::string_view kBom = "\xEF\xBB\xBF";

bool startsWithBom(std::string_view text)
{
    return text.substr(0, kBom.size()) == kBom;
}

struct Record
{
    std::vector<std::string> fields;
    int line = 0;
    bool blank = false; // nothing but spaces or tabs, no quotes, no commas
};

// Splits the text into records, tracking the physical line each starts on.
// CRLF, LF and a lone CR all end a line outside quotes; inside quotes they are
// kept verbatim as part of the field.
class Tokenizer final
{
public:
    Tokenizer(std::string_view text, const std::string &sourceName) : m_text(text), m_sourceName(sourceName) {}

    bool next(Record &record)
    {
        if (m_pos >= m_text.size())
            return false;
        record = Record{};
        record.line = m_line;
        bool sawSyntax = false;
        std::string field;
        while (true) {
            if (m_pos >= m_text.size()) {
                record.fields.push_back(std::move(field));
                break;
            }
            const char c = m_text[m_pos];
            if (c == '"' && field.empty()) {
                sawSyntax = true;
                readQuoted(field);
            } else if (c == ',') {
                sawSyntax = true;
                record.fields.push_back(std::move(field));
                field.clear();
                ++m_pos;
            } else if (c == '\r' || c == '\n') {
                skipLineEnd();
                record.fields.push_back(std::move(field));
                break;
            } else {
                field.push_back(c);
                ++m_pos;
            }
        }
        record.blank = !sawSyntax && record.fields.size() == 1 && trimmed(record.fields.front()).empty();
        return true;
    }

private:
    void skipLineEnd()
    {
        if (m_text[m_pos] == '\r' && m_pos + 1 < m_text.size() && m_text[m_pos + 1] == '\n')
            ++m_pos;
        ++m_pos;
        ++m_line;
    }

    // Reads "..." with "" as a quote; text after the closing quote up to the
    // next separator is appended as is (lenient, like most spreadsheet tools).
    void readQuoted(std::string &field)
    {
        const int startLine = m_line;
        ++m_pos;
        while (true) {
            if (m_pos >= m_text.size()) {
                throw EngineError("The quoted field that starts on line " + std::to_string(startLine) + " of "
                                  + quotedName(m_sourceName) + " has no closing quote.");
            }
            const char c = m_text[m_pos];
            if (c == '"') {
                if (m_pos + 1 < m_text.size() && m_text[m_pos + 1] == '"') {
                    field.push_back('"');
                    m_pos += 2;
                    continue;
                }
                ++m_pos;
                return;
            }
            if (c == '\n' || (c == '\r' && !(m_pos + 1 < m_text.size() && m_text[m_pos + 1] == '\n')))
                ++m_line;
            field.push_back(c);
            ++m_pos;
        }
    }

    std::string_view m_text;
    const std::string &m_sourceName;
    std::size_t m_pos = 0;
    int m_line = 1;
};

bool needsQuotes(const std::string &field)
{
    if (field.find_first_of(",\"\r\n") != std::string::npos)
        return true;
    // Bare at the start of the file it would be read as the file's BOM.
    if (startsWithBom(field))
        return true;
    return !field.empty() && (std::isspace(static_cast<unsigned char>(field.front()))
                              || std::isspace(static_cast<unsigned char>(field.back())));
}

void appendRecord(std::string &out, const std::vector<std::string> &fields)
{
    // A lone empty field would be an empty line, which parseCsv skips.
    if (fields.size() == 1 && fields.front().empty()) {
        out += "\"\"\n";
        return;
    }
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0)
            out.push_back(',');
        const std::string &field = fields[i];
        if (!needsQuotes(field)) {
            out += field;
            continue;
        }
        out.push_back('"');
        for (const char c : field) {
            if (c == '"')
                out.push_back('"');
            out.push_back(c);
        }
        out.push_back('"');
    }
    out.push_back('\n');
}

} // namespace

int CsvTable::columnIndex(std::string_view name) const
{
    const std::string_view wanted = trimmed(name);
    for (std::size_t i = 0; i < header.size(); ++i) {
        if (equalsIgnoringCase(trimmed(header[i]), wanted))
            return static_cast<int>(i);
    }
    return -1;
}

CsvTable parseCsv(std::string_view text, const std::string &sourceName)
{
    // Every leading BOM: a file re-saved by a tool that adds one may have two.
    while (startsWithBom(text))
        text.remove_prefix(kBom.size());

    CsvTable table;
    Tokenizer tokenizer(text, sourceName);
    Record record;
    bool haveHeader = false;
    while (tokenizer.next(record)) {
        // Blank lines carry no data; editors and exporters leave them behind.
        if (record.blank)
            continue;
        if (!haveHeader) {
            table.header = std::move(record.fields);
            haveHeader = true;
            continue;
        }
        if (record.fields.size() > table.header.size()) {
            throw EngineError("Row at line " + std::to_string(record.line) + " of " + quotedName(sourceName) + " has "
                              + std::to_string(record.fields.size()) + " fields but the header has "
                              + std::to_string(table.header.size()) + ".");
        }
        record.fields.resize(table.header.size());
        table.rows.push_back(std::move(record.fields));
        table.rowLines.push_back(record.line);
    }
    if (!haveHeader)
        throw EngineError("The CSV file " + quotedName(sourceName) + " is empty; it needs at least a header line.");
    return table;
}

CsvTable readCsvFile(const fs::path &file)
{
    const std::string name = file.string();
    std::error_code ec;
    const fs::file_status status = fs::status(file, ec);
    if (!fs::exists(status))
        throw EngineError("Cannot read '" + name + "': the file does not exist.");
    if (fs::is_directory(status))
        throw EngineError("Cannot read '" + name + "': it is a folder, not a CSV file.");

    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw EngineError("Cannot read '" + name + "': " + systemReason() + ".");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad())
        throw EngineError("Cannot read '" + name + "': a read error occurred.");
    return parseCsv(text, name);
}

std::string formatCsv(const CsvTable &table)
{
    std::string out;
    appendRecord(out, table.header);
    for (const auto &row : table.rows)
        appendRecord(out, row);
    return out;
}

void writeCsvFileAtomically(const fs::path &file, const CsvTable &table)
{
    writeFileAtomically(file, formatCsv(table));
}

} // namespace mri
