# -*- coding: utf-8 -*-
"""
Single G-ChI astrocyte (Stimberg et al. 2019, Brian 2 example_2 parameters):
  * Ca2+ oscillation period under a constant extracellular glutamate Y_S
  * the same astrocyte driven exactly as in example_2 (0.5 Hz synaptic release)
  * no-input steady state of all state variables by long integration
    (example_2 set, and also the example_3/4 and example_6 parameter sets)
Integration: as in example_2 -> method 'milstein' with noise = 0 (its deterministic
part is forward Euler), dt = 1 ms.  An rk4 copy is run alongside for comparison.

Run:  /usr/bin/python3 /tmp/gchi_period.py     (Debian python3-brian 2.5.1)
"""
import sys, time, json
import numpy as np
from brian2 import *

OUTDIR = '/tmp/gchi/standalone_period'
set_device('cpp_standalone', directory=OUTDIR, build_on_run=False)
prefs.devices.cpp_standalone.openmp_threads = 0   # plain single thread
defaultclock.dt = 1*ms

T_REC = 200*second      # recorded part (oscillation analysis)
T_TOTAL = 6000*second   # total, for the steady-state rows
T_DISCARD = 20*second
Y_CONST = [0.3, 0.5]    # umolar, constant glutamate (oscillatory window ~0.1-0.65 uM)

# ---------------------------------------------------------------- parameters
ex2 = dict(  # example_2_gchi_astrocyte.py
    rho_c=0.001, Y_T=500*mmolar, Omega_c=40/second, f_0=0.5*Hz,
    O_P=0.9*umolar/second, K_P=0.1*umolar, C_T=2*umolar, rho_A=0.18,
    Omega_C=6/second, Omega_L=0.1/second,
    d_1=0.13*umolar, d_2=1.05*umolar, O_2=0.2/umolar/second,
    d_3=0.9434*umolar, d_5=0.08*umolar,
    O_beta=5*umolar/second, O_N=0.3/umolar/second, Omega_N=0.5/second,
    K_KC=0.5*umolar, zeta=10,
    O_delta=0.2*umolar/second, kappa_delta=1.5*umolar, K_delta=0.3*umolar,
    Omega_5P=0.1/second, K_D=0.5*umolar, K_3K=1*umolar, O_3K=4.5*umolar/second,
    F_ex=0.09*umolar/second, I_Theta=0.3*umolar, omega_I=0.05*umolar)
ex34 = dict(ex2, K_P=0.05*umolar, O_beta=3.2*umolar/second,
            O_delta=0.6*umolar/second, K_delta=0.1*umolar,
            Omega_5P=0.05/second, K_D=0.7*umolar, F_ex=2.0*umolar/second)
ex6 = dict(ex34, O_beta=0.5*umolar/second, O_delta=1.2*umolar/second,
           F_ex=0*umolar/second)
glio = dict(C_Theta=0.5*umolar, Omega_A=0.6/second, U_A=0.6, G_T=200*mmolar,
            rho_e=6.5e-4, Omega_e=60/second)
ex6.update(glio)

# example_2 astrocyte equations (noise flag kept, set to 0)
eqs2 = '''
dGamma_A/dt = O_N*Y_S*(1 - Gamma_A) - Omega_N*(1 + zeta*C/(C + K_KC))*Gamma_A : 1
dI/dt = J_beta + J_delta - J_3K - J_5P + J_ex : mmolar
J_beta = O_beta*Gamma_A : mmolar/second
J_delta = O_delta/(1 + I/kappa_delta)*C**2/(C**2 + K_delta**2) : mmolar/second
J_3K = O_3K*C**4/(C**4 + K_D**4)*I/(I + K_3K) : mmolar/second
J_5P = Omega_5P*I : mmolar/second
delta_I_bias = I - I_bias : mmolar
J_ex = -F_ex/2*(1 + tanh((abs(delta_I_bias) - I_Theta)/omega_I))*sign(delta_I_bias) : mmolar/second
I_bias : mmolar (constant)
dC/dt = J_r + J_l - J_p : mmolar
dh/dt = (h_inf - h_clipped)/tau_h*(1 + noise*xi*tau_h**0.5) : 1
h_clipped = clip(h, 0, 1) : 1
J_r = Omega_C*m_inf**3*h_clipped**3*(C_T - (1 + rho_A)*C) : mmolar/second
J_l = Omega_L*(C_T - (1 + rho_A)*C) : mmolar/second
J_p = O_P*C**2/(C**2 + K_P**2) : mmolar/second
m_inf = I/(I + d_1)*C/(C + d_5) : 1
h_inf = Q_2/(Q_2 + C) : 1
tau_h = 1/(O_2*(Q_2 + C)) : second
Q_2 = d_2*(I + d_1)/(I + d_3) : mmolar
Y_S : mmolar
noise : 1 (constant)
'''
eqs2_det = eqs2.replace('*(1 + noise*xi*tau_h**0.5)', '')   # for rk4 copy

