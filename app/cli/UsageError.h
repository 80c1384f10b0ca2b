#pragma once

#include <stdexcept>

namespace mri::cli {

// A bad command line: one sentence for stderr, exit status 2.
class UsageError final : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

} // namespace mri::cli
