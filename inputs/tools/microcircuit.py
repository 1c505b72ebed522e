#!/usr/bin/env python3
"""Writes inputs/microcircuit.toml (and the downscaled inputs/microcircuit_scale0.1.toml):
the Potjans & Diesmann (2014) cortical microcircuit exactly as the reference PyNEST
implementation builds it with its defaults (github.com/INM-6/microcircuit-PD14-model,
PyNEST/src/microcircuit/, commit fd40046, for NEST 3.9): network_params.py for the numbers,
network.py (__derive_parameters, __create_neuronal_populations,
__connect_neuronal_populations) and helpers.py (num_synapses_from_conn_probs,
postsynaptic_potential_to_current, dc_input_compensating_poisson,
adjust_weights_and_input_to_synapse_scaling) for the formulas, rewritten here in plain
Python (no numpy), each number written with repr() so the deck holds the same doubles.

    python3 inputs/tools/microcircuit.py            # both decks
    python3 inputs/tools/microcircuit.py --bg poisson --scale 1 --out deck.toml
"""
import argparse
import math

POPS = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
FULL_N = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]
FULL_RATES = [0.903, 2.965, 4.414, 5.876, 7.569, 8.633, 1.105, 7.829]
# conn_probs[target][source]
CONN_PROBS = [
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0.0, 0.0076, 0.0],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0.0, 0.0042, 0.0],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.0],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0.0, 0.1057, 0.0],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.0],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.0],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443],
]
PSP_EXC, G, W_REL_STD = 0.15, -4, 0.1
DELAY_EXC, DELAY_INH, D_REL_STD = 1.5, 0.75, 0.5
K_EXT = [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100]
BG_RATE = 8.0
V0_MEAN = [-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43]
V0_STD = [5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48]
E_L, V_TH, V_RESET, C_M, TAU_M, TAU_SYN, T_REF = -65.0, -50.0, -65.0, 250.0, 10.0, 0.5, 2.0
RESOLUTION = 0.1


def psc_over_psp(C_m, tau_m, tau_syn):
    sub = 1.0 / (tau_syn - tau_m)
    pre = tau_m * tau_syn / C_m * sub
    frac = (tau_m / tau_syn) ** sub
    return 1.0 / (pre * (frac**tau_m - frac**tau_syn))


def derive(scale, bg):
    n = len(POPS)
    full_syn = [[math.log(1.0 - CONN_PROBS[i][j]) / math.log((FULL_N[i] * FULL_N[j] - 1.0) / (FULL_N[i] * FULL_N[j]))
                 for j in range(n)] for i in range(n)]
    num_neurons = [int(round(x * scale)) for x in FULL_N]
    num_syn = [[int(round(full_syn[i][j] * scale * scale)) for j in range(n)] for i in range(n)]
    ratio = psc_over_psp(C_M, TAU_M, TAU_SYN)
    psp = [[PSP_EXC if j % 2 == 0 else PSP_EXC * G for j in range(n)] for i in range(n)]
    psp[0][2] = 2.0 * PSP_EXC
    w = [[psp[i][j] * ratio for j in range(n)] for i in range(n)]
    w_ext = PSP_EXC * ratio
    dc = [BG_RATE * K_EXT[i] * w_ext * TAU_SYN * 0.001 for i in range(n)] if bg == "dc" else [0.0] * n
    if scale != 1:
        # adjust_weights_and_input_to_synapse_scaling (K_scaling = scale)
        w_full = w
        w = [[w_full[i][j] / math.sqrt(scale) for j in range(n)] for i in range(n)]
        w_ext = w_ext / math.sqrt(scale)
        input_rec = [sum(w_full[i][j] * (full_syn[i][j] / FULL_N[i]) * FULL_RATES[j] for j in range(n))
                     for i in range(n)]
        dc = [dc[i] + 0.001 * TAU_SYN * (1.0 - math.sqrt(scale)) * input_rec[i] for i in range(n)]
        if bg == "poisson":
            psc_ext_full = PSP_EXC * ratio
            dc = [dc[i] + 0.001 * TAU_SYN * (1.0 - math.sqrt(scale)) * psc_ext_full * K_EXT[i] * BG_RATE
                  for i in range(n)]
    k_ext = [int(round(k * scale)) for k in K_EXT]
    return num_neurons, num_syn, w, w_ext, dc, k_ext, ratio


