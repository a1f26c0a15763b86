// Helpers shared by the cron tests: literal times and zones.
#pragma once

#include <cctz/time_zone.h>
#include <gtest/gtest.h>

#include <string>

#include "cron/controller.h"
#include "cron/schedule.h"

namespace batchwatch::cron::testing {

inline UnixSeconds T(const std::string& rfc3339) {
  std::optional<UnixSeconds> t = ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.has_value()) << "bad test time " << rfc3339;
  return t.value_or(0);
}

inline cctz::time_zone Zone(const std::string& name) {
  cctz::time_zone z;
  EXPECT_TRUE(LoadTimeZone(name, &z, nullptr)) << "zone " << name << " missing (tzdata?)";
  return z;
}

inline Schedule MustParse(const std::string& spec) {
  std::string error;
  std::optional<Schedule> s = Schedule::Parse(spec, &error);
  EXPECT_TRUE(s.has_value()) << spec << ": " << error;
  return s.value_or(*Schedule::Parse("* * * * *", nullptr));
}

}  // namespace batchwatch::cron::testing
