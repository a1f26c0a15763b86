// The system clock in the units of the vocabulary. Only the edges call it (the app's main loop,
// the watch loops' real environment, default clocks); the core takes time as an argument.
#pragma once

#include <chrono>

#include "batch/objects.h"

namespace batchwatch::batch {

// Whole Unix seconds, as Kubernetes timestamps are.
inline UnixSeconds WallClockSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Unix seconds with fractions (last-event timestamps, rate limits).
inline double WallClockSecondsFractional() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace batchwatch::batch
