#include "cajal/input/read_deck.hpp"

#include <fstream>
#include <sstream>

#include "cajal/model/catalogue.hpp"
#include "cajal/util/error.hpp"

namespace cajal {

Deck read_deck(const Communicator& comm, const std::string& path, const std::vector<std::string>& overrides) {
  std::string text, problem;
  if (comm.is_root()) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
      problem = path + ": cannot open the deck (missing or unreadable)";
    } else {
      std::ostringstream os;
      os << f.rdbuf();
      text = os.str();
      if (f.bad()) problem = path + ": cannot read the deck";
    }
  }
  problem = comm.broadcast(problem);
  if (!problem.empty()) throw usage_error(problem);
  text = comm.broadcast(text);
  Deck deck = Deck::parse(text, path, overrides);
  check_models(deck);
  return deck;
}

}  // namespace cajal
