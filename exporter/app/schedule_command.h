// `batchwatch schedule ...`: prints the slots of a cron schedule, or what the CronJob controller
// would decide at a given instant. Thin wrapper over the pure cron library.
#pragma once

#include <ostream>

namespace batchwatch::app {

// argv[0] is "schedule". Returns the process exit code: 0 on success, 2 on a bad schedule, zone
// or flag (message on `err`). Output goes to `out` only.
int RunScheduleCommand(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace batchwatch::app
