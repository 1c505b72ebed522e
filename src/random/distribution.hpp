#pragma once
// Draws from the deck's distributions, from a counter-based stream.
#include "cajal/input/deck.hpp"
#include "random/philox.hpp"

namespace cajal {

/// One value of `d` from stream `s`. A normal distribution is truncated to [min, max] by
/// redrawing (as NEST's normal_clipped); after 1000 tries (a window of negligible mass)
/// the nearer bound is taken.
inline double draw_value(const Distribution& d, rng::Stream& s) {
  switch (d.kind) {
    case Distribution::Kind::constant: return d.value;
    case Distribution::Kind::uniform: return d.low + (d.high - d.low) * s.uniform();
    case Distribution::Kind::normal:
      for (int tries = 0; tries < 1000; ++tries) {
        const double v = d.mean + d.stddev * s.normal();
        if (v >= d.low && v <= d.high) return v;
      }
      return d.mean < d.low ? d.low : d.high;
  }
  return d.value;
}

}  // namespace cajal
