"""A local stand-in for Cromwell: its REST API, real WDL runs through miniwdl, faults."""
