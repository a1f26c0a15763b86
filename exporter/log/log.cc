#include "log/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "text/json_string.h"

namespace batchwatch::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::atomic<int> g_format{static_cast<int>(Format::kText)};
std::mutex g_write_mu;

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

std::string Timestamp(long long unix_millis) {
  std::time_t secs = static_cast<std::time_t>(unix_millis / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, unix_millis % 1000);
  return buf;
}

using text::AppendJsonString;

void AppendLogfmtValue(std::string* out, std::string_view s) {
  bool quote = s.empty();
  for (char c : s) {
    if (c == ' ' || c == '=' || c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      quote = true;
      break;
    }
  }
  if (!quote) {
    out->append(s);
    return;
  }
  AppendJsonString(out, s);  // logfmt quoting follows the same escapes
}

}  // namespace

void SetLevel(Level level) { g_level = static_cast<int>(level); }
void SetFormat(Format format) { g_format = static_cast<int>(format); }
bool Enabled(Level level) { return static_cast<int>(level) >= g_level.load(); }

bool ParseLevel(std::string_view s, Level* out) {
  if (s == "debug")
    *out = Level::kDebug;
  else if (s == "info")
    *out = Level::kInfo;
  else if (s == "warn" || s == "warning")
    *out = Level::kWarn;
  else if (s == "error")
    *out = Level::kError;
  else
    return false;
  return true;
}

bool ParseFormat(std::string_view s, Format* out) {
  if (s == "text" || s == "logfmt")
    *out = Format::kText;
  else if (s == "json")
    *out = Format::kJson;
  else
    return false;
  return true;
}

std::string FormatLine(Format format, Level level, std::string_view msg,
                       std::initializer_list<Field> fields, long long unix_millis) {
  std::string line;
  line.reserve(128);
  if (format == Format::kJson) {
    line.append("{\"ts\":\"").append(Timestamp(unix_millis)).append("\",\"level\":\"");
    line.append(LevelName(level)).append("\",\"msg\":");
    AppendJsonString(&line, msg);
    for (const auto& [key, value] : fields) {
      line.push_back(',');
      AppendJsonString(&line, key);
      line.push_back(':');
      AppendJsonString(&line, value);
    }
    line.push_back('}');
  } else {
    line.append("ts=").append(Timestamp(unix_millis)).append(" level=").append(LevelName(level));
    line.append(" msg=");
    AppendLogfmtValue(&line, msg);
    for (const auto& [key, value] : fields) {
      line.push_back(' ');
      line.append(key);
      line.push_back('=');
      AppendLogfmtValue(&line, value);
    }
  }
  line.push_back('\n');
  return line;
}

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  long long now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  std::string line = FormatLine(static_cast<Format>(g_format.load()), level, msg, fields, now_ms);
  std::lock_guard<std::mutex> lock(g_write_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace batchwatch::log
