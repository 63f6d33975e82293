"""The board side of the HIL protocol (docs/hil-protocol.md): commands in, telemetry out, over a UART.

:class:`Telemetry` sits beside a :class:`~hdl.core.NetworkCore` and drives it:

* **In.** UART receiver -> a byte FIFO -> :class:`~hdl.hil_framing.FrameDecoder` -> a command buffer.  Each good
  command is checked (type, length, address) and answered with an ``Ack``; bad frames are counted
  (``Status.rx_errors``) and get none.
* **Stepping.** The core steps on ``step_req`` while the board runs: ``Start`` (one step in
  single-step mode), ``RunSteps`` (then a ``Status``), ``Stop``; ``SetPace`` sets the core's
  ``pace`` (real time: ``period`` clocks per step, 0 meaning ``dt`` times the clock; free-running and
  single-step: as fast as it goes).
* **Parameters.** ``WriteParam`` waits for the end of the step in flight, writes the core's
  parameter bank (no step starts meanwhile) and acknowledges with the value read back and the step
  count, before the next step starts; ``ReadParam`` reads it.  ``Status.param_crc`` is recomputed
  after every write.
* **Spikes.** The first spike of a step puts a step marker (the step's low 15 bits) into the spike
  FIFO (one block RAM), every spike its global index; the transmitter turns each step's run into
  ``Spikes`` frames (122 neurons at most each) once the next marker comes or the step is over.  A
  spike that finds the FIFO full is dropped and counted (``Status.spikes_dropped``): never silently.
* **Probes.** Up to ``probes`` (neuron, variable) pairs, among those the project's recorders sample,
  are kept as the core writes the neurons back; every ``every``-th step they go out as one
  ``ProbeSamples`` frame before the next step starts.
* **Out.** Acks first, then probe samples, spikes, and a ``Status`` (on ``GetStatus``, when the board
  stops, and every :data:`STATUS_EVERY` steps while it runs), one registered byte a clock through
  :class:`~hdl.hil_framing.FrameEncoder` to the UART transmitter.  Acks, samples and Status read the
  live registers (no second copy): they are written between two steps, holding the next one for the
  few dozen clocks it takes, and with the command decoder's input held.

* **Reset.** ``Reset`` stops the board, waits until the last step's spikes and samples are out, has a
  resettable core (``NetworkCore(resettable=True)``) write every neuron's initial state back, and
  acknowledges at step 0; the parameter bank keeps its writes.  With a core that cannot reset it is
  answered ``UNKNOWN_COMMAND``.
"""


from amaranth.hdl import Cat, Const, Module, Mux, Signal, Value, signed
from amaranth.lib import wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.wiring import In, Out

from hdl.core import NetworkCore
from hdl.datapath import at_least
from hdl.hil_codec import parameter_crc
from hdl.hil_framing import FrameDecoder, FrameEncoder, crc_parameters
from hdl.hil_protocol import (
    HEADER, HEADER_BYTES, PROTOCOL_VERSION, Ack, GetStatus, Pace, ProbeSamples, ReadParam, Reset, Result, RunSteps,
    SetPace, SetProbes, Spikes, Start, Status, Stop, WriteParam, field_offsets, fixed_bytes, max_records,
    record_bytes)
from hdl.uart import UARTReceiver, UARTTransmitter

__all__ = ["SPIKE_FIFO_DEPTH", "STATUS_EVERY", "Telemetry"]

SPIKE_FIFO_DEPTH = 256  # spikes and step markers waiting for the link (one iCE40 block RAM at 16 bits)
MARKER = 15  # an entry of the spike FIFO: a neuron, or with bit 15 set a step marker (the step's low 15 bits)
RX_FIFO_DEPTH = 256  # command bytes that arrive while an Ack waits for the transmitter
PACE_BITS = 24  # clocks per step the board paces to: up to 0.7 s a step at 24 MHz
STATUS_EVERY = 1024  # steps between two Status messages while running (a power of two)
COMMAND_BYTES = fixed_bytes(WriteParam)  # the longest command the board reads whole


