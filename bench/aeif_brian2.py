#!/usr/bin/python3
"""Brian2 reference for Cajal's aeif_cond_alpha_astro integrator (tests/unit/test_aeif.cpp).

The model of src/model/astro.hpp (struct AeifCondAlphaAstro; NEST's aeif_cond_alpha*,
Brette & Gerstner 2005 AdEx with alpha-shaped conductances), SIC = 0, t_ref = 0:

    C dV/dt     = -g_L (V - E_L) + g_L Delta_T exp((V - V_th)/Delta_T)
                  - g_ex (V - E_ex) - g_in (V - E_in) - w + I_e
    tau_w dw/dt = a (V - E_L) - w
    g_x(t)      = W_x e/tau_x (t - t_in) exp(-(t - t_in)/tau_x)  for t > t_in, else 0
    V >= V_peak: V <- V_reset, w <- w + b

As in Cajal and NEST, V on the right-hand side is min(V, V_peak). Before the crossing of
V_peak (the spike) this changes nothing; it keeps the step in which V crosses V_peak
finite. The alpha conductances are written in closed form (the solution of Cajal's
dg' = -dg/tau, g' = dg - g/tau with dg jumping by W e/tau at t_in), so the input acts
from exactly t_in, not from the next Brian2 step.

Brian2: C++ standalone, method='rk4', compiled with -O2 (no -ffast-math), at the time
steps DTS (default 4e-4, 2e-4, 1e-4 ms) to show convergence. Two formulations of the same
ODE, one NeuronGroup each:
  V form  the equations as written; threshold V >= V_peak, reset V = V_reset, w += b.
          Brian2 detects the crossing at the end of the step (t_i, t_i + dt] containing
          it and resets there, so every reset is up to dt late and the delays add up over
          the spikes of a run (~ n_spikes * dt/2): spike times converge only linearly in dt
          (e.g. 6.7e-3 ms off after 104 spikes at dt = 1e-4 ms). Printed times: t_i + dt.
  u form  the same ODE in u = exp(-(V - V_th)/Delta_T) (see EQS_U): the blow-up of V
          becomes u falling linearly through u_peak, RK4 stays accurate up to the spike,
          the crossing time inside the step follows exactly from u, and the reset is
          placed at that time. This is the reference ("Brian2" below and in the test).
Independent check ("ode"): the same ODE with scipy's DOP853 (rtol = atol = 1e-12), the
last part of each upstroke integrated with V as the independent variable, and exact
event location of V = V_peak. Brian2's u form agrees with it to < 1e-4 ms in every
spike time; Cajal's integrator, run with gsl_error_tol = 1e-12, converges to it.

Cajal's times are on the 0.1 ms grid: a spike is reported at the end of the 0.1 ms step
in which V crossed V_peak (the reset itself happens at the end of the accepted adaptive
sub-step, inside the step, so later spikes are not delayed). So Cajal's spike step
(1-based, ending at k * 0.1 ms) is k = ceil(t*/0.1). For each spike the script prints
k; crossings within 1e-3 ms of a grid point are listed, since there k is uncertain by 1.

Cases (all: V(0) = E_L, w(0) = 0, 1000 ms):
  nest_I*   NEST defaults (C_m 281 pF, g_L 30 nS, E_L -70.6, V_th -50.4, Delta_T 2,
            tau_w 144, a 4 nS, b 80.5 pA, V_reset -60, V_peak 0, E_ex 0, E_in -85,
            tau_syn_ex 0.2, tau_syn_in 2) at I_e = 500, 600, 650, 800, 1000 pA. 500 pA is
            below the rheobase (no spikes); 600 pA fires once, then adaptation stops it.
  naud_*    Naud, Marcille, Clopath & Gerstner 2008 (Biol Cybern 99:335), Table 1, with
            V_peak = 0: tonic, adapting, initial burst, regular bursting.
  nest_I800_DeltaT*  NEST defaults, I_e = 800 pA, with a steep spike initiation
            (Delta_T = 0.5, 0.2, 0.1 mV): the upstroke needs sub-steps far below 1e-9 ms.
  syn       NEST defaults, I_e = 0, one excitatory input of 50 nS at t_in = 10 ms.
  syn_in    NEST defaults, I_e = 0, one inhibitory input of 20 nS at t_in = 10 ms.
  For syn and syn_in, V, w, g_ex, g_in are printed at SYN_TIMES.

Run with the Debian interpreter (python3-brian, Brian2 2.5.1; needs g++ and scipy):
  /usr/bin/python3 bench/aeif_brian2.py            # ~3 min on 2 cores (3 standalone builds)
  /usr/bin/python3 bench/aeif_brian2.py --quick    # Brian2 at dt = 1e-4 ms only
The last line is everything as one JSON object.
"""
import argparse
import json
import math
import shutil
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
import numpy as np  # noqa: E402
import brian2 as b2  # noqa: E402
from scipy.integrate import solve_ivp  # noqa: E402

