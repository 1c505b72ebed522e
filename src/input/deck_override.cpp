// `--set section.key=value`: edits the parsed TOML document before any section is read,
// so an override is checked exactly as the same value written in the deck. Its errors
// name "--set" as the file and the key path as the key.
#include <sstream>

#include "cajal/util/error.hpp"
#include "input/deck_sections.hpp"

namespace cajal::input {
namespace {

/// The key path, split at '.': at least section.key, no empty component.
std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
  for (const auto& p : parts)
    if (p.empty()) throw input_error("--set", 0, path, "empty component in the key path");
  if (parts.size() < 2) throw input_error("--set", 0, path, "expected section.key=value, e.g. simulation.t_stop=500");
  return parts;
}

/// The right-hand side, parsed as the TOML value of a key.
tvalue parse_value(const std::string& path, const std::string& text) {
  tvalue parsed;
  try {
    std::istringstream is("value = " + text);
    parsed = toml::parse(is, "--set");
  } catch (const std::exception&) {
    throw input_error("--set", 0, path,
                      "value '" + text +
                          "' is not a TOML value; allowed: a number, true/false, a quoted string, an array or an inline table");
  }
  return parsed.as_table().at("value");
}

/// The entry of the array of tables `section` (population, projection, record, stimulus) called
/// `name`: its `name` key, for a projection without one "PRE_to_POST", else its index.
tvalue& named_entry(toml::table& top, const std::string& section, const std::string& name, const std::string& path) {
  if (!top.count(section) || !top.at(section).is_array())
    throw input_error("--set", 0, path, "the deck has no [[" + section + "]]");
  std::vector<std::string> names;
  tvalue* node = nullptr;
  auto& arr = top.at(section).as_array();
  for (std::size_t k = 0; k < arr.size(); ++k) {
    std::string entry = std::to_string(k);
    if (arr[k].is_table() && arr[k].as_table().count("name") && arr[k].as_table().at("name").is_string())
      entry = arr[k].as_table().at("name").as_string().str;
    else if (section == "projection" && arr[k].is_table() && arr[k].as_table().count("pre") &&
             arr[k].as_table().count("post") && arr[k].as_table().at("pre").is_string() &&
             arr[k].as_table().at("post").is_string())
      entry = arr[k].as_table().at("pre").as_string().str + "_to_" + arr[k].as_table().at("post").as_string().str;
    names.push_back(entry);
    if (entry == name) node = &arr[k];
  }
  if (!node) throw input_error("--set", 0, path, not_found(section, name, names) + "; " + section + "s: " + join(names));
  return *node;
}

}  // namespace

void apply_override(tvalue& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw input_error("--set", 0, assignment, "expected section.key=value, e.g. simulation.t_stop=500");
  const std::string path = assignment.substr(0, eq);
  const std::vector<std::string> parts = split_path(path);
  tvalue value = parse_value(path, assignment.substr(eq + 1));

  // The table the path starts in: a section, or a named entry of an array of tables.
  auto& top = root.as_table();
  tvalue* node = nullptr;
  std::size_t i = 1;
  const std::string& section = parts[0];
  if (section == "population" || section == "projection" || section == "record" || section == "stimulus") {
    node = &named_entry(top, section, parts[1], path);
    i = 2;
    if (parts.size() < 3) throw input_error("--set", 0, path, "expected " + section + ".NAME.key=value");
  } else {
    if (!top.count(section)) top[section] = toml::table{};
    node = &top.at(section);
  }
  // Tables on the way are made when absent; the last part is the key set.
  for (; i + 1 < parts.size(); ++i) {
    if (!node->is_table()) throw input_error("--set", 0, path, "'" + parts[i - 1] + "' is not a table");
    auto& t = node->as_table();
    if (!t.count(parts[i])) t[parts[i]] = toml::table{};
    node = &t.at(parts[i]);
  }
  if (!node->is_table()) throw input_error("--set", 0, path, "'" + parts[i - 1] + "' is not a table");
  node->as_table()[parts.back()] = value;
}

}  // namespace cajal::input
