// Entry point of the batchwatch binary: flags, wiring of client -> tracker -> HTTP, signals.
#pragma once

namespace batchwatch::app {

// Returns the process exit code: 0 clean shutdown, 1 runtime/startup error, 2 bad flags.
int Main(int argc, char** argv);

}  // namespace batchwatch::app
