"""nodegen: generate typed Python packages for n8n-style nodes from a YAML spec."""

__version__ = "0.1.0"
