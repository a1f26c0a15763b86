// Prints the metric contract from its rows (tracker/metric_table.h, metrics/self_metrics.h) and
// keeps the files that list it in step:
//   metric_table --write SOURCE_DIR   regenerates tests/alerts/metric_contract.txt, and in
//                                     docs/metrics.md the metric, type and labels cells of
//                                     every table row (a metric without a row gets one, with
//                                     its HELP text as meaning, in its section)
//   metric_table --check SOURCE_DIR   exit 1 naming each file that --write would change
//   metric_table --contract           the contract text on stdout
// Problems --write cannot fix (a documented metric no row defines, a non-gauge in a table
// without a type column, a metric documented twice) are errors in both modes.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "metrics/self_metrics.h"
#include "tracker/metric_table.h"

namespace bm = batchwatch::metrics;
namespace bt = batchwatch::tracker;

namespace {

// Which docs/metrics.md section (a "## " heading starting with `heading`) a metric without a
// documented row goes to.
struct Placed {
  const bm::MetricInfo* info;
  const char* heading;
};

std::vector<Placed> AllMetrics() {
  std::vector<Placed> all;
  for (const auto& row : bt::kCronJobRows) {
    all.push_back(
        {&row.info, row.info.type == bm::Type::kGauge ? "## CronJob state" : "## CronJob history"});
  }
  for (const auto& row : bt::kGroupRows) all.push_back({&row.info, "## Standalone Jobs"});
  for (const auto& row : bt::kJobRows) all.push_back({&row.info, "## Jobs that exist now"});
  all.push_back({&bt::kJobWaitingPods, "## Why a run failed"});
  for (const auto* info : bm::kSelfMetrics) all.push_back({info, "## The exporter itself"});
  return all;
}

std::string Contract() {
  std::string out =
      "# Metric names of the batchwatch metric contract (docs/metrics.md). Alert rules and\n"
      "# dashboards may only use these (histograms also with _bucket, _sum, _count).\n"
      "# Generated from the metric rows (exporter/tracker/metric_table.h,\n"
      "# exporter/metrics/self_metrics.h): build/tests/metrics/metric_table --write .\n";
  for (const auto& m : AllMetrics()) {
    out += m.info->name;
    out += '\n';
  }
  return out;
}

std::string DocLabels(const bm::MetricInfo& m) {
  std::string out;
  for (std::string_view l : bm::LabelNames(m)) {
    if (!out.empty()) out += ", ";
    out += l;
  }
  return out.empty() ? "(none)" : out;
}

std::vector<std::string> Cells(const std::string& row) {
  std::vector<std::string> cells;
  std::string cell;
  for (size_t i = 1; i < row.size(); ++i) {  // row[0] is the leading '|'
    if (row[i] == '|') {
      size_t b = cell.find_first_not_of(' '), e = cell.find_last_not_of(' ');
      cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
      cell.clear();
    } else {
      cell += row[i];
    }
  }
  return cells;
}

std::string Row(const std::vector<std::string>& cells) {
  std::string out = "|";
  for (const auto& c : cells) out += " " + c + " |";
  return out;
}

struct Table {
  int type_col = -1, labels_col = -1, columns = 0;
  size_t last_row = 0;  // index of its last line
};

// docs/metrics.md with every row's facts taken from the metric rows; problems in *errors.
std::string Docs(const std::string& text, std::vector<std::string>* errors) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);

  std::map<std::string, const bm::MetricInfo*> by_name;
  for (const auto& m : AllMetrics()) by_name[m.info->name] = m.info;

  std::set<std::string> documented;
  std::map<std::string, Table> first_table;  // section heading -> its first metric table
  std::string section;
  Table table;
  bool in_table = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string& line = lines[i];
    if (line.rfind("## ", 0) == 0) section = line;
    if (line.rfind("| metric |", 0) == 0) {
      std::vector<std::string> head = Cells(line);
      table = Table{};
      table.columns = static_cast<int>(head.size());
      for (int c = 0; c < table.columns; ++c) {
        if (head[c] == "type") table.type_col = c;
        if (head[c] == "labels") table.labels_col = c;
      }
      table.last_row = i + 1;  // the |---| line
      in_table = true;
      if (table.labels_col < 0) errors->push_back("docs: a metric table without a labels column");
      continue;
    }
    if (in_table && line.rfind("|", 0) != 0) {
      in_table = false;
      if (!first_table.count(section)) first_table[section] = table;
    }
    if (line.rfind("| `batchwatch_", 0) == 0 && !in_table) {
      errors->push_back("docs/metrics.md line " + std::to_string(i + 1) +
                        ": a metric row outside a table with a `| metric |` header");
    }
    if (!in_table || line.rfind("| `", 0) != 0) continue;
    table.last_row = i;
    std::vector<std::string> cells = Cells(line);
    const std::string name = cells[0].substr(1, cells[0].size() - 2);
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      errors->push_back("docs/metrics.md documents " + name + ", which no metric row defines");
      continue;
    }
    if (!documented.insert(name).second) {
      errors->push_back("docs/metrics.md documents " + name + " twice");
    }
    const bm::MetricInfo& m = *it->second;
    if (table.type_col >= 0) {
      cells[table.type_col] = bm::TypeName(m.type);
    } else if (m.type != bm::Type::kGauge) {
      errors->push_back("docs/metrics.md: " + name + " is a " + bm::TypeName(m.type) +
                        " in a table of gauges (no type column)");
    }
    if (table.labels_col >= 0) cells[table.labels_col] = DocLabels(m);
    line = Row(cells);
  }
  if (in_table && !first_table.count(section)) first_table[section] = table;

  // Metrics without a row go after the last row of their section's first table, in row order.
  std::map<size_t, std::vector<std::string>> inserts;
  for (const auto& m : AllMetrics()) {
    if (documented.count(m.info->name)) continue;
    const Table* t = nullptr;
    for (const auto& [heading, tab] : first_table) {
      if (heading.rfind(m.heading, 0) == 0) t = &tab;
    }
    if (!t) {
      errors->push_back(std::string("docs/metrics.md has no metric table under \"") + m.heading +
                        "\" for " + m.info->name);
      continue;
    }
    std::vector<std::string> cells(t->columns);
    cells[0] = std::string("`") + m.info->name + "`";
    if (t->type_col >= 0) cells[t->type_col] = bm::TypeName(m.info->type);
    if (t->labels_col >= 0) cells[t->labels_col] = DocLabels(*m.info);
    const int meaning = std::max({t->type_col, t->labels_col}) + 1;
    if (meaning < t->columns) cells[meaning] = m.info->help;
    inserts[t->last_row].push_back(Row(cells));
  }
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    out += lines[i] + "\n";
    for (const auto& r : inserts[i]) out += r + "\n";
  }
  return out;
}

