"""DHCPv4 client core without I/O: wire codec, state machine, lease and its outputs."""
