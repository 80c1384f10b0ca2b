#include "base/Version.h"

namespace mri {

const char *programVersion()
{
    return MRI_VERSION;
}

} // namespace mri