GRID = 0.1  # Cajal's time step, ms
T_STOP = 1000.0  # ms
DTS = [4e-4, 2e-4, 1e-4]  # Brian2 time steps, ms

NEST = dict(C_m=281.0, g_L=30.0, E_L=-70.6, V_th=-50.4, Delta_T=2.0, tau_w=144.0, a=4.0, b=80.5,
            V_reset=-60.0, V_peak=0.0, E_ex=0.0, E_in=-85.0, tau_ex=0.2, tau_in=2.0, I_e=0.0, W=0.0, W_in=0.0,
            t_in=1e9)


def naud(C, gL, EL, VT, tw, a, b, Vr, I):
    return dict(NEST, C_m=C, g_L=gL, E_L=EL, V_th=VT, Delta_T=2.0, tau_w=tw, a=a, b=b, V_reset=Vr, I_e=I)


CASES = {
    "nest_I500": dict(NEST, I_e=500.0),
    "nest_I600": dict(NEST, I_e=600.0),
    "nest_I650": dict(NEST, I_e=650.0),
    "nest_I800": dict(NEST, I_e=800.0),
    "nest_I1000": dict(NEST, I_e=1000.0),
    "naud_tonic": naud(200, 10, -70, -50, 30, 2, 0, -58, 500),
    "naud_adapting": naud(200, 12, -70, -50, 300, 2, 60, -58, 500),
    "naud_initial_burst": naud(130, 18, -58, -50, 150, 4, 120, -50, 400),
    "naud_bursting": naud(200, 10, -58, -50, 120, 2, 100, -46, 210),
    "nest_I800_DeltaT0.5": dict(NEST, I_e=800.0, Delta_T=0.5),
    "nest_I800_DeltaT0.2": dict(NEST, I_e=800.0, Delta_T=0.2),
    "nest_I800_DeltaT0.1": dict(NEST, I_e=800.0, Delta_T=0.1),
    "syn": dict(NEST, I_e=0.0, W=50.0, t_in=10.0),
    "syn_in": dict(NEST, I_e=0.0, W_in=20.0, t_in=10.0),
}
SYN_CASES = ("syn", "syn_in")
SYN_TIMES = [10.0, 10.1, 10.2, 10.3, 10.5, 11.0, 12.0, 15.0, 20.0, 30.0, 50.0]  # ms

