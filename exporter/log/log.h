// Structured logging: one line per event, logfmt ("text") or JSON, UTC timestamps.
// Usage: BW_LOG_INFO("watch opened", {{"resource", "jobs"}, {"rv", rv}});
// Never pass credentials (tokens, keys, Authorization headers) as fields.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace batchwatch::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class Format { kText, kJson };

using Field = std::pair<std::string_view, std::string>;

void SetLevel(Level level);
void SetFormat(Format format);
bool ParseLevel(std::string_view s, Level* out);
bool ParseFormat(std::string_view s, Format* out);
bool Enabled(Level level);

// Writes one line to stderr (thread-safe).
void Write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});

// Formats one line without writing it (tests).
std::string FormatLine(Format format, Level level, std::string_view msg,
                       std::initializer_list<Field> fields, long long unix_millis);

}  // namespace batchwatch::log

#define BW_LOG_DEBUG(...)                                                      \
  do {                                                                         \
    if (::batchwatch::log::Enabled(::batchwatch::log::Level::kDebug))          \
      ::batchwatch::log::Write(::batchwatch::log::Level::kDebug, __VA_ARGS__); \
  } while (0)
#define BW_LOG_INFO(...) ::batchwatch::log::Write(::batchwatch::log::Level::kInfo, __VA_ARGS__)
#define BW_LOG_WARN(...) ::batchwatch::log::Write(::batchwatch::log::Level::kWarn, __VA_ARGS__)
#define BW_LOG_ERROR(...) ::batchwatch::log::Write(::batchwatch::log::Level::kError, __VA_ARGS__)
