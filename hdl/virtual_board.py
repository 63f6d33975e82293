"""The virtual board: the network core and its HIL telemetry under Verilator, serving the UART's bytes.

:class:`VirtualBoardTop` is what a board carries (the core beside
:class:`~hdl.telemetry.Telemetry`) with the UART's two pins as its only ports.
:func:`build_virtual_board` generates its Verilog and a C++ harness and builds
them with Verilator (cached, as :func:`hdl.netcosim.build_simulator` does).
The harness clocks the design at :data:`CLOCK_HZ` and is the other end of the
UART at bit level: bytes from a TCP client (or a pseudo-terminal) are sent
into ``rx`` bit by bit, bits on ``tx`` are sampled back into bytes.  It paces
the simulated clock to the wall clock (``realtime``) or runs as fast as it
can, accepts a new client when one goes away, and stops on SIGINT or SIGTERM,
printing its cycle count and wall time.  It also stops when the process that
started it dies, however it dies (Linux's parent-death signal: a killed test run
leaves no board behind).

:class:`VirtualBoard` starts and stops the harness as a process.
"""


import os
import re
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from amaranth.back import verilog
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from engine.errors import NeuroCoreError
from hdl.core import NetworkCore
from hdl.design import NetworkPlan
from hdl.generate import HARNESS, PREFIX, GeneratedDesign
from hdl.netcosim import build_simulator
from hdl.telemetry import Telemetry
from hdl.uart import uart_baud, uart_divisor

__all__ = ["CLOCK_HZ", "VirtualBoard", "VirtualBoardError", "VirtualBoardTop", "build_virtual_board",
           "virtual_board_design"]

CLOCK_HZ = 12_000_000  # the iCEBreaker's oscillator: 3 Mbaud at 4 clocks per bit
TOP = "virtual_board"
PROBES = 4  # (neuron, variable) pairs the virtual board samples
PARENT_ENV = "NCSTUDIO_BOARD_PARENT"  # the pid of the process that starts the board, which it dies with


class VirtualBoardError(NeuroCoreError):
    """The virtual board did not start or stopped early; the message says why."""


class VirtualBoardTop(wiring.Component):
    """The network core (with its writable parameter bank) and its telemetry; the UART pins are the only ports."""

    rx: In(1, init=1)
    tx: Out(1, init=1)

    def __init__(self, plan: NetworkPlan, clock_hz: float = CLOCK_HZ):
        self.plan = plan
        self.clock_hz = clock_hz
        self.core = NetworkCore(plan, param_bank=True, resettable=True)
        self.telemetry = Telemetry(self.core, uart_divisor(clock_hz, uart_baud(clock_hz)),
                                   int(round(clock_hz * plan.dt_s)), probes=PROBES)
        super().__init__()

    def elaborate(self, platform):
        from amaranth.hdl import Module

        m = Module()
        m.submodules.core = self.core
        m.submodules.telemetry = self.telemetry
        m.d.comb += [self.telemetry.rx.eq(self.rx), self.tx.eq(self.telemetry.tx)]
        return m


