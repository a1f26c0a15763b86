// Reading API objects the way their schema is written: one function per object level, one line
// per field. A level function is called once per field of the JSON object (each call of
// f.String / f.Int / ... reads the current field when its key matches) and once in reset mode
// (every call sets its target back to the default), so a duplicated key ends as nlohmann's
// parser leaves it: the last occurrence wins, for scalars and whole objects alike.
//
//   void JobSpec(Fields& f, Job* j) {
//     f.Int("activeDeadlineSeconds", &j->active_deadline_seconds);
//     f.Bool("suspend", &j->suspend);
//   }
//
// Underneath is simdjson On-Demand (stage 1 indexes and validates the whole text with SIMD;
// values are parsed only when read). What is checked where:
//   - the whole text: UTF-8, strings closed, no raw control characters in strings, brackets
//     balanced, nothing after the root value (a NUL byte ends the text and a leading BOM is
//     skipped, as in nlohmann);
//   - the objects and arrays a level function walks: their commas, colons and keys;
//   - every value at a key a level reads, and every element of an array it reads, also when
//     it has the wrong type or is ignored: fully, with nlohmann's rules (escapes and
//     surrogates, number grammar, integer vs float, literals; a wrong-typed container down to
//     64 levels).
//   Not checked: the grammar inside values nobody reads (managedFields, the pod template,
//   unknown keys, labels other than the group label): a bad number, literal, escape, comma or
//   bracket kind there is accepted.
//   The API server (Go's encoding/json) never writes such text, and such a defect cannot change
//   a value batchwatch reads: only the bracket count decides where a skipped value ends.
// Null is the same as absent. A wrong type is a Problem of the object (strict fields) or
// ignored (kLenient: fields that are only hints); either way the target keeps its default.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace batchwatch::kube::json {

using UnixSeconds = int64_t;

// Fields of one object that have a wrong type or a malformed value, by path.
class Problems {
 public:
  bool empty() const { return items_.empty(); }
  void Set(std::string path, std::string why);
  // Forgets `path` and everything below it (its key appeared again: the last one counts).
  void ClearUnder(std::string_view path);
  bool Has(std::string_view path) const;
  // "metadata.uid is not a string": the first problem recorded.
  std::string First() const;

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// One parse: the text and the first syntax error (which makes the whole text unusable).
struct Document {
  const char* end = nullptr;  // end of the input (before the padding)
  simdjson::error_code syntax = simdjson::SUCCESS;
  bool Fail(simdjson::error_code e) {
    if (e != simdjson::SUCCESS && syntax == simdjson::SUCCESS) syntax = e;
    return e != simdjson::SUCCESS;
  }
};

enum Strictness : uint8_t { kStrict, kLenient };

class Fields;

// One value handed to custom code: an array element, or the value of a key.
class Element {
 public:
  // Reads the value as an object with `level` (called per field, as for Fields::Object).
  // false when it is not an object (or on a syntax error). Problems go to `problems` when set
  // (paths then start at this object), else to the enclosing object's.
  template <typename Level>
  bool Object(Level&& level, Problems* problems = nullptr);

