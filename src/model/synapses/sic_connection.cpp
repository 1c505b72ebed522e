// sic_connection: its descriptor (parameters). Delivery: the simulation's SIC coupling.
#include "model/registry.hpp"

namespace cajal {

SynapseModelInfo sic_connection_model() {
  SynapseModelInfo m{"sic_connection",
      "astrocyte -> neuron slow inward current (NEST's sic_connection): the target's I_SIC is weight × the "
      "astrocyte's SIC of `delay` earlier",
      {}};
  return m;
}

}  // namespace cajal
