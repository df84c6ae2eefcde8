// SPDX-License-Identifier: Apache-2.0
// Standard output as a result channel: a full disk (> /dev/full) or a closed pipe (| head) is noticed, not ignored.
#pragma once
#include <string>

namespace amlz::cli {

// Flushes stdout; returns 0, or the errno of the write that failed (EPIPE: the reader has gone).
int flush_stdout();

// Writes one line to stdout unless an earlier write failed; returns false once stdout is unusable. A closed pipe
// asks the command to stop (StopSignals::stop_for_output); so does any other failure, reported when it ends.
bool print_line(const std::string& text);

}  // namespace amlz::cli
