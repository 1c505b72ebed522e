#!/usr/bin/python3
"""Brian2 (C++ standalone) version of inputs/brunel.toml, for benchmarking Cajal.

Network (Brunel 2000 model A, as NEST's brunel_delta_nest example):
  NE = 10000 excitatory, NI = 2500 inhibitory iaf_psc_delta-equivalent neurons
  tau_m = 20 ms, V_th = 20 mV, V_reset = 0 mV, E_L = 0 mV, t_ref = 2 ms (V clamped),
  all V start at 0 mV; dt = 0.1 ms.
  fixed in-degree: every neuron gets CE = 1000 inputs from the excitatory and
  CI = 250 from the inhibitory population, sources drawn uniformly with
  replacement (autapses and multapses allowed, NEST defaults);
  J = 0.1 mV (exc), -g*J = -0.5 mV (inh), delay 1.5 ms (homogeneous);
  independent Poisson drive of 20 kHz per neuron, weight J.

Prints one JSON object on stdout (everything else goes to stderr).

Run with the Debian interpreter (python3-brian):
  /usr/bin/python3 bench/brian2_brunel.py --t-stop 1000 --threads 1
"""
import argparse
import atexit
import json
import os
import resource
import shutil
import sys
import tempfile
import time

T_SCRIPT0 = time.perf_counter()

