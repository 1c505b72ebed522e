#pragma once
// Draws from the deck's distributions, and the discrete distributions the connection rules
// need, from a counter-based stream.
#include <algorithm>
#include <cmath>
#include <cstdint>

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

namespace detail {

/// Inversion by chop-down search from the mode (Kemp 1986; Devroye 1986, ch. X.2): one
/// uniform u is spent on f(mode), f(mode+1), f(mode-1), f(mode+2), ... until it is used
/// up, so the work is O(standard deviation) per draw and the draw is exact up to rounding.
/// `up(k)` = f(k+1)/f(k), `down(k)` = f(k-1)/f(k); support [lo, hi]. If rounding leaves u
/// unspent after both tails have underflowed (mass below 1e-300), u is drawn again.
template <class Up, class Down>
std::uint64_t search_from_mode(rng::Stream& s, std::uint64_t lo, std::uint64_t hi, std::uint64_t mode,
                               double f_mode, const Up& up, const Down& down) {
  for (;;) {
    double u = s.uniform();
    if (u < f_mode) return mode;
    u -= f_mode;
    double fu = f_mode, fd = f_mode;
    std::uint64_t ku = mode, kd = mode;
    while ((ku < hi && fu > 0) || (kd > lo && fd > 0)) {
      if (ku < hi && fu > 0) {
        fu *= up(ku);
        ++ku;
        if (u < fu) return ku;
        u -= fu;
      }
      if (kd > lo && fd > 0) {
        fd *= down(kd);
        --kd;
        if (u < fd) return kd;
        u -= fd;
      }
    }
  }
}

inline double log_choose(double n, double k) {
  return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1);
}

}  // namespace detail

/// Binomial(n, p): the number of successes in n independent trials of probability p.
/// Exact inversion from the mode (see detail::search_from_mode); O(sqrt(n p (1-p))) work.
/// The pmf at the mode comes from lgamma, whose relative error (about 1e-16 of log n!,
/// i.e. 1e-8 at n = 10^8) is the only approximation.
inline std::uint64_t binomial(std::uint64_t n, double p, rng::Stream& s) {
  if (n == 0 || p <= 0) return 0;
  if (p >= 1) return n;
  const double dn = static_cast<double>(n), q = 1 - p, r = p / q;
  const auto mode = std::min<std::uint64_t>(n, static_cast<std::uint64_t>(std::floor((dn + 1) * p)));
  const double dm = static_cast<double>(mode);
  const double f_mode = std::exp(detail::log_choose(dn, dm) + dm * std::log(p) + (dn - dm) * std::log1p(-p));
  return detail::search_from_mode(
      s, 0, n, mode, f_mode,
      [&](std::uint64_t k) { return (dn - static_cast<double>(k)) / static_cast<double>(k + 1) * r; },
      [&](std::uint64_t k) { return static_cast<double>(k) / (dn - static_cast<double>(k) + 1) / r; });
}

/// Hypergeometric: the number of "good" items among m drawn without replacement from
/// `good` good and `bad` bad ones (m ≤ good + bad). Exact inversion from the mode, as
/// binomial().
inline std::uint64_t hypergeometric(std::uint64_t m, std::uint64_t good, std::uint64_t bad, rng::Stream& s) {
  const std::uint64_t lo = m > bad ? m - bad : 0, hi = std::min(m, good);
  if (lo == hi) return lo;
  const double dm = static_cast<double>(m), G = static_cast<double>(good), B = static_cast<double>(bad);
  auto mode = static_cast<std::uint64_t>(std::floor((dm + 1) * (G + 1) / (G + B + 2)));
  mode = std::max(lo, std::min(hi, mode));
  const double k = static_cast<double>(mode);
  const double f_mode =
      std::exp(detail::log_choose(G, k) + detail::log_choose(B, dm - k) - detail::log_choose(G + B, dm));
  return detail::search_from_mode(
      s, lo, hi, mode, f_mode,
      [&](std::uint64_t j) {
        const double x = static_cast<double>(j);
        return (G - x) * (dm - x) / ((x + 1) * (B - dm + x + 1));
      },
      [&](std::uint64_t j) {
        const double x = static_cast<double>(j);
        return x * (B - dm + x) / ((G - x + 1) * (dm - x + 1));
      });
}

}  // namespace cajal
