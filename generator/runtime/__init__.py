"""The runtime shared by every generated node package.

These modules are hand-written and copied verbatim into each package as `_runtime/`; the
templates emit only the per-node data (`_node.py`) and thin typed wrappers around it.
"""