def write(path, scale, bg, t_stop):
    n = len(POPS)
    num_neurons, num_syn, w, w_ext, dc, k_ext, ratio = derive(scale, bg)
    total = sum(map(sum, num_syn))
    L = []
    L.append("# The Potjans & Diesmann (2014) cortical microcircuit, written by inputs/tools/microcircuit.py")
    L.append("# (do not edit by hand: change the script and run it again). It is the reference PyNEST")
    L.append("# implementation (INM-6/microcircuit-PD14-model, PyNEST/src/microcircuit, commit fd40046, NEST 3.9)")
    L.append("# with its defaults: 8 populations of iaf_psc_exp, fixed_total_number connectivity, weights")
    L.append("# normal with relative sd 0.1 redrawn to keep their sign, delays normal with relative sd 0.5")
    L.append("# redrawn below resolution/2, optimised initial potentials, no thalamic input, dt 0.1 ms.")
    L.append("#")
    L.append(f"# Scale: N_scaling = K_scaling = {scale!r} ({sum(num_neurons)} neurons, {total} synapses); background: {bg}.")
    if scale != 1:
        L.append("# Downscaled by the reference's own rule (network_params: N_scaling, K_scaling): synapse")
        L.append("# numbers x N_scaling x K_scaling, weights / sqrt(K_scaling), DC input raised to keep the")
        L.append("# mean input (helpers.adjust_weights_and_input_to_synapse_scaling). NEST's network at this")
        L.append("# scale is silent after the warm-up except L6I (../shared/reference/pd14_nest/README.md), so")
        L.append("# validation uses the full model (inputs/microcircuit.toml).")
    L.append("#")
    L.append("# The reference simulates 500 ms of warm-up (t_presim) before its measured 5 s; the")
    L.append("# statistics use spikes with 500 < t <= 5500 ms:")
    L.append("#   mpirun -n 2 cajal run inputs/microcircuit.toml")
    L.append("#   build/tests/pd14check output/microcircuit/spikes.h5 ../shared/reference/pd14_nest/pd14_nest_scale1.h5")
    L.append("#")
    L.append("# Derived numbers (network.py __derive_parameters):")
    L.append(f"#   PSC/PSP = {ratio!r} pA/mV   (helpers.postsynaptic_potential_to_current(C_m 250, tau_m 10, tau_syn 0.5))")
    L.append(f"#   w_exc   = 0.15 mV x PSC/PSP = {PSP_EXC * ratio!r} pA; w_inh = g w_exc, g = -4; L4E -> L23E doubled")
    L.append("#   N(target i, source j) = round(log(1 - p_ij) / log((N_i N_j - 1) / (N_i N_j)) x N_scaling x K_scaling)")
    L.append("#     (helpers.num_synapses_from_conn_probs; p_ij: network_params conn_probs)")
    if bg == "dc":
        L.append("#   I_e(i)  = bg_rate 8 Hz x K_ext(i) x w_ext x tau_syn x 0.001   (helpers.dc_input_compensating_poisson)")
    else:
        L.append(f"#   background: Poisson at bg_rate 8 Hz x K_ext(i) per neuron, weight w_ext = {w_ext!r} pA")
        L.append("#   (NEST: one poisson_generator per population, all_to_all, delay 1.5 ms; for independent")
        L.append("#   Poisson trains that delay changes nothing, and Cajal adds the input in the step it is drawn)")
    L.append("# Delays: NEST redraws a normal below resolution/2 = 0.05 ms and has no upper bound; here the")
    L.append("# upper bound is mean + 8 sd (P(draw > bound) = 6e-16 per synapse: about 2e-7 redraws in the")
    L.append("# whole model), which keeps the ring buffers at 76 slots.")
    L.append("")
    L.append("[simulation]")
    L.append(f"dt = {RESOLUTION!r}            # sim_params: sim_resolution")
    L.append(f"t_stop = {t_stop!r}      # sim_params: t_presim 500 ms + t_sim (reference data: 5000 ms)")
    L.append("seed = 55                # sim_params: rng_seed (NEST's stream differs; any seed is a realisation)")
    L.append("box = [1000.0, 1000.0, 1000.0]   # no space in the model: cells are placed uniformly, bricks balance load")
    L.append("")
    for i, p in enumerate(POPS):
        L.append("[[population]]")
        L.append(f'name = "{p}"')
        L.append('model = "iaf_psc_exp"')
        L.append(f"n = {num_neurons[i]}        # full_num_neurons x N_scaling")
        if bg == "poisson":
            L.append(f"background = {{ rate = {BG_RATE * k_ext[i]!r}, weight = {w_ext!r} }}   # bg_rate x K_ext x K_scaling, PSC_ext")
        L.append("")
        L.append("[population.params]   # network_params neuron_params; C_m, tau_m are NEST's defaults, as the reference")
        L.append(f"E_L = {E_L!r}")
        L.append(f"V_th = {V_TH!r}")
        L.append(f"V_reset = {V_RESET!r}")
        L.append(f"C_m = {C_M!r}")
        L.append(f"tau_m = {TAU_M!r}")
        L.append(f"tau_syn_ex = {TAU_SYN!r}")
        L.append(f"tau_syn_in = {TAU_SYN!r}")
        L.append(f"t_ref = {T_REF!r}")
        L.append(f"I_e = {dc[i]!r}   # DC background (bg_input_type = \"{bg}\")")
        L.append(f'V_m = {{ dist = "normal", mean = {V0_MEAN[i]!r}, std = {V0_STD[i]!r} }}   # V0_type = "optimized"')
        L.append("")
    for i, tgt in enumerate(POPS):
        for j, src in enumerate(POPS):
            if num_syn[i][j] <= 0:
                continue
            mean_w = w[i][j]
            d = DELAY_EXC if j % 2 == 0 else DELAY_INH
            L.append("[[projection]]")
            L.append(f'pre = "{src}"')
            L.append(f'post = "{tgt}"')
            L.append('rule = "fixed_total_number"')
            L.append(f"n = {num_syn[i][j]}   # conn_probs[{tgt}][{src}] = {CONN_PROBS[i][j]!r}")
            bound = "min = 0.0" if mean_w >= 0 else "max = 0.0"
            L.append(f'weight = {{ dist = "normal", mean = {mean_w!r}, std = {abs(mean_w * W_REL_STD)!r}, {bound} }}')
            L.append(f'delay = {{ dist = "normal", mean = {d!r}, std = {d * D_REL_STD!r}, min = {0.5 * RESOLUTION!r}, max = {d + 8 * d * D_REL_STD!r} }}')
            L.append("")
    L.append("[[record]]")
    L.append('what = "spikes"')
    L.append("populations = [" + ", ".join(f'"{p}"' for p in POPS) + "]")
    L.append("")
    L.append("[output]")
    L.append(f'dir = "output/{path.rsplit("/", 1)[-1][:-5]}"')
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float)
    ap.add_argument("--bg", choices=["dc", "poisson"], default="dc")
    ap.add_argument("--t-stop", type=float, default=5500.0)
    ap.add_argument("--out")
    a = ap.parse_args()
    if a.out:
        write(a.out, a.scale if a.scale else 1.0, a.bg, a.t_stop)
    else:
        write("inputs/microcircuit.toml", 1.0, "dc", 5500.0)
        write("inputs/microcircuit_scale0.1.toml", 0.1, "dc", 5500.0)
        write("inputs/microcircuit_poisson.toml", 1.0, "poisson", 5500.0)
