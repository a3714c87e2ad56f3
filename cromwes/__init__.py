"""cromwes: a GA4GH Workflow Execution Service (WES 1.1) gateway in front of Cromwell."""

__version__ = "0.1.0"
