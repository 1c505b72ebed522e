#pragma once
/// Reading a deck file in a parallel job: rank 0 reads it, every rank parses the same text.
#include <string>
#include <vector>

#include "cajal/input/deck.hpp"
#include "cajal/parallel/communicator.hpp"

namespace cajal {

/// Collective: reads the deck file on rank 0, broadcasts its text, parses it with the
/// `--set` overrides and checks every model's parameters (the registry's checks) on every
/// rank. Throws usage_error when the file cannot be read, input_error for a bad deck.
/// Solver options ([field]) are checked by the field layer (load_deck in cajal/sim).
Deck read_deck(const Communicator& comm, const std::string& path, const std::vector<std::string>& overrides);

}  // namespace cajal