# Units: mV, ms, nS, pA, pF (pA/pF = mV/ms, nS*mV = pA).
PARAMS = """
g_ex = W*exp(1.0)/tau_ex*s_in*exp(-s_in/tau_ex) : siemens
g_in = W_in*exp(1.0)/tau_in*s_in*exp(-s_in/tau_in) : siemens
s_in = clip(t - t_in, 0*ms, 1e6*ms) : second
C_m : farad (constant)
g_L : siemens (constant)
E_L : volt (constant)
V_th : volt (constant)
Delta_T : volt (constant)
tau_w : second (constant)
a : siemens (constant)
b : amp (constant)
V_reset : volt (constant)
V_peak : volt (constant)
E_ex : volt (constant)
E_in : volt (constant)
tau_ex : second (constant)
tau_in : second (constant)
I_e : amp (constant)
W : siemens (constant)
W_in : siemens (constant)
t_in : second (constant)
"""
UNITS = dict(C_m=b2.pF, g_L=b2.nS, E_L=b2.mV, V_th=b2.mV, Delta_T=b2.mV, tau_w=b2.ms, a=b2.nS, b=b2.pA,
             V_reset=b2.mV, V_peak=b2.mV, E_ex=b2.mV, E_in=b2.mV, tau_ex=b2.ms, tau_in=b2.ms, I_e=b2.pA,
             W=b2.nS, W_in=b2.nS, t_in=b2.ms)

# "V form": the model as written, V on the right-hand side clamped to V_peak.
EQS_V = """
dv/dt = (-g_L*(vc - E_L) + g_L*Delta_T*exp((vc - V_th)/Delta_T) - g_ex*(vc - E_ex) - g_in*(vc - E_in) - w + I_e)/C_m : volt
dw/dt = (a*(vc - E_L) - w)/tau_w : amp
vc = clip(v, -1*volt, V_peak) : volt
""" + PARAMS

# "u form": the same ODE in u = exp(-(V - V_th)/Delta_T), V = V_th - Delta_T ln u:
#   du/dt = -(u/Delta_T) dV/dt = -g_L/C_m - (u/Delta_T)(-g_L (V - E_L) - g_ex (V - E_ex) - w + I_e)/C_m.
# The exponential blow-up of V becomes u falling linearly (slope ~ -g_L/C_m) through
# u_peak = exp(-(V_peak - V_th)/Delta_T), so RK4 is accurate up to the spike. Beyond u_peak
# the right-hand side is frozen at u_peak (V = V_peak, as Cajal's clamp), u keeps falling at
# the constant rate r_cross, and the crossing time inside the step is exactly
# t_end - (u_peak - u)/r_cross. The reset places V at V_reset at that time and advances
# (V, w) over the rest of the step by one Euler step (error < 1e-8 mV for delta < dt), after
# undoing the clamped growth of w between the crossing and the step end.
EQS_U = """
du/dt = -g_L/C_m - uc/Delta_T*(-g_L*(vc - E_L) - g_ex*(vc - E_ex) - g_in*(vc - E_in) - w + I_e)/C_m : 1
dw/dt = (a*(vc - E_L) - w)/tau_w : amp
uc = clip(u, u_peak, 1e300) : 1
vc = V_th - Delta_T*log(uc) : volt
u_peak : 1 (constant)
""" + PARAMS
RESET_U = """
r_cross = g_L/C_m + u_peak/Delta_T*(-g_L*(V_peak - E_L) - g_ex*(V_peak - E_ex) - g_in*(V_peak - E_in) - w + I_e)/C_m
delta = (u_peak - u)/r_cross
w = w - delta*(a*(V_peak - E_L) - w)/tau_w + b
v_new = V_reset + delta*(-g_L*(V_reset - E_L) + g_L*Delta_T*exp((V_reset - V_th)/Delta_T) - g_ex*(V_reset - E_ex) - g_in*(V_reset - E_in) - w + I_e)/C_m
w = w + delta*(a*(V_reset - E_L) - w)/tau_w
u = exp(-(v_new - V_th)/Delta_T)
"""


def r_cross(p, w):
    """-du/dt at u = u_peak (1/ms), g_ex = g_in = 0 (no spikes in the cases with input)."""
    u_peak = math.exp(-(p["V_peak"] - p["V_th"]) / p["Delta_T"])
    return p["g_L"] / p["C_m"] + u_peak / p["Delta_T"] * (-p["g_L"] * (p["V_peak"] - p["E_L"]) - w + p["I_e"]) / p["C_m"]