def _le(value, nbytes: int) -> list:
    """The little-endian bytes of ``value`` (a signal or a constant; a signed one sign-extended)."""
    value = Value.cast(value)
    if len(value) < 8 * nbytes:
        pad = 8 * nbytes - len(value)
        value = Cat(value, Cat(*[value[-1]] * pad) if value.shape().signed else Const(0, pad))
    return [value.word_select(k, 8) for k in range(nbytes)]


def _message_bytes(message, values: dict) -> list:
    """The fixed fields of ``message`` after its header, as byte expressions; ``values`` maps each to a signal."""
    out = []
    for name, (_, width) in field_offsets(message).items():
        if name not in ("type", "seq"):
            out += _le(values[name], width)
    return out


class Telemetry(wiring.Component):
    """The HIL protocol beside ``core``; see the module docstring.

    Parameters
    ----------
    core
        The network core it drives (its ``run`` stays low; steps are requested one by one).
    divisor
        UART clocks per bit (:func:`hdl.uart.uart_divisor`).
    realtime_period
        Clocks per step in real time (``dt`` times the clock).
    probes
        How many (neuron, variable) pairs ``SetProbes`` may choose (0: probing off, ``SetProbes`` with pairs
        is answered ``TOO_MANY``); each costs about a hundred logic cells.
    """

    rx: In(1, init=1)
    tx: Out(1, init=1)

    def __init__(self, core: NetworkCore, divisor: int, realtime_period: int, probes: int = 0,
                 spike_depth: int = SPIKE_FIFO_DEPTH):
        self.core = core
        self.divisor = divisor
        self.realtime_period = int(realtime_period)
        self.spike_depth = spike_depth
        plan = core.plan
        if plan.n_neurons > 1 << MARKER:
            raise ValueError(f"the board's HIL telemetry addresses {1 << MARKER:,} neurons, not {plan.n_neurons:,}")
        self.bases = [sum(p.size for p in plan.populations[:k]) for k in range(len(plan.populations))]
        self.probes = probes if any(core.probe_slots.values()) else 0
        # what a probe may name: each neuron a recorder of the project samples, with its number of variables
        variables = [len(core.probe_slots[p.name]) for p in plan.populations]
        self.probeable = {self.bases[pr.population] + int(n): variables[pr.population]
                          for pr in plan.probes for n in pr.neurons}
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        core = self.core
        m.submodules.uart_rx = urx = UARTReceiver(self.divisor)
        m.submodules.uart_tx = utx = UARTTransmitter(self.divisor)
        m.submodules.decoder = decoder = FrameDecoder()
        m.submodules.encoder = encoder = FrameEncoder()
        m.d.comb += [urx.rx.eq(self.rx), self.tx.eq(utx.tx)]
        m.submodules.rx_fifo = rx_fifo = SyncFIFOBuffered(width=8, depth=RX_FIFO_DEPTH)
        holding = Signal()  # a Status or ProbeSamples goes out: what it reads must hold still
        m.d.comb += [rx_fifo.w_data.eq(urx.o.payload), rx_fifo.w_en.eq(urx.o.valid), urx.o.ready.eq(rx_fifo.w_rdy),
                     decoder.i.payload.eq(rx_fifo.r_data), decoder.i.valid.eq(rx_fifo.r_rdy & ~holding),
                     rx_fifo.r_en.eq(decoder.i.ready & ~holding)]
        wiring.connect(m, encoder.o, utx.i)

        # -- board state -----------------------------------------------------------------------
        running, limited, one_step = Signal(), Signal(), Signal()  # limited: RunSteps; one_step: single-step Start
        remaining = Signal(32)
        pace_mode = Signal(2, init=Pace.REAL_TIME)
        pace_clocks = Signal(PACE_BITS, init=self.realtime_period)  # the core's pace, set by SetPace
        stopping = Signal()  # send a Status once the step in flight has ended
        status_pending = Signal()
        spikes_dropped = Signal(32)
        param_crc = Signal(16, init=parameter_crc([]))
        probing = Signal(range(self.probes + 1))  # pairs sampled (the first ``probing`` slots)
        # a slot's neuron and variable, as narrow as the neurons and variables that may be probed
        neuron_shape = range(max(self.probeable, default=0) + 1)
        variable_shape = range(max(self.probeable.values(), default=1))
        taps = [(Signal(neuron_shape, name=f"probe_neuron_{k}"), Signal(variable_shape, name=f"probe_variable_{k}"))
                 for k in range(self.probes)]
        every, countdown = Signal(16), Signal(16)  # sample every ``every``-th step; steps until the next sample
        sampled = Signal()  # the step in flight is sampled
        samples_pending = Signal()  # its samples wait for the transmitter; the next step waits for them
        probe_step = Signal(32)  # the sampled step
        m.submodules.spike_fifo = fifo = SyncFIFOBuffered(width=16, depth=self.spike_depth)
        m.d.comb += [core.run.eq(0),
                     core.pace.eq(pace_clocks)]

        # -- the command buffer --------------------------------------------------------------
        cmd = [Signal(8, name=f"cmd_{k}") for k in range(COMMAND_BYTES)]
        length = Signal(8)  # payload bytes received so far (saturating)
        phase = Signal(range(record_bytes(SetProbes)))  # length modulo a SetProbes record
        cmd_ready = Signal()
        ack_pending = Signal()  # an Ack waits for the transmitter
        m.d.comb += decoder.o.ready.eq(~cmd_ready & ~ack_pending)
        previous = [Signal(8, name="previous_0"), Signal(8, name="previous_1")]  # the two bytes before this one
        records = Signal(8)  # SetProbes records received (saturating)
        chosen = [(Signal(neuron_shape, name=f"chosen_neuron_{k}"),
                   Signal(variable_shape, name=f"chosen_variable_{k}"))
                  for k in range(self.probes)]  # the pairs of a SetProbes, taken only once its frame is good
        unknown_pair = Signal()
        with m.If(decoder.o.valid & decoder.o.ready):
            m.d.sync += [previous[0].eq(decoder.o.payload.data), previous[1].eq(previous[0])]
            record_ends = at_least(length, fixed_bytes(SetProbes) + record_bytes(SetProbes) - 1) & (phase == 1)
            with m.If(record_ends & (self.probes != 0)):
                m.d.sync += records.eq(Mux(records == 0xFF, records, records + 1))
                pair = Cat(previous[1], previous[0]), decoder.o.payload.data
                for k, (neuron, variable) in enumerate(chosen):
                    with m.If(records == k):
                        m.d.sync += [neuron.eq(pair[0]), variable.eq(pair[1])]
                known_pair = Const(0)
                for n, variables in self.probeable.items():
                    known_pair = known_pair | ((pair[0] == n) & ~at_least(pair[1], variables))
                with m.If(~known_pair):
                    m.d.sync += unknown_pair.eq(1)
            with m.Switch(length):
                for k in range(COMMAND_BYTES):
                    with m.Case(k):
                        m.d.sync += cmd[k].eq(decoder.o.payload.data)
            with m.If(decoder.o.payload.last & ~decoder.o.payload.ok):
                m.d.sync += [length.eq(0), phase.eq(0), records.eq(0), unknown_pair.eq(0)]
            with m.Else():
                m.d.sync += [length.eq(Mux(length == 0xFF, length, length + 1)),
                             phase.eq(Mux(phase == record_bytes(SetProbes) - 1, 0, phase + 1)),
                             cmd_ready.eq(decoder.o.payload.last)]
        ctype = cmd[0]
        cseq = Cat(cmd[1], cmd[2])

        # -- the Ack being sent ----------------------------------------------------------------
        # the Ack reads the command's fields from the buffer, which takes no new command until the Ack is out
        ack_result, ack_value = Signal(8), Signal(32)
        ack_addressed = Signal()  # the Ack carries the command's bank and entry

        def answer(result, addressed=False, value=0):
            m.d.sync += [ack_result.eq(result), ack_addressed.eq(addressed), ack_value.eq(value),
                         ack_pending.eq(1), cmd_ready.eq(0), length.eq(0), phase.eq(0),
                         records.eq(0), unknown_pair.eq(0)]

        # -- the parameter bank ----------------------------------------------------------------
        banks = core.param_banks
        n_params = sum(len(slots) for _, slots in banks)
        bank, entry = cmd[3], Cat(cmd[4], cmd[5])
        value = Cat(cmd[6], cmd[7], cmd[8], cmd[9]).as_signed()
        valid_address = Const(0)
        index = Signal(range(max(n_params, 2)))
        for b, (_, slots) in enumerate(banks):
            if slots:
                here = (bank == b) & ~at_least(entry, len(slots))
                valid_address = valid_address | here
                with m.If(bank == b):
                    m.d.comb += index.eq(core.param_index(b, 0) + entry)
        readback = Signal(signed(32))
        if n_params:
            m.d.comb += [readback.eq(core.param_rdata), core.param_wdata.eq(value), core.param_addr.eq(index)]

        crc_engine = crc_parameters().create()
        m.submodules.param_crc = crc_engine
        crc_byte = Signal(range(max(4 * n_params, 1) + 1))

        commands = (Start, Stop, RunSteps, SetPace, WriteParam, ReadParam, GetStatus) + ((Reset,) if core.resettable
                                                                                         else ())
        expected = {cls.TYPE: fixed_bytes(cls) for cls in commands}
        step_req, issue, writing, command_idle = Signal(), Signal(), Signal(), Signal()
        tx_idle = Signal()  # the transmitter is between frames
        with m.FSM(name="command"):
            with m.State("CRC"):  # param_crc over the bank, one byte a clock
                if n_params:
                    m.d.comb += [core.param_addr.eq(crc_byte[2:]), crc_engine.valid.eq(crc_byte != 4 * n_params),
                                 crc_engine.start.eq(crc_byte == 0),
                                 crc_engine.data.eq(readback.word_select(crc_byte[:2], 8))]
                    with m.If(crc_byte == 4 * n_params):
                        m.d.sync += [param_crc.eq(crc_engine.crc), crc_byte.eq(0)]
                        m.next = "IDLE"
                    with m.Else():
                        m.d.sync += crc_byte.eq(crc_byte + 1)
                else:
                    m.next = "IDLE"
            with m.State("IDLE"):
                m.d.comb += command_idle.eq(1)
                with m.If(cmd_ready & ~ack_pending & ~holding):
                    known = Cat(*(ctype == t for t in expected)).any() | (ctype == SetProbes.TYPE)
                    size_ok = Mux(ctype == SetProbes.TYPE,
                                  at_least(length, fixed_bytes(SetProbes))
                                  & (phase == fixed_bytes(SetProbes) % record_bytes(SetProbes)), 0)
                    for t, n in expected.items():
                        size_ok = size_ok | ((ctype == t) & (length == n))
                    with m.If(~known):
                        answer(Result.UNKNOWN_COMMAND)
                    with m.Elif(~size_ok):
                        answer(Result.BAD_LENGTH)
                    with m.Else():
                        with m.Switch(ctype):
                            with m.Case(Start.TYPE):
                                single = pace_mode == Pace.SINGLE_STEP
                                m.d.sync += [running.eq(1), limited.eq(0), one_step.eq(single)]
                                answer(Result.OK)
                            with m.Case(Stop.TYPE):
                                m.d.sync += [running.eq(0), stopping.eq(1)]
                                answer(Result.OK)
                            with m.Case(RunSteps.TYPE):
                                steps = Cat(cmd[3], cmd[4], cmd[5], cmd[6])
                                m.d.sync += [running.eq(steps != 0), limited.eq(1), one_step.eq(0),
                                             remaining.eq(steps),
                                             stopping.eq(steps == 0)]
                                answer(Result.OK)
                            with m.Case(SetPace.TYPE):
                                with m.If(at_least(cmd[3], Pace.SINGLE_STEP + 1) | Cat(*cmd[4:8])[PACE_BITS:].any()):
                                    answer(Result.BAD_ADDRESS)
                                with m.Else():
                                    period = Cat(cmd[4], cmd[5], cmd[6], cmd[7])[:PACE_BITS]
                                    m.d.sync += [pace_mode.eq(cmd[3]),
                                                 pace_clocks.eq(Mux(cmd[3] == Pace.REAL_TIME,
                                                                    Mux(period == 0, self.realtime_period, period), 0))]
                                    answer(Result.OK)
                            with m.Case(SetProbes.TYPE):
                                many = at_least(records, self.probes + 1) if self.probes else length != fixed_bytes(SetProbes)
                                with m.If(many):
                                    answer(Result.TOO_MANY)
                                with m.Elif(unknown_pair):
                                    answer(Result.BAD_ADDRESS)
                                with m.Else():
                                    often = Cat(cmd[3], cmd[4])
                                    m.d.sync += [probing.eq(records), every.eq(Mux(often == 0, 1, often)),
                                                 countdown.eq(0)]
                                    m.d.sync += [slot.eq(pick) for (slot, _), (pick, _) in zip(taps, chosen)]
                                    m.d.sync += [var.eq(pick) for (_, var), (_, pick) in zip(taps, chosen)]
                                    answer(Result.OK)
                            with m.Case(GetStatus.TYPE):
                                m.d.sync += status_pending.eq(1)
                                answer(Result.OK)
                            with m.Case(WriteParam.TYPE, ReadParam.TYPE):
                                with m.If(~valid_address):
                                    answer(Result.BAD_ADDRESS, addressed=True)
                                with m.Elif(ctype == ReadParam.TYPE):
                                    answer(Result.OK, addressed=True, value=readback)
                                with m.Else():
                                    m.next = "WRITE"
                            if core.resettable:
                                with m.Case(Reset.TYPE):
                                    m.d.sync += [running.eq(0), limited.eq(0), one_step.eq(0), stopping.eq(0),
                                                 sampled.eq(0), countdown.eq(0)]
                                    m.next = "RESET"
            with m.State("WRITE"):  # at the step boundary: no step in flight, none started meanwhile
                m.d.comb += writing.eq(1)
                with m.If(~core.busy & ~issue):
                    if n_params:
                        m.d.comb += core.param_we.eq(1)
                    m.next = "READBACK"
            if core.resettable:
                with m.State("RESET"):  # once the last step is over and its spikes and samples are out
                    m.d.comb += writing.eq(1)
                    with m.If(~core.busy & ~issue & ~core.step_done & ~samples_pending & ~fifo.r_rdy & tx_idle):
                        m.d.comb += core.reset.eq(1)
                        m.next = "RESETTING"
                with m.State("RESETTING"):
                    m.d.comb += writing.eq(1)
                    with m.If(~core.busy):
                        answer(Result.OK)
                        m.next = "IDLE"
            with m.State("READBACK"):  # still no step: the Ack, sent before the next, names the step count
                m.d.comb += writing.eq(1)
                answer(Result.OK, addressed=True, value=readback)
                m.next = "CRC"

        # -- stepping ------------------------------------------------------------------------
        m.d.sync += issue.eq(0)
        # the next step waits for an Ack or a Status (they carry the step count) and for this one's samples
        status_due = core.step_done & running & (core.step[:STATUS_EVERY.bit_length() - 1] == 0)
        waiting = ack_pending | status_pending | status_due | samples_pending | (sampled & core.step_done)
        m.d.comb += [step_req.eq(running & ~core.busy & ~issue & ~writing & ~holding & ~waiting),
                     core.step_req.eq(step_req)]
        with m.If(step_req & (probing != 0)):
            m.d.sync += [sampled.eq(countdown == 0), countdown.eq(Mux(countdown == 0, every - 1, countdown - 1))]
            with m.If(countdown == 0):
                m.d.sync += probe_step.eq(core.step[:32])
        with m.If(core.step_done & sampled):
            m.d.sync += [samples_pending.eq(1), sampled.eq(0)]
        with m.If(step_req):
            m.d.sync += issue.eq(1)
            m.d.sync += remaining.eq(remaining - 1)
            with m.If(one_step | (limited & (remaining == 1))):
                m.d.sync += [running.eq(0), stopping.eq(1)]
        with m.If(stopping & ~core.busy & ~issue & ~core.step_done):
            m.d.sync += [stopping.eq(0), status_pending.eq(1)]
        with m.If(status_due):
            m.d.sync += status_pending.eq(1)

        # -- spikes into one FIFO: a step marker (its step's low bits) before the step's first spike ---------
        neuron = Signal(MARKER)
        m.d.comb += neuron.eq(core.spike_neuron)
        for pop, base in enumerate(self.bases):
            with m.If(core.spike_pop == pop):
                m.d.comb += neuron.eq(core.spike_neuron + base)
        held, held_valid = Signal(MARKER), Signal()  # each spike goes in a clock late, after its step's marker
        open_step = Signal()  # the step in flight has its marker in the FIFO (or lost it: ``dropping``)
        dropping = Signal()
        m.d.sync += [held.eq(neuron), held_valid.eq(core.spike_valid)]
        with m.If(core.spike_valid & ~open_step):  # a marker only with room for its first spike too
            room = ~at_least(fifo.w_level, self.spike_depth - 1)
            m.d.comb += [fifo.w_data.eq(Cat(core.step[:MARKER], 1)), fifo.w_en.eq(room)]
            m.d.sync += [open_step.eq(1), dropping.eq(~room)]
        with m.Elif(held_valid):
            m.d.comb += [fifo.w_data.eq(held), fifo.w_en.eq(~dropping)]
            with m.If(dropping | ~fifo.w_rdy):
                m.d.sync += spikes_dropped.eq(spikes_dropped + 1)
        with m.If(core.step_done):
            m.d.sync += [open_step.eq(0), dropping.eq(0)]
        marker = fifo.r_data[MARKER]

        # -- probes: each slot keeps its neuron's variable as the core writes the neuron back ----------
        values = [Signal(signed(core.plan.fmt.total), name=f"probe_value_{k}") for k in range(self.probes)]
        if self.probes:
            probed = Signal(neuron_shape)
            m.d.comb += probed.eq(core.probe_neuron)
            for pop, base in enumerate(self.bases):
                with m.If(core.probe_pop == pop):
                    m.d.comb += probed.eq(core.probe_neuron + base)
            variables = [getattr(core, f"probe_{k}") for k in range(max(self.probeable.values()))]
            for (neuron, variable), value in zip(taps, values):
                with m.If(core.probe_valid & (probed == neuron)):
                    m.d.sync += value.eq(variables[0])
                    for k in range(1, len(variables)):
                        with m.If(variable == k):
                            m.d.sync += value.eq(variables[k])

        # -- out: Ack, ProbeSamples, Spikes, Status, one registered byte a clock into the encoder -------
        tx_seq = Signal(16)
        status = {"version": Const(PROTOCOL_VERSION, 8), "running": running, "pace": pace_mode,
                  "step": core.step[:32], "spikes": core.spike_count, "queue_overflows": core.queue_overflows,
                  "spikes_dropped": spikes_dropped, "frames_dropped": Const(0, 32), "rx_errors": decoder.frames_bad,
                  "param_crc": param_crc}
        ack = {"command_seq": cseq, "command": ctype, "result": ack_result,
               "bank": Mux(ack_addressed, bank, 0), "entry": Mux(ack_addressed, entry, 0), "value": ack_value}
        frame_step = Signal(32)  # the step whose spikes are being sent
        # An Ack's last field is the step count, and a Status begins with it: the Ack's bytes run on into the
        # Status's, so both read one copy of the step count
        assert list(field_offsets(Ack))[-1] == list(field_offsets(Status))[len(HEADER)] == "step"
        bodies = {Ack: _message_bytes(Ack, {**ack, "step": Const(0, 32)})[:-4], Status: _message_bytes(Status, status),
                  Spikes: _message_bytes(Spikes, {"step": frame_step})}
        if self.probes:
            bodies[ProbeSamples] = _message_bytes(ProbeSamples, {"step": probe_step}) + [
                byte for (neuron, variable), value in zip(taps, values)
                for byte in _le(neuron, 2) + _le(variable, 1) + _le(value, 4)]
        table, first = [], {}
        for msg, body in bodies.items():
            first[msg] = len(table)
            table += body
        at = Signal(range(len(table)))  # the body byte being sent, in the table of every message's body
        header = Signal(range(HEADER_BYTES + 1))  # header bytes still to send (type, seq)
        kind = Signal(8)  # the message's type byte
        end = Signal(range(len(table)))  # its last table byte
        in_frame = Signal(range(max_records(Spikes) + 1))  # neurons in this Spikes frame so far
        high, upper = Signal(), Signal(8)  # the neuron's second byte is next, and that byte
        byte, byte_last, byte_valid = encoder.i.payload.data, encoder.i.payload.last, encoder.i.valid
        m.d.sync += byte_valid.eq(0)

        def begin(msg):
            size = fixed_bytes(msg) - HEADER_BYTES
            m.d.sync += [at.eq(first[msg]), end.eq(first[msg] + size - 1), kind.eq(msg.TYPE), header.eq(HEADER_BYTES)]

        def send(value, last=0):
            m.d.sync += [byte.eq(value), byte_last.eq(last), byte_valid.eq(1)]

        def frame_sent():
            m.d.sync += tx_seq.eq(tx_seq + 1)

        with m.FSM(name="transmit"):
            with m.State("IDLE"):
                m.d.comb += tx_idle.eq(~byte_valid)
                settled = ~core.busy & ~issue & ~core.step_done  # between steps, none starting
                with m.If(encoder.room & ~byte_valid):
                    with m.If(ack_pending & settled):
                        begin(Ack)
                        m.next = "HOLD"
                    with m.Elif(samples_pending & ~core.busy):
                        if self.probes:
                            begin(ProbeSamples)
                            m.d.sync += end.eq(first[ProbeSamples] + fixed_bytes(ProbeSamples) - HEADER_BYTES - 1
                                               + probing * record_bytes(ProbeSamples))
                            m.next = "HOLD"
                    with m.Elif(fifo.r_rdy):
                        with m.If(marker):  # a new step; else more of the last one (a full frame went)
                            m.d.comb += fifo.r_en.eq(1)
                            # the step from its low bits: it began less than 2^15 steps ago
                            low = fifo.r_data[:MARKER]
                            wrapped = low > core.step[:MARKER]
                            m.d.sync += frame_step.eq(Cat(low, core.step[MARKER:32] - wrapped))
                        begin(Spikes)
                        m.next = "FIXED"
                    with m.Elif(status_pending & settled & command_idle):
                        m.d.sync += status_pending.eq(0)
                        begin(Status)
                        m.next = "HOLD"
            with m.State("FIXED"):
                self._fixed(m, header, kind, tx_seq, table, at, end, send)
                with m.If((header == 0) & (at == end)):
                    m.d.sync += [in_frame.eq(0), high.eq(0)]
                    m.next = "SPIKES"
            with m.State("HOLD"):  # no step runs and no command frame is read meanwhile: what is sent holds
                m.d.comb += holding.eq(1)
                self._fixed(m, header, kind, tx_seq, table, at, end, send)
                with m.If((header == 0) & (at == end)):
                    frame_sent()
                    with m.Switch(kind):
                        with m.Case(Ack.TYPE):
                            m.d.sync += ack_pending.eq(0)
                        with m.Case(ProbeSamples.TYPE):
                            m.d.sync += samples_pending.eq(0)
                    m.next = "IDLE"
            with m.State("SPIKES"):
                # a neuron's low byte, then its high byte once it is known whether it ends the frame: a full
                # frame, the next step's marker, or no more spikes and the step over
                with m.If(~high & fifo.r_rdy & ~marker):
                    m.d.comb += fifo.r_en.eq(1)
                    m.d.sync += [in_frame.eq(in_frame + 1), high.eq(1), upper.eq(fifo.r_data[8:])]
                    send(fifo.r_data[:8])
                with m.Elif(high & ~byte_valid):
                    full = in_frame == max_records(Spikes)
                    over = (fifo.r_rdy & marker) | (~fifo.r_rdy & ~open_step)
                    with m.If(full | over):
                        send(upper, last=1)
                        frame_sent()
                        m.next = "IDLE"
                    with m.Elif(fifo.r_rdy):
                        send(upper)
                        m.d.sync += high.eq(0)
        return m

    @staticmethod
    def _fixed(m, header, kind, tx_seq, table, at, end, send):
        """Send a message's header (type, seq), then its body bytes from ``table[at..end]``."""
        with m.If(header != 0):
            m.d.sync += header.eq(header - 1)
            with m.Switch(header):
                with m.Case(3):
                    send(kind)
                with m.Case(2):
                    send(tx_seq[:8])
                with m.Case(1):
                    send(tx_seq[8:])
        with m.Else():
            send(Cat(*table).word_select(at, 8), last=(at == end) & (kind != Spikes.TYPE))
            m.d.sync += at.eq(at + 1)
