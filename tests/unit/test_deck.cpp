// The deck: valid decks parse to the values written; overrides apply with the same
// checks; errors name file, line and key.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "cajal/input/deck.hpp"
#include "cajal/model/catalogue.hpp"
#include "cajal/util/error.hpp"

namespace {
const char* valid = R"(# a comment
[simulation]
dt = 0.1
t_stop = 100.0
seed = 7

[[population]]
name = "exc"
model = "iaf_psc_delta"
n = 80
params = { tau_m = 20.0, V_th = 20.0, E_L = 0.0, V_reset = 0.0 }
background = { rate = 100.0, weight = 0.2 }

[[population]]
name = "inh"
model = "iaf_psc_exp"
n = 20
placement = { kind = "grid", shape = [5, 4, 1] }

[[projection]]
pre = "exc"
post = "inh"
rule = "fixed_indegree"
indegree = 10
weight = { dist = "uniform", low = 10.0, high = 20.0 }
delay = 1.5

[[record]]
populations = ["exc"]
)";

std::string error_of(const std::string& text, const std::vector<std::string>& sets = {}) {
  try {
    const cajal::Deck d = cajal::Deck::parse(text, "deck.toml", sets);
    cajal::check_models(d);
  } catch (const cajal::input_error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Deck, ParsesEveryValue) {
  const cajal::Deck d = cajal::Deck::parse(valid, "deck.toml");
  EXPECT_DOUBLE_EQ(d.simulation.dt, 0.1);
  EXPECT_EQ(d.steps(), 1000);
  EXPECT_EQ(d.simulation.seed, 7u);
  ASSERT_EQ(d.populations.size(), 2u);
  EXPECT_EQ(d.populations[0].n, 80);
  EXPECT_DOUBLE_EQ(d.populations[0].params.at("tau_m").value, 20.0);
  EXPECT_EQ(d.populations[0].params.at("tau_m").loc.line, 11);
  EXPECT_DOUBLE_EQ(d.populations[0].background.rate_hz, 100.0);
  EXPECT_EQ(d.populations[1].placement.kind, cajal::Placement::Kind::grid);
  ASSERT_EQ(d.projections.size(), 1u);
  EXPECT_EQ(d.projections[0].name, "exc_to_inh");
  EXPECT_EQ(d.projections[0].weight.kind, cajal::Distribution::Kind::uniform);
  EXPECT_DOUBLE_EQ(d.projections[0].delay.value, 1.5);
  ASSERT_EQ(d.records.size(), 1u);
  EXPECT_EQ(d.records[0].populations, std::vector<std::string>{"exc"});
  EXPECT_EQ(error_of(valid), "");
}

TEST(Deck, OverridesApplyByName) {
  const cajal::Deck d = cajal::Deck::parse(
      valid, "deck.toml",
      {"simulation.t_stop=50", "population.exc.n=40", "projection.exc_to_inh.delay=2.0",
       "population.exc.params.tau_m=10", "output.dir=\"elsewhere\""});
  EXPECT_EQ(d.steps(), 500);
  EXPECT_EQ(d.populations[0].n, 40);
  EXPECT_DOUBLE_EQ(d.projections[0].delay.value, 2.0);
  EXPECT_DOUBLE_EQ(d.populations[0].params.at("tau_m").value, 10.0);
  EXPECT_EQ(d.output.dir, "elsewhere");
}

TEST(Deck, OverridesAreValidatedLikeTheDeck) {
  EXPECT_EQ(error_of(valid, {"simulation.dt=-1"}),
            "--set:1: simulation.dt: must be > 0 (got -1); allowed: a positive time step in ms, e.g. 0.1");
  EXPECT_NE(error_of(valid, {"population.exd.n=3"}).find("no population named 'exd' (did you mean 'exc'?)"),
            std::string::npos);
  EXPECT_NE(error_of(valid, {"simulation.t_stpo=3"}).find("unknown key (did you mean 't_stop'?)"),
            std::string::npos);
  EXPECT_NE(error_of(valid, {"simulation"}).find("expected section.key=value"), std::string::npos);
}

TEST(Deck, ErrorsNameFileLineAndKey) {
  std::string bad = valid;
  bad.replace(bad.find("n = 80"), 6, "n = 0");
  EXPECT_EQ(error_of(bad), "deck.toml:10: population.exc.n: must be ≥ 1 (got 0)");

  bad = valid;
  bad.replace(bad.find("tau_m = 20.0"), 12, "tau_n = 20.0");
  EXPECT_NE(error_of(bad).find("deck.toml:11: population.exc.params.tau_n: unknown parameter of iaf_psc_delta "
                               "(did you mean 'tau_m'?)"),
            std::string::npos);

  bad = valid;
  bad.replace(bad.find("delay = 1.5"), 11, "delay = 0.15");
  EXPECT_NE(error_of(bad).find("deck.toml:26: projection.exc_to_inh.delay: must be a multiple of dt"),
            std::string::npos);

  bad = valid;
  bad.replace(bad.find("post = \"inh\""), 12, "post = \"inhh\"");
  EXPECT_NE(error_of(bad).find("no population named 'inhh' (did you mean 'inh'?)"), std::string::npos);
}

TEST(Deck, SyntaxErrorsHaveALine) {
  const std::string e = error_of("[simulation]\nt_stop = [1.0\n");
  EXPECT_EQ(e.rfind("deck.toml:", 0), 0u) << e;
  EXPECT_NE(e.find("not valid TOML"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << "one line: " << e;
}

TEST(Deck, IndegreeBeyondSourcesNeedsMultapses) {
  std::string bad = valid;
  bad.replace(bad.find("indegree = 10"), 13, "indegree = 81\nmultapses = false");
  EXPECT_NE(error_of(bad).find("population 'exc' offers only 80"), std::string::npos);
  std::string ok = valid;
  ok.replace(ok.find("indegree = 10"), 13, "indegree = 81");
  EXPECT_EQ(error_of(ok), "");
}

// The section readers: a table's "allowed here" list is every key its reader asks for;
// a section is checked against the sections read before it.
TEST(Deck, SectionReadersListTheirKeysAndCheckEarlierSections) {
  EXPECT_EQ(error_of(valid, {"population.exc.foo=1"}),
            "--set:1: population.exc.foo: unknown key; allowed here: background, model, n, name, params, placement, sonata, "
            "spike_file, spike_times");
  EXPECT_EQ(error_of(valid, {"population.exc.n.x=1"}), "--set: population.exc.n.x: 'n' is not a table");
  EXPECT_EQ(error_of(valid, {"record.0.what=\"field\""}),
            "--set:1: record[0].what: \"field\" records the extracellular field; the deck has no [field]");
  EXPECT_EQ(error_of(valid, {"checkpoint.interval=0.01"}),
            "--set:1: checkpoint.interval: must be ≥ dt = 0.1 ms, or 0 for none");

  // The tripartite rule names its two extra projections NAME_third_in and NAME_third_out.
  const std::string tripartite = R"([simulation]
t_stop = 10.0
[[population]]
name = "exc"
model = "iaf_psc_delta"
n = 4
[[population]]
name = "astro"
model = "astrocyte_lr_1994"
n = 2
[[projection]]
name = "syn_third_in"
pre = "exc"
post = "exc"
rule = "fixed_indegree"
indegree = 1
weight = 1.0
[[projection]]
name = "syn"
pre = "exc"
post = "exc"
rule = "tripartite_bernoulli_with_pool"
p = 0.5
astrocytes = "astro"
weight = 1.0
)";
  EXPECT_EQ(error_of(tripartite),
            "deck.toml:18: projection.syn.name: the tripartite rule names its third-party projection 'syn_third_in', "
            "which another projection already uses");
  EXPECT_EQ(error_of(tripartite, {"projection.syn_third_in.name=\"plain\"", "projection.syn.foo=1"}),
            "--set:1: projection.syn.foo: unknown key; allowed here: astrocytes, autapses, delay, name, p, "
            "p_third_if_primary, pool_size, pool_type, post, pre, rule, synapse, third_in, third_out, weight");
}

TEST(Deck, EditDistance) {
  EXPECT_EQ(cajal::edit_distance("tau_m", "tau_n"), 1u);
  EXPECT_EQ(cajal::edit_distance("tua_m", "tau_m"), 1u);
  EXPECT_EQ(cajal::closest("c", {"a", "b"}), "");
  EXPECT_EQ(cajal::closest("gauss", {"gaussian", "exponential"}), "gaussian");
  EXPECT_EQ(cajal::closest("tua_m", {"tau_m", "C_m", "V_th"}), "tau_m");
  EXPECT_EQ(cajal::closest("zzzzzz", {"tau_m", "C_m"}), "");
}

// spike_generator: times from a CSV file, one column (every cell) or node_id,time_ms.
TEST(Deck, SpikeFileOneColumnIsNestsInputTrain) {
  const std::string deck = std::string("[simulation]\nt_stop = 10.0\n[[population]]\nname = \"g\"\n"
                                       "model = \"spike_generator\"\nn = 3\nspike_file = \"") +
                           CAJAL_SOURCE_DIR + "/tests/reference/nest_astrocyte_lr_1994_single_input_spikes.csv\"\n";
  const cajal::Deck d = cajal::Deck::parse(deck, "t.toml");
  ASSERT_TRUE(d.populations[0].spike_times.shared);  // one list, shared by every cell
  const std::vector<double> want{144.5, 374.2, 1002.0, 2543.7, 3134.3, 3559.8, 4643.2, 9664.0};
  EXPECT_EQ(d.populations[0].spike_times.time, want);
}

TEST(Deck, SpikeFileTwoColumnsKeptAsFile) {
  const std::string path = testing::TempDir() + "cajal_spikes_two_columns.csv";
  {
    std::ofstream f(path);
    f << "node_id,time_ms\n# a comment\n1,2.0\n0,1.0\n\n1,0.5\n";
  }
  const std::string deck = "[simulation]\nt_stop = 10.0\n[[population]]\nname = \"g\"\nmodel = \"spike_generator\"\n"
                           "n = 3\nspike_file = \"" + path + "\"\n";
  const cajal::Deck d = cajal::Deck::parse(deck, "t.toml");
  std::remove(path.c_str());
  // The deck keeps the checked file, not its times: each rank's build reads its own cells'
  // (and sorts them; tests/unit/test_spike_generator_memory.cpp).
  const auto& st = d.populations[0].spike_times;
  EXPECT_FALSE(st.shared);
  EXPECT_EQ(st.file, path);
  EXPECT_EQ(st.file_spikes, 3u);
  EXPECT_TRUE(st.time.empty());
}
