"""The top of a board's design: the network core with its clock, reset, activity LED and a UART.

:class:`BoardTop` wraps :class:`~hdl.core.NetworkCore` for an amaranth-boards
platform:

* **Clock.** The core runs at ``clock_hz`` (the board's ``target_hz``).  When
  that is the board's oscillator, the platform's default clock domain is used as
  it is (with its power-on reset); otherwise a PLL makes it: ``SB_PLL40_PAD`` on
  iCE40 (the clock pin is the PLL's pad), ``EHXPLLL`` on ECP5.  The targets
  follow what the core reaches: on an iCE40 about 22 MHz (hil_demo), so the
  iCE40 boards ask their PLL for 24 MHz from 12 MHz; on an ECP5 60-85 MHz, so
  the OrangeCrab runs from its 48 MHz oscillator and the ULX3S's PLL doubles its
  25 MHz.  The divider settings are searched here (:func:`ice40_pll`,
  :func:`ecp5_pll`) within the data sheets' ranges; nextpnr derives the core
  clock's constraint from the PLL's.  The design is held in reset until the PLL
  locks and 15 µs more (an iCE40 block RAM reads zeros for ~3 µs after
  configuration).
* **Core.** On a board with a UART the HIL telemetry runs it as the host commands; otherwise it
  runs from reset, paced to real time (at least ``clock_hz * dt`` clocks per step) or, with
  ``paced=False``, as fast as it can.
* **LED.** The board's first LED (or the green one of its RGB LED) lights for
  40-80 ms after each spike: it flickers with the network's activity.
* **UART** (boards with a ``uart`` resource; the OrangeCrab has none): 3 Mbaud
  8N1 where the clock divides it (:func:`hdl.uart.uart_baud`), speaking the HIL
  protocol (docs/hil-protocol.md) through :class:`hdl.telemetry.Telemetry`, with what :class:`HilPort`
  asks for.
"""

from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import (
    ClockDomain,
    ClockSignal,
    Elaboratable,
    Instance,
    Module,
    ResetSignal,
    Signal,
)
from amaranth.lib import io

from hdl.core import NetworkCore
from hdl.design import NetworkPlan
from hdl.flash_loader import FlashLoader
from hdl.telemetry import Telemetry
from hdl.uart import uart_baud, uart_divisor

__all__ = ["BoardTop", "HilPort", "PllSettings", "core_clock_hz", "ecp5_pll", "ice40_pll"]

LED_TICK_S = 0.01  # about; a power of two of clocks
LED_TICKS = 4
RESET_HOLD_S = 15e-6
PLL_TOLERANCE = 0.01  # how far from the asked clock a PLL's output may be


@dataclass(frozen=True)
class PllSettings:
    """Divider settings of a PLL and the frequency they give."""

    params: dict[str, int | str]
    out_hz: float


def ice40_pll(in_hz: float, out_hz: float) -> PllSettings:
    """``SB_PLL40_PAD`` settings (simple feedback) for the output nearest ``out_hz``
    (PFD 10-133 MHz, VCO 533-1066 MHz, as icepll)."""
    best = None
    for divr in range(16):
        pfd = in_hz / (divr + 1)
        if not 10e6 <= pfd <= 133e6:
            continue
        for divf in range(128):
            vco = pfd * (divf + 1)
            if not 533e6 <= vco <= 1066e6:
                continue
            for divq in range(1, 7):
                f = vco / 2 ** divq
                if best is None or abs(f - out_hz) < abs(best[0] - out_hz):
                    best = (f, divr, divf, divq, pfd)
    if best is None or abs(best[0] - out_hz) > PLL_TOLERANCE * out_hz:
        raise ValueError(f"no iCE40 PLL setting makes {out_hz / 1e6:g} MHz from {in_hz / 1e6:g} MHz")
    f, divr, divf, divq, pfd = best
    filter_range = next(k for k, edge in enumerate((17e6, 26e6, 44e6, 66e6, 101e6, float("inf")), 1) if pfd < edge)
    return PllSettings({"DIVR": divr, "DIVF": divf, "DIVQ": divq, "FILTER_RANGE": filter_range}, f)


