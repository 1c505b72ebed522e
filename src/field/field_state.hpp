#pragma once
/// The part of the field that its snapshots and checkpoints hold (field_io.cpp): the grid's
/// global and owned extents, the voxel size and the owned values. The solver (Field::Impl
/// in field.cpp) is built on it.
#include <cstdint>
#include <vector>

#include "cajal/field/field.hpp"

namespace cajal {

struct Field::State {
  State(const Communicator& c, const Bricks& br) : comm(c), bricks(br) {}
  const Communicator& comm;
  Bricks bricks;
  Index3 N{}, s{}, n{};  ///< global voxels, first owned voxel, owned voxels (x, y, z)
  double h = 0;          ///< voxel side, µm
  std::vector<double> conc;                  ///< owned concentrations (mM), x fastest
  std::vector<std::int64_t> spikes_pending;  ///< spikes released per voxel since the last solve
};

}  // namespace cajal
