"""Brian2's default functions and constants, `%`, int(condition) and `constant over dt` in one model."""
from brian2 import NeuronGroup, SpikeMonitor, StateMonitor, mV, ms, pA, pF, nS, run  # noqa: F401

C = 200*pF
gL = 10*nS
EL = -70*mV
VT = -50*mV
DeltaT = 2*mV
tau_w = 100*ms
I_drive = 400*pA

eqs = '''
dv/dt = (gL*(EL - v) + gL*DeltaT*sinh((v - VT)/DeltaT)/cosh((v - VT)/DeltaT) + I - w)/C : volt
dw/dt = (0.5*nS*(v - EL)*(1 + arctan(v/mV)/pi) - w)/tau_w : amp
I = I_drive*(1 + 0.2*log10(1 + (t/ms) % 7)) + int(v > VT)*10*pA : amp (constant over dt)
'''
G = NeuronGroup(1, eqs, threshold='v > -40*mV', reset='v = EL; w += 20*pA', refractory=2*ms, method='rk4')
G.v = EL
M = StateMonitor(G, 'v', record=True)
S = SpikeMonitor(G)
run(200*ms)