# example_3/4 style astrocyte (no clip, rk4, J_ex) and example_6 style
eqs34 = '''
dGamma_A/dt = O_N*Y_S*(1 - Gamma_A) - Omega_N*(1 + zeta*C/(C + K_KC))*Gamma_A : 1
dI/dt = O_beta*Gamma_A + O_delta/(1 + I/kappa_delta)*C**2/(C**2 + K_delta**2)
        - O_3K*C**4/(C**4 + K_D**4)*I/(I + K_3K) - Omega_5P*I + J_ex : mmolar
J_ex = -F_ex/2*(1 + tanh((abs(I - I_bias) - I_Theta)/omega_I))*sign(I - I_bias) : mmolar/second
I_bias : mmolar (constant)
dC/dt = (Omega_C*m_inf**3*h**3 + Omega_L)*(C_T - (1 + rho_A)*C) - O_P*C**2/(C**2 + K_P**2) : mmolar
dh/dt = (h_inf - h)/tau_h : 1
m_inf = I/(I + d_1)*C/(C + d_5) : 1
h_inf = Q_2/(Q_2 + C) : 1
tau_h = 1/(O_2*(Q_2 + C)) : second
Q_2 = d_2*(I + d_1)/(I + d_3) : mmolar
Y_S : mmolar
'''
eqs6 = '''
dGamma_A/dt = O_N*Y_S*(1 - clip(Gamma_A,0,1)) - Omega_N*(1 + zeta*C/(C + K_KC))*clip(Gamma_A,0,1) : 1
dI/dt = O_beta*Gamma_A + O_delta/(1 + I/kappa_delta)*C**2/(C**2 + K_delta**2)
        - O_3K*C**4/(C**4 + K_D**4)*I/(I + K_3K) - Omega_5P*I + J_coupling : mmolar
J_coupling : mmolar/second
dC/dt = (Omega_C*m_inf**3*h**3 + Omega_L)*(C_T - (1 + rho_A)*C) - O_P*C**2/(C**2 + K_P**2) : mmolar
dh/dt = (h_inf - h)/tau_h : 1
m_inf = I/(I + d_1)*C/(C + d_5) : 1
h_inf = Q_2/(Q_2 + C) : 1
tau_h = 1/(O_2*(Q_2 + C)) : second
Q_2 = d_2*(I + d_1)/(I + d_3) : mmolar
dx_A/dt = Omega_A*(1 - x_A) : 1
dG_A/dt = -Omega_e*G_A : mmolar
Y_S : mmolar
'''

# ---------------------------------------------------------------- groups
nY = len(Y_CONST)
# rows 0..nY-1: constant Y_S ; row nY: Y_S = 0 (steady state)
A = NeuronGroup(nY + 1, eqs2, method='milstein', namespace=ex2, name='A_milstein')
A.h = 0.9
A.noise = 0
A.Y_S = np.r_[Y_CONST, 0.0]*umolar
R = NeuronGroup(nY + 1, eqs2_det, method='rk4', namespace=ex2, name='A_rk4')
R.h = 0.9
R.Y_S = np.r_[Y_CONST, 0.0]*umolar

# example_2 exact drive: periodic 0.5 Hz "neuron", synapse with Y_S += rho_c*Y_T
src = NeuronGroup(1, 'dx/dt = f_0 : 1', threshold='x>1', reset='x=0',
                  method='euler', namespace=ex2)
tgt = NeuronGroup(1, '')
syn = Synapses(src, tgt, 'dY_S/dt = -Omega_c*Y_S : mmolar (clock-driven)',
               on_pre='Y_S += rho_c*Y_T', method='exact', namespace=ex2)
