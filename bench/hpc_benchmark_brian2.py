# NEST's hpc_benchmark network (inputs/hpc_benchmark.toml) written independently in
# Brian 2 (Debian python3-brian, numpy target), to check Cajal's rates against a second
# simulator over many seeds: the 250 ms-phase rate of this network varies from seed to
# seed far more than the 5 % (bench/hpc_benchmark_rates.md).
#
#   /usr/bin/python3 bench/hpc_benchmark_brian2.py SEED [--stdp] [--scale S]
#
# prints "brian2[-stdp] seed S: rate [0,50] ... Hz, (50,300] ... Hz". About 1 min (static
# E->E) or 6 min (--stdp) per seed at scale 1 on one core; 4 GB (static) or 9 GB (--stdp).
#
# The model, as NEST 3.9 defines it:
#  - iaf_psc_alpha: exact integration of V, I and dI/dt; an input of weight w (pA) adds
#    w e / tau_s to dI/dt after the step's membrane update; V >= V_th spikes, V is held at
#    V_reset for the next 5 steps (t_ref = 0.5 ms); spike stamp = end of the step.
#  - fixed in-degree 9000 (E) and 2250 (I), multapses, no autapses; all delays 1.5 ms;
#    weights JE_pA and -5 JE_pA; V_m ~ N(5.7, 7.2) mV.
#  - Poisson drive of 20856.04 Hz of JE_pA per neuron (binomial over 9000 sources per
#    step, within 0.02 % of Poisson in variance), added in the step it is drawn.
#  - --stdp: stdp_pl_synapse_hom on E->E (lambda 0.1, alpha 0.0513, mu 0.4, tau_plus
#    15 ms, tau_minus 30 ms) with NEST's convention that the whole delay d is dendritic:
#    a presynaptic spike meets the synapse at its stamp, a postsynaptic spike d after its
#    stamp. Each postsynaptic arrival facilitates, w += lambda w^mu K+ (K+ of presynaptic
#    spikes strictly before it); each presynaptic spike depresses, w -= lambda alpha w K-
#    (K- of arrivals strictly before it; at equal times facilitation comes first and
#    neither sees the other), floored at 0; the PSP carries the weight just after the
#    presynaptic spike's update and arrives d later. (A second presynaptic spike of the
#    same synapse within d would overwrite the carried weight: it cannot happen here
#    unless a neuron fires twice within 1.5 ms.)
import argparse
import time

import numpy as np

import brian2
from brian2 import (NeuronGroup, Synapses, PoissonInput, SpikeMonitor, Network, defaultclock, prefs, ms, mV, pF, pA,
                    amp, second, Hz)

ap = argparse.ArgumentParser()
ap.add_argument("seed", type=int)
ap.add_argument("--stdp", action="store_true")
ap.add_argument("--scale", type=float, default=1.0)
args = ap.parse_args()

prefs.codegen.target = "numpy"
defaultclock.dt = 0.1 * ms
np.random.seed(args.seed)
brian2.seed(args.seed)
rng = np.random.default_rng(args.seed)

NE, NI = int(9000 * args.scale), int(2250 * args.scale)
CE, CI = 9000, 2250
N = NE + NI
tau_m, C_m, tau_s = 10 * ms, 250 * pF, 0.32582722403722841 * ms
JE = 45.609600316540956  # pA
JI = -5 * JE
drive_hz = 20856.037200898867
d = 1.5 * ms
kick = float(np.exp(1) / tau_s / (1 / second))  # dI/dt per pA of weight, in pA/s

G = NeuronGroup(N, """dV/dt = -V / tau_m + I / C_m : volt (unless refractory)
                      dI/dt = -I / tau_s + y : amp
                      dy/dt = -y / tau_s : amp / second""",
                threshold="V >= 20*mV", reset="V = 0*mV", refractory="timestep(t - lastspike, dt) <= 5",
                method="exact", namespace={"tau_m": tau_m, "tau_s": tau_s, "C_m": C_m})
G.V = (5.7 + 7.2 * np.random.randn(N)) * mV


def fixed_indegree(pre_lo, pre_n, post_lo, post_n, k, same):
    """k sources per target drawn with replacement, the target itself excluded when same."""
    pre = rng.integers(0, pre_n - (1 if same else 0), size=(post_n, k), dtype=np.int64)
    if same:
        pre += pre >= np.arange(post_n)[:, None]
    post = np.repeat(np.arange(post_n, dtype=np.int64), k)
    return (pre.ravel() + pre_lo).astype(np.int32), (post + post_lo).astype(np.int32)


t0 = time.time()
groups = []
static = [(NE, NI, 0, NE, CI, JI), (0, NE, NE, NI, CE, JE), (NE, NI, NE, NI, CI, JI)]
if args.stdp:
    EE = Synapses(G, G, model="""w : 1
                                 w_sent : 1
                                 t_arrival : second
                                 dKp/dt = -Kp / tau_plus : 1 (event-driven)
                                 dKm/dt = -Km / tau_minus : 1 (event-driven)""",
                  on_pre={"plastic": "w = clip(w - lam * alpha * w * (Km - int(t_arrival == t)), 0, inf)\n"
                                     "w_sent = w\nKp += 1",
                          "psp": "y_post += w_sent * kick * pA / second"},
                  on_post="w = w + lam * w**mu * Kp\nKm += 1\nt_arrival = t",
                  delay={"plastic": 0 * ms, "psp": d},
                  namespace={"lam": 0.1, "alpha": 0.0513, "mu": 0.4, "tau_plus": 15 * ms, "tau_minus": 30 * ms,
                             "kick": kick, "inf": np.inf})
    EE.post.order = -1  # postsynaptic arrivals before presynaptic spikes of the same step
    i, j = fixed_indegree(0, NE, 0, NE, CE, True)
    EE.connect(i=i, j=j)
    del i, j
    EE.post.delay = d
    EE.w = JE
    EE.t_arrival = -1 * second
    groups.append(EE)
else:
    static = [(0, NE, 0, NE, CE, JE)] + static
for (plo, pn, qlo, qn, k, w) in static:
    S = Synapses(G, G, on_pre="y_post += %r * amp / second" % (w * kick * 1e-12), delay=d)
    i, j = fixed_indegree(plo, pn, qlo, qn, k, plo == qlo)
    S.connect(i=i, j=j)
    del i, j
    groups.append(S)
P = PoissonInput(G, "y", N=9000, rate=drive_hz / 9000 * Hz, weight=JE * kick * pA / second)
M = SpikeMonitor(G)
net = Network(G, *groups, P, M)
t1 = time.time()
net.run(300 * ms)
t2 = time.time()
t = np.asarray(M.t / ms)  # Brian 2 stamps the start of the step: t < 50 is NEST's (0, 50]
extra = f", mean E->E weight {float(np.mean(groups[0].w[:])):.3f} pA" if args.stdp else ""
print(f"brian2{'-stdp' if args.stdp else ''} seed {args.seed}: rate [0,50] {np.sum(t < 50) / N / 0.05:.2f} Hz, "
      f"(50,300] {np.sum(t >= 50) / N / 0.25:.2f} Hz{extra}; build {t1 - t0:.0f} s, run {t2 - t1:.0f} s", flush=True)
