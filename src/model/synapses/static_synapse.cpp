// static: its descriptor (parameters).
#include "model/registry.hpp"

namespace cajal {

SynapseModelInfo static_synapse_model() {
  SynapseModelInfo m{"static", "fixed weight", {}};
  return m;
}

}  // namespace cajal