def ecp5_pll(in_hz: float, out_hz: float) -> PllSettings:
    """``EHXPLLL`` settings (feedback from CLKOP) for the output nearest ``out_hz``
    (PFD 3.125-400 MHz, VCO 400-800 MHz, as ecppll)."""
    best = None
    for clki in range(1, 129):
        pfd = in_hz / clki
        if not 3.125e6 <= pfd <= 400e6:
            continue
        for clkfb in range(1, 81):
            f = pfd * clkfb
            for clkop in range(1, 129):
                if 400e6 <= f * clkop <= 800e6 and (best is None or abs(f - out_hz) < abs(best[0] - out_hz)):
                    best = (f, clki, clkfb, clkop)
                    break
    if best is None or abs(best[0] - out_hz) > PLL_TOLERANCE * out_hz:
        raise ValueError(f"no ECP5 PLL setting makes {out_hz / 1e6:g} MHz from {in_hz / 1e6:g} MHz")
    f, clki, clkfb, clkop = best
    return PllSettings({"CLKI_DIV": clki, "CLKFB_DIV": clkfb, "CLKOP_DIV": clkop}, f)


def core_clock_hz(family: str, oscillator_hz: float, wanted_hz: float) -> float:
    """The clock the core gets when ``wanted_hz`` is asked of a board of ``family`` with ``oscillator_hz``:
    the oscillator itself, or the nearest frequency its PLL makes."""
    if abs(wanted_hz - oscillator_hz) <= 1:
        return oscillator_hz
    pll = ecp5_pll if family == "ecp5" else ice40_pll
    return pll(oscillator_hz, wanted_hz).out_hz


@dataclass(frozen=True)
class HilPort:
    """What a board's HIL port can do beyond running the network and sending its spikes and status; each
    costs logic cells (hil_demo at Q16.16 on the iCEBreaker: four probes ~650, the writable parameter bank four
    more SB_MAC16, reset ~100 and two block RAMs).

    ``probes``: the (neuron, variable) pairs ``SetProbes`` may choose; ``params``: the network's constants
    are a parameter bank that ``WriteParam`` writes; ``reset``: ``Reset`` restarts the network.
    """

    probes: int = 0
    params: bool = False
    reset: bool = True

    @property
    def tag(self) -> str:
        """A short name for the folder of a build with other than the default port (``""`` for it)."""
        parts = ([f"probes{self.probes}"] if self.probes else []) + (["params"] if self.params else []) \
            + ([] if self.reset else ["noreset"])
        return "-".join(parts)


