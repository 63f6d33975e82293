# amaranth: UnusedElaboratable=no
"""The UART (hdl/uart.py), bit by bit in Amaranth's simulator."""

from __future__ import annotations

import re

import pytest
from amaranth.hdl import Module
from amaranth.sim import Simulator

from hdl.uart import UARTReceiver, UARTTransmitter, uart_baud, uart_divisor


def _frame(byte: int, stop: int = 1) -> list[int]:
    return [0] + [(byte >> k) & 1 for k in range(8)] + [stop]


def test_baud_rate_falls_back_where_the_clock_cannot_divide():
    assert uart_baud(12e6) == 3_000_000 and uart_divisor(12e6, 3_000_000) == 4
    assert uart_baud(24e6) == 3_000_000
    assert uart_baud(25e6) == 1_000_000  # 25 MHz / 3 M and / 2 M are off by 4 %
    assert uart_baud(48e6) == 3_000_000
    with pytest.raises(ValueError, match=r"^a 0\.1 MHz clock divides none of the UART rates"):
        uart_baud(100e3)
    with pytest.raises(ValueError, match=re.escape("a UART bit needs at least 4 clocks, not 3")):
        UARTTransmitter(3)


def test_transmitter_drives_start_data_and_stop_bits_for_divisor_clocks_each():
    divisor = 5
    dut = UARTTransmitter(divisor)
    line = []

    async def bench(ctx):
        ctx.set(dut.i.payload, 0xA5)
        ctx.set(dut.i.valid, 1)
        await ctx.tick().until(dut.i.ready)
        await ctx.tick()
        ctx.set(dut.i.valid, 0)
        for _ in range(12 * divisor):
            line.append(ctx.get(dut.tx))
            await ctx.tick()

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(bench)
    sim.run()
    start = line.index(0)
    bits = [line[start + k * divisor + divisor // 2] for k in range(10)]
    assert bits == _frame(0xA5)
    assert all(v == line[start + k * divisor] for k in range(10) for v in line[start + k * divisor:
                                                                                start + (k + 1) * divisor])


def test_receiver_takes_bytes_from_the_line_and_counts_a_bad_stop_bit():
    divisor = 4
    dut = UARTReceiver(divisor)
    got, counters = [], []

    async def line(ctx):
        ctx.set(dut.rx, 1)
        ctx.set(dut.o.ready, 1)
        await ctx.tick().repeat(7)
        for byte, stop in ((0x56, 1), (0x00, 0), (0xFF, 1), (0x81, 1)):
            for bit in _frame(byte, stop) + [1, 1]:
                ctx.set(dut.rx, bit)
                for _ in range(divisor):
                    await ctx.tick()
                    if ctx.get(dut.o.valid):
                        got.append(ctx.get(dut.o.payload))
        await ctx.tick().repeat(3 * divisor)
        counters.extend([ctx.get(dut.framing_errors), ctx.get(dut.overruns)])

    sim = Simulator(dut)
    sim.add_clock(1e-6)
    sim.add_testbench(line)
    sim.run()
    assert got == [0x56, 0xFF, 0x81]
    assert counters == [1, 0]


def test_a_byte_sent_is_the_byte_received():
    divisor = 4
    m = Module()
    m.submodules.tx = tx = UARTTransmitter(divisor)
    m.submodules.rx = rx = UARTReceiver(divisor)
    m.d.comb += rx.rx.eq(tx.tx)
    sent, got = [0x00, 0x7E, 0xC3, 0xFF, 0x56], []

    async def writer(ctx):
        for byte in sent:
            ctx.set(tx.i.payload, byte)
            ctx.set(tx.i.valid, 1)
            await ctx.tick().until(tx.i.ready)
        ctx.set(tx.i.valid, 0)

    async def reader(ctx):
        ctx.set(rx.o.ready, 1)
        while len(got) < len(sent):
            _, _, valid, payload = await ctx.tick().sample(rx.o.valid, rx.o.payload)
            if valid:
                got.append(payload)

    sim = Simulator(m)
    sim.add_clock(1e-6)
    sim.add_testbench(writer)
    sim.add_testbench(reader)
    sim.run()
    assert got == sent