bool Read(const std::string& path, std::string* text) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream s;
  s << f.rdbuf();
  *text = s.str();
  return true;
}

int Run(const std::string& mode, const std::string& root) {
  const std::string contract_path = root + "/tests/alerts/metric_contract.txt";
  const std::string docs_path = root + "/docs/metrics.md";
  std::string contract, docs;
  if (!Read(contract_path, &contract) || !Read(docs_path, &docs)) {
    std::cerr << "cannot read " << contract_path << " or " << docs_path << "\n";
    return 2;
  }
  std::vector<std::string> errors;
  const std::string want_docs = Docs(docs, &errors);
  const std::string want_contract = Contract();
  for (const auto& e : errors) std::cerr << e << "\n";
  if (!errors.empty()) return 1;
  int rc = 0;
  for (const auto& [path, have, want] : {std::tuple{contract_path, contract, want_contract},
                                         std::tuple{docs_path, docs, want_docs}}) {
    if (have == want) continue;
    if (mode == "--write") {
      std::ofstream f(path, std::ios::binary | std::ios::trunc);
      f << want;
      if (!f) {
        std::cerr << "cannot write " << path << "\n";
        rc = 2;
      }
      std::cerr << "wrote " << path << "\n";
    } else {
      std::cerr << path
                << " disagrees with the metric rows; regenerate with "
                   "build/tests/metrics/metric_table --write .\n";
      rc = 1;
    }
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "--contract" && argc == 2) {
    std::cout << Contract();
    return 0;
  }
  if ((mode == "--check" || mode == "--write") && argc == 3) return Run(mode, argv[2]);
  std::cerr << "usage: metric_table --contract | --check SOURCE_DIR | --write SOURCE_DIR\n";
  return 2;
}