def _harness(divisor: int, clock_hz: int) -> str:
    return f"""// Virtual board harness (generated): the UART at bit level, bridged to TCP or a pty.
// usage: board_sim (tcp HOST PORT | pty) [free]
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <thread>
#include <unistd.h>
#include "{PREFIX}.h"
#include "verilated.h"

static const int DIVISOR = {divisor};
static const double CLOCK_HZ = {clock_hz}.0;
static volatile std::sig_atomic_t stop_requested = 0;
static void on_signal(int) {{ stop_requested = 1; }}

int main(int argc, char** argv) {{
    if (argc < 2) {{ std::fprintf(stderr, "usage: %s (tcp HOST PORT | pty) [free]\\n", argv[0]); return 2; }}
    bool use_pty = std::strcmp(argv[1], "pty") == 0;
    bool realtime = !(argc > (use_pty ? 2 : 4) && std::strcmp(argv[use_pty ? 2 : 4], "free") == 0);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::signal(SIGPIPE, SIG_IGN);
    prctl(PR_SET_PDEATHSIG, SIGTERM);  // stop with the process that started us
    const char* parent = std::getenv("{PARENT_ENV}");
    if (parent && getppid() != std::atoi(parent)) return 1;  // it died before we asked
    int server = -1, client = -1;
    if (use_pty) {{
        client = posix_openpt(O_RDWR | O_NOCTTY);
        if (client < 0 || grantpt(client) || unlockpt(client)) {{ std::perror("pty"); return 1; }}
        struct termios tio;
        tcgetattr(client, &tio); cfmakeraw(&tio); tcsetattr(client, TCSANOW, &tio);
        fcntl(client, F_SETFL, O_NONBLOCK);
        std::printf("serving pty %s\\n", ptsname(client));
    }} else {{
        server = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in addr{{}};
        addr.sin_family = AF_INET;
        addr.sin_port = htons((unsigned short)std::atoi(argv[3]));
        if (inet_pton(AF_INET, argv[2], &addr.sin_addr) != 1) {{ std::fprintf(stderr, "bad address %s\\n", argv[2]); return 1; }}
        if (bind(server, (sockaddr*)&addr, sizeof addr) || listen(server, 1)) {{ std::perror("listen"); return 1; }}
        socklen_t len = sizeof addr;
        getsockname(server, (sockaddr*)&addr, &len);
        fcntl(server, F_SETFL, O_NONBLOCK);
        std::printf("serving tcp:%s:%u\\n", argv[2], (unsigned)ntohs(addr.sin_port));
    }}
    std::fflush(stdout);

    VerilatedContext ctx;
    {PREFIX}* top = new {PREFIX}{{&ctx}};
    top->clk = 0; top->rst = 1; top->rx = 1;
    for (int i = 0; i < 4; ++i) {{ top->clk = !top->clk; top->eval(); }}
    top->rst = 0;

    std::deque<unsigned char> to_board, to_host;
    unsigned rx_bits = 0, rx_timer = 0, rx_shift = 0;   // host -> board: bits left of the byte on rx
    unsigned tx_state = 0, tx_timer = 0, tx_shift = 0;  // board -> host: 0 idle, 1..8 data bits, 9 stop
    unsigned long long cycles = 0;
    auto start = std::chrono::steady_clock::now();
    unsigned char buf[4096];
    while (!stop_requested) {{
        if ((cycles & 255) == 0) {{
            if (!use_pty && client < 0) {{
                client = accept(server, nullptr, nullptr);
                if (client >= 0) {{
                    int one = 1;
                    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    fcntl(client, F_SETFL, O_NONBLOCK);
                }}
            }}
            if (client >= 0) {{
                ssize_t n = read(client, buf, sizeof buf);
                if (n > 0) to_board.insert(to_board.end(), buf, buf + n);
                else if (!use_pty && (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))) {{
                    close(client); client = -1; to_host.clear();
                }}
                while (client >= 0 && !to_host.empty()) {{
                    size_t k = 0;
                    for (; k < to_host.size() && k < sizeof buf; ++k) buf[k] = to_host[k];
                    ssize_t w = write(client, buf, k);
                    if (w <= 0) break;
                    to_host.erase(to_host.begin(), to_host.begin() + w);
                }}
                if (use_pty && to_host.size() > (1u << 20)) to_host.clear();  // nobody has the terminal open
            }}
            if (realtime && (cycles & 0x3fff) == 0) {{
                double ahead = cycles / CLOCK_HZ - std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                if (ahead > 0.001) std::this_thread::sleep_for(std::chrono::duration<double>(ahead));
            }}
        }}
        // host -> board: 8N1, DIVISOR clocks per bit
        if (rx_timer == 0) {{
            if (rx_bits == 0 && !to_board.empty()) {{
                rx_shift = (1u << 9) | ((unsigned)to_board.front() << 1);
                to_board.pop_front();
                rx_bits = 10;
            }}
            if (rx_bits) {{ top->rx = rx_shift & 1; rx_shift >>= 1; --rx_bits; rx_timer = DIVISOR; }}
            else top->rx = 1;
        }}
        if (rx_timer) --rx_timer;
        top->clk = 0; top->eval();
        top->clk = 1; top->eval();
        ++cycles;
        // board -> host: sample each bit in its middle
        if (tx_state == 0) {{
            if (!top->tx) {{ tx_state = 1; tx_timer = DIVISOR + DIVISOR / 2; tx_shift = 0; }}
        }} else if (--tx_timer == 0) {{
            if (tx_state <= 8) {{
                tx_shift |= (unsigned)top->tx << (tx_state - 1);
                ++tx_state;
                tx_timer = DIVISOR;
            }} else {{
                if (top->tx && client >= 0) to_host.push_back((unsigned char)tx_shift);
                tx_state = 0;
            }}
        }}
    }}
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("stopped after %llu cycles in %.3f s\\n", cycles, wall);
    std::fflush(stdout);
    if (client >= 0) close(client);
    if (server >= 0) close(server);
    top->final();
    delete top;
    return 0;
}}
"""