# Runs the standalone binary as a child and records *its own* peak RSS (os.wait4
# gives the rusage of exactly that process, so the compiler's memory is not mixed
# in, as it would be with getrusage(RUSAGE_CHILDREN)). Brian2 runs the binary
# with cwd = the build directory, so results/ exists there.
_RSS_WRAPPER = r"""
import os, subprocess, sys
p = subprocess.Popen(sys.argv[1:])
_, status, ru = os.wait4(p.pid, 0)
with open(os.path.join('results', 'peak_rss_kib.txt'), 'w') as f:
    f.write(str(ru.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--t-stop', type=float, default=1000.0, help='simulated time in ms (default 1000)')
    ap.add_argument('--threads', type=int, default=1, help='OpenMP threads (default 1)')
    ap.add_argument('--build-dir', default=None,
                    help='standalone project directory (default: a fresh temporary '
                         'directory, deleted afterwards)')
    ap.add_argument('--seed', type=int, default=12345, help='seed (connectivity and Brian2 RNG)')
    ap.add_argument('--nest-timing', action='store_true',
                    help="compensate Brian2's schedule (input applied after the threshold "
                         "test) so that the dynamics are step-for-step those of NEST: "
                         "weights / exp(-dt/tau_m) and delay 1.4 ms (see comment below)")
    args = ap.parse_args()

    # Keep stdout clean for the JSON: everything Brian2/make/the binary prints goes to stderr.
    json_out = os.fdopen(os.dup(1), 'w')
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    import numpy as np
    import brian2 as b2
    from brian2 import ms, mV, Hz

    t_import = time.perf_counter() - T_SCRIPT0

    build_dir = args.build_dir
    tmp_dir = None
    if build_dir is None:
        tmp_dir = tempfile.mkdtemp(prefix='brian2_brunel_')
        build_dir = tmp_dir
        # the project holds ~125 MB of connectivity arrays: always remove it
        atexit.register(shutil.rmtree, tmp_dir, ignore_errors=True)
    build_dir = os.path.abspath(build_dir)

    b2.set_device('cpp_standalone', directory=build_dir, build_on_run=False)
    # threads = 1 -> openmp_threads = 0: Brian2's plain serial code (no OpenMP
    # runtime); threads >= 2 -> Brian2's OpenMP code with that many threads.
    b2.prefs.devices.cpp_standalone.openmp_threads = args.threads if args.threads > 1 else 0
    b2.prefs.devices.cpp_standalone.run_cmd_unix = [sys.executable, '-c', _RSS_WRAPPER, './main']
    b2.defaultclock.dt = 0.1 * ms
    b2.seed(args.seed)  # Brian2 runtime RNG (Poisson drive)
    rng = np.random.default_rng(args.seed)  # connectivity (generated here, in Python)

    # ---- parameters (inputs/brunel.toml) ----
    NE, NI = 10000, 2500
    N = NE + NI
    CE, CI = 1000, 250
    J = 0.1 * mV
    g = 5.0
    J_I = -g * J
    delay = 1.5 * ms
    # Brian2's default schedule in one step is: V decays (state update) ->
    # threshold test -> synaptic and Poisson input added -> reset. NEST's
    # iaf_psc_delta does: V = exp(-dt/tau_m) V + input -> threshold -> reset.
    # Writing W_k = exp(-dt/tau_m) * V_k (the value Brian2 tests at step k+1),
    # Brian2's recursion is exactly NEST's with every input scaled by
    # exp(-dt/tau_m) = 0.995 and arriving one step later (delay 1.6 ms); the
    # refractory window (input discarded for 20 steps after a spike, V clamped)
    # then lines up exactly. --nest-timing undoes both: J / exp(-dt/tau_m) and
    # delay 1.5 ms - dt. Default: the plain translation (J = 0.1 mV, 1.5 ms).
    if args.nest_timing:
        decay = float(np.exp(-0.1 / 20.0))
        J, J_I = J / decay, J_I / decay
        delay = 1.5 * ms - 0.1 * ms
    nu_ext = 20000.0 * Hz  # Poisson rate per neuron
    ns = dict(tau_m=20.0 * ms, V_th=20.0 * mV, V_reset=0.0 * mV, J=J, J_I=J_I)

    t_net0 = time.perf_counter()

    # iaf_psc_delta with E_L = 0 and C_m = 1 pF (so that weights are in mV): between
    # inputs V decays exactly (method='exact' gives V *= exp(-dt/tau_m), as NEST's
    # propagator). '(unless refractory)' freezes V during t_ref after the reset, i.e.
    # V is clamped at V_reset as in NEST.
    G = b2.NeuronGroup(N, 'dv/dt = -v/tau_m : volt (unless refractory)',
                       threshold='v >= V_th',  # NEST: spike if V_m >= V_th
                       reset='v = V_reset', refractory=2.0 * ms,
                       method='exact', namespace=ns, name='neurons')
    G.v = 0 * mV
    Pe = G[:NE]
    Pi = G[NE:]

    # Delta synapses. NEST's iaf_psc_delta discards spikes that arrive while the
    # neuron is refractory (refractory_input=False). '(unless refractory)' only
    # stops the differential equation; an on_pre jump 'v_post += w' would still be
    # applied during t_ref and would move V away from V_reset. Multiplying by
    # int(not_refractory_post) drops those inputs. not_refractory is also set to
    # False by the threshold in the very step a neuron fires, so input delivered in
    # that step is discarded too (V is reset anyway, as in NEST). The weights are
    # constants in the generated code (all synapses of a projection have the same
    # weight and the same delay), so no per-synapse weight/delay arrays are stored.
    Se = b2.Synapses(Pe, G, on_pre='v_post += J * int(not_refractory_post)',
                     delay=delay, namespace=ns, name='syn_exc')
    Si = b2.Synapses(Pi, G, on_pre='v_post += J_I * int(not_refractory_post)',
                     delay=delay, namespace=ns, name='syn_inh')

    # fixed in-degree: for every target j draw CE (CI) sources uniformly with
    # replacement -> autapses and multapses allowed (NEST defaults).
    tgt_e = np.repeat(np.arange(N, dtype=np.int32), CE)
    src_e = rng.integers(0, NE, size=N * CE, dtype=np.int32)
    Se.connect(i=src_e, j=tgt_e)
    n_syn_e = src_e.size
    del src_e, tgt_e
    tgt_i = np.repeat(np.arange(N, dtype=np.int32), CI)
    src_i = rng.integers(0, NI, size=N * CI, dtype=np.int32)
    Si.connect(i=src_i, j=tgt_i)
    n_syn_i = src_i.size
    del src_i, tgt_i

    # Independent Poisson drive, 20 kHz per neuron, weight J. PoissonInput adds
    # J * Binomial(n, p) to v each step; with n = 20000 sources at 1 Hz,
    # p = 1e-4 per step, so Binomial(20000, 1e-4) is Poisson(2) to within 1e-4
    # in variance (Brian2 uses its exact binomial sampler here since n*p = 2 < 5,
    # not the normal approximation). Same refractory gating as the synapses.
    n_poisson = 20000
    P = b2.PoissonInput(G, 'v', N=n_poisson, rate=nu_ext / n_poisson,
                        weight='J * int(not_refractory)')  # J: from the run namespace

    mon = b2.SpikeMonitor(G, record=False, name='spikes')  # counts only

    net = b2.Network(G, Se, Si, P, mon)
    net.run(args.t_stop * ms, namespace=ns)
    t_net = time.perf_counter() - t_net0  # network construction + code queued (no C++ yet)

    t_build0 = time.perf_counter()
    b2.device.build(directory=build_dir, compile=True, run=True, clean=True,
                    with_output=False)
    t_build = time.perf_counter() - t_build0

    compile_s = b2.device.timers['compile']['make']
    binary_s = b2.device.timers['run_binary']
    sim_s = b2.device._last_run_time

    rss_file = os.path.join(build_dir, 'results', 'peak_rss_kib.txt')
    peak_rss_kib = int(open(rss_file).read()) if os.path.exists(rss_file) else None

    counts = np.asarray(mon.count[:])
    T = args.t_stop * 1e-3
    spikes_e = int(counts[:NE].sum())
    spikes_i = int(counts[NE:].sum())
    try:
        n_syn_check = int(len(Se)) + int(len(Si))
    except Exception:  # pragma: no cover - informative only
        n_syn_check = None

    t_total = time.perf_counter() - T_SCRIPT0

    result = {
        'simulator': 'brian2 %s cpp_standalone' % b2.__version__,
        'network': 'inputs/brunel.toml (Brunel 2000 model A, brunel_delta_nest)',
        't_stop_ms': args.t_stop,
        'dt_ms': 0.1,
        'threads': args.threads,
        'seed': args.seed,
        'nest_timing': args.nest_timing,
        'weights_mV': [float(J / mV), float(J_I / mV)],
        'delay_ms': float(delay / ms),
        'build_dir': build_dir if tmp_dir is None else None,
        # main simulation loop only, as timed inside the standalone binary (Network::run)
        'simulate_s': sim_s,
        # wall time of the whole standalone binary: loading the connectivity arrays,
        # creating the synapses, initialising spike queues, simulate_s, writing results
        'binary_wall_s': binary_s,
        # 'make' of the generated C++ project (full rebuild: clean=True)
        'compile_s': compile_s,
        # device.build() total: code generation + writing arrays + compile + binary
        'device_build_total_s': t_build,
        'codegen_s': t_build - compile_s - binary_s,
        # Python side: building the network and drawing the connectivity with numpy
        'python_network_setup_s': t_net,
        'python_import_s': t_import,
        'total_wall_s': t_total,
        'rate_exc_hz': spikes_e / (NE * T),
        'rate_inh_hz': spikes_i / (NI * T),
        'spikes_exc': spikes_e,
        'spikes_inh': spikes_i,
        'spikes': spikes_e + spikes_i,
        'synapses': n_syn_e + n_syn_i,
        'synapses_brian2_count': n_syn_check,
        'poisson_inputs': N,
        'peak_rss_sim_mib': peak_rss_kib / 1024.0 if peak_rss_kib is not None else None,
        'peak_rss_python_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }

    json_out.write(json.dumps(result, indent=2) + '\n')
    json_out.flush()


if __name__ == '__main__':
    main()