class BoardTop(Elaboratable):
    """The network core on a board; see the module docstring.

    Parameters
    ----------
    plan
        The network, as :func:`hdl.design.plan_network` plans it.
    clock_hz
        The core's clock; ``None``: the board's oscillator.
    paced
        Step in real time (``dt`` per step) rather than as fast as possible.
    hil
        What the HIL port offers (:class:`HilPort`; a writable parameter bank is the core's ``param_bank``, a
        reset its ``resettable``).
    tables
        The core's ``tables``; ``"loaded"``: read from the board's SPI flash (:mod:`hdl.flash_loader`).
    """

    def __init__(self, plan: NetworkPlan, clock_hz: float | None = None, paced: bool = True,
                 hil: HilPort = HilPort(), tables: str = "rom"):
        self.plan = plan
        self.clock_hz = clock_hz
        self.paced = paced
        self.hil = hil
        self.core = NetworkCore(plan, param_bank=hil.params, tables=tables, resettable=hil.reset)

    def elaborate(self, platform):
        m = Module()
        oscillator = float(platform.default_clk_frequency)
        clock_hz = self.clock_hz or oscillator
        if abs(clock_hz - oscillator) > 1:
            clock_hz = self._pll(m, platform, oscillator, clock_hz)
        m.submodules.core = core = self.core
        if core.tables == "loaded":
            flash = platform.request("spi_flash_1x", 0, dir="-")
            m.submodules.loader = loader = FlashLoader(core)
            for name, pins, direction in (("cs", flash.cs, "o"), ("sck", flash.clk, "o"), ("copi", flash.copi, "o"),
                                          ("cipo", flash.cipo, "i")):
                m.submodules[f"flash_{name}"] = buf = io.Buffer(direction, pins)
                if direction == "i":
                    m.d.comb += getattr(loader, name).eq(buf.i)
                else:
                    m.d.comb += buf.o.eq(getattr(loader, name))
            for name in ("wp", "hold"):  # released (their pins are active low)
                m.submodules[f"flash_{name}"] = io.Buffer("o", getattr(flash, name))
        self._led(m, platform, core, clock_hz)
        if ("uart", 0) in platform.resources:
            self._uart(m, platform, core, clock_hz)
        else:
            m.d.comb += [core.run.eq(1), core.step_req.eq(0),
                         core.pace.eq(int(round(clock_hz * self.plan.dt_s)) if self.paced else 0)]
        return m

    def _pll(self, m: Module, platform, in_hz: float, out_hz: float) -> float:
        """A PLL from the board's clock to ``out_hz``: the ``sync`` domain, held in reset until locked."""
        clk_io = platform.request(platform.default_clk, dir="-")
        clk, lock = Signal(name="pll_clk"), Signal(name="pll_lock")
        if platform.family == "ecp5":
            m.submodules.clk_buf = clk_buf = io.Buffer("i", clk_io)
            pll = ecp5_pll(in_hz, out_hz)
            p = pll.params
            m.submodules.pll = Instance(
                "EHXPLLL", i_CLKI=clk_buf.i, o_CLKOP=clk, i_CLKFB=clk, o_LOCK=lock,
                i_RST=0, i_STDBY=0, i_PHASESEL0=0, i_PHASESEL1=0, i_PHASEDIR=1, i_PHASESTEP=1,
                i_PHASELOADREG=1, i_PLLWAKESYNC=0, i_ENCLKOP=0,
                p_PLLRST_ENA="DISABLED", p_INTFB_WAKE="DISABLED", p_STDBY_ENABLE="DISABLED",
                p_DPHASE_SOURCE="DISABLED", p_OUTDIVIDER_MUXA="DIVA", p_CLKOP_ENABLE="ENABLED",
                p_CLKI_DIV=p["CLKI_DIV"], p_CLKFB_DIV=p["CLKFB_DIV"], p_CLKOP_DIV=p["CLKOP_DIV"],
                p_CLKOP_CPHASE=p["CLKOP_DIV"] - 1, p_CLKOP_FPHASE=0, p_FEEDBK_PATH="CLKOP",
                a_FREQUENCY_PIN_CLKI=f"{in_hz / 1e6:g}", a_FREQUENCY_PIN_CLKOP=f"{pll.out_hz / 1e6:g}",
                a_ICP_CURRENT="12", a_LPF_RESISTOR="8")
        else:
            pll = ice40_pll(in_hz, out_hz)
            p = pll.params
            m.submodules.pll = Instance(
                "SB_PLL40_PAD", i_PACKAGEPIN=clk_io.io, o_PLLOUTGLOBAL=clk, o_LOCK=lock,
                i_RESETB=1, i_BYPASS=0, p_FEEDBACK_PATH="SIMPLE",
                p_DIVR=p["DIVR"], p_DIVF=p["DIVF"], p_DIVQ=p["DIVQ"], p_FILTER_RANGE=p["FILTER_RANGE"])
        m.domains.sync = ClockDomain("sync")
        m.domains.por = ClockDomain("por", reset_less=True, local=True)
        hold = int(RESET_HOLD_S * pll.out_hz)
        timer = Signal(range(hold + 1))
        with m.If(~lock):
            m.d.por += timer.eq(0)
        with m.Elif(timer != hold):
            m.d.por += timer.eq(timer + 1)
        m.d.comb += [ClockSignal("sync").eq(clk), ClockSignal("por").eq(clk),
                     ResetSignal("sync").eq(timer != hold)]
        return pll.out_hz

    def _led(self, m: Module, platform, core: NetworkCore, clock_hz: float) -> None:
        if ("led", 0) in platform.resources:
            led_io = platform.request("led", 0, dir="-")
        else:
            led_io = platform.request("rgb_led", 0, dir="-").g
        m.submodules.led = led_buf = io.Buffer("o", led_io)
        led = led_buf.o
        # A free-running prescaler ticks every ~LED_TICK_S; the LED stays on for LED_TICKS ticks after a
        # spike (a few flip-flops instead of a wide down-counter in the core's clock domain).
        prescaler = Signal(max(1, int(LED_TICK_S * clock_hz).bit_length()))
        left = Signal(range(LED_TICKS + 1))
        m.d.sync += prescaler.eq(prescaler + 1)
        with m.If(core.spike_valid):
            m.d.sync += left.eq(LED_TICKS)
        with m.Elif((prescaler == 0) & (left != 0)):
            m.d.sync += left.eq(left - 1)
        m.d.comb += led.eq(left != 0)

    def _uart(self, m: Module, platform, core: NetworkCore, clock_hz: float) -> None:
        pins = platform.request("uart", 0, dir="-")
        m.submodules.uart_rx_buf = rx_buf = io.Buffer("i", pins.rx)
        m.submodules.uart_tx_buf = tx_buf = io.Buffer("o", pins.tx)
        divisor = uart_divisor(clock_hz, uart_baud(clock_hz))
        m.submodules.telemetry = telemetry = Telemetry(core, divisor, int(round(clock_hz * self.plan.dt_s)),
                                                       probes=self.hil.probes)
        m.d.comb += [telemetry.rx.eq(rx_buf.i), tx_buf.o.eq(telemetry.tx)]
