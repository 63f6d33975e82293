"""A script with parts the importer cannot read: each is named with its line."""
import numpy as np
from brian2 import Equations, NeuronGroup, mV, ms, run

tau = 10*ms
v_rest = -65*mV
sigma = 2*mV
weights = np.linspace(0, 1, 10)

eqs = Equations('''
dv/dt = (v_rest - v)/tau + sigma*sqrt(2/tau)*xi : volt
''', v_rest=v_rest)
G = NeuronGroup(10, eqs, threshold='v > -50*mV', reset='v = v_rest', events={'custom': 'v > 0*mV'})
G.v = 'v_rest + rand()*mV'
G.tau = 5*ms
G.run_regularly('v = v_rest', dt=1*ms)
H = NeuronGroup(5, 'dx/dt = -x/tau : 1')
run(100*ms)