 private:
  friend class Fields;
  Element(Fields* parent, simdjson::ondemand::value* v) : parent_(parent), value_(v) {}
  Fields* parent_;
  simdjson::ondemand::value* value_;
};

class Fields {
 public:
  // Each call handles one field of the schema: in read mode it reads the current field when
  // its key is `key`; in reset mode it sets the target to its default.
  void String(std::string_view key, std::string* out, Strictness s = kStrict) {
    if (Wants(key)) ReadString(key, out, s);
  }
  void String(std::string_view key, std::optional<std::string>* out, Strictness s = kStrict) {
    if (Wants(key)) ReadString(key, out, s);
  }
  // Integers as nlohmann types them: a float (1.0, 1e2, or an integer beyond 64 bits) is not
  // one. An integer outside the target type (int32: 2147483648; int64: 9223372036854775808) is
  // a problem, "spec.completions 2147483648 is outside int32" (kLenient: the default), never
  // wrapped or clamped: the API server's own decoder (Go's encoding/json into int32 / int64
  // fields) rejects such a number, so the object did not come from it as written.
  void Int(std::string_view key, int32_t* out, Strictness s = kStrict) {
    if (Wants(key)) ReadInt(key, out, s);
  }
  void Int(std::string_view key, std::optional<int32_t>* out, Strictness s = kStrict) {
    if (Wants(key)) ReadInt(key, out, s);
  }
  void Int(std::string_view key, std::optional<int64_t>* out, Strictness s = kStrict) {
    if (Wants(key)) ReadInt(key, out, s);
  }
  void Bool(std::string_view key, bool* out, Strictness s = kStrict) {
    if (Wants(key)) ReadBool(key, out, s);
  }
  // An RFC 3339 string; "" is absent. kLenient: a malformed time is absent too.
  void Time(std::string_view key, std::optional<UnixSeconds>* out, Strictness s = kStrict) {
    if (Wants(key)) ReadTime(key, out, s);
  }
  void Time(std::string_view key, UnixSeconds* out, Strictness s = kStrict) {  // absent: 0
    if (Wants(key)) ReadTime(key, out, s);
  }
  // *out = (the value is the string `want`); anything else is false. Never a problem.
  void Equals(std::string_view key, std::string_view want, bool* out) {
    if (Wants(key)) ReadEquals(key, want, out);
  }

  // A nested object read by `level(Fields&)`; not an object: a problem (or ignored).
  template <typename Level>
  void Object(std::string_view key, Level&& level, Strictness s = kStrict);
  // An array: `element(Element&)` per element, `reset()` in reset mode and before the array is
  // read. Not an array: a problem (or ignored, kLenient; the elements' fields keep their own
  // strictness).
  template <typename OnElement, typename Reset>
  void Array(std::string_view key, OnElement&& element, Reset&& reset, Strictness s = kStrict);
  // Any value of `key` handed to `read(Element&)` (for values whose type decides what they
  // are); `reset()` as for Array.
  template <typename Read, typename Reset>
  void Value(std::string_view key, Read&& read, Reset&& reset);

  // The root of a document: reads the root object with `level`. false when the text is not
  // one JSON object; `problems` collects the fields' problems.
  template <typename Level>
  static bool ReadRoot(Document* doc, simdjson::ondemand::document& root, Problems* problems,
                       Level&& level);

 private:
  friend class Element;
  enum class Mode : uint8_t { kRead, kReset };

  Fields(Document* doc, Problems* problems, const Fields* parent, std::string_view key_in_parent,
         bool in_array, bool lenient, Mode mode)
      : doc_(doc),
        problems_(problems),
        parent_(parent),
        key_in_parent_(key_in_parent),
        in_array_(in_array),
        lenient_(lenient),
        mode_(mode) {}

  // Every call of a level function asks first, inline: most keys are not the current field.
  bool Wants(std::string_view key) const {
    return mode_ == Mode::kReset || (!handled_ && key == key_);
  }
  void ReadString(std::string_view key, std::string* out, Strictness s);
  void ReadString(std::string_view key, std::optional<std::string>* out, Strictness s);
  void ReadInt(std::string_view key, int32_t* out, Strictness s);
  void ReadBool(std::string_view key, bool* out, Strictness s);
  void ReadTime(std::string_view key, std::optional<UnixSeconds>* out, Strictness s);
  void ReadTime(std::string_view key, UnixSeconds* out, Strictness s);
  void ReadEquals(std::string_view key, std::string_view want, bool* out);
  // The value of `key` when it is the current field and not yet handled; nullptr otherwise.
  simdjson::ondemand::value* Take(std::string_view key);
  std::string Path(std::string_view key) const;
  void Problem(std::string_view key, Strictness s, std::string why);
  // Checks a value's syntax fully (a value read with a type it does not have).
  void Validate(simdjson::ondemand::value* v, simdjson::ondemand::json_type t);
  bool TypeOf(simdjson::ondemand::value* v, simdjson::ondemand::json_type* t);
  // Integer value at v: 1 = an integer (in *out), 2 = an integer above INT64_MAX (*out holds it
  // wrapped), 0 = another type (checked), -1 = syntax error. *token: the number's text.
  int Integer(simdjson::ondemand::value* v, int64_t* out, std::string_view* token);
  template <typename T>
  void ReadInt(std::string_view key, std::optional<T>* out, Strictness s);
  template <typename Level>
  void Walk(simdjson::ondemand::value* v, Level& level, Fields& child);
  bool NextKey(simdjson::ondemand::field& field, std::string_view* key);

