"""Hardware back end: Verilog from the IR, tool discovery and Verilator co-simulation."""
