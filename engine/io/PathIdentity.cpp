#include "io/PathIdentity.h"

#include <algorithm>
#include <fstream>

namespace fs = std::filesystem;

namespace mri {

fs::path resolvedPath(const fs::path &path)
{
    std::error_code error;
    const auto absolute = fs::absolute(path, error);
    if (error)
        return path.lexically_normal();
    auto canonical = fs::weakly_canonical(absolute, error);
    return error ? absolute.lexically_normal() : canonical;
}

bool samePath(const fs::path &a, const fs::path &b)
{
    return !a.empty() && !b.empty() && resolvedPath(a) == resolvedPath(b);
}

bool hasDicomPreamble(const fs::path &file)
{
    std::ifstream in(file, std::ios::binary);
    char head[132] = {};
    return in.read(head, sizeof head) && std::equal(head + 128, head + 132, "DICM");
}

} // namespace mri
