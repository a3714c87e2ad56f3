"""Tests of the Cromwell emulator (cromwes.emulator), over real sockets."""