syn.connect()
P = NeuronGroup(1, eqs2, method='milstein', namespace=ex2, name='A_ex2drive')
P.h = 0.9
P.noise = 0
link = Synapses(syn, P, 'Y_S_post = Y_S_pre : mmolar (summed)')
link.connect()

# steady-state rows for the example_3/4 and example_6 parameter sets
S34 = NeuronGroup(1, eqs34, method='rk4', namespace=ex34, name='S34')
S34.h = 0.9
S6 = NeuronGroup(1, eqs6, method='rk4', dt=10*ms, namespace=ex6, name='S6',
                 threshold='C>C_Theta', refractory='C>C_Theta',
                 reset='G_A += rho_e*G_T*U_A*x_A\nx_A -= U_A*x_A')
S6.C = 0.01*umolar; S6.I = 0.01*umolar; S6.h = 0.9; S6.x_A = 1.0

monA = StateMonitor(A, ['C', 'I', 'h', 'Gamma_A'], record=range(nY))
monR = StateMonitor(R, ['C'], record=range(nY))
monP = StateMonitor(P, ['C', 'I', 'h', 'Gamma_A'], record=0)
# coarse snapshots for the steady state rows (every 100 s)
snapA = StateMonitor(A, ['Gamma_A', 'I', 'C', 'h'], record=[nY], dt=100*second,
                     when='end')
snapR = StateMonitor(R, ['Gamma_A', 'I', 'C', 'h'], record=[nY], dt=100*second,
                     when='end')
snap34 = StateMonitor(S34, ['Gamma_A', 'I', 'C', 'h'], record=0, dt=100*second,
                      when='end')
snap6 = StateMonitor(S6, ['Gamma_A', 'I', 'C', 'h', 'x_A', 'G_A'], record=0,
                     dt=100*second, when='end')
spk6 = SpikeMonitor(S6)

run(T_REC)
monA.active = False; monR.active = False; monP.active = False
run(T_TOTAL - T_REC)
t0 = time.time()
device.build(directory=OUTDIR, compile=True, run=True, debug=False)
print('build+run wall time: %.1f s' % (time.time() - t0))


# ---------------------------------------------------------------- analysis
def period_stats(t, c, discard=T_DISCARD/second):
    """Upward crossings of c through the midpoint of its range (after discard),
    crossing times linearly interpolated between samples."""
    m = t >= discard
    t, c = t[m], c[m]
    mid = 0.5*(c.min() + c.max())
    k = np.where((c[:-1] < mid) & (c[1:] >= mid))[0]
    tc = t[k] + (mid - c[k])/(c[k+1] - c[k])*(t[k+1] - t[k])
    iv = np.diff(tc)
    return dict(Cmin_uM=c.min()/1e-3, Cmax_uM=c.max()/1e-3, mid_uM=mid/1e-3,
                n_intervals=len(iv), mean_s=iv.mean() if len(iv) else np.nan,
                sd_s=iv.std(ddof=1) if len(iv) > 1 else np.nan,
                min_s=iv.min() if len(iv) else np.nan,
                max_s=iv.max() if len(iv) else np.nan)

res = {'brian2': __import__('brian2').__version__, 'osc': {}, 'steady': {}}
tA = monA.t/second
for k, y in enumerate(Y_CONST):
    res['osc']['milstein(noise=0)=Euler dt=1ms, Y_S=%g uM' % y] = \
        period_stats(tA, np.asarray(monA.C[k]/mmolar))
    res['osc']['rk4 dt=1ms, Y_S=%g uM' % y] = \
        period_stats(monR.t/second, np.asarray(monR.C[k]/mmolar))
    res['osc']['(asymptotic, discard 100 s) Euler dt=1ms, Y_S=%g uM' % y] = \
        period_stats(tA, np.asarray(monA.C[k]/mmolar), discard=100)
    res['osc']['(asymptotic, discard 100 s) rk4 dt=1ms, Y_S=%g uM' % y] = \
        period_stats(monR.t/second, np.asarray(monR.C[k]/mmolar), discard=100)
res['osc']['example_2 drive (0.5 Hz, rho_c*Y_T=0.5 mM pulses), Euler dt=1ms'] = \
    period_stats(monP.t/second, np.asarray(monP.C[0]/mmolar))

def snap(mon, names, row=0):
    out = {}
    for n in names:
        v = np.asarray(getattr(mon, n)[row])
        unit = 1e-3 if n in ('I', 'C', 'G_A') else 1.0   # mM -> uM
        out[n] = dict(final=v[-1]/unit, change_last_100s=abs(v[-1]-v[-2])/unit,
                      unit='uM' if unit != 1 else '1')
    return out
