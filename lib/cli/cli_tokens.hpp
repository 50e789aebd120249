// Shorthands for hand-written cmdline tokens (DPDK 22.11 has no generator).
#pragma once

#include <cmdline_parse.h>
#include <cmdline_parse_string.h>

#include <cstddef>

// A fixed keyword (or '#'-separated choice) stored in S::field.
#define PMX_KEYWORD(S, field, words) TOKEN_STRING_INITIALIZER(S, field, words)
// Any single word stored in S::field.
#define PMX_WORD(S, field) TOKEN_STRING_INITIALIZER(S, field, nullptr)
