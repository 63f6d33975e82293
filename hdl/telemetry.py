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
  parameter bank (no step starts meanwhile) and acknowledges with the value read back;
  ``ReadParam`` reads it.  ``Status.param_crc`` is recomputed after every write.
* **Spikes.** Every spike goes, as its global neuron index, into a spike FIFO; at the end of a step
  that had spikes, (step, count) goes into a step FIFO (both in block RAM).  The transmitter turns each into ``Spikes``
  frames (122 neurons at most each).  A spike that finds the FIFO full is dropped and counted
  (``Status.spikes_dropped``): never silently.
* **Out.** Acks first, then spikes, then a ``Status`` (on ``GetStatus``, when the board stops,
  and every :data:`STATUS_EVERY` steps while it runs), each through
  :class:`~hdl.hil_framing.FrameEncoder` to the UART transmitter.

Not implemented on the board: ``Reset`` (answered ``UNKNOWN_COMMAND``) and probe sampling
(``SetProbes`` with pairs is answered ``TOO_MANY``; an empty list is accepted).
"""


from amaranth.hdl import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.fifo import SyncFIFOBuffered
from amaranth.lib.wiring import In, Out

from hdl.core import NetworkCore
from hdl.hil_codec import parameter_crc
from hdl.hil_framing import FrameDecoder, FrameEncoder, crc_parameters
from hdl.hil_protocol import (
    PROTOCOL_VERSION, Ack, GetStatus, Pace, ReadParam, Result, RunSteps, SetPace, SetProbes,
    Spikes, Start, Status, Stop, WriteParam, field_offsets, fixed_bytes, max_records, record_bytes)
from hdl.uart import UARTReceiver, UARTTransmitter

__all__ = ["SPIKE_FIFO_DEPTH", "STATUS_EVERY", "Telemetry"]

SPIKE_FIFO_DEPTH = 256  # neurons waiting for the link (one iCE40 block RAM at 16 bits)
STEP_FIFO_DEPTH = 256  # steps with spikes waiting for the link, as (step's low 16 bits, count): two block RAMs
RX_FIFO_DEPTH = 512  # command bytes that arrive while an Ack waits for the transmitter
STATUS_EVERY = 1024  # steps between two Status messages while running (a power of two)
COMMAND_BYTES = fixed_bytes(WriteParam)  # the longest command the board reads whole


def _le(value, nbytes: int) -> list:
    """The little-endian bytes of ``value`` (a signal or a constant)."""
    return [value.word_select(k, 8) for k in range(nbytes)]


def _message_bytes(message, values: dict) -> list:
    """The payload of a fixed-size ``message`` as byte expressions; ``values`` maps each field to a signal."""
    out = []
    for name, (_, width) in field_offsets(message).items():
        out += [Const(message.TYPE, 8)] if name == "type" else _le(values[name], width)
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
    """

    rx: In(1, init=1)
    tx: Out(1, init=1)

    def __init__(self, core: NetworkCore, divisor: int, realtime_period: int,
                 spike_depth: int = SPIKE_FIFO_DEPTH):
        self.core = core
        self.divisor = divisor
        self.realtime_period = int(realtime_period)
        self.spike_depth = spike_depth
        plan = core.plan
        if plan.n_neurons > 1 << 16:
            raise ValueError(f"the HIL protocol addresses 65,536 neurons, not {plan.n_neurons:,}")
        self.bases = [sum(p.size for p in plan.populations[:k]) for k in range(len(plan.populations))]
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
        m.d.comb += [rx_fifo.w_data.eq(urx.o.payload), rx_fifo.w_en.eq(urx.o.valid), urx.o.ready.eq(rx_fifo.w_rdy),
                     decoder.i.payload.eq(rx_fifo.r_data), decoder.i.valid.eq(rx_fifo.r_rdy),
                     rx_fifo.r_en.eq(decoder.i.ready)]
        wiring.connect(m, encoder.o, utx.i)

        # -- board state -----------------------------------------------------------------------
        running, limited, one_step = Signal(), Signal(), Signal()  # limited: RunSteps; one_step: single-step Start
        remaining = Signal(32)
        pace_mode = Signal(2, init=Pace.REAL_TIME)
        pace_clocks = Signal(32, init=self.realtime_period)  # the core's pace, set by SetPace
        stopping = Signal()  # send a Status once the step in flight has ended
        status_pending = Signal()
        spikes_dropped = Signal(32)
        param_crc = Signal(16, init=parameter_crc([]))
        m.d.comb += [core.run.eq(0),
                     core.pace.eq(pace_clocks)]

        # -- the command buffer --------------------------------------------------------------
        cmd = [Signal(8, name=f"cmd_{k}") for k in range(COMMAND_BYTES)]
        length = Signal(8)  # payload bytes received so far (saturating)
        phase = Signal(range(record_bytes(SetProbes)))  # length modulo a SetProbes record
        cmd_ready = Signal()
        ack_pending = Signal()  # an Ack waits for the transmitter
        m.d.comb += decoder.o.ready.eq(~cmd_ready & ~ack_pending)
        with m.If(decoder.o.valid & decoder.o.ready):
            with m.Switch(length):
                for k in range(COMMAND_BYTES):
                    with m.Case(k):
                        m.d.sync += cmd[k].eq(decoder.o.payload.data)
            with m.If(decoder.o.payload.last & ~decoder.o.payload.ok):
                m.d.sync += [length.eq(0), phase.eq(0)]
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
                         ack_pending.eq(1), cmd_ready.eq(0), length.eq(0), phase.eq(0)]

        # -- the parameter bank ----------------------------------------------------------------
        banks = core.param_banks
        n_params = sum(len(slots) for _, slots in banks)
        bank, entry = cmd[3], Cat(cmd[4], cmd[5])
        value = Cat(cmd[6], cmd[7], cmd[8], cmd[9]).as_signed()
        valid_address = Const(0)
        index = Signal(range(max(n_params, 2)))
        for b, (_, slots) in enumerate(banks):
            if slots:
                here = (bank == b) & (entry < len(slots))
                valid_address = valid_address | here
                with m.If(bank == b):
                    m.d.comb += index.eq(core.param_index(b, 0) + entry)
        readback = Signal(signed(32))
        if n_params:
            m.d.comb += [readback.eq(core.param_rdata), core.param_wdata.eq(value), core.param_addr.eq(index)]

        crc_engine = crc_parameters().create()
        m.submodules.param_crc = crc_engine
        crc_byte = Signal(range(max(4 * n_params, 1) + 1))

        expected = {cls.TYPE: fixed_bytes(cls) for cls in (Start, Stop, RunSteps, SetPace, WriteParam, ReadParam,
                                                            GetStatus)}
        step_req, issue, writing = Signal(), Signal(), Signal()
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
                with m.If(cmd_ready & ~ack_pending):
                    known = Cat(*(ctype == t for t in expected)).any() | (ctype == SetProbes.TYPE)  # not Reset
                    size_ok = Mux(ctype == SetProbes.TYPE,
                                  (length >= fixed_bytes(SetProbes))
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
                                with m.If(cmd[3] > Pace.SINGLE_STEP):
                                    answer(Result.BAD_ADDRESS)
                                with m.Else():
                                    period = Cat(cmd[4], cmd[5], cmd[6], cmd[7])
                                    m.d.sync += [pace_mode.eq(cmd[3]),
                                                 pace_clocks.eq(Mux(cmd[3] == Pace.REAL_TIME,
                                                                    Mux(period == 0, self.realtime_period, period), 0))]
                                    answer(Result.OK)
                            with m.Case(SetProbes.TYPE):
                                answer(Mux(length == fixed_bytes(SetProbes), Result.OK, Result.TOO_MANY))
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
            with m.State("WRITE"):  # at the step boundary: no step in flight, none started meanwhile
                m.d.comb += writing.eq(1)
                with m.If(~core.busy & ~issue):
                    if n_params:
                        m.d.comb += core.param_we.eq(1)
                    m.next = "READBACK"
            with m.State("READBACK"):
                answer(Result.OK, addressed=True, value=readback)
                m.next = "CRC"

        # -- stepping ------------------------------------------------------------------------
        m.d.sync += issue.eq(0)
        m.d.comb += [step_req.eq(running & ~core.busy & ~issue & ~writing), core.step_req.eq(step_req)]
        with m.If(step_req):
            m.d.sync += issue.eq(1)
            m.d.sync += remaining.eq(remaining - 1)
            with m.If(one_step | (limited & (remaining == 1))):
                m.d.sync += [running.eq(0), stopping.eq(1)]
        with m.If(stopping & ~core.busy & ~issue & ~core.step_done):
            m.d.sync += [stopping.eq(0), status_pending.eq(1)]
        with m.If(core.step_done & running & (core.step[:STATUS_EVERY.bit_length() - 1] == 0)):
            m.d.sync += status_pending.eq(1)

        # -- spikes into the FIFOs -----------------------------------------------------------
        m.submodules.spike_fifo = spike_fifo = SyncFIFOBuffered(width=16, depth=self.spike_depth)
        m.submodules.step_fifo = step_fifo = SyncFIFOBuffered(width=16 + 16, depth=STEP_FIFO_DEPTH)
        neuron = Signal(16)
        m.d.comb += neuron.eq(core.spike_neuron)
        for pop, base in enumerate(self.bases):
            with m.If(core.spike_pop == pop):
                m.d.comb += neuron.eq(core.spike_neuron + base)
        accept = core.spike_valid & spike_fifo.w_rdy & step_fifo.w_rdy
        m.d.comb += [spike_fifo.w_data.eq(neuron), spike_fifo.w_en.eq(accept)]
        with m.If(core.spike_valid & ~accept):
            m.d.sync += spikes_dropped.eq(spikes_dropped + 1)
        in_step = Signal(16)  # spikes of the step in flight in the FIFO
        with m.If(core.step_done):
            m.d.comb += [step_fifo.w_data.eq(Cat((core.step - 1)[:16], in_step)), step_fifo.w_en.eq(in_step != 0)]
            m.d.sync += in_step.eq(accept)
        with m.Elif(accept):
            m.d.sync += in_step.eq(in_step + 1)

        # -- out: Ack, Spikes, Status ----------------------------------------------------------
        tx_seq = Signal(16)
        status = {"version": Const(PROTOCOL_VERSION, 8), "running": Signal(8, name="st_running"),
                  "pace": Signal(8, name="st_pace"), "step": Signal(32, name="st_step"),
                  "spikes": Signal(32, name="st_spikes"), "queue_overflows": Signal(32, name="st_queue"),
                  "spikes_dropped": Signal(32, name="st_dropped"), "frames_dropped": Const(0, 32),
                  "rx_errors": Signal(32, name="st_rx_errors"), "param_crc": Signal(16, name="st_crc")}
        snapshot = {"running": running, "pace": pace_mode, "step": core.step[:32], "spikes": core.spike_count,
                    "queue_overflows": core.queue_overflows, "spikes_dropped": spikes_dropped,
                    "rx_errors": decoder.frames_bad, "param_crc": param_crc}
        ack = {"seq": tx_seq, "command_seq": cseq, "command": ctype, "result": ack_result,
               "bank": Mux(ack_addressed, bank, 0), "entry": Mux(ack_addressed, entry, 0), "value": ack_value}
        fixed = {Ack: _message_bytes(Ack, ack),
                 Status: _message_bytes(Status, {"seq": tx_seq, **status})}
        at = Signal(range(max(len(b) for b in fixed.values()) + 1))
        sending_status = Signal()

        frame_step, frame_left = Signal(32), Signal(16)  # the step being sent and its spikes still to send
        in_frame = Signal(range(max_records(Spikes) + 1))  # neurons of this frame still to send
        spike_header = _message_bytes(Spikes, {"seq": tx_seq, "step": frame_step})
        high = Signal()  # the neuron's second byte

        def end_of_frame():
            m.d.sync += [tx_seq.eq(tx_seq + 1), at.eq(0)]

        with m.FSM(name="transmit"):
            with m.State("IDLE"):
                with m.If(ack_pending):
                    m.d.sync += sending_status.eq(0)
                    m.next = "FIXED"
                with m.Elif(step_fifo.r_rdy):
                    m.d.comb += step_fifo.r_en.eq(1)
                    # the step from its low bits: it ended less than 2^16 steps ago
                    age = (core.step[:16] - step_fifo.r_data[:16])[:16]
                    m.d.sync += [frame_step.eq(core.step[:32] - age), frame_left.eq(step_fifo.r_data[16:])]
                    m.next = "SPIKES_HEADER"
                with m.Elif(status_pending):
                    m.d.sync += [sending_status.eq(1), status_pending.eq(0)]
                    m.d.sync += [status[k].eq(v) for k, v in snapshot.items()]
                    m.next = "FIXED"
            with m.State("FIXED"):
                m.d.comb += encoder.i.valid.eq(1)
                for msg, payload in fixed.items():
                    with m.If(sending_status if msg is Status else ~sending_status):
                        m.d.comb += [encoder.i.payload.data.eq(Cat(*payload).word_select(at, 8)),
                                     encoder.i.payload.last.eq(at == len(payload) - 1)]
                        with m.If(encoder.i.ready):
                            m.d.sync += at.eq(at + 1)
                            with m.If(at == len(payload) - 1):
                                end_of_frame()
                                if msg is Ack:
                                    m.d.sync += ack_pending.eq(0)
                                m.next = "IDLE"
            with m.State("SPIKES_HEADER"):
                m.d.comb += [encoder.i.valid.eq(1), encoder.i.payload.data.eq(Cat(*spike_header).word_select(at, 8))]
                with m.If(encoder.i.ready):
                    m.d.sync += at.eq(at + 1)
                    with m.If(at == len(spike_header) - 1):
                        take = Mux(frame_left > max_records(Spikes), max_records(Spikes), frame_left)
                        m.d.sync += [in_frame.eq(take), frame_left.eq(frame_left - take), high.eq(0), at.eq(0)]
                        m.next = "SPIKES_BODY"
            with m.State("SPIKES_BODY"):
                m.d.comb += [encoder.i.valid.eq(spike_fifo.r_rdy),
                             encoder.i.payload.data.eq(Mux(high, spike_fifo.r_data[8:], spike_fifo.r_data[:8])),
                             encoder.i.payload.last.eq(high & (in_frame == 1))]
                with m.If(encoder.i.valid & encoder.i.ready):
                    m.d.sync += high.eq(~high)
                    with m.If(high):
                        m.d.comb += spike_fifo.r_en.eq(1)
                        m.d.sync += in_frame.eq(in_frame - 1)
                        with m.If(in_frame == 1):
                            end_of_frame()
                            m.next = "SPIKES_NEXT"
            with m.State("SPIKES_NEXT"):
                with m.If(frame_left == 0):
                    m.next = "IDLE"
                with m.Else():
                    m.next = "SPIKES_HEADER"

        return m
