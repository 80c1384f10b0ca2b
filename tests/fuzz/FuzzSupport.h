#pragma once

// Shared by the fuzz targets: the libFuzzer entry point, and the one check
// every target makes: anything but a finding aborts, so libFuzzer (or the
// corpus replay of the test suite) reports it with the input that caused it.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);

// An oracle: a property of the reader's result that must hold for every input.
#define FUZZ_CHECK(condition)                                                                      \
    do {                                                                                          \
        if (!(condition)) {                                                                       \
            std::printf("%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #condition);         \
            std::fflush(stdout);                                                                  \
            std::abort();                                                                         \
        }                                                                                         \
    } while (false)