def virtual_board_design(plan: NetworkPlan) -> GeneratedDesign:
    """The virtual board's Verilog and harness, in memory."""
    top = VirtualBoardTop(plan)
    text = verilog.convert(top, name=TOP, emit_src=False)
    divisor = top.telemetry.divisor
    files = {f"{TOP}.v": text, HARNESS: _harness(divisor, CLOCK_HZ)}
    manifest = {"top": TOP, "clock_hz": CLOCK_HZ, "divisor": divisor, "param_banks": top.core.param_banks}
    return GeneratedDesign(plan, TOP, files, manifest, dict(top.core.probe_slots))


def build_virtual_board(plan: NetworkPlan) -> Path:
    """The virtual board's executable for ``plan`` (built with Verilator, or found in the cache)."""
    exe, _, _ = build_simulator(virtual_board_design(plan))
    return exe


@dataclass
class VirtualBoard:
    """A running virtual board process; :attr:`address` is where to connect (``tcp:HOST:PORT`` or a pty)."""

    process: subprocess.Popen
    address: str

    @classmethod
    def start(cls, exe: Path, listen: str = "tcp:127.0.0.1:0", pty: bool = False, realtime: bool = True,
              timeout: float = 30.0) -> "VirtualBoard":
        """Start the board serving on ``listen`` (``tcp:HOST:PORT``; port 0: any free one) or on a new pty.
        The board stops when the thread calling dies with its process, or ends on its own (Linux's parent-death
        signal follows the thread): start it from the main thread.

        Raises
        ------
        VirtualBoardError
            The address is not ``tcp:HOST:PORT``, or the board did not come up.
        """
        if pty:
            args = ["pty"]
        else:
            found = re.fullmatch(r"tcp:([\d.]+):(\d+)", listen)
            if not found:
                raise VirtualBoardError(f"listen address `{listen}`: expected tcp:HOST:PORT, e.g. tcp:127.0.0.1:7000")
            args = ["tcp", found.group(1), found.group(2)]
        argv = [str(exe), *args] + ([] if realtime else ["free"])
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                stdin=subprocess.DEVNULL, cwd=exe.parent,
                                env={**os.environ, PARENT_ENV: str(os.getpid())})
        line = proc.stdout.readline().strip()
        if not line.startswith("serving "):
            proc.wait(timeout=timeout)
            proc.stdout.close()
            raise VirtualBoardError(f"the virtual board did not start: {line or f'exit status {proc.returncode}'}")
        return cls(proc, line.split(" ", 2)[-1])

    def stop(self, grace: float = 5.0) -> str:
        """Stop the board (SIGINT, then terminate, then kill); returns its last words."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                try:
                    self.process.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        return self._last_words()

    def kill(self) -> None:
        """Kill the board at once (as a crash would)."""
        self.process.kill()
        self.process.wait()
        self._last_words()

    def _last_words(self) -> str:
        """What the stopped board printed that was not read yet ("" once read), closing its output pipe."""
        if self.process.stdout.closed:
            return ""
        with self.process.stdout:
            return self.process.stdout.read().strip()