def brian2_run(dt_ms):
    """All cases, in both forms, as two NeuronGroups in one C++ standalone build. Returns,
    per form and case, the spike times (ms) and, for 'syn', V/w/g_ex at SYN_TIMES."""
    names = list(CASES)
    build_dir = tempfile.mkdtemp(prefix="aeif_brian2_")
    try:
        b2.device.reinit()
        b2.device.activate(directory=build_dir, build_on_run=False)
        b2.prefs.codegen.cpp.extra_compile_args_gcc = ["-w", "-O2"]
        b2.defaultclock.dt = dt_ms * b2.ms
        gv = b2.NeuronGroup(len(names), EQS_V, threshold="v >= V_peak", reset="v = V_reset\nw += b",
                            method="rk4", name="vform")
        gu = b2.NeuronGroup(len(names), EQS_U, threshold="u <= u_peak", reset=RESET_U, method="rk4",
                            name="uform")
        for g in (gv, gu):
            for k, unit in UNITS.items():
                setattr(g, k, np.array([CASES[n][k] for n in names]) * unit)
            g.w = 0 * b2.pA
        gv.v = np.array([CASES[n]["E_L"] for n in names]) * b2.mV
        gu.u_peak = np.array([math.exp(-(CASES[n]["V_peak"] - CASES[n]["V_th"]) / CASES[n]["Delta_T"])
                              for n in names])
        gu.u = np.array([math.exp(-(CASES[n]["E_L"] - CASES[n]["V_th"]) / CASES[n]["Delta_T"]) for n in names])
        sv = b2.SpikeMonitor(gv)
        su = b2.SpikeMonitor(gu, variables=["u", "w"])  # state at the end of the crossing step
        syn = [names.index(n) for n in SYN_CASES]
        # Samples at multiples of 0.1 ms, taken before the state update of that step,
        # i.e. the state at exactly that time.
        mv = b2.StateMonitor(gv, ["v", "w", "g_ex", "g_in"], record=syn, dt=GRID * b2.ms)
        mu = b2.StateMonitor(gu, ["vc", "w", "g_ex", "g_in"], record=syn, dt=GRID * b2.ms)
        net = b2.Network(gv, gu, sv, su, mv, mu)
        net.run(T_STOP * b2.ms, namespace={})
        b2.device.build(directory=build_dir, compile=True, run=True, clean=True)
        out = {"V": {}, "u": {}}
        fv, fw = np.asarray(gv.v[:] / b2.mV), np.asarray(gv.w[:] / b2.pA)
        fuv, fuw = np.asarray(gu.vc[:] / b2.mV), np.asarray(gu.w[:] / b2.pA)
        iv, tv = np.asarray(sv.i), np.asarray(sv.t / b2.ms)
        iu, tu = np.asarray(su.i), np.asarray(su.t / b2.ms)
        uu, wu = np.asarray(su.u), np.asarray(su.w / b2.pA)
        for j, n in enumerate(names):
            # V form: the crossing is in the step (t_i, t_i + dt]; report its end.
            out["V"][n] = {"spikes": sorted(float(t) + dt_ms for t in tv[iv == j]),
                           "final": {"V": float(fv[j]), "w": float(fw[j])}}
            # u form: the crossing time itself.
            p = CASES[n]
            u_peak = math.exp(-(p["V_peak"] - p["V_th"]) / p["Delta_T"])
            out["u"][n] = {"spikes": sorted(float(t) + dt_ms - (u_peak - u) / r_cross(p, w)
                                            for t, u, w in zip(tu[iu == j], uu[iu == j], wu[iu == j])),
                           "final": {"V": float(fuv[j]), "w": float(fuw[j])}}
        for form, mon, var in (("V", mv, "v"), ("u", mu, "vc")):
            tt = np.asarray(mon.t / b2.ms)
            for r, n in enumerate(SYN_CASES):
                vv = np.asarray(getattr(mon, var)[r] / b2.mV)
                ww, ge, gi = (np.asarray(x[r]) for x in (mon.w / b2.pA, mon.g_ex / b2.nS, mon.g_in / b2.nS))
                samples = {}
                for ts in SYN_TIMES:
                    m = int(np.argmin(np.abs(tt - ts)))
                    assert abs(tt[m] - ts) < 1e-6, (tt[m], ts)
                    samples["%g" % ts] = {"V": float(vv[m]), "w": float(ww[m]), "g_ex": float(ge[m]),
                                          "g_in": float(gi[m])}
                out[form][n]["samples"] = samples
        return out
    finally:
        shutil.rmtree(build_dir, ignore_errors=True)


