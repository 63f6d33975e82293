"""``ncstudio deploy``: the exact commands of a dry run, and a real build then the real openFPGALoader with no
board attached."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.example_projects import tiny_hil_demo
from tests.studio.test_cli import COMMAND, HIL, assert_one_line_error

BUILD_TOOLS = ("yosys", "nextpnr-ice40", "icepack", "openfpgaloader")
ECP5_TOOLS = ("yosys", "nextpnr-ecp5", "ecppack", "openfpgaloader")


def deploy(*args, builds, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, NCSTUDIO_CACHE=str(builds))
    return subprocess.run([*COMMAND, "deploy", *map(str, args)], capture_output=True, text=True, env=env,
                          timeout=timeout)


@pytest.mark.tools(*BUILD_TOOLS)
def test_a_dry_run_prints_the_exact_commands_and_runs_none(tmp_path):
    builds = tmp_path / "builds"
    result = deploy(HIL, "--board", "icebreaker", "--fixed", "Q8.8", "--dry-run", builds=builds)
    assert result.returncode == 0, result.stderr
    folder = re.escape(str(builds / "boards" / "hil_demo-icebreaker-Q8.8-24MHz"))
    yosys, nextpnr, icepack, loader = result.stdout.splitlines()
    assert re.match(rf"^\(cd {folder} && \S*yosys -l top.rpt top.ys\)$", yosys)
    assert re.match(rf"^\(cd {folder} && \S*nextpnr-ice40 .*--up5k --package sg48 --json top.json --pcf top.pcf "
                    r"--asc top.asc\)$", nextpnr)
    assert re.match(rf"^\(cd {folder} && \S*icepack .*top.asc top.bin\)$", icepack)
    assert re.match(rf"^\(cd {folder} && \S*openFPGALoader -b ice40_generic --write-sram {folder}/top.bin\)$", loader)
    assert not builds.exists()
    flash = deploy(HIL, "--board", "icebreaker", "--fixed", "Q8.8", "--dry-run", "--flash", builds=builds)
    assert flash.stdout.splitlines()[-1].endswith(f"--write-flash {builds / 'boards' / 'hil_demo-icebreaker-Q8.8-24MHz' / 'top.bin'})")


@pytest.mark.tools(*BUILD_TOOLS)
def test_a_board_with_more_of_a_hil_port_is_built_in_a_folder_of_its_own(tmp_path):
    builds = tmp_path / "builds"
    result = deploy(HIL, "--board", "icebreaker", "--fixed", "Q8.8", "--dry-run", "--probes", "2", "--params",
                    "--no-reset", builds=builds)
    assert result.returncode == 0, result.stderr
    folder = builds / "boards" / "hil_demo-icebreaker-Q8.8-24MHz-probes2-params-noreset"
    assert result.stdout.splitlines()[-1].endswith(f"--write-sram {folder / 'top.bin'})")
    assert_one_line_error(deploy(HIL, "--board", "icebreaker", "--dry-run", "--probes", "-1", builds=builds),
                          r"--probes must be 0 or more, not -1$")
    assert deploy(HIL, "--board", "icebreaker", "--dry-run", "--lanes", "2", builds=builds).returncode == 0
    assert "--lanes: invalid choice: 9" in deploy(HIL, "--board", "icebreaker", "--dry-run", "--lanes", "9",
                                                   builds=builds).stderr


def test_an_unknown_board_is_one_line(tmp_path):
    result = deploy(HIL, "--board", "icebreakr", "--dry-run", builds=tmp_path)
    assert_one_line_error(result, r"unknown board `icebreakr` \(known: icebreaker, icesugar, ")


@pytest.mark.slow
@pytest.mark.tools(*ECP5_TOOLS)
def test_deploy_builds_then_says_in_one_line_that_no_board_is_attached(tmp_path):
    builds, project = tmp_path / "builds", tiny_hil_demo(tmp_path)
    result = deploy(project, "--board", "ulx3s", builds=builds, timeout=300)
    assert_one_line_error(result, r"no board found: connect the ulx3s by USB and try again \(openFPGALoader: "
                                  r"unable to open ftdi device: -3 \(device not found\)\)$")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[:3] == ["synthesis…", "place and route…", "bitstream…"] and lines[4] == "program…"
    assert re.match(r"^built .*tiny-ulx3s-Q16.16-50MHz/top.bit: [\d,]+/83,640 LUTs, ", lines[3])
    assert (builds / "boards" / "tiny-ulx3s-Q16.16-50MHz" / "build.log").is_file()
    # Unchanged: the bitstream is reused, and only openFPGALoader would run.
    again = deploy(project, "--board", "ulx3s", builds=builds, timeout=300)
    assert again.returncode == 1 and "(unchanged design: its last bitstream reused)" in again.stdout
    assert "synthesis…" not in again.stdout
    dry = deploy(project, "--board", "ulx3s", "--dry-run", builds=builds)
    (line,) = dry.stdout.splitlines()
    assert "openFPGALoader -b ulx3s --write-sram" in line


@pytest.mark.tools(*BUILD_TOOLS)
def test_a_core_that_loads_its_tables_from_flash_gets_them_written_before_the_bitstream(tmp_path):
    from benchmarks.hdl_resources import write_project

    project = write_project(tmp_path / "cuba_1000.ncsproj", 1000, 20_000)  # the tables outgrow the UP5K's block RAM
    builds = tmp_path / "builds"
    result = deploy(project, "--board", "icebreaker", "--fixed", "Q8.8", "--dry-run", builds=builds)
    assert result.returncode == 0, result.stderr
    folder = builds / "boards" / "cuba_1000-icebreaker-Q8.8-24MHz"
    tables, bitstream = result.stdout.splitlines()[-2:]
    assert tables.endswith(f"openFPGALoader -b ice40_generic --write-flash -o 1048576 {folder / 'tables.bin'})")
    assert bitstream.endswith(f"openFPGALoader -b ice40_generic --write-sram {folder / 'top.bin'})")
    hil = deploy(HIL, "--board", "icebreaker", "--fixed", "Q8.8", "--dry-run", builds=builds)
    assert "tables.bin" not in hil.stdout  # hil_demo's tables fit in block RAM, initialised with the bitstream


def test_the_lanes_asked_for_are_the_lanes_built():
    from hdl.boards import find_board
    from studio.hardware.deploy_flow import plan_for_board

    board = find_board("ulx3s")
    assert plan_for_board(HIL, None, board).lanes == 1  # hil_demo steps in real time one neuron per clock
    assert plan_for_board(HIL, None, board, lanes=3).lanes == 3


def test_one_lane_asked_for_is_one_lane_where_the_estimate_would_choose_more(tmp_path):
    from benchmarks.hdl_resources import write_project
    from hdl.boards import find_board
    from studio.hardware.deploy_flow import plan_for_board

    board = find_board("ulx3s")
    project = write_project(tmp_path / "cuba3000.ncsproj", 3000, 3000)  # a pass over 3,000 neurons: 60 % of a step
    assert plan_for_board(project, None, board).lanes > 1
    assert plan_for_board(project, None, board, lanes=1).lanes == 1