res['steady']['example_2 set, Euler dt=1ms, t=%gs' % (T_TOTAL/second)] = \
    snap(snapA, ['Gamma_A', 'I', 'C', 'h'])
res['steady']['example_2 set, rk4 dt=1ms'] = snap(snapR, ['Gamma_A', 'I', 'C', 'h'])
res['steady']['example_3/4 set (J_ex, I_bias=0), rk4 dt=1ms'] = \
    snap(snap34, ['Gamma_A', 'I', 'C', 'h'])
res['steady']['example_6 set (no J_ex), rk4 dt=10ms'] = \
    snap(snap6, ['Gamma_A', 'I', 'C', 'h', 'x_A', 'G_A'])
res['example_6 set: threshold crossings during relaxation'] = \
    [float(x) for x in spk6.t/second]


# ---- independent check of the fixed points: Newton iteration in 50-digit
# arithmetic on the right-hand side (Y_S = 0, so Gamma_A = 0 exactly), and the
# eigenvalues of the Jacobian (stability)
import mpmath as mp
mp.mp.dps = 50
def fixed_point(p, guess, jex):
    q = {k: mp.mpf(float(v)) for k, v in p.items()}   # SI units (mM == mol/m^3)
    def f(I, C, h):
        Q2 = q['d_2']*(I + q['d_1'])/(I + q['d_3'])
        minf = I/(I + q['d_1'])*C/(C + q['d_5'])
        dI = (q['O_delta']/(1 + I/q['kappa_delta'])*C**2/(C**2 + q['K_delta']**2)
              - q['O_3K']*C**4/(C**4 + q['K_D']**4)*I/(I + q['K_3K'])
              - q['Omega_5P']*I)
        if jex:
            dI -= q['F_ex']/2*(1 + mp.tanh((abs(I) - q['I_Theta'])/q['omega_I']))*mp.sign(I)
        dC = ((q['Omega_C']*minf**3*h**3 + q['Omega_L'])*(q['C_T'] - (1 + q['rho_A'])*C)
              - q['O_P']*C**2/(C**2 + q['K_P']**2))
        dh = (Q2/(Q2 + C) - h)*q['O_2']*(Q2 + C)
        return [dI, dC, dh]
    x = mp.findroot(f, [mp.mpf(g) for g in guess])
    J = mp.matrix(3, 3); eps = mp.mpf('1e-25')
    for j in range(3):
        xp = list(x); xp[j] += eps; xm = list(x); xm[j] -= eps
        fp, fm = f(*xp), f(*xm)
        for i in range(3):
            J[i, j] = (fp[i] - fm[i])/(2*eps)
    ev = mp.eig(J)[0]
    return [float(v) for v in x], [complex(e) for e in ev]
chk = {}
for name, p, jex, mon in [('example_2', ex2, True, snapA), ('example_3/4', ex34, True, snap34),
                          ('example_6', ex6, False, snap6)]:
    guess = [float(mon.I[0][-1]), float(mon.C[0][-1]), float(mon.h[0][-1])]
    x, ev = fixed_point(p, guess, jex)
    chk[name] = dict(I_uM=x[0]*1e3, C_uM=x[1]*1e3, h=x[2],
                     abs_diff_vs_brian=[abs(x[0]-guess[0])*1e3, abs(x[1]-guess[1])*1e3, abs(x[2]-guess[2])],
                     eigenvalues_per_s=[str(e) for e in ev])
res['newton_check'] = chk

np.savez('/tmp/gchi/traces.npz', t=tA, C=np.asarray(monA.C/mmolar),
         I=np.asarray(monA.I/mmolar), h=np.asarray(monA.h),
         G=np.asarray(monA.Gamma_A), CR=np.asarray(monR.C/mmolar),
         CP=np.asarray(monP.C[0]/mmolar))
json.dump(res, open('/tmp/gchi/results.json', 'w'), indent=1, default=float)
np.set_printoptions(precision=15)
for sec in ('osc', 'steady'):
    for k, v in res[sec].items():
        print(k)
        for kk, vv in v.items():
            print('   ', kk, vv)
for k, v in chk.items():
    print('Newton', k, v)
print('example_6 set crossings:', res['example_6 set: threshold crossings during relaxation'])