def ode_run(p, t_stop=T_STOP, samples=()):
    """The same ODE with DOP853 (rtol = atol = 1e-12) and exact events. Returns spike
    times and the states at `samples` (ms). Near the spike dV/dt grows like
    exp((V - V_th)/Delta_T) (~1e10 mV/ms at V_peak), too stiff for any time step, so once V
    reaches V_sw = V_th + 10 Delta_T the rest of the upstroke is integrated with V as the
    independent variable: dt/dV = 1/f_V, dw/dV = f_w/f_V, from V_sw to V_peak."""
    def g_ex(t):
        s = t - p["t_in"]
        return p["W"] * math.e / p["tau_ex"] * s * math.exp(-s / p["tau_ex"]) if s > 0 else 0.0

    def g_in(t):
        s = t - p["t_in"]
        return p["W_in"] * math.e / p["tau_in"] * s * math.exp(-s / p["tau_in"]) if s > 0 else 0.0

    def f(t, y):
        v = min(y[0], p["V_peak"])
        dv = (-p["g_L"] * (v - p["E_L"]) + p["g_L"] * p["Delta_T"] * math.exp((v - p["V_th"]) / p["Delta_T"])
              - g_ex(t) * (v - p["E_ex"]) - g_in(t) * (v - p["E_in"]) - y[1] + p["I_e"]) / p["C_m"]
        return [dv, (p["a"] * (v - p["E_L"]) - y[1]) / p["tau_w"]]

    def upstroke(v, z):  # z = (t, w)
        dv, dw = f(z[0], [v, z[1]])
        return [1.0 / dv, dw / dv]

    V_sw = min(p["V_th"] + 10.0 * p["Delta_T"], p["V_peak"])

    def hit(t, y):
        return y[0] - V_sw
    hit.terminal, hit.direction = True, 1

    # integrate piecewise, breaking at t_in (kink of g_ex) and the sample times
    breaks = sorted(set([x for x in [p["t_in"]] + list(samples) if 0 < x < t_stop] + [t_stop]))
    t, y = 0.0, [p["E_L"], 0.0]
    spikes, states = [], {}
    for tb in breaks:
        while t < tb:
            r = solve_ivp(f, (t, tb), y, method="DOP853", rtol=1e-12, atol=1e-12, events=hit)
            if r.status == 1:  # V reached V_sw: finish the upstroke in V
                t, w = float(r.t_events[0][0]), float(r.y_events[0][0][1])
                u = solve_ivp(upstroke, (V_sw, p["V_peak"]), [t, w], method="DOP853", rtol=1e-13, atol=1e-13)
                assert u.status == 0, u.message
                t_spk, w = float(u.y[0, -1]), float(u.y[1, -1])
                assert t_spk < tb, "upstroke crosses a break point"
                spikes.append(t_spk)
                t, y = t_spk, [p["V_reset"], w + p["b"]]
            else:
                assert r.status == 0, r.message
                t, y = tb, [float(r.y[0, -1]), float(r.y[1, -1])]
        if tb in samples or tb == t_stop:
            states["%g" % tb] = {"V": y[0], "w": y[1], "g_ex": g_ex(tb), "g_in": g_in(tb)}
    return spikes, states


