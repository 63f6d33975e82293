"""A leaky integrate-and-fire neuron with a sinusoidal drive, written as Brian2's examples write it."""
from brian2 import Hz, Mohm, NeuronGroup, StateMonitor, mV, ms, nA, pi, run, sin, SpikeMonitor  # noqa: F401 (names the equations use)

tau = 10*ms
v_rest = -70*mV
v_th = -50*mV
R = 20*Mohm
I0 = 1.2*nA
f_drive = 5*Hz

eqs = '''
dv/dt = (v_rest - v + R*I)/tau : volt (unless refractory)
I = I0*(1 + 0.5*sin(2*pi*f_drive*t)) : amp
'''
G = NeuronGroup(1, eqs, threshold='v > v_th', reset='v = v_rest', refractory=2*ms, method='euler')
G.v = v_rest
M = StateMonitor(G, 'v', record=True)
S = SpikeMonitor(G)
run(200*ms)
