"""Pure translation between WES and Cromwell: plain values in, plain values out, no I/O."""
