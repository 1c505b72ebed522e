#pragma once
// Spike exchange: once per communication interval, every rank sends each spike of a
// local cell to exactly the ranks that host targets of that cell.
//
// Lifecycle (collective): at construction every rank lists the sources its local synapses
// need, and tells each source's owner (one all-to-all at build time). The owners keep, per
// local cell, the list of subscribing ranks. A distributed-graph communicator over
// the pairs of ranks that exchange anything carries the per-interval traffic with
// neighbourhood collectives (a count, then the spikes), so local connectivity costs local
// traffic and dense random connectivity becomes all-to-all.
//
// A rank's own spikes never go through MPI: they are always part of what it delivers.
//
// A record is `width` 64-bit words whose first word is a packed spike (gid, offset): 1 for
// spikes, 2 for the graded SIC output of astrocytes (the value's bits follow). One object
// per kind of record, each built from the projections that carry that kind.
#include <mpi.h>

#include <cstdint>
#include <vector>

#include "cajal/network/partition.hpp"
#include "cajal/parallel/mpi_communicator.hpp"
#include "network/connectivity.hpp"

namespace cajal {

class SpikeExchange {
public:
  SpikeExchange(const Communicator& comm, const Partition& part, const std::vector<const Projection*>& projections,
                int width = 1);
  ~SpikeExchange();
  SpikeExchange(const SpikeExchange&) = delete;
  SpikeExchange& operator=(const SpikeExchange&) = delete;

  /// Collective. `local` holds this rank's n records of the interval; returns them
  /// followed by every record received from other ranks (n_total × width words). The
  /// returned buffer stays valid until the next call.
  const std::vector<std::uint64_t>& exchange(const std::uint64_t* local, std::size_t n);
  int width() const { return width_; }


private:
  const Partition& part_;
  MPI_Comm graph_ = MPI_COMM_NULL;
  MPI_Datatype record_ = MPI_DATATYPE_NULL;
  int width_ = 1;
  std::vector<int> dest_, src_;                 // neighbour ranks
  std::vector<std::uint64_t> pop_offset_;       // rank-local cell numbering per population
  std::vector<std::uint32_t> sub_row_, sub_to_; // local cell -> destination slots
  std::vector<int> scount_, sdispl_, rcount_, rdispl_;
  std::vector<std::uint64_t> sendbuf_, incoming_, cell_;  // cell_: local index of each spike
  std::size_t chunks_ = 1;      // packing: the records split into this many chunks (host threads)
  std::vector<int> chunk_at_;   // per chunk and destination: a count, then the next slot

  std::uint64_t local_index(std::uint64_t gid) const;
  void pack(const std::uint64_t* local, std::size_t n);
};

}  // namespace cajal