def grid_step(t):
    """Cajal's spike step (1-based; the step ends at k * GRID) for a crossing at t."""
    return int(math.ceil(t / GRID - 1e-12))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="Brian2 at dt = 1e-4 ms only")
    args = ap.parse_args()
    dts = [1e-4] if args.quick else DTS
    b2.set_device("cpp_standalone", build_on_run=False)
    res = {"brian2": b2.__version__, "method": "rk4 (C++ standalone, -O2)", "dts_ms": dts,
           "grid_ms": GRID, "t_stop_ms": T_STOP, "cases": {}}
    b2_out = {}
    for dt in dts:
        print("Brian2 standalone build, dt = %g ms ..." % dt, file=sys.stderr)
        b2_out[dt] = brian2_run(dt)
    fine = dts[-1]
    for name, p in CASES.items():
        ode_spikes, ode_states = ode_run(p, samples=SYN_TIMES if name in SYN_CASES else ())
        c = {"params": p, "ode_spikes": ode_spikes, "ode_final": ode_states.pop("%g" % T_STOP)}
        for form in ("u", "V"):
            c["brian2_%s_spikes" % form] = {"%g" % dt: b2_out[dt][form][name]["spikes"] for dt in dts}
            c["brian2_%s_final" % form] = {"%g" % dt: b2_out[dt][form][name]["final"] for dt in dts}
        ref = b2_out[fine]["u"][name]["spikes"]  # the reference: Brian2, u form, finest dt
        c["cajal_steps"] = [grid_step(t) for t in ref]
        c["margins"] = [abs(t / GRID - round(t / GRID)) * GRID for t in ref]
        print("== %s: %d spikes (Brian2 u form, dt = %g ms)" % (name, len(ref), fine))
        for form in ("u", "V"):
            for dt in dts:
                bs = b2_out[dt][form][name]["spikes"]
                fin = b2_out[dt][form][name]["final"]
                tail = "final V - V_ode = %+.1e mV" % (fin["V"] - c["ode_final"]["V"])
                if len(bs) != len(ode_spikes):
                    print("   Brian2 %s form dt=%g: %d spikes, ode %d; %s" % (form, dt, len(bs), len(ode_spikes), tail))
                    c.setdefault("count_mismatch", []).append([form, dt])
                    continue
                d = max((abs(x - y) for x, y in zip(bs, ode_spikes)), default=0.0)
                same = [grid_step(x) for x in bs] == [grid_step(x) for x in ode_spikes]
                print("   Brian2 %s form dt=%g: max |t - t_ode| = %.2g ms, grid steps %s; %s" %
                      (form, dt, d, "same as ode" if same else "DIFFER from ode", tail))
        if ref:
            print("   t (ms):       " + " ".join("%.6f" % t for t in ref))
            print("   Cajal steps:  " + " ".join(str(k) for k in c["cajal_steps"]))
            print("   spikes (0-based) within 1e-3 ms of the grid: %s" % ", ".join("#%d (%.2g ms)" % (i, m)
                                                          for i, m in enumerate(c["margins"]) if m < 1e-3))
        fin = b2_out[fine]["u"][name]["final"]
        print("   state at %g ms: V = %.9f mV, w = %.9f pA (ode: %.9f, %.9f)" %
              (T_STOP, fin["V"], fin["w"], c["ode_final"]["V"], c["ode_final"]["w"]))
        if name in SYN_CASES:
            c["ode_samples"] = ode_states
            for form in ("u", "V"):
                c["brian2_%s_samples" % form] = {"%g" % dt: b2_out[dt][form][name]["samples"] for dt in dts}
            for ts in SYN_TIMES:
                k = "%g" % ts
                o, bu, bv = ode_states[k], b2_out[fine]["u"][name]["samples"][k], b2_out[fine]["V"][name]["samples"][k]
                print("   t=%-5s V = %.9f mV (V form %+.1e, ode %+.1e)  w = %.9f pA  g_ex = %.9f nS  g_in = %.9f nS"
                      % (k, bu["V"], bv["V"] - bu["V"], o["V"] - bu["V"], bu["w"], bu["g_ex"], bu["g_in"]))
        res["cases"][name] = c
    print(json.dumps(res))


if __name__ == "__main__":
    main()