  Document* doc_;
  Problems* problems_;
  const Fields* parent_;
  std::string_view key_in_parent_;
  bool in_array_;  // this object is an element of the array at key_in_parent_
  bool lenient_;
  Mode mode_;
  // Read mode: the current field.
  std::string_view key_;
  simdjson::ondemand::value* value_ = nullptr;
  bool handled_ = false;
  static constexpr int kMaxDepth = 64;
  int validate_depth_ = 0;
};

// ---- templates ------------------------------------------------------------------------------

template <typename Level>
void Fields::Walk(simdjson::ondemand::value* v, Level& level, Fields& child) {
  simdjson::ondemand::object obj;
  if (doc_->Fail(v->get_object().get(obj))) return;
  for (auto result : obj) {
    simdjson::ondemand::field field;
    if (doc_->Fail(std::move(result).get(field))) return;
    if (!NextKey(field, &child.key_)) return;
    child.value_ = &field.value();
    child.handled_ = false;
    level(child);
    if (doc_->syntax) return;
  }
}

template <typename Level>
void Fields::Object(std::string_view key, Level&& level, Strictness s) {
  if (!Wants(key)) return;
  Fields child(doc_, problems_, this, key, false, lenient_ || s == kLenient, Mode::kReset);
  if (mode_ == Mode::kReset) {
    level(child);
    return;
  }
  simdjson::ondemand::value* v = Take(key);
  if (v == nullptr) return;
  if (!problems_->empty()) problems_->ClearUnder(Path(key));
  level(child);  // the defaults: this occurrence replaces any earlier one
  simdjson::ondemand::json_type t;
  if (!TypeOf(v, &t) || t == simdjson::ondemand::json_type::null) return;
  if (t != simdjson::ondemand::json_type::object) {
    Validate(v, t);
    return Problem(key, s, " is not an object");
  }
  child.mode_ = Mode::kRead;
  Walk(v, level, child);
}

template <typename OnElement, typename Reset>
void Fields::Array(std::string_view key, OnElement&& element, Reset&& reset, Strictness s) {
  if (!Wants(key)) return;
  if (mode_ == Mode::kReset) return reset();
  simdjson::ondemand::value* v = Take(key);
  if (v == nullptr) return;
  if (!problems_->empty()) problems_->ClearUnder(Path(key));
  reset();
  simdjson::ondemand::json_type t;
  if (!TypeOf(v, &t) || t == simdjson::ondemand::json_type::null) return;
  if (t != simdjson::ondemand::json_type::array) {
    Validate(v, t);
    return Problem(key, s, " is not an array");
  }
  simdjson::ondemand::array arr;
  if (doc_->Fail(v->get_array().get(arr))) return;
  // Elements see this level as their parent, with the array's key: paths read "active[].uid".
  // `s` is only about the array's own type: its elements' fields say how strict they are.
  Fields at(doc_, problems_, this, key, true, lenient_, Mode::kRead);
  for (auto result : arr) {
    simdjson::ondemand::value ev;
    if (doc_->Fail(std::move(result).get(ev))) return;
    Element e(&at, &ev);
    element(e);
    if (doc_->syntax) return;
  }
}

template <typename Read, typename Reset>
void Fields::Value(std::string_view key, Read&& read, Reset&& reset) {
  if (!Wants(key)) return;
  if (mode_ == Mode::kReset) return reset();
  simdjson::ondemand::value* v = Take(key);
  if (v == nullptr) return;
  if (!problems_->empty()) problems_->ClearUnder(Path(key));
  reset();
  Fields at(doc_, problems_, this, key, false, lenient_, Mode::kRead);
  Element e(&at, v);
  read(e);
}

template <typename Level>
bool Element::Object(Level&& level, Problems* problems) {
  Fields& p = *parent_;
  simdjson::ondemand::json_type t;
  if (!p.TypeOf(value_, &t)) return false;
  if (t != simdjson::ondemand::json_type::object) {
    p.Validate(value_, t);
    return false;
  }
  Fields child(p.doc_, problems ? problems : p.problems_, problems ? nullptr : p.parent_,
               problems ? std::string_view() : p.key_in_parent_, problems ? false : p.in_array_,
               p.lenient_, Fields::Mode::kReset);
  level(child);
  child.mode_ = Fields::Mode::kRead;
  p.Walk(value_, level, child);
  return p.doc_->syntax == simdjson::SUCCESS;
}

template <typename Level>
bool Fields::ReadRoot(Document* doc, simdjson::ondemand::document& root, Problems* problems,
                      Level&& level) {
  simdjson::ondemand::value v;
  if (doc->Fail(root.get_value().get(v))) return false;
  simdjson::ondemand::json_type t;
  if (doc->Fail(v.type().get(t))) return false;
  if (t != simdjson::ondemand::json_type::object) return false;
  Fields top(doc, problems, nullptr, std::string_view(), false, false, Mode::kReset);
  level(top);
  top.mode_ = Mode::kRead;
  top.Walk(&v, level, top);
  if (doc->syntax) return false;
  // Anything after the root object is an error (the NUL rule was applied before parsing).
  return root.current_location().error() == simdjson::OUT_OF_BOUNDS;
}

// nlohmann's number grammar and types for one token ("12", "-0", "1e5", ...).
struct Number {
  enum Kind : uint8_t { kInvalid, kInteger, kFloat } kind = kInvalid;
  int64_t value = 0;  // kInteger (an unsigned beyond INT64_MAX wraps, as nlohmann's get does)
  bool above_int64 = false;  // kInteger without a minus above INT64_MAX (value is wrapped)
};
Number ParseNumber(std::string_view token);

// The text as simdjson needs it: copied with SIMDJSON_PADDING bytes after it (watch lines are
// views into curl's buffer, which has no room after them), a leading UTF-8 BOM dropped and
// everything from the first NUL byte on cut off (nlohmann reads NUL as the end of the input).
// Texts up to 1 MiB reuse a per-thread buffer; larger ones (list pages) own theirs.
class PaddedText {
 public:
  explicit PaddedText(std::string_view text);
  PaddedText(const PaddedText&) = delete;
  PaddedText& operator=(const PaddedText&) = delete;
  const char* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return size_ + simdjson::SIMDJSON_PADDING; }
  bool large() const { return !owned_.empty(); }

 private:
  std::string owned_;
  const char* data_;
  size_t size_;
};

// The parser for texts up to 1 MiB (watch lines), one per thread; a large text (a list page)
// gets its own, so the parser's buffers (several bytes per input byte) do not stay allocated.
simdjson::ondemand::parser& LineParser();

// Reads `text` as one JSON object with `level`; false when it is not one (syntax).
template <typename Level>
bool ParseObject(std::string_view text, Problems* problems, Level&& level) {
  PaddedText padded(text);
  simdjson::ondemand::parser own_parser;
  simdjson::ondemand::parser& parser = padded.large() ? own_parser : LineParser();
  Document doc;
  doc.end = padded.data() + padded.size();
  simdjson::ondemand::document root;
  if (doc.Fail(parser.iterate(padded.data(), padded.size(), padded.capacity()).get(root))) {
    return false;
  }
  return Fields::ReadRoot(&doc, root, problems, level);
}

}  // namespace batchwatch::kube::json
